"""Recording incidents: at most one row per incident, however many processes notice it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bhc.alerts.models import Alert, AlertKind
from bhc.engines.models import EngineProcess


def record(session: Session, kind: AlertKind, key: str, now: datetime,
           request_id: int | None = None) -> bool:
    """Open the incident unless it is open already; says whether this call opened it.

    One INSERT that skips a duplicate, so two processes noticing the same incident at once
    never abort each other's transaction."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    inserted = session.execute(
        dialect.insert(Alert)
        .values(kind=kind, key=key, request_id=request_id, opened_at=now)
        .on_conflict_do_nothing(index_elements=["kind", "key"])
    ).rowcount
    return bool(inserted)


def request_unmatched(session: Session, request_id: int, now: datetime) -> bool:
    """A request ended without a match (once per request, whatever happens to it later)."""
    return record(session, AlertKind.UNMATCHED, str(request_id), now, request_id)


def last_heard_of_engines(session: Session) -> datetime | None:
    """When any engine last gave a sign of life: a step, its start, or its clean stop."""
    return session.scalar(select(func.max(func.coalesce(
        EngineProcess.stopped_at, EngineProcess.last_step_at, EngineProcess.started_at))))


def engine_silent(session: Session, now: datetime, after: timedelta) -> bool:
    """Open an incident when no engine was heard of for ``after``; the incident is named by
    that last sign, so an outage is one incident and the next outage another. Nothing is
    opened before any engine ever ran (the exchange is still being set up)."""
    last = last_heard_of_engines(session)
    if last is None or now - last < after:
        return False
    return record(session, AlertKind.ENGINE_STALE, last.isoformat(timespec="seconds"), now)
