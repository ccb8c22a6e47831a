"""The coordinator's office: whether it is open now, and its hours as a caller hears them;
and dates as a caller hears them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
