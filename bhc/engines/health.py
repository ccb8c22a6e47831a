"""Is the exchange working? The database answers, and some engine stepped recently.

Read by ``/healthz``; it never takes long: a database that does not answer within
``TIMEOUT_S`` counts as down, and concurrent probes share one check in flight.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import text

from bhc.db import Database, utcnow
from bhc.engines import heartbeat

TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Health:
    database: str  # "ok", "unreachable" or "timeout"
    engine: str  # "ok", "stale", or "unknown" (the database did not say)
    engine_last_step_s: float | None  # seconds since any engine finished a step
    engines: int  # engines alive now

    @property
    def ok(self) -> bool:
        return self.database == "ok" and self.engine == "ok"

    def as_dict(self) -> dict:
        return {"status": "ok" if self.ok else "failing", "database": self.database,
                "engine": self.engine, "engine_last_step_s": self.engine_last_step_s,
                "engines": self.engines}


def _look(db: Database, stale_after: timedelta) -> Health:
    now = utcnow()
    try:
        with db.session() as session:
            session.execute(text("SELECT 1"))
            alive = heartbeat.live(session, now, stale_after)
            latest = heartbeat.latest_step(session)
    except Exception:  # whatever the driver raises, the answer is the same: no database
        return Health("unreachable", "unknown", None, 0)
    age = round((now - latest).total_seconds(), 1) if latest else None
    return Health("ok", "ok" if alive else "stale", age, len(alive))


class HealthCheck:
    """One check at a time per process; a probe that arrives meanwhile waits for it."""

    def __init__(self, db: Database, stale_after_s: float) -> None:
        self.db = db
        self.stale_after = timedelta(seconds=stale_after_s)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="healthz")
        self._lock = threading.Lock()
        self._running: Future | None = None

    def __call__(self) -> Health:
        with self._lock:
            if self._running is None or self._running.done():
                self._running = self._pool.submit(_look, self.db, self.stale_after)
            running = self._running
        try:
            return running.result(timeout=TIMEOUT_S)
        except FutureTimeout:
            return Health("timeout", "unknown", None, 0)
