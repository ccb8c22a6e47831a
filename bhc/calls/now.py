"""What is happening now, for the dashboard: callers on hold and the volunteers ringing for
them, searches that ended in the last hour, volunteers who could be rung right now per
category, and the engine processes with their last step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bhc.calls.candidates import Caps, eligible_volunteers
from bhc.calls.models import LIVE_LEG_STATUSES, CallLeg, HelpRequest, RequestState
from bhc.engines import heartbeat
from bhc.neighbourhoods.models import Category, Neighbourhood
from bhc.neighbourhoods.scope import in_scope

RECENT = timedelta(hours=1)
# Engines that went silent within this time still show, as silent.
ENGINE_SHOWN_FOR = timedelta(hours=1)


@dataclass(frozen=True)
class Ringing:
    """A volunteer's call that is live for a caller on hold."""

    name: str
    phone: str
    answered: bool  # picked up: hearing the offer, deciding


@dataclass(frozen=True)
class OnHold:
    request: HelpRequest
    waiting_s: float  # since the caller chose a category
    ringing: list[Ringing]


@dataclass(frozen=True)
class EngineState:
    line: heartbeat.EngineLine
    silent: bool
    since_last_step_s: float | None


@dataclass(frozen=True)
class Available:
    neighbourhood: Neighbourhood
    category: Category
    count: int


def on_hold(session: Session, visible: set[int] | None, now: datetime) -> list[OnHold]:
    """Callers waiting on hold while the engine searches, longest waiting first."""
    query = in_scope(select(HelpRequest), HelpRequest.neighbourhood_id, visible).where(
        HelpRequest.state == RequestState.SEARCHING)
    requests = session.scalars(query.options(
        selectinload(HelpRequest.neighbourhood), selectinload(HelpRequest.caller),
        selectinload(HelpRequest.legs).selectinload(CallLeg.volunteer))
        .order_by(HelpRequest.searching_since, HelpRequest.id))
    waiting = []
    for request in requests:
        started = request.searching_since or request.created_at
        ringing = [Ringing(leg.volunteer.name if leg.volunteer else "",
                           leg.volunteer.phone if leg.volunteer else "",
                           leg.answered_at is not None)
                   for leg in request.legs
                   if leg.outcome is None and leg.status in LIVE_LEG_STATUSES]
        waiting.append(OnHold(request, max(0.0, (now - started).total_seconds()), ringing))
    return waiting


def ended_recently(session: Session, visible: set[int] | None, now: datetime,
                   within: timedelta = RECENT) -> list[HelpRequest]:
    """Searches (a category was chosen) that ended in the last hour, latest first."""
    query = in_scope(select(HelpRequest), HelpRequest.neighbourhood_id, visible).where(
        HelpRequest.searching_since.is_not(None), HelpRequest.ended_at >= now - within,
        HelpRequest.state != RequestState.SEARCHING)
    return list(session.scalars(query.options(
        selectinload(HelpRequest.neighbourhood), selectinload(HelpRequest.legs))
        .order_by(HelpRequest.ended_at.desc(), HelpRequest.id.desc())))


def available_now(session: Session, visible: set[int] | None, now: datetime, quiet_hours: str,
                  caps: Caps) -> list[Available]:
    """Per neighbourhood and enabled category: how many volunteers the engine could ring for a
    new request right now (the engine's own rule, ``eligible_volunteers``)."""
    query = in_scope(select(Neighbourhood), Neighbourhood.id, visible).order_by(
        Neighbourhood.name)
    found = []
    for neighbourhood in session.scalars(query.options(selectinload(Neighbourhood.categories))):
        for category in neighbourhood.categories:
            if not category.enabled:
                continue
            probe = HelpRequest(neighbourhood_id=neighbourhood.id, category_slug=category.slug,
                                created_at=now)
            count = len(eligible_volunteers(session, probe, now, quiet_hours, caps))
            found.append(Available(neighbourhood, category, count))
    return found


def engines(session: Session, now: datetime, silent_after: timedelta) -> list[EngineState]:
    """The engine processes not stopped that stepped in the last hour; those silent for longer
    than ``silent_after`` (``[server] engine_stale_after_s``, as the stale-engine banner) are
    marked."""
    states = []
    for line in heartbeat.live(session, now, ENGINE_SHOWN_FOR):
        last = line.last_step_at or line.started_at
        states.append(EngineState(line, now - last > silent_after,
                                  (now - line.last_step_at).total_seconds()
                                  if line.last_step_at else None))
    return states
