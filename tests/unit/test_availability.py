import re
from datetime import datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.availability import (
    AvailabilityError,
    in_quiet_hours,
    is_available,
    is_time_range,
    parse_time_range,
    parse_windows,
    weekly_minutes,
)

MONDAY_10 = datetime(2026, 11, 23, 10, 0)
SATURDAY_11 = datetime(2026, 11, 28, 11, 0)
SATURDAY_13 = datetime(2026, 11, 28, 13, 0)


def test_empty_availability_means_any_time():
    assert is_available(parse_windows(""), SATURDAY_13)


def test_windows_with_day_ranges_and_several_parts():
    windows = parse_windows("mo-fr 09:00-17:00; sa 10:00-12:00")
    assert is_available(windows, MONDAY_10)
    assert is_available(windows, SATURDAY_11)
    assert not is_available(windows, SATURDAY_13)


def test_24_00_is_allowed_as_an_end():
    windows = parse_windows("su 18:00-24:00")
    assert is_available(windows, datetime(2026, 11, 29, 23, 59))


def test_day_ranges_may_wrap_the_week():
    windows = parse_windows("fr-mo 08:00-09:00")
    week = [datetime(2026, 11, 23 + offset, 8, 30) for offset in range(7)]  # Monday to Sunday
    assert [is_available(windows, day) for day in week] == [True, False, False, False, True,
                                                           True, True]


def test_empty_parts_between_semicolons_are_skipped_and_the_rest_still_read():
    windows = parse_windows("; mo 09:00-10:00;; tu 10:00-11:00 ;")
    assert is_available(windows, datetime(2026, 11, 23, 9, 30))  # Monday
    assert is_available(windows, datetime(2026, 11, 24, 10, 30))  # Tuesday
    assert not is_available(windows, datetime(2026, 11, 25, 10, 30))  # Wednesday


@pytest.mark.parametrize(("text", "named"), [
    ("mo 9-17", "'mo 9-17' should look like"),
    ("xx 09:00-10:00", "'xx' is not a day"),
    ("mo 10:00-09:00", "'mo 10:00-09:00' ends before it starts"),
    ("mo 09:00-09:00", "'mo 09:00-09:00' ends before it starts"),  # empty: never available
    ("mo 25:00-26:00", "'25:00' is not a time of day"),
    ("mo 23:00-25:00", "'25:00' is not a time of day"),
    ("mo 09:00-24:30", "'24:30' is not a time of day"),
    ("su 24:00-24:00", "'24:00' is not a time of day"),  # 24:00 ends a day, it starts none
    ("mo 09:60-10:00", "'09:60' is not a time of day"),
])
def test_unreadable_availability_says_what_is_wrong(text, named):
    """The message is what a coordinator reads next to the CSV line or in the config error."""
    with pytest.raises(AvailabilityError, match=re.escape(named)):
        parse_windows(text)


def test_quiet_hours_that_start_and_end_at_the_same_minute_are_empty():
    assert not any(in_quiet_hours("08:00-08:00", time(hour, 0)) for hour in (3, 8, 12, 22))


def test_quiet_hours_wrap_midnight_and_can_be_switched_off():
    assert in_quiet_hours("21:00-08:00", time(23, 0))
    assert in_quiet_hours("21:00-08:00", time(7, 59))
    assert not in_quiet_hours("21:00-08:00", time(8, 0))
    assert not in_quiet_hours("", time(3, 0))


@pytest.mark.parametrize(("text", "readable"), [
    ("21:00-08:00", True), ("21:00-24:00", True), ("00:00-08:00", True),
    ("24:00-08:00", False), ("21:00-24:30", False), ("21:00-8:00", False), ("21:60-08:00", False),
])
def test_quiet_hours_are_accepted_only_if_they_can_be_read(text, readable):
    """The config check (is_time_range) and the engine's reading (parse_time_range) agree:
    quiet hours accepted at start-up never fail at the first candidate query."""
    assert is_time_range(text) is readable
    if readable:
        in_quiet_hours(text, time(12, 0))
    else:
        with pytest.raises(AvailabilityError) as raised:
            parse_time_range(text)
        assert any(f"'{part}'" in str(raised.value) for part in (text, *text.split("-")))


_TIMES = st.integers(0, 23).flatmap(lambda h: st.sampled_from([f"{h:02d}:00", f"{h:02d}:15",
                                                               f"{h:02d}:30"]))
_DAYS = st.sampled_from(["mo", "tu", "we", "th", "fr", "sa", "su", "mo-fr", "sa-su", "fr-mo",
                         "tu,th"])


@st.composite
def _availability(draw) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 3))):
        start, end = sorted(draw(st.lists(_TIMES, min_size=2, max_size=2, unique=True)))
        parts.append(f"{draw(_DAYS)} {start}-{end}")
    return "; ".join(parts)


@settings(max_examples=60)
@given(availability=_availability(),
       quiet=st.sampled_from(["", "21:00-08:00", "22:30-07:15", "08:00-08:00", "12:00-13:30"]))
def test_the_week_of_minutes_agrees_with_the_minute_by_minute_rules(availability, quiet):
    """weekly_minutes counts exactly the minutes is_available and in_quiet_hours allow."""
    windows = parse_windows(availability)
    week = weekly_minutes(windows, quiet)
    monday = datetime(2026, 11, 23)
    for day in range(7):
        for hour in range(24):
            allowed = 0
            for minute in range(60):
                moment = monday + timedelta(days=day, hours=hour, minutes=minute)
                allowed += (is_available(windows, moment)
                            and not in_quiet_hours(quiet, moment.time()))
            assert week[day][hour] == allowed, (day, hour)


def test_a_week_of_minutes_worked_out_by_hand():
    week = weekly_minutes(parse_windows("mo-fr 09:30-17:00; sa 10:00-12:15"), "21:00-08:00")
    assert week[0][8:18] == (0, 30, 60, 60, 60, 60, 60, 60, 60, 0)  # Monday 09:30-17:00
    assert week[5][9:13] == (0, 60, 60, 15)  # Saturday 10:00-12:15
    assert sum(week[6]) == 0  # not on Sunday
    anytime = weekly_minutes((), "21:30-07:30")[2]
    assert (anytime[7], anytime[8], anytime[21], anytime[22]) == (30, 60, 30, 0)
