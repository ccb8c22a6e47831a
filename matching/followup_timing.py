"""When a follow-up call may be placed: the configured delay after a match, then the first
moment within the person's availability and outside the quiet hours (Europe/Amsterdam)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
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


def may_call_at(moment: datetime, windows: tuple[Window, ...], quiet_hours: str) -> bool:
    """Whether someone may be phoned at ``moment`` (naive UTC): inside their availability
    windows (any time when there are none) and outside the quiet hours, both read on the clock
    of Europe/Amsterdam at that moment."""
    local = _local(moment)
    return is_available(windows, local) and not in_quiet_hours(quiet_hours, local.time())


def _instants(wall: datetime) -> set[datetime]:
    """The moments (naive UTC) at which Amsterdam's clock shows ``wall``: two when the clock is
    put back over it; for a wall time the clock jumps over, the readings just around the jump
    (the jump itself is :func:`_clock_change`)."""
    return {_utc(wall.replace(tzinfo=LOCAL, fold=fold)) for fold in (0, 1)}


def _clock_change(day: date) -> datetime | None:
    """When Amsterdam's clock is put forward or back on ``day`` (naive UTC; it changes on the
    hour), or None on the other days."""
    def offset(moment: datetime) -> timedelta | None:
        return moment.replace(tzinfo=UTC).astimezone(LOCAL).utcoffset()

    midnight = _utc(datetime.combine(day, time(0), tzinfo=LOCAL))
    if offset(midnight) == offset(_utc(datetime.combine(day + timedelta(days=1), time(0),
                                                        tzinfo=LOCAL))):
        return None
    change = midnight + timedelta(hours=1)
    while offset(change) == offset(midnight):
        change += timedelta(hours=1)
    return change


def next_allowed(moment: datetime, windows: tuple[Window, ...], quiet_hours: str
                 ) -> datetime | None:
    """The first moment at or after ``moment`` (naive UTC) inside the availability windows
    (any time when there are none) and outside the quiet hours; None within HORIZON_DAYS.

    Such a moment is ``moment`` itself, one where a window opens or the quiet hours end, or one
    where the clock is put forward or back (a window may open in the hour that is skipped, or
    be entered again in the hour that comes twice), so only those are tried, in UTC: on the two
    daylight-saving days the local clock does not run in step with time.
    """
    start = _local(moment)
    quiet_end = parse_time_range(quiet_hours)[1] % (24 * 60) if quiet_hours else None
    tries = set()
    for offset in range(HORIZON_DAYS + 1):
        day = start.date() + timedelta(days=offset)
        if change := _clock_change(day):
            tries.add(change)
        minutes = {w.start for w in windows if day.weekday() in w.days}
        if quiet_end is not None:
            minutes.add(quiet_end)
        for minute in minutes:
            tries.update(_instants(datetime.combine(day, time(minute // 60, minute % 60))))
    for candidate in [moment, *sorted(t for t in tries if t > moment)]:
        if may_call_at(candidate, windows, quiet_hours):
            return candidate
    return None
