"""Office time between two moments, and a working day of it (bhc/neighbourhoods/office.py)."""

from __future__ import annotations

from datetime import datetime

from bhc.neighbourhoods.office import office_seconds_between, within_a_working_day, working_day_s

HOURS = "mo-fr 09:00-17:00"
H = 3600


def test_only_office_hours_count():
    # Monday 5 Oct 2026 08:00 to 18:00 in Amsterdam (summer time: UTC + 2).
    assert office_seconds_between(HOURS, datetime(2026, 10, 5, 6), datetime(2026, 10, 5, 16)) \
        == 8 * H
    # Friday 16:00 to Monday 10:00: one hour each side of the weekend.
    assert office_seconds_between(HOURS, datetime(2026, 10, 9, 14),
                                  datetime(2026, 10, 12, 8)) == 2 * H
    assert office_seconds_between(HOURS, datetime(2026, 10, 10, 9),
                                  datetime(2026, 10, 10, 10)) == 0  # a Saturday
    assert office_seconds_between(HOURS, datetime(2026, 10, 6), datetime(2026, 10, 5)) == 0


def test_local_time_across_the_end_of_summer_time():
    # Friday 23 Oct 16:00 (UTC + 2) to Monday 26 Oct 10:00 (UTC + 1).
    assert office_seconds_between(HOURS, datetime(2026, 10, 23, 14),
                                  datetime(2026, 10, 26, 9)) == 2 * H


def test_a_working_day_is_the_longest_day_of_office_hours():
    assert working_day_s(HOURS) == 8 * H
    assert working_day_s("mo-fr 09:00-12:30; sa 10:00-12:00") == 3.5 * H
    assert working_day_s("") == 24 * H


def test_within_a_working_day():
    monday_10 = datetime(2026, 10, 5, 8)
    assert within_a_working_day(HOURS, monday_10, datetime(2026, 10, 6, 8))  # Tuesday 10:00
    assert not within_a_working_day(HOURS, monday_10, datetime(2026, 10, 6, 8, 1))
    friday_evening = datetime(2026, 10, 9, 18)
    assert within_a_working_day(HOURS, friday_evening, datetime(2026, 10, 12, 15))  # 17:00
    assert not within_a_working_day(HOURS, friday_evening, datetime(2026, 10, 13, 7, 1))
    assert within_a_working_day("", monday_10, datetime(2026, 10, 6, 8))
    assert not within_a_working_day("", monday_10, datetime(2026, 10, 6, 8, 1))
