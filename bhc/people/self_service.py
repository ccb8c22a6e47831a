"""What participants do for themselves by phone: hear their status, pause and resume being
called; and unregistered callers asking a coordinator to call them back to sign them up.

Every change is written to the audit log (no user: it was done by phone), so coordinators see
it. "Until I call again" is a pause without an end date (``PAUSED_UNTIL_CALL``); on their next
call the participant is offered, in the main menu, to be called again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bhc.audit import services as audit
from bhc.neighbourhoods.scope import in_scope
from bhc.people.models import Participant, RegistrationCallback
from bhc.phones import mask

log = logging.getLogger(__name__)

# A pause with no end: candidates skip anyone paused until after now, so this needs no
# special case there; the admin pages show it as a far date.
PAUSED_UNTIL_CALL = datetime(9999, 12, 31)
PAUSE_FOR = timedelta(days=7)  # as key 9 on a call offer (bhc.offers)
RETRY_WINDOW = timedelta(minutes=10)  # a second 'pause a week' this soon is the same one

PAUSED_FOR_A_WEEK = "self-service: paused for a week"
PAUSED_UNTIL_NEXT_CALL = "self-service: paused until next call"
RESUMED = "self-service: resumed"
MORE_TIME_ON = "self-service: more time to choose"
MORE_TIME_OFF = "self-service: the usual time to choose"
SIGN_UP_CALLBACK_ASKED = "asked by phone to be signed up"
SIGN_UP_CALLBACK_DONE = "sign-up call-back done"
BY_PHONE_ACTIONS = (PAUSED_FOR_A_WEEK, PAUSED_UNTIL_NEXT_CALL, RESUMED, SIGN_UP_CALLBACK_ASKED,
                    MORE_TIME_ON, MORE_TIME_OFF)


class CannotPause(PermissionError):
    """Only helpers who still take part can pause or resume being called."""


@dataclass(frozen=True)
class Status:
    """What a participant hears about themselves."""

    helper: bool
    asker: bool
    categories: tuple[str, ...]  # slugs, for helpers
    opted_out: bool
    paused_until: datetime | None  # None: active; PAUSED_UNTIL_CALL: until they call again
    more_time: bool = False  # menus wait longer for their key

    @property
    def can_pause(self) -> bool:
        return self.helper and not self.opted_out

    @property
    def paused_until_call(self) -> bool:
        return self.paused_until == PAUSED_UNTIL_CALL


def is_registered(participant: Participant | None) -> bool:
    """Known to the exchange: not merely recorded by the phone itself for a coordinator's
    review (an unknown number that called in)."""
    return participant is not None and not (participant.source == "phone"
                                            and participant.needs_review)


def status(participant: Participant, now: datetime) -> Status:
    paused = participant.paused_until
    return Status(
        helper=participant.is_helper,
        asker=participant.is_asker,
        categories=tuple(sorted(participant.category_slugs)) if participant.is_helper else (),
        opted_out=participant.opted_out,
        paused_until=paused if paused is not None and paused > now else None,
        more_time=participant.needs_more_time,
    )


def waits_to_resume(participant: Participant | None) -> bool:
    """Paused 'until I call again': the main menu offers to be called again."""
    return (participant is not None and participant.is_helper and not participant.opted_out
            and participant.paused_until == PAUSED_UNTIL_CALL)


def pause_for_a_week(session: Session, participant: Participant, now: datetime) -> datetime:
    """Not rung for seven days (a longer pause already set stays, as with key 9 on an offer)."""
    _check_can_pause(participant)
    until = now + PAUSE_FOR
    current = participant.paused_until
    if current is not None and current != PAUSED_UNTIL_CALL and current >= until - RETRY_WINDOW:
        return current  # a retried webhook, or a longer pause already: no change, no entry
    participant.paused_until = until
    _audit(session, participant, PAUSED_FOR_A_WEEK, now)
    return until


def pause_until_next_call(session: Session, participant: Participant, now: datetime) -> None:
    _check_can_pause(participant)
    if participant.paused_until != PAUSED_UNTIL_CALL:
        participant.paused_until = PAUSED_UNTIL_CALL
        _audit(session, participant, PAUSED_UNTIL_NEXT_CALL, now)


def resume(session: Session, participant: Participant, now: datetime) -> None:
    _check_can_pause(participant)
    if participant.paused_until is not None and participant.paused_until > now:
        participant.paused_until = None
        _audit(session, participant, RESUMED, now)


def set_more_time(session: Session, participant: Participant, more: bool,
                  now: datetime) -> None:
    """Menus wait longer (or again the usual time) for this participant's keys."""
    if participant.needs_more_time != more:
        participant.needs_more_time = more
        _audit(session, participant, MORE_TIME_ON if more else MORE_TIME_OFF, now)


def _check_can_pause(participant: Participant) -> None:
    if not participant.is_helper or participant.opted_out:
        raise CannotPause(participant.id)


def _audit(session: Session, participant: Participant, action: str, now: datetime) -> None:
    audit.record(session, user_id=None, action=action, object_type="participant",
                 object_id=participant.id,
                 summary=f"{participant.name} ({mask(participant.phone)}), by phone", now=now)
    log.info("participant %s %s", mask(participant.phone), action)


def ask_sign_up_callback(session: Session, participant: Participant, neighbourhood_id: int,
                         language: str, now: datetime) -> RegistrationCallback:
    """Record that a coordinator should call this number back to sign them up (once: an open
    request for the same number is returned as it is)."""
    open_one = session.scalar(select(RegistrationCallback).where(
        RegistrationCallback.phone == participant.phone, RegistrationCallback.done_at.is_(None)))
    if open_one is not None:
        return open_one
    callback = RegistrationCallback(neighbourhood_id=neighbourhood_id, participant=participant,
                                    phone=participant.phone, language=language,
                                    requested_at=now)
    session.add(callback)
    session.flush()
    audit.record(session, user_id=None, action=SIGN_UP_CALLBACK_ASKED,
                 object_type="registration_callback", object_id=callback.id,
                 summary=f"{mask(participant.phone)}, by phone", now=now)
    log.info("caller %s asked to be called back to sign up", mask(participant.phone))
    return callback


def open_sign_up_callbacks(session: Session,
                           neighbourhood_ids: set[int] | None) -> list[RegistrationCallback]:
    """Call-backs still to make, oldest first, in these neighbourhoods (None: all)."""
    query = (select(RegistrationCallback).where(RegistrationCallback.done_at.is_(None))
             .order_by(RegistrationCallback.requested_at, RegistrationCallback.id))
    query = in_scope(query, RegistrationCallback.neighbourhood_id, neighbourhood_ids)
    return list(session.scalars(query))


def sign_up_callback_done(session: Session, callback: RegistrationCallback, user_id: int,
                          now: datetime) -> bool:
    """A coordinator called back; False when it was already marked done."""
    if callback.done_at is not None:
        return False
    callback.done_at, callback.done_by_id = now, user_id
    audit.record(session, user_id=user_id, action=SIGN_UP_CALLBACK_DONE,
                 object_type="registration_callback", object_id=callback.id,
                 summary=mask(callback.phone), now=now)
    return True
