"""Where helpers are missing, pure: the caps' calls a week, runs of empty hours, their order."""

from __future__ import annotations

from bhc.calls.candidates import Caps
from bhc.reports.gaps import Gap, callable_minutes, calls_a_week, find_gaps, largest


def _grid(helpers_day_0: list, requests_day_0: list | None = None) -> dict:
    empty = [[0] * 24 for _ in range(6)]
    return {"helpers_by_hour": [helpers_day_0, *([[None] * 24] * 6)],
            "requests_by_hour": [requests_day_0 or [0] * 24, *empty],
            "unhelped_by_hour": [[0] * 24, *empty]}


def test_the_caps_bound_a_helpers_calls_a_week():
    weekdays = callable_minutes("mo-fr 09:00-17:00", "21:00-08:00")
    assert calls_a_week(weekdays, Caps(daily=3, weekly=10)) == 10  # 3 x 5 days, at most 10
    assert calls_a_week(weekdays, Caps(daily=1, weekly=10)) == 5
    assert calls_a_week(callable_minutes("sa 10:00-10:10", ""), Caps(daily=3, weekly=10)) == 3
    assert callable_minutes("weekdays", "") is None  # unreadable: never rung


def test_a_gap_is_a_run_of_empty_hours_outside_quiet_hours():
    hours = [None] * 8 + [0, 0, 2, 0] + [1] * 8 + [0] + [None] * 3
    requests = [0] * 8 + [1, 2, 0, 4] + [0] * 12
    assert find_gaps("chat", _grid(hours, requests)) == [
        Gap("chat", 0, 8, 10, 3, 0), Gap("chat", 0, 11, 12, 4, 0), Gap("chat", 0, 20, 21, 0, 0)]


def test_the_largest_gaps_come_by_unhelped_then_requests_then_length_then_menu_order():
    gaps = [Gap("chat", 0, 8, 9, 5, 1), Gap("groceries", 3, 8, 20, 5, 1),
            Gap("chat", 1, 8, 9, 9, 0), Gap("groceries", 2, 8, 9, 5, 1),
            Gap("transport", 6, 8, 10, 2, 2)]
    assert largest(gaps, ["groceries", "chat", "transport"]) == [
        gaps[4], gaps[1], gaps[3]]
