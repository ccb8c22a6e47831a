"""Weekly availability windows ("mo-fr 09:00-17:00; sa 10:00-12:00") and quiet hours."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time

DAYS = ("mo", "tu", "we", "th", "fr", "sa", "su")
_WINDOW = re.compile(
    r"^(?P<days>[a-z]{2}(?:-[a-z]{2})?(?:,[a-z]{2}(?:-[a-z]{2})?)*)\s+"
    r"(?P<start>\d{1,2}:\d{2})-(?P<end>\d{1,2}:\d{2})$"
)
_TIME_RANGE = re.compile(r"^([01]\d|2[0-4]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$")


class AvailabilityError(ValueError):
    """An availability text cannot be read; the message says which part."""


@dataclass(frozen=True)
class Window:
    """One weekly window: the weekdays (0 = Monday) and minutes since midnight [start, end)."""

    days: frozenset[int]
    start: int
    end: int

    def contains(self, moment: datetime) -> bool:
        minute = moment.hour * 60 + moment.minute
        return moment.weekday() in self.days and self.start <= minute < self.end


def _minutes(text: str, *, allow_24: bool) -> int:
    hours, minutes = (int(part) for part in text.split(":"))
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not allow_24)):
        raise AvailabilityError(f"{text!r} is not a time of day")
    return hours * 60 + minutes


def _days(text: str) -> frozenset[int]:
    days: set[int] = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise AvailabilityError(f"{part!r} is not a day or range of days (mo, tu, ... su)")
        start, end = DAYS.index(first), DAYS.index(last or first)
        days.update(range(start, end + 1) if start <= end else [*range(start, 7), *range(end + 1)])
    return frozenset(days)


def parse_windows(text: str) -> tuple[Window, ...]:
    """Parse availability; empty text means any time (an empty tuple)."""
    windows = []
    for chunk in (part.strip().lower() for part in text.split(";")):
        if not chunk:
            continue
        match = _WINDOW.match(chunk)
        if not match:
            raise AvailabilityError(f"{chunk!r} should look like 'mo-fr 09:00-17:00'")
        start = _minutes(match["start"], allow_24=False)
        end = _minutes(match["end"], allow_24=True)
        if end <= start:
            raise AvailabilityError(f"{chunk!r} ends before it starts")
        windows.append(Window(_days(match["days"]), start, end))
    return tuple(windows)


def is_available(windows: tuple[Window, ...], local_moment: datetime) -> bool:
    """True when no windows are set (any time) or one of them contains the moment."""
    return not windows or any(window.contains(local_moment) for window in windows)


def is_time_range(text: str) -> bool:
    """True for quiet hours that :func:`parse_time_range` reads, 'HH:MM-HH:MM' such as
    '21:00-08:00' ('24:00' only as the end)."""
    try:
        parse_time_range(text)
    except AvailabilityError:
        return False
    return True


def parse_time_range(text: str) -> tuple[int, int]:
    """'21:00-08:00' -> (1260, 480): start and end in minutes since midnight (may wrap)."""
    if not _TIME_RANGE.match(text):
        raise AvailabilityError(f"{text!r} should look like '21:00-08:00'")
    start_text, end_text = text.split("-")
    return _minutes(start_text, allow_24=False), _minutes(end_text, allow_24=True)


def in_quiet_hours(quiet_hours: str, local_time: time) -> bool:
    """Quiet hours like '21:00-08:00' may wrap midnight; '' switches them off."""
    if not quiet_hours:
        return False
    start, end = parse_time_range(quiet_hours)
    minute = local_time.hour * 60 + local_time.minute
    if start <= end:
        return start <= minute < end
    return minute >= start or minute < end


MINUTES_PER_DAY = 24 * 60


def weekly_minutes(windows: tuple[Window, ...], quiet_hours: str) -> tuple[tuple[int, ...], ...]:
    """For each weekday (0 = Monday) and each hour of the day, how many of its 60 minutes
    someone with these windows may be rung: the minutes :func:`is_available` allows and
    :func:`in_quiet_hours` does not forbid, marked per interval rather than minute by minute."""
    quiet = []
    if quiet_hours:
        start, end = parse_time_range(quiet_hours)
        quiet = [(start, end)] if start <= end else [(start, MINUTES_PER_DAY), (0, end)]
    week = []
    for day in range(7):
        allowed = bytearray(MINUTES_PER_DAY) if windows else bytearray(b"\x01" * MINUTES_PER_DAY)
        for window in windows:
            if day in window.days:
                allowed[window.start:window.end] = b"\x01" * (window.end - window.start)
        for low, high in quiet:
            allowed[low:high] = bytes(high - low)
        week.append(tuple(allowed.count(1, hour, hour + 60)
                          for hour in range(0, MINUTES_PER_DAY, 60)))
    return tuple(week)
