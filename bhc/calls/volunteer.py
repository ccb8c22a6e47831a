"""Use cases of the volunteer who is rung: hear the offer, press 1 or 2, status updates.

Accepting is a compare-and-set on the request (searching -> matched) that also requires the
volunteer's own call to be live, so of two volunteers pressing 1 at once exactly one wins.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache

from sqlalchemy import bindparam, delete, exists, select, update
from sqlalchemy.orm import Session, joinedload

from bhc import metrics
from bhc.audit import services as audit
from bhc.calls import caller, machines
from bhc.calls.legs import TERMINAL, advance_status, is_machine
from bhc.calls.models import (
    OPEN_STATES,
    CallLeg,
    HelpRequest,
    LegOutcome,
    LegStatus,
    Match,
    RequestOutcome,
    RequestState,
)
from bhc.calls.transitions import transition
from bhc.followups import services as followups
from bhc.i18n import DEFAULT_LANGUAGE, available_languages
from bhc.phones import mask

log = logging.getLogger(__name__)



class OfferKind(StrEnum):
    """What an answered volunteer hears next."""

    OFFER = "offer"
    MACHINE = "machine"
    TAKEN = "taken"
    WITHDRAWN = "withdrawn"
    UNKNOWN = "unknown"
    ACCEPTED = "accepted"
    # Accepted a call-back: the volunteer waits on hold while the exchange phones the resident.
    ACCEPTED_CALLBACK = "accepted_callback"
    DECLINED = "declined"
    INVALID = "invalid"
    PAUSED = "paused"
    STOPPED = "stopped"
    # Pressed 1, but the caller hung up just then, before the two were put through.
    CALLER_LEFT = "caller_left"


PAUSE_KEY, STOP_KEY = "9", "0"
PAUSE_FOR = timedelta(days=7)
# A volunteer who declined (or stepped back) hears the same again on a retried webhook.
_DECLINED_HEARS = {LegOutcome.DECLINED: OfferKind.DECLINED, LegOutcome.PAUSED: OfferKind.PAUSED,
                   LegOutcome.OPTED_OUT: OfferKind.STOPPED}


@dataclass(frozen=True)
class OfferView:
    """What an answered volunteer should hear."""

    kind: OfferKind
    language: str = DEFAULT_LANGUAGE
    neighbourhood: str = ""
    category: str = ""
    queue_name: str = ""
    request_id: int = 0
    more_time: bool = False  # the volunteer asked for more time to press a key


def _view(session: Session, leg: CallLeg, kind: OfferKind) -> OfferView:
    request = leg.request
    language = _volunteer_language(leg)
    return OfferView(
        kind=kind,
        language=language,
        neighbourhood=request.neighbourhood.name,
        # the category is loaded with the leg (``_leg_to_hear``)
        category=caller.label_of(request, request.category, language),
        queue_name=request.queue_name,
        request_id=request.id,
        more_time=bool(leg.volunteer and leg.volunteer.needs_more_time),
    )


def _leg_to_hear(session: Session, leg_id: int) -> CallLeg | None:
    """The leg with what a volunteer's webhook tells them (its request, neighbourhood and
    category, the volunteer), in one round trip instead of one per object: in a burst every
    answered volunteer's offer, key and goodbye waits for them."""
    return session.scalars(_leg_to_hear_statement(), {"leg_id": leg_id}).first()


@cache
def _leg_to_hear_statement():
    """Built once: building it (its loader options and their cache key) was an eighth of the
    CPU of a volunteer's offer webhook."""
    request = joinedload(CallLeg.request, innerjoin=True)
    return (select(CallLeg).where(CallLeg.id == bindparam("leg_id"))
            .options(request.joinedload(HelpRequest.neighbourhood, innerjoin=True),
                     request.joinedload(HelpRequest.category),
                     joinedload(CallLeg.volunteer)))


def _volunteer_language(leg: CallLeg) -> str:
    spoken = leg.volunteer.language_list if leg.volunteer else []
    for code in spoken:
        if code in available_languages():
            return code
    return DEFAULT_LANGUAGE


def _closed_kind(leg: CallLeg) -> OfferKind:
    return OfferKind.TAKEN if leg.request.state == RequestState.MATCHED else OfferKind.WITHDRAWN


def offer(session: Session, leg_id: int, answered_by: str, now: datetime) -> OfferView:
    """The volunteer picked up: offer the request, unless it is over or a machine answered."""
    leg = _leg_to_hear(session, leg_id)
    if leg is None:
        return OfferView(OfferKind.UNKNOWN)
    if answered_by and leg.answered_by is None:
        leg.answered_by = answered_by
    advance_status(leg, LegStatus.IN_PROGRESS, now)
    if is_machine(answered_by):
        if leg.outcome is None:
            leg.outcome, leg.decided_at = LegOutcome.MACHINE, now
        return _view(session, leg, OfferKind.MACHINE)
    if leg.outcome == LegOutcome.ACCEPTED:
        return _view(session, leg, _accepted_kind(leg))
    if leg.outcome is not None or leg.request.state not in OPEN_STATES:
        return _view(session, leg, _closed_kind(leg))
    return _view(session, leg, OfferKind.OFFER)


def _accepted_kind(leg: CallLeg) -> OfferKind:
    if caller.hung_up_on_hold(leg.request):
        return OfferKind.CALLER_LEFT
    if leg.request.state != RequestState.MATCHED:
        return OfferKind.WITHDRAWN  # a call-back whose resident could not be reached or said no
    return OfferKind.ACCEPTED_CALLBACK if leg.request.callback_until else OfferKind.ACCEPTED


def closed(session: Session, leg_id: int) -> OfferView:
    """What a volunteer hears when the engine stops their call mid-offer."""
    leg = _leg_to_hear(session, leg_id)
    if leg is None:
        return OfferView(OfferKind.UNKNOWN)
    if leg.outcome == LegOutcome.ACCEPTED and caller.hung_up_on_hold(leg.request):
        return _view(session, leg, OfferKind.CALLER_LEFT)
    return _view(session, leg, _closed_kind(leg))


def press(session: Session, leg_id: int, digits: str, now: datetime) -> OfferView:
    """The volunteer pressed a key: 1 takes the request, 2 declines it."""
    leg = _leg_to_hear(session, leg_id)
    if leg is None:
        return OfferView(OfferKind.UNKNOWN)
    if leg.outcome == LegOutcome.ACCEPTED:
        return _view(session, leg, _accepted_kind(leg))  # a retried webhook: as before
    if leg.outcome in _DECLINED_HEARS:
        retried = _DECLINED_HEARS
        return _view(session, leg, retried[leg.outcome])  # a retried webhook: same answer
    digits = digits.strip()
    if digits == "1" and caller.hung_up_on_hold(leg.request):
        # The caller's hang-up came first: the same as when it comes just after the 1.
        return _view(session, leg, OfferKind.CALLER_LEFT)
    if leg.outcome is not None or leg.request.state not in OPEN_STATES:
        return _view(session, leg, _closed_kind(leg))
    # What the volunteer hears about, read now: the writes below refresh the leg and its
    # request from their RETURNING, which resets the objects this comes from (reading it
    # after them cost the 1 of every match three SELECTs more).
    heard = _view(session, leg, OfferKind.INVALID)
    if digits == "1":
        return _accept(session, leg, now, heard)
    if digits == "2":
        _decide(session, leg, LegOutcome.DECLINED, digits, now)
        return replace(heard, kind=OfferKind.DECLINED)
    if digits in (PAUSE_KEY, STOP_KEY) and leg.volunteer is not None:
        return _step_back(session, leg, digits, now, heard)
    return heard


def _step_back(session: Session, leg: CallLeg, digits: str, now: datetime,
               heard: OfferView) -> OfferView:
    """9 pauses calls for a week, 0 stops them; either also declines this request.

    The coordinator sees it on the participant and in the audit log.
    """
    volunteer = leg.volunteer
    if digits == PAUSE_KEY:
        volunteer.paused_until = max(volunteer.paused_until or now, now + PAUSE_FOR)
        outcome, kind, action = LegOutcome.PAUSED, OfferKind.PAUSED, "paused by phone for a week"
    else:
        volunteer.opted_out = True
        outcome, kind = LegOutcome.OPTED_OUT, OfferKind.STOPPED
        action = "stopped being called, by phone"
    _decide(session, leg, outcome, digits, now)
    audit.record(session, user_id=None, action=action, object_type="participant",
                 object_id=volunteer.id, summary=f"{volunteer.name} ({mask(volunteer.phone)})",
                 now=now)
    log.info("volunteer %s %s", mask(volunteer.phone), action)
    return replace(heard, kind=kind)


def _accept(session: Session, leg: CallLeg, now: datetime, heard: OfferView) -> OfferView:
    request = leg.request
    # Read before the request's row is locked by the compare-and-set, which holds it (and
    # every other webhook of this request) until commit.
    volunteers_rung = len(request.legs)
    leg_is_live = exists().where(CallLeg.id == leg.id, CallLeg.outcome.is_(None))
    won = transition(session, request, OPEN_STATES, RequestState.MATCHED, where=[leg_is_live],
                     outcome=RequestOutcome.MATCHED, ended_at=now)
    if not won:
        session.refresh(leg)
        if leg.outcome is None:
            _decide(session, leg, LegOutcome.TAKEN, "1", now)
        return replace(heard, kind=_closed_kind(leg))
    _decide(session, leg, LegOutcome.ACCEPTED, "1", now)
    started = request.searching_since or request.created_at
    match = Match(
        request_id=request.id,
        leg_id=leg.id,
        helper_id=leg.volunteer_id,
        asker_id=request.caller_id,
        matched_at=now,
        time_to_match_s=(now - started).total_seconds(),
        volunteers_rung=volunteers_rung,
    )
    session.add(match)
    metrics.matched(session, volunteers_rung)
    followups.schedule(session, match)
    log.info("request %s matched on leg %s", request.id, leg.id)
    return replace(heard, kind=_accepted_kind(leg))


def _decide(session: Session, leg: CallLeg, outcome: LegOutcome, key: str, now: datetime) -> None:
    """Record the volunteer's decision unless the leg already has an outcome; the leg shows
    what the database settled on (the UPDATE's RETURNING refreshes it)."""
    decided = session.execute(
        update(CallLeg)
        .where(CallLeg.id == leg.id, CallLeg.outcome.is_(None))
        .values(outcome=outcome, key_pressed=key, decided_at=now)
        .returning(CallLeg)
        .execution_options(synchronize_session=False, populate_existing=True)
    ).scalars().first()
    if decided is None:
        session.refresh(leg)


def no_key(session: Session, leg_id: int, now: datetime) -> None:
    """The volunteer heard the offer twice without pressing a key: move on."""
    leg = session.get(CallLeg, leg_id)
    if leg is not None:
        _decide(session, leg, LegOutcome.NO_RESPONSE, "", now)


def reopen_if_winner_left(session: Session, request: HelpRequest, now: datetime) -> bool:
    """The volunteer who pressed 1 hung up (or lost the line) before the bridge, while the
    caller still waits on hold: no match after all, so the search goes on for them."""
    if request.state != RequestState.MATCHED or request.callback_until is not None:
        return False
    match = session.scalar(select(Match).where(Match.request_id == request.id))
    leg = session.get(CallLeg, match.leg_id) if match else None
    if leg is None or leg.status not in TERMINAL:
        return False
    reopened = transition(session, request.id, RequestState.MATCHED, RequestState.SEARCHING,
                          outcome=None, ended_at=None)
    if reopened:
        session.execute(delete(Match).where(Match.request_id == request.id))
        leg.outcome = LegOutcome.LEFT_BEFORE_BRIDGE
        log.info("request %s: the volunteer left before the bridge; searching again", request.id)
    session.refresh(request)
    return bool(reopened)


def bridge_failed(session: Session, leg_id: int, now: datetime) -> OfferView:
    """The winner's <Dial><Queue> ended without a bridge. While matched the caller waits in the
    queue, so an empty one means they left it ("If the queue is empty, Dial will wait until the
    next person joins the queue or until the <Dial> timeout duration is reached", "TwiML
    Voice: <Queue>", https://www.twilio.com/docs/voice/twiml/queue): if their call has ended
    too, they hung up before the bridge. The volunteer hears so either way."""
    leg = _leg_to_hear(session, leg_id)
    if leg is None:
        return OfferView(OfferKind.UNKNOWN)
    if leg.outcome == LegOutcome.ACCEPTED and leg.request.callback_until is None:
        if leg.bridge_failed_at is None:
            leg.bridge_failed_at = now
        request = leg.request
        if request.caller_ended_at is not None:
            caller.caller_left(session, request, now, before_bridge=True)
    return _view(session, leg, OfferKind.CALLER_LEFT)


def machine_verdict(session: Session, leg_id: int, answered_by: str, now: datetime) -> bool:
    """The asynchronous detection's verdict: a voicemail or a fax ends the leg at once (the
    engine hangs up); anything else leaves the volunteer listening to the offer. Returns
    whether the search can move on."""
    leg = session.get(CallLeg, leg_id)
    if leg is None:
        return False
    if answered_by and leg.answered_by is None:
        leg.answered_by = answered_by
    if not machines.surely_machine(answered_by):
        return False
    ended = session.execute(
        update(CallLeg).where(CallLeg.id == leg_id, CallLeg.outcome.is_(None))
        .values(outcome=LegOutcome.MACHINE, decided_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if ended:
        machines.end_later(session, leg.sid, "volunteer's voicemail", now)
    return bool(ended)


def first_news(session: Session, leg_id: int, now: datetime) -> None:
    """The carrier's first status callback of the call (initiated or ringing): from now on its
    ring time counts. One statement, writing only the first time."""
    session.execute(_first_news_statement(), {"leg_id": leg_id, "now": now})


@cache
def _first_news_statement():
    """Built once: every volunteer's call brings its ringing status callback."""
    return (update(CallLeg)
            .where(CallLeg.id == bindparam("leg_id"), CallLeg.first_news_at.is_(None))
            .values(first_news_at=bindparam("now", type_=CallLeg.__table__.c.first_news_at.type))
            .execution_options(synchronize_session=False))


def status_changed(session: Session, leg_id: int, status: str, answered_by: str,
                   now: datetime) -> bool:
    """A status callback; returns whether the leg ended (so the engine should look again)."""
    leg = session.get(CallLeg, leg_id)
    if leg is None:
        return False
    if answered_by and leg.answered_by is None:
        leg.answered_by = answered_by
    before = leg.outcome
    advance_status(leg, status, now)
    return before is None and leg.outcome is not None
