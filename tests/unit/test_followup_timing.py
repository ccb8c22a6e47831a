"""When a follow-up may be placed: the delay, then availability and quiet hours."""

from __future__ import annotations

import re
import time as clock
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from bhc import config
from matching.availability import parse_windows
from matching.followup_timing import BadDelay, Delay, may_call_at, next_allowed, parse_delay

LOCAL = ZoneInfo("Europe/Amsterdam")
UTC = ZoneInfo("UTC")


def at(text: str) -> datetime:
    """'2026-11-24 22:00' in Amsterdam as naive UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL).astimezone(UTC).replace(tzinfo=None)


def test_the_delay_is_the_next_day_at_a_time_or_a_number_of_seconds():
    assert parse_delay("next-day 10:00") == Delay(at=time(10, 0))
    assert parse_delay("next-day 9:45") == Delay(at=time(9, 45))
    assert parse_delay(" 30 ") == Delay(seconds=30)
    assert parse_delay("next-day 10:00").due(at("2026-11-24 23:30")) == at("2026-11-25 10:00")
    assert parse_delay("30").due(at("2026-11-24 23:30")) == at("2026-11-24 23:30:30")
    # Across the change to winter time the local hour is kept.
    assert parse_delay("next-day 10:00").due(at("2026-10-24 12:00")) == at("2026-10-25 10:00")


@pytest.mark.parametrize("text", ["tomorrow", "next-day 25:00", "next-day 24:00", "next-day 10:60",
                                  "next-day", "-5", "1.5"])
def test_a_bad_delay_fails_at_start_up_naming_the_key(text):
    with pytest.raises(BadDelay, match=re.escape(repr(text)) + ".*'next-day HH:MM'"):
        parse_delay(text)
    with pytest.raises(config.ConfigError, match="followup.delay"):
        config.from_mapping({"followup": {"delay": text}})


def test_a_follow_up_due_in_quiet_hours_moves_to_their_end():
    assert next_allowed(at("2026-11-24 22:00"), (), "21:00-08:00") == at("2026-11-25 08:00")
    assert next_allowed(at("2026-11-25 03:10"), (), "21:00-08:00") == at("2026-11-25 08:00")
    assert next_allowed(at("2026-11-24 20:59"), (), "21:00-08:00") == at("2026-11-24 20:59")
    assert next_allowed(at("2026-11-24 22:00"), (), "") == at("2026-11-24 22:00")


def test_a_follow_up_outside_availability_moves_to_the_next_window():
    weekdays = parse_windows("mo-fr 09:00-17:00")
    # Friday evening: the next window opens on Monday morning.
    assert next_allowed(at("2026-11-27 18:00"), weekdays, "21:00-08:00") == at(
        "2026-11-30 09:00")
    assert next_allowed(at("2026-11-25 10:00"), weekdays, "21:00-08:00") == at(
        "2026-11-25 10:00")


def test_a_window_starting_in_quiet_hours_is_used_from_their_end():
    early = parse_windows("sa 07:00-09:00")
    assert next_allowed(at("2026-11-24 10:00"), early, "21:00-08:00") == at("2026-11-28 08:00")


def test_someone_never_available_outside_quiet_hours_has_no_moment():
    assert next_allowed(at("2026-11-24 10:00"), parse_windows("mo-su 22:00-23:00"),
                        "21:00-08:00") is None


def test_quiet_hours_ending_at_midnight_end_at_midnight():
    # 22:30 CEST, in quiet hours 21:00-24:00: the follow-up moves to 00:00 CEST (22:00 UTC).
    assert next_allowed(at("2026-07-15 22:30"), (), "21:00-24:00") == at("2026-07-16 00:00")


def test_a_moment_with_seconds_moves_to_a_whole_minute():
    # Quiet hours 21:00-02:30 end, on 29 March, when the clock jumps from 02:00 to 03:00 CEST.
    jump = datetime(2026, 3, 29, 1, 0)
    assert next_allowed(datetime(2026, 3, 28, 22, 0, 30), (), "21:00-02:30") == jump
    assert next_allowed(datetime(2026, 3, 28, 22, 0, 0, 500), (), "21:00-02:30") == jump


def test_the_servers_own_time_zone_does_not_change_the_answers(monkeypatch):
    """Only Europe/Amsterdam counts, whatever TZ the process runs with."""
    monkeypatch.setenv("TZ", "America/New_York")
    clock.tzset()
    try:
        assert may_call_at(datetime(2026, 7, 15, 18, 59), (), "21:00-08:00")  # 20:59 CEST
        assert not may_call_at(datetime(2026, 7, 15, 19, 0), (), "21:00-08:00")
        assert next_allowed(datetime(2026, 3, 28, 22, 0), (), "21:00-02:30") == datetime(
            2026, 3, 29, 1, 0)
        assert next_allowed(at("2026-11-24 22:00"), (), "21:00-08:00") == at("2026-11-25 08:00")
        assert parse_delay("next-day 10:00").due(at("2026-11-24 23:30")) == at("2026-11-25 10:00")
    finally:
        monkeypatch.undo()
        clock.tzset()
