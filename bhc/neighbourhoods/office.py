"""The coordinator's office: whether it is open now, how much office time lies between two
moments (a working day), and its hours as a caller hears them; and dates as a caller hears
them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bhc.i18n import catalogue
from bhc.localtime import to_local
from matching.availability import Window, is_available, parse_windows

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")


@dataclass(frozen=True)
class Office:
    """The coordinator's phone line and when it is staffed."""

    phone: str
    hours: str

    def is_open(self, now: datetime) -> bool:
        return is_open(self.hours, now)


def is_open(hours: str, now: datetime) -> bool:
    """Office hours like 'mo-fr 09:00-17:00' at ``now`` (naive UTC); '' means never staffed."""
    if not hours.strip():
        return False
    local = to_local(now)
    return is_available(parse_windows(hours), local)


def office_seconds_between(hours: str, start: datetime, end: datetime,
                           enough: float | None = None) -> float:
    """Seconds of office hours (local wall-clock time) from ``start`` to ``end`` (naive UTC);
    with no office hours ('') every second counts. Counting stops once past ``enough``."""
    if end <= start:
        return 0.0
    if not hours.strip():
        return (end - start).total_seconds()
    windows = parse_windows(hours)
    first, last = to_local(start).replace(tzinfo=None), to_local(end).replace(tzinfo=None)
    counted = 0.0
    day = datetime.combine(first.date(), datetime.min.time())
    while day <= last and (enough is None or counted <= enough):
        for window in windows:
            if day.weekday() in window.days:
                opens = max(first, day + timedelta(minutes=window.start))
                closes = min(last, day + timedelta(minutes=window.end))
                counted += max(0.0, (closes - opens).total_seconds())
        day += timedelta(days=1)
    return counted


def working_day_s(hours: str) -> float:
    """The office time of one working day: its longest day's hours (a whole day without any)."""
    if not hours.strip():
        return 24 * 3600.0
    per_day = [sum(w.end - w.start for w in parse_windows(hours) if day in w.days)
               for day in range(7)]
    return max(per_day) * 60.0 or 24 * 3600.0


def within_a_working_day(hours: str, start: datetime, end: datetime) -> bool:
    """Whether ``end`` came no more than one working day of office time after ``start``:
    raised on Friday evening and done by Monday's closing time is within it."""
    limit = working_day_s(hours)
    return office_seconds_between(hours, start, end, enough=limit) <= limit


def _day_runs(days: frozenset[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for day in sorted(days):
        if runs and runs[-1][1] == day - 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _clock(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def spoken_hours(hours: str, language: str) -> str:
    """'mo-fr 09:00-17:00' -> 'maandag tot en met vrijdag van 9:00 tot 17:00'."""
    cat = catalogue(language)

    def window(w: Window) -> str:
        days = [cat.text(DAY_NAMES[a]) if a == b else
                cat.text("%(first)s to %(last)s", first=cat.text(DAY_NAMES[a]),
                         last=cat.text(DAY_NAMES[b]))
                for a, b in _day_runs(w.days)]
        return cat.text("%(days)s from %(start)s to %(end)s", days=", ".join(days),
                        start=_clock(w.start), end=_clock(w.end))

    return cat.text(" and ").join(window(w) for w in parse_windows(hours))


def spoken_date(moment: datetime, language: str) -> str:
    """A moment (naive UTC) as its day in Amsterdam: 'maandag 2 december'."""
    local = to_local(moment)
    cat = catalogue(language)
    return cat.text("%(weekday)s %(day)s %(month)s", weekday=cat.text(DAY_NAMES[local.weekday()]),
                    day=local.day, month=cat.text(MONTH_NAMES[local.month - 1]))
