"""Local time: the exchange lives in Europe/Amsterdam; every stored timestamp is naive UTC.

Days, weeks, months, quiet hours and office hours are local; this module turns one into the
other (the pure matching core keeps its own copy of the zone: it depends on nothing here).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Europe/Amsterdam")


def to_local(moment: datetime) -> datetime:
    """A stored moment (naive UTC) as an aware Amsterdam time."""
    return moment.replace(tzinfo=UTC).astimezone(LOCAL)


def to_utc(local: datetime) -> datetime:
    """An aware moment (or a naive one meant as Amsterdam time) as stored: naive UTC."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=LOCAL)
    return local.astimezone(UTC).replace(tzinfo=None)


def local_date(moment: datetime) -> date:
    """The Amsterdam calendar day a stored moment falls on."""
    return to_local(moment).date()


def local_midnight_utc(day: date) -> datetime:
    """The start of ``day`` in Amsterdam, as naive UTC (23:00 or 22:00 the day before)."""
    return to_utc(datetime.combine(day, time(0), LOCAL))


def week_start_utc(day: date) -> datetime:
    """The start of the Monday of ``day``'s week in Amsterdam, as naive UTC."""
    return local_midnight_utc(day - timedelta(days=day.weekday()))


def month_start_utc(year: int, month: int) -> datetime:
    """The first moment of a month in Amsterdam, as naive UTC."""
    return local_midnight_utc(date(year, month, 1))
