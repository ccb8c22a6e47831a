"""Help requests as coordinators follow them: today's list, and each request as a timeline."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from bhc.calls.models import CallLeg, HelpRequest, Match, Reconnection, RequestState
from bhc.localtime import local_date, local_midnight_utc
from bhc.neighbourhoods.scope import in_scope

PER_PAGE = 50


def today(session: Session, now: datetime, visible: set[int] | None) -> list[HelpRequest]:
    """Requests made today (Europe/Amsterdam), newest first, with their call legs."""
    start = local_midnight_utc(local_date(now))
    end = local_midnight_utc(local_date(now) + timedelta(days=1))
    query = in_scope(select(HelpRequest), HelpRequest.neighbourhood_id, visible).where(
        HelpRequest.created_at >= start, HelpRequest.created_at < end)
    return list(session.scalars(
        query.options(selectinload(HelpRequest.legs), selectinload(HelpRequest.neighbourhood),
                      selectinload(HelpRequest.caller))
        .order_by(HelpRequest.created_at.desc(), HelpRequest.id.desc())
    ))


def any_searching(requests: list[HelpRequest]) -> bool:
    return any(r.state == RequestState.SEARCHING for r in requests)


@dataclass(frozen=True)
class RequestPage:
    items: list[HelpRequest]
    number: int
    pages: int


def history(session: Session, visible: set[int] | None, *, neighbourhood_id: int | None = None,
            page: int = 1, per_page: int = PER_PAGE) -> RequestPage:
    query = in_scope(select(HelpRequest), HelpRequest.neighbourhood_id, visible)
    if neighbourhood_id is not None:
        query = query.where(HelpRequest.neighbourhood_id == neighbourhood_id)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    items = list(session.scalars(
        query.options(selectinload(HelpRequest.legs), selectinload(HelpRequest.neighbourhood))
        .order_by(HelpRequest.created_at.desc(), HelpRequest.id.desc())
        .offset((page - 1) * per_page).limit(per_page)
    ))
    return RequestPage(items=items, number=page, pages=pages)


class EventKind(StrEnum):
    """The moments of a request's timeline, in the order they show when they coincide."""

    CALLED = "called"
    CHOSE = "chose"
    RUNG = "rung"
    ANSWERED = "answered"
    PRESSED = "pressed"
    MATCHED = "matched"
    RECONNECTION = "reconnection"  # later, one of the two asked to be put through again
    LEG_OUTCOME = "leg_outcome"
    ENDED = "ended"


@dataclass(frozen=True)
class Event:
    """One moment of a request: ``kind`` names it, ``leg`` is the volunteer call it is about."""

    at: datetime
    kind: EventKind
    leg: CallLeg | None = None
    detail: str | None = None


def timeline(session: Session, request: HelpRequest) -> list[Event]:
    """Everything that happened to the request, in order: the call, the choice, each volunteer
    rung (answered, key pressed, how the call ended), the match, and why the search ended."""
    events = [Event(request.created_at, EventKind.CALLED)]
    if request.searching_since:
        events.append(Event(request.searching_since, EventKind.CHOSE, detail=request.category_slug))
    legs = session.scalars(select(CallLeg).where(CallLeg.request_id == request.id)
                           .options(selectinload(CallLeg.volunteer)).order_by(CallLeg.id))
    for leg in legs:
        events.append(Event(leg.placed_at, EventKind.RUNG, leg))
        if leg.answered_at:
            events.append(Event(leg.answered_at, EventKind.ANSWERED, leg, leg.answered_by))
        if leg.decided_at and leg.key_pressed:
            events.append(Event(leg.decided_at, EventKind.PRESSED, leg, leg.key_pressed))
        if leg.outcome:
            at = leg.ended_at or leg.decided_at or leg.placed_at
            events.append(Event(at, EventKind.LEG_OUTCOME, leg, leg.outcome))
    match = session.scalar(select(Match).where(Match.request_id == request.id))
    if match is not None:
        events.append(Event(match.matched_at, EventKind.MATCHED,
                            detail=f"{match.time_to_match_s:.0f}"))
        for reconnection in session.scalars(select(Reconnection).where(
                Reconnection.match_id == match.id).order_by(Reconnection.id)):
            events.append(Event(reconnection.requested_at, EventKind.RECONNECTION,
                                detail=reconnection.outcome))
    if request.ended_at:
        events.append(Event(request.ended_at, EventKind.ENDED, detail=request.outcome))
    order = {kind: i for i, kind in enumerate(EventKind)}  # at the same moment: in this order
    return sorted(events, key=lambda e: (e.at, order[e.kind]))

