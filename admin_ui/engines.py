"""The engine as coordinators see it: a banner on every page when it has stopped, and the
engine processes on the dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from admin_ui.blueprint import blueprint
from bhc.app import current_exchange
from bhc.db import utcnow
from bhc.engines import heartbeat

LISTED_FOR = timedelta(hours=1)  # a silent engine stays on the dashboard this long


@dataclass(frozen=True)
class EngineStatus:
    host: str
    pid: int
    seconds_ago: int  # since its last step (or its start, before a first step)
    alive: bool


def _stale_after() -> timedelta:
    return timedelta(seconds=current_exchange().config.server.engine_stale_after_s)


def engine_stale() -> bool:
    """No engine stepped within [server] engine_stale_after_s: nobody is being rung."""
    with current_exchange().db.session() as session:
        return not heartbeat.live(session, utcnow(), _stale_after())


def engines_now() -> list[EngineStatus]:
    now, stale_after = utcnow(), _stale_after()
    with current_exchange().db.session() as session:
        lines = heartbeat.recent(session, now, LISTED_FOR)
    statuses = []
    for line in lines:
        age = now - (line.last_step_at or line.started_at)
        statuses.append(EngineStatus(line.host, line.pid, int(age.total_seconds()),
                                     age <= stale_after))
    return statuses


blueprint.add_app_template_global(engine_stale, "engine_stale")
blueprint.add_app_template_global(engines_now, "engines_now")
