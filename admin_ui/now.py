"""The dashboard's "Now": callers on hold with the volunteers ringing for them, searches that
ended in the last hour, volunteers available right now per category, and the engines. The
page is whole without JavaScript; static/live.js refreshes it in place every few seconds."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from admin_ui.auth import visible
from bhc.app import current_exchange
from bhc.calls import now as calls_now
from bhc.calls.candidates import Caps

REFRESH_S = 5


def now_context(session: Session, now) -> dict:
    """What the dashboard's "Now" shows, for the signed-in user's neighbourhoods."""
    config = current_exchange().config
    caps = Caps(daily=config.matching.daily_cap, weekly=config.matching.weekly_cap)
    scope = visible()
    return {
        "now": now,
        "refresh_s": REFRESH_S,
        "on_hold": calls_now.on_hold(session, scope, now),
        "ended": calls_now.ended_recently(session, scope, now),
        "available": calls_now.available_now(session, scope, now,
                                             config.matching.quiet_hours, caps),
        "engines": calls_now.engines(
            session, now, timedelta(seconds=config.server.engine_stale_after_s)),
    }
