"""Call-backs: a caller nobody could help now asks to be phoned once a neighbour can.

The engine searches again in rounds (every ``retry_every_s``, within volunteers' availability)
until ``callback_until``. When a volunteer presses 1 they wait on hold and the exchange phones
the resident; the resident's 1 bridges the two. Only then has help been connected: a resident
who cannot be reached or says no ends the request without a match.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session

from bhc.calls import machines
from bhc.calls.caller import category_label
from bhc.calls.carrier import PLACING
from bhc.calls.models import HelpRequest, Match, RequestOutcome, RequestState
from bhc.calls.transitions import transition

log = logging.getLogger(__name__)

# Outcomes of a matched call-back request while the resident is being phoned, and after.
CALLING_RESIDENT, CALLED_BACK = RequestOutcome.MATCHED, RequestOutcome.CALLED_BACK
CALLBACK_REASONS = (RequestOutcome.NO_CANDIDATES, RequestOutcome.ALL_DECLINED,
                    RequestOutcome.NO_ANSWER)


def can_offer(request: HelpRequest) -> bool:
    """A call-back needs a number to call and a search that simply found nobody."""
    return (request.caller_id is not None and request.state == RequestState.UNMATCHED
            and request.outcome in CALLBACK_REASONS and request.callback_until is None)


def request_callback(session: Session, request: HelpRequest, now: datetime,
                     give_up_after_h: int) -> bool:
    """The caller pressed 1 after hearing nobody could help: search again later."""
    if request.state == RequestState.CALLBACK_DUE:
        return True  # a retried webhook
    if not can_offer(request):
        return False
    return transition(session, request, RequestState.UNMATCHED, RequestState.CALLBACK_DUE,
                      outcome=RequestOutcome.CALLBACK_REQUESTED, ended_at=None,
                      callback_until=now + timedelta(hours=give_up_after_h), next_round_at=now,
                      round_started_at=None)


@dataclass(frozen=True)
class ResidentView:
    """What the resident hears when the exchange phones them back."""

    ready: bool  # a volunteer is waiting on hold for them
    language: str
    neighbourhood: str = ""
    category: str = ""
    queue_name: str = ""
    more_time: bool = False  # the resident asked for more time to press a key


def resident_answered(session: Session, request_id: int) -> ResidentView:
    request = session.get(HelpRequest, request_id)
    if request is None:
        return ResidentView(False, "nl")
    ready = request.state == RequestState.MATCHED and request.outcome in (CALLING_RESIDENT,
                                                                          CALLED_BACK)
    return ResidentView(ready, request.language, request.neighbourhood.name,
                        category_label(session, request), request.queue_name,
                        bool(request.caller and request.caller.needs_more_time))


def resident_connects(session: Session, request_id: int) -> bool:
    """The resident pressed 1: the call-back is connected (idempotent)."""
    return transition(session, request_id, RequestState.MATCHED, RequestState.MATCHED,
                      where=[HelpRequest.outcome.in_((CALLING_RESIDENT, CALLED_BACK)),
                             HelpRequest.callback_until.is_not(None)],
                      outcome=CALLED_BACK)


def fail(session: Session, request_id: int, reason: RequestOutcome, now: datetime) -> bool:
    """The resident could not be reached, said no, or the volunteer left: no match after all.

    The volunteer still waiting on hold is told by the engine, which stops accepted legs of
    requests that are no longer matched.
    """
    moved = transition(session, request_id, RequestState.MATCHED, RequestState.UNMATCHED,
                       where=[HelpRequest.outcome == CALLING_RESIDENT,
                              HelpRequest.callback_until.is_not(None)],
                       outcome=reason, ended_at=now)
    if moved:
        session.execute(delete(Match).where(Match.request_id == request_id))
        log.info("call-back of request %s ended without a match: %s", request_id, reason)
    return moved


def machine_verdict(session: Session, request_id: int, answered_by: str,
                    now: datetime) -> bool:
    """The asynchronous detection's verdict on the call to the resident: their voicemail means
    they were not reached (the volunteer on hold is told, the engine hangs up)."""
    if not machines.surely_machine(answered_by):
        return False
    if not fail(session, request_id, RequestOutcome.CALLBACK_UNREACHABLE, now):
        return False
    request = session.get(HelpRequest, request_id)
    machines.end_later(session, request.callback_call_sid, "resident's voicemail", now)
    return True


def _calling_resident() -> tuple:
    """A matched call-back: the volunteer waits on hold while the resident is phoned."""
    return (HelpRequest.state == RequestState.MATCHED, HelpRequest.outcome == CALLING_RESIDENT,
            HelpRequest.callback_until.is_not(None), HelpRequest.caller_id.is_not(None))


def _resident_to_call() -> tuple:
    return (*_calling_resident(), HelpRequest.callback_call_sid.is_(None))


def residents_to_call_pending():
    """A condition, true when :func:`claim_residents_to_call` would find work (the engine asks
    this with the other rare kinds in one statement before claiming any)."""
    return exists().where(*_resident_to_call())


def claim_residents_to_call(session: Session) -> list[HelpRequest]:
    """Call-backs where a volunteer waits and the resident has not been phoned yet, each
    marked 'placing' (the caller queues the call in the same transaction); rows another engine
    is claiming are skipped."""
    due = list(session.scalars(
        select(HelpRequest).where(*_resident_to_call())
        .with_for_update(skip_locked=True)
    ))
    for request in due:
        request.callback_call_sid = PLACING
    return due


def resident_call_due(session: Session, request_id: int) -> bool:
    """The call to the resident got its turn at the carrier: is the volunteer still waiting?"""
    return session.scalar(select(HelpRequest.id).where(
        HelpRequest.id == request_id, *_calling_resident(),
        HelpRequest.callback_call_sid == PLACING)) is not None


def resident_call_placed(session: Session, request_id: int, sid: str) -> None:
    session.execute(update(HelpRequest)
                    .where(HelpRequest.id == request_id, HelpRequest.callback_call_sid == PLACING)
                    .values(callback_call_sid=sid))
