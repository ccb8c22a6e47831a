"""When a follow-up call may be placed: the configured delay after a match, then the first
moment within the person's availability and outside the quiet hours (Europe/Amsterdam)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from matching.availability import Window, in_quiet_hours, is_available, parse_time_range

LOCAL = ZoneInfo("Europe/Amsterdam")
UTC = ZoneInfo("UTC")
# Never search further ahead than this for a moment someone may be called.
HORIZON_DAYS = 8


class BadDelay(ValueError):
    """``[followup] delay`` is neither 'next-day HH:MM' nor a number of seconds."""


@dataclass(frozen=True)
class Delay:
    """How long after a match the follow-up is due: ``seconds``, or the next day at ``at``
    (Europe/Amsterdam)."""

    seconds: int = 0
    at: time | None = None

    def due(self, matched_at: datetime) -> datetime:
        """When the follow-up falls due before anyone's hours are considered (naive UTC)."""
        if self.at is None:
            return matched_at + timedelta(seconds=self.seconds)
        next_day = _local(matched_at).date() + timedelta(days=1)
        return _utc(datetime.combine(next_day, self.at, tzinfo=LOCAL))


_NEXT_DAY = re.compile(r"^next-day\s+(\d{1,2}):(\d{2})$")


def parse_delay(text: str) -> Delay:
    """'next-day 10:00' or a number of seconds such as '30'."""
    cleaned = text.strip().lower()
    if cleaned.isdigit():
        return Delay(seconds=int(cleaned))
    found = _NEXT_DAY.match(cleaned)
    if found and int(found[1]) < 24 and int(found[2]) < 60:
        return Delay(at=time(int(found[1]), int(found[2])))
    raise BadDelay(f"{text!r} should be 'next-day HH:MM' (e.g. 'next-day 10:00') or a number "
                   "of seconds (e.g. '30')")


def _local(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC).astimezone(LOCAL)


def _utc(local: datetime) -> datetime:
    return local.astimezone(UTC).replace(tzinfo=None)


def next_allowed(moment: datetime, windows: tuple[Window, ...], quiet_hours: str
                 ) -> datetime | None:
    """The first moment at or after ``moment`` (naive UTC) inside the availability windows
    (any time when there are none) and outside the quiet hours; None within HORIZON_DAYS.

    Such a moment is ``moment`` itself or one where a window opens or the quiet hours end, so
    only those are tried.
    """
    start = _local(moment)
    quiet_end = parse_time_range(quiet_hours)[1] % (24 * 60) if quiet_hours else None
    tries = [start]
    for offset in range(HORIZON_DAYS + 1):
        day = start.date() + timedelta(days=offset)
        minutes = {w.start for w in windows if day.weekday() in w.days}
        if quiet_end is not None:
            minutes.add(quiet_end)
        for minute in minutes:
            opening = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=LOCAL)
            if opening > start:
                tries.append(opening)
    for moment_local in sorted(tries):
        if (is_available(windows, moment_local)
                and not in_quiet_hours(quiet_hours, moment_local.time())):
            return _utc(moment_local)
    return None
