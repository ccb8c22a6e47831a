"""The engine as coordinators see it: a banner on every page when it has stopped. (The engine
processes themselves are listed in the dashboard's Now section, bhc/calls/now.py.)"""

from __future__ import annotations

from datetime import timedelta

from admin_ui.blueprint import blueprint
from bhc.app import current_exchange
from bhc.db import utcnow
from bhc.engines import heartbeat


def _stale_after() -> timedelta:
    return timedelta(seconds=current_exchange().config.server.engine_stale_after_s)


def engine_stale() -> bool:
    """No engine stepped within [server] engine_stale_after_s: nobody is being rung."""
    with current_exchange().db.session() as session:
        return not heartbeat.live(session, utcnow(), _stale_after())


blueprint.add_app_template_global(engine_stale, "engine_stale")
