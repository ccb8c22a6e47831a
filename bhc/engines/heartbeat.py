"""Engines say they are alive: a row per process, its last step written after every step.

``/healthz``, the coordinators' banner and the engines' own crash recovery read it: an engine
whose heartbeat is older than the staleness limit is taken to be gone. Besides the step
heartbeat, each process writes ``alive_at`` every ``ALIVE_EVERY_S`` from a thread of its own,
so a long step never makes a live engine look gone to the others' recovery.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from bhc.engines.models import EngineProcess

ALIVE_EVERY_S = 1.0
# Silent this long (or stopped): gone, and what it was placing may be reclaimed by the others.
ENGINE_GONE_AFTER = timedelta(seconds=6)


@dataclass(frozen=True)
class EngineLine:
    """One engine process as an operator or a coordinator sees it."""

    id: str
    host: str
    pid: int
    started_at: datetime
    last_step_at: datetime | None
    last_step_s: float | None


def register(session: Session, now: datetime) -> str:
    """A new engine process: its id for the heartbeats to come."""
    engine_id = uuid.uuid4().hex
    session.add(EngineProcess(id=engine_id, host=socket.gethostname()[:255], pid=os.getpid(),
                              started_at=now))
    return engine_id


def beat(session: Session, engine_id: str, now: datetime, step_s: float) -> None:
    """The engine finished a step (taking ``step_s`` seconds)."""
    session.execute(update(EngineProcess).where(EngineProcess.id == engine_id)
                    .values(last_step_at=now, last_step_s=step_s))


def alive(session: Session, engine_id: str, now: datetime) -> None:
    """The process is still there (written every ``ALIVE_EVERY_S``, whatever its steps do)."""
    session.execute(update(EngineProcess).where(EngineProcess.id == engine_id)
                    .values(alive_at=now))


def live_ids(now: datetime, within: timedelta = ENGINE_GONE_AFTER):
    """A query of the ids of engines that are not gone: not stopped, and alive (or, before
    their first beat, started) within ``within``."""
    last_sign = func.coalesce(EngineProcess.alive_at, EngineProcess.last_step_at,
                              EngineProcess.started_at)
    return (select(EngineProcess.id)
            .where(EngineProcess.stopped_at.is_(None), last_sign >= now - within))


def live_count(session: Session, now: datetime) -> int:
    """How many engines are not gone (this one included, once it has registered)."""
    return session.scalar(select(func.count()).select_from(live_ids(now).subquery()))


def stopped(session: Session, engine_id: str, now: datetime) -> None:
    """A clean exit: the engine is not merely silent, it is gone."""
    session.execute(update(EngineProcess).where(EngineProcess.id == engine_id)
                    .values(stopped_at=now))


def live(session: Session, now: datetime, stale_after: timedelta) -> list[EngineLine]:
    """Engines not stopped whose last step (or start, before a first step) is recent."""
    return recent(session, now, stale_after)


def latest_step(session: Session) -> datetime | None:
    """When any engine last finished a step."""
    return session.scalar(select(func.max(EngineProcess.last_step_at)))


def forget_stopped(session: Session, before: datetime) -> int:
    """Drop rows of engines that stopped or went silent before ``before`` (kept a while for
    the dashboard's history); returns how many."""
    old = session.scalars(select(EngineProcess).where(or_(
        EngineProcess.stopped_at < before, _last_step_or_start() < before)))
    count = 0
    for row in old:
        session.delete(row)
        count += 1
    return count


def _last_step_or_start():
    """When an engine last finished a step, or started (before a first step)."""
    return func.coalesce(EngineProcess.last_step_at, EngineProcess.started_at)


def _line(row: EngineProcess) -> EngineLine:
    return EngineLine(row.id, row.host, row.pid, row.started_at, row.last_step_at,
                      row.last_step_s)


def recent(session: Session, now: datetime, within: timedelta) -> list[EngineLine]:
    """Engines not stopped that gave a sign of life within ``within``, live or gone silent:
    what the dashboard and the metrics list."""
    rows = session.scalars(
        select(EngineProcess)
        .where(EngineProcess.stopped_at.is_(None), _last_step_or_start() >= now - within)
        .order_by(EngineProcess.started_at))
    return [_line(row) for row in rows]
