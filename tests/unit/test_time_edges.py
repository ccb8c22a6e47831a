"""Quiet hours, availability windows and follow-up timing at the edges of time.

Every moment the engine has is naive UTC; who may be phoned is read on the clock of
Europe/Amsterdam. So these tests give real UTC instants, in winter (CET, +1) and in summer
(CEST, +2), and on both daylight-saving days of 2026: on Sunday 29 March at 01:00 UTC the clock
jumps from 02:00 to 03:00, on Sunday 25 October at 01:00 UTC it goes back from 03:00 to 02:00. The
expected instants are written out by hand, so a hard-coded +1 (or +2) offset fails.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.availability import DAYS, in_quiet_hours, is_available, parse_windows
from matching.followup_timing import Delay, may_call_at, next_allowed, parse_delay
from tests.clock import utc

QUIET = "21:00-08:00"


# --- the pure wall-clock rules, a minute either side of each edge -----------------------------


@pytest.mark.parametrize(("quiet_hours", "clock", "quiet"), [
    ("21:00-08:00", "20:59", False), ("21:00-08:00", "21:00", True),
    ("21:00-08:00", "23:59", True), ("21:00-08:00", "00:00", True),
    ("21:00-08:00", "07:59", True), ("21:00-08:00", "08:00", False),
    ("12:00-14:00", "11:59", False), ("12:00-14:00", "12:00", True),
    ("12:00-14:00", "13:59", True), ("12:00-14:00", "14:00", False),
    ("21:00-24:00", "20:59", False), ("21:00-24:00", "23:59", True),
    ("21:00-24:00", "00:00", False),
    ("00:00-08:00", "23:59", False), ("00:00-08:00", "00:00", True),
    ("00:00-08:00", "07:59", True), ("00:00-08:00", "08:00", False),
])
def test_quiet_hours_start_on_their_first_minute_and_end_on_their_last(quiet_hours, clock,
                                                                        quiet):
    assert in_quiet_hours(quiet_hours, time.fromisoformat(clock)) is quiet


@pytest.mark.parametrize(("local", "available"), [
    ("2026-11-23 08:59", False), ("2026-11-23 09:00", True),  # Monday
    ("2026-11-23 16:59", True), ("2026-11-23 17:00", False),
    ("2026-11-27 16:59", True), ("2026-11-28 09:00", False),  # Friday, Saturday
])
def test_a_window_opens_on_its_first_minute_and_closes_on_its_end(local, available):
    windows = parse_windows("mo-fr 09:00-17:00")
    assert is_available(windows, datetime.fromisoformat(local)) is available


@pytest.mark.parametrize(("local", "available"), [
    ("2026-11-29 21:59", False), ("2026-11-29 22:00", True),  # Sunday
    ("2026-11-29 23:59", True), ("2026-11-30 00:00", True),  # Monday
    ("2026-11-30 01:59", True), ("2026-11-30 02:00", False),
    ("2026-11-28 23:59", False), ("2026-11-30 22:00", False),
])
def test_availability_across_midnight_is_two_windows_either_side(local, available):
    windows = parse_windows("su 22:00-24:00; mo 00:00-02:00")
    assert is_available(windows, datetime.fromisoformat(local)) is available


# --- read on Amsterdam's clock at real UTC instants -------------------------------------------


@pytest.mark.parametrize(("moment", "allowed"), [
    # Winter, CET: quiet from 20:00 to 07:00 UTC.
    ("2026-01-14 19:59", True), ("2026-01-14 20:00", False),
    ("2026-01-15 06:59", False), ("2026-01-15 07:00", True),
    # Summer, CEST: quiet from 19:00 to 06:00 UTC.
    ("2026-07-15 18:59", True), ("2026-07-15 19:00", False),
    ("2026-07-16 05:59", False), ("2026-07-16 06:00", True),
    # Saturday 28 March still in winter time, Sunday 29 March already in summer time.
    ("2026-03-28 19:59", True), ("2026-03-28 20:00", False),
    ("2026-03-29 05:59", False), ("2026-03-29 06:00", True),
    ("2026-03-29 18:59", True), ("2026-03-29 19:00", False),
    # Saturday 24 October still in summer time, Sunday 25 October already in winter time.
    ("2026-10-24 18:59", True), ("2026-10-24 19:00", False),
    ("2026-10-25 06:59", False), ("2026-10-25 07:00", True),
    ("2026-10-25 19:59", True), ("2026-10-25 20:00", False),
])
def test_quiet_hours_follow_amsterdams_clock_in_winter_summer_and_on_both_change_days(
        moment, allowed):
    assert may_call_at(utc(moment), (), QUIET) is allowed


@pytest.mark.parametrize(("moment", "allowed"), [
    ("2026-01-12 07:59", False), ("2026-01-12 08:00", True),  # a Monday in winter
    ("2026-01-12 15:59", True), ("2026-01-12 16:00", False),
    ("2026-07-13 06:59", False), ("2026-07-13 07:00", True),  # a Monday in summer
    ("2026-07-13 14:59", True), ("2026-07-13 15:00", False),
])
def test_availability_follows_amsterdams_clock_in_winter_and_summer(moment, allowed):
    assert may_call_at(utc(moment), parse_windows("mo-fr 09:00-17:00"), "") is allowed


@pytest.mark.parametrize(("moment", "allowed"), [
    ("2026-07-10 21:59", False), ("2026-07-10 22:00", True),  # Friday in UTC, Saturday here
    ("2026-01-09 22:59", False), ("2026-01-09 23:00", True),
    ("2026-07-10 22:59", True), ("2026-07-10 23:00", False),
])
def test_the_weekday_of_a_window_is_amsterdams_not_utcs(moment, allowed):
    assert may_call_at(utc(moment), parse_windows("sa 00:00-01:00"), "") is allowed


@pytest.mark.parametrize(("moment", "allowed"), [
    # 29 March: 01:59 CET is followed by 03:00 CEST, so the window never opens that day.
    ("2026-03-29 00:59", False), ("2026-03-29 01:00", False),
    # 25 October: 02:00-03:00 comes twice, first in CEST then in CET; both are in the window.
    ("2026-10-24 23:59", False), ("2026-10-25 00:00", True), ("2026-10-25 00:59", True),
    ("2026-10-25 01:00", True), ("2026-10-25 01:59", True), ("2026-10-25 02:00", False),
])
def test_a_window_in_the_hour_the_clock_skips_or_repeats(moment, allowed):
    assert may_call_at(utc(moment), parse_windows("su 02:00-03:00"), "") is allowed


# --- the next moment a follow-up may be placed --------------------------------------------------


@pytest.mark.parametrize(("due", "placed"), [
    ("2026-01-14 19:59", "2026-01-14 19:59"),  # winter: 20:59 CET is still allowed
    ("2026-01-14 20:00", "2026-01-15 07:00"),  # 21:00 CET -> 08:00 CET
    ("2026-07-15 18:59", "2026-07-15 18:59"),
    ("2026-07-15 19:00", "2026-07-16 06:00"),  # summer: 21:00 CEST -> 08:00 CEST
    ("2026-03-28 21:00", "2026-03-29 06:00"),  # 22:00 CET -> 08:00 CEST the next morning
    ("2026-03-29 05:59", "2026-03-29 06:00"),
    ("2026-10-24 20:00", "2026-10-25 07:00"),  # 22:00 CEST -> 08:00 CET the next morning
    ("2026-10-25 06:59", "2026-10-25 07:00"),
])
def test_a_follow_up_in_quiet_hours_moves_to_their_end_on_amsterdams_clock(due, placed):
    assert next_allowed(utc(due), (), QUIET) == utc(placed)


@pytest.mark.parametrize(("due", "availability", "quiet_hours", "placed"), [
    # 02:15 CET, the second one: the window opens at the second 02:30, not the first (past).
    ("2026-10-25 01:15", "su 02:30-05:00", "", "2026-10-25 01:30"),
    # 02:45 CEST: past the first 02:30-02:40, but the clock comes back to it an hour later.
    ("2026-10-25 00:45", "su 02:30-02:40", "", "2026-10-25 01:30"),
    # 02:45 CEST, after 01:00-02:30: at 03:00 CEST the clock goes back to 02:00, inside again.
    ("2026-10-25 00:45", "su 01:00-02:30", "", "2026-10-25 01:00"),
    # Quiet hours ending at the second 02:30.
    ("2026-10-25 01:15", "", "01:00-02:30", "2026-10-25 01:30"),
    # 29 March has no 02:00-02:59: the next such window is a week later (in CEST).
    ("2026-03-29 00:00", "su 02:00-02:59", "", "2026-04-05 00:00"),
    # Quiet hours ending at 02:30, which 29 March skips: they are over at the jump to 03:00.
    ("2026-03-28 22:00", "", "21:00-02:30", "2026-03-29 01:00"),
    # A window opening at midnight, reached from the evening before (summer).
    ("2026-07-12 21:30", "mo 00:00-01:00", "", "2026-07-12 22:00"),
])
def test_a_follow_up_around_the_clock_changes_is_placed_at_the_first_allowed_moment(
        due, availability, quiet_hours, placed):
    assert next_allowed(utc(due), parse_windows(availability), quiet_hours) == utc(placed)


def minutes_from(moment: datetime, count: int):
    """``moment``, then the whole UTC minutes after it: where the rules can change."""
    yield moment
    minute = moment.replace(second=0, microsecond=0)
    for _ in range(count):
        minute += timedelta(minutes=1)
        yield minute


# Mostly around the hour that is skipped or repeated (02:00-03:00 local), on a Sunday.
clock_times = st.builds(lambda h, m: f"{h:02d}:{m:02d}",
                        st.sampled_from([1, 2, 2, 2, 3, 3, *range(24)]),
                        st.sampled_from([0, 15, 30, 59]))


@st.composite
def windows_texts(draw) -> str:
    parts = []
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        start, end = sorted(draw(st.lists(clock_times, min_size=2, max_size=2, unique=True)))
        days = draw(st.sampled_from(["su", "su", "su", "sa-su", *DAYS]))
        parts.append(f"{days} {start}-{end}")
    return "; ".join(parts)


quiet_texts = st.one_of(st.just(""), st.builds(lambda a, b: f"{a}-{b}", clock_times,
                                                clock_times))
around_the_changes = st.builds(
    lambda instant, minutes, seconds: instant + timedelta(minutes=minutes, seconds=seconds),
    st.sampled_from([utc("2026-03-29 01:00"), utc("2026-10-25 01:00")] * 2  # the two changes
                    + [utc("2026-01-14 12:00"), utc("2026-07-15 12:00")]),
    st.sampled_from([-180, -120, -60, 0, 60, 120, 180, -36 * 60, 36 * 60]).flatmap(
        lambda around: st.integers(min_value=around - 60, max_value=around + 60)),
    st.integers(min_value=0, max_value=59))
SCAN = 24 * 60  # minutes looked at one by one


@settings(max_examples=200)
@given(around_the_changes, windows_texts(), quiet_texts)
def test_next_allowed_is_the_first_moment_a_minute_by_minute_look_finds(due, text, quiet):
    windows = parse_windows(text)
    placed = next_allowed(due, windows, quiet)
    first = next((m for m in minutes_from(due, SCAN) if may_call_at(m, windows, quiet)), None)
    if first is not None:
        assert placed == first
    else:  # nothing allowed for a day: whatever comes later must be allowed and later
        assert placed is None or (placed > due + timedelta(minutes=SCAN)
                                  and may_call_at(placed, windows, quiet))


# --- the follow-up's delay ----------------------------------------------------------------------

NEXT_DAY_10 = Delay(at=time(10, 0))


@pytest.mark.parametrize(("matched", "due"), [
    ("2026-03-28 11:00", "2026-03-29 08:00"),  # 12:00 CET -> 10:00 CEST
    ("2026-10-24 10:00", "2026-10-25 09:00"),  # 12:00 CEST -> 10:00 CET
    ("2026-07-15 21:59", "2026-07-16 08:00"),  # 23:59 CEST: the next day is the 16th
    ("2026-07-15 22:00", "2026-07-17 08:00"),  # 00:00 CEST on the 16th: the next day is the 17th
    ("2026-01-14 22:59", "2026-01-15 09:00"),  # 23:59 CET
    ("2026-01-14 23:00", "2026-01-16 09:00"),  # 00:00 CET on the 15th
    ("2026-03-28 23:30", "2026-03-30 08:00"),  # 00:30 CET on the 29th, the night of the change
])
def test_next_day_means_amsterdams_next_day_at_its_own_clock_time(matched, due):
    assert NEXT_DAY_10.due(utc(matched)) == utc(due)


@pytest.mark.parametrize(("matched", "due"), [
    ("2026-03-29 00:30", "2026-03-29 01:30"),  # 01:30 CET -> 03:30 CEST: one hour, not two
    ("2026-10-25 00:30", "2026-10-25 01:30"),  # 02:30 CEST -> 02:30 CET: one hour, not none
])
def test_a_delay_in_seconds_is_real_time_across_the_clock_change(matched, due):
    assert parse_delay("3600").due(utc(matched)) == utc(due)


def test_a_next_day_time_the_clock_skips_or_repeats_is_never_before_that_time():
    skipped = Delay(at=time(2, 30)).due(utc("2026-03-28 12:00"))
    assert utc("2026-03-29 01:00") <= skipped <= utc("2026-03-29 01:30")  # 03:00-03:30 CEST
    repeated = Delay(at=time(2, 30)).due(utc("2026-10-24 12:00"))
    assert repeated == utc("2026-10-25 00:30")  # the first 02:30, in CEST


def test_a_follow_up_due_in_the_morning_of_the_change_waits_for_the_end_of_quiet_hours():
    due = Delay(at=time(7, 30)).due(utc("2026-03-28 20:30"))  # 07:30 CEST on the 29th
    assert due == utc("2026-03-29 05:30")
    assert next_allowed(due, (), QUIET) == utc("2026-03-29 06:00")  # 08:00 CEST

