"""A clock for tests at the edges of time.

Every stored moment is naive UTC; days, weeks, months, quiet hours and availability are read on
the clock of Europe/Amsterdam. So tests of an edge give the UTC instants written out by hand,
with Amsterdam's reading beside them: a hard-coded +1 (or +2) offset, or counting in UTC, then
fails somewhere. The 2026 days where it shows: winter (CET, UTC+1), summer (CEST, UTC+2), Sunday
29 March (at 01:00 UTC the clock jumps from 02:00 to 03:00) and Sunday 25 October (at 01:00 UTC
it goes back from 03:00 to 02:00).
"""

from __future__ import annotations

from datetime import datetime, timedelta

SECOND = timedelta(seconds=1)


def utc(text: str) -> datetime:
    """'2026-03-29 01:00' as a naive UTC instant, like every stored timestamp."""
    return datetime.fromisoformat(text)


class Clock:
    """What time it is, for code that asks (``Engine.clock``): set by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime | str) -> datetime:
        self.now = utc(moment) if isinstance(moment, str) else moment
        return self.now
