"""Volunteers' own figures: how often they were rung and how those calls went, and their calls
this week and today against the caps (counted as the engine counts them, bhc.calls.candidates).

Of the calls in a period: **answered** by a person (not voicemail); **accepted** (pressed 1 and
got the request); **declined** (pressed 2, or 9 to pause, or 0 to stop); **no answer** (rang
out, busy, or voicemail); **already taken** (pressed 1 just too late, or answered while another
volunteer took it). The rest (cancelled while ringing, failed, no key pressed) count only as
rung.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from bhc.calls.candidates import Caps, cap_periods
from bhc.calls.models import CallLeg, LegOutcome
from bhc.localtime import to_local
from bhc.neighbourhoods.scope import in_scope
from bhc.people.models import Participant

_O = LegOutcome
ANSWERED = and_(CallLeg.answered_at.is_not(None),
                func.coalesce(CallLeg.outcome, "") != _O.MACHINE)
ACCEPTED = CallLeg.outcome == _O.ACCEPTED
DECLINED = CallLeg.outcome.in_((_O.DECLINED, _O.PAUSED, _O.OPTED_OUT))
NOT_REACHED = CallLeg.outcome.in_((_O.NO_ANSWER, _O.BUSY, _O.MACHINE))
ALREADY_TAKEN = or_(CallLeg.outcome == _O.TAKEN,
                    and_(CallLeg.outcome == _O.WITHDRAWN, CallLeg.answered_at.is_not(None)))

COLUMNS = ("name", "rung", "answered", "accepted", "declined", "no_answer", "already_taken",
           "last_rung_at", "this_week", "today")


@dataclass(frozen=True)
class VolunteerFigures:
    participant_id: int
    name: str
    phone: str
    neighbourhood_id: int | None
    opted_out: bool
    rung: int
    answered: int
    accepted: int
    declined: int
    no_answer: int
    already_taken: int
    last_rung_at: datetime | None  # the last call ever, within the period or not
    this_week: int  # calls since Monday (Europe/Amsterdam), as the weekly cap counts them
    today: int


def figures(session: Session, now: datetime, since: datetime, *,
            visible: set[int] | None = None, neighbourhood_id: int | None = None,
            participant_id: int | None = None) -> list[VolunteerFigures]:
    """The figures of helpers (in these neighbourhoods, or this one participant) for the calls
    placed from ``since`` to ``now``, by name. One grouped query over the index of each
    volunteer's calls by time."""
    day_start, week_start = cap_periods(to_local(now))
    legs_from = min(since, week_start, day_start)

    def counted(*conditions):
        return func.count(CallLeg.id).filter(CallLeg.placed_at >= since, *conditions)

    every_call = aliased(CallLeg)
    last_rung = (select(func.max(every_call.placed_at))
                 .where(every_call.volunteer_id == Participant.id).scalar_subquery())
    query = (
        select(Participant.id, Participant.name, Participant.phone, Participant.neighbourhood_id,
               Participant.opted_out, counted(), counted(ANSWERED), counted(ACCEPTED),
               counted(DECLINED), counted(NOT_REACHED), counted(ALREADY_TAKEN), last_rung,
               func.count(CallLeg.id).filter(CallLeg.placed_at >= week_start),
               func.count(CallLeg.id).filter(CallLeg.placed_at >= day_start))
        .outerjoin(CallLeg, and_(CallLeg.volunteer_id == Participant.id,
                                 CallLeg.placed_at >= legs_from, CallLeg.placed_at <= now))
        .group_by(Participant.id)
        .order_by(Participant.name, Participant.id)
    )
    if participant_id is not None:
        query = query.where(Participant.id == participant_id)
    else:
        query = in_scope(query, Participant.neighbourhood_id, visible).where(
            Participant.is_helper.is_(True))
    if neighbourhood_id is not None:
        query = query.where(Participant.neighbourhood_id == neighbourhood_id)
    return [VolunteerFigures(*row) for row in session.execute(query)]


def sorted_by(rows: list[VolunteerFigures], column: str, descending: bool) -> list:
    """The rows sorted on one of COLUMNS (never rung last whichever way, names as a tie)."""
    if column not in COLUMNS:
        column = "name"
    if column == "name":
        return sorted(rows, key=lambda r: (r.name.casefold(), r.participant_id),
                      reverse=descending)
    present = [r for r in rows if getattr(r, column) is not None]
    absent = [r for r in rows if getattr(r, column) is None]
    present.sort(key=lambda r: r.name.casefold())
    present.sort(key=lambda r: getattr(r, column), reverse=descending)
    return present + absent


def within_caps(row: VolunteerFigures, caps: Caps) -> bool:
    """Whether the engine may still ring this volunteer today and this week."""
    return row.today < caps.daily and row.this_week < caps.weekly
