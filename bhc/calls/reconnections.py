"""Back to your neighbour: for ``[matching] reconnect_hours`` after a match, either side who
phones the exchange is first offered to be put through to the other again.

On 1 the one who asked waits on hold (a queue of their own) while the engine phones the
other side, who hears what it is about without a name and is bridged on 1. Nobody's number
is read out or shown: the exchange is in between, and phones out from its own number. The
other side is phoned only as anyone is: not when they stopped or are paused, not in the quiet
hours or outside their hours; the one who asked then hears so kindly, and the menu.

Every change is a compare-and-set on the row's state, so a retried webhook or a late status
callback changes nothing twice; a row is marked 'placing' and committed before its call is
placed, so nobody is phoned twice for one request.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache

from sqlalchemy import bindparam, distinct, exists, func, or_, select, update
from sqlalchemy.orm import Session

from bhc.calls.caller import category_label
from bhc.calls.legs import is_machine
from bhc.calls.models import (
    HelpRequest,
    Match,
    Reconnection,
    ReconnectionOutcome,
    ReconnectionState,
    RequestOutcome,
    RequestState,
)
from bhc.calls.transitions import transition
from bhc.i18n import DEFAULT_LANGUAGE, available_languages
from bhc.localtime import to_local
from bhc.people.models import Participant
from matching.availability import AvailabilityError, in_quiet_hours, is_available, parse_windows

log = logging.getLogger(__name__)

S, Out = ReconnectionState, ReconnectionOutcome
OPEN = (S.DUE, S.PLACING, S.CALLING)
# A call whose status callbacks never came is given up this long after it was placed. (A crash
# while placing is the dispatcher's to notice: ``placing_failed``.)
LOST_CALL = timedelta(minutes=5)


def offer_for(session: Session, request: HelpRequest, now: datetime,
              hours: int) -> Match | None:
    """The match whose other side this caller may ask to be put through to again: their
    latest within ``hours`` that stands (a call-back only once connected), unless the other
    side said no to an earlier reconnection of it or can no longer be phoned at all."""
    if not hours or request.caller_id is None or request.state != RequestState.MENU:
        return None
    if request.caller.created_at >= request.created_at:
        return None  # recorded by this very call (a new asker): no match of theirs to ask for
    me = request.caller_id
    match = session.scalar(_latest_match_statement(),
                           {"me": me, "since": now - timedelta(hours=hours)})
    if match is None:
        return None
    refused = session.scalar(select(Reconnection.id).where(
        Reconnection.match_id == match.id, Reconnection.outcome == Out.DECLINED).limit(1))
    if refused is not None or _not_callable(_other(session, match, me), match, me) is not None:
        return None
    return match


@cache
def _latest_match_statement():
    """Built once (bound: me, since): every known caller's first webhook asks it, and building
    it cost more CPU than its answer."""
    me = bindparam("me")
    return (
        select(Match).join(HelpRequest, Match.request_id == HelpRequest.id)
        .where(or_(Match.asker_id == me, Match.helper_id == me),
               Match.asker_id.is_not(None), Match.helper_id.is_not(None),
               Match.asker_id != Match.helper_id,
               Match.matched_at >= bindparam("since"),
               HelpRequest.state == RequestState.MATCHED,
               or_(HelpRequest.callback_until.is_(None),
                   HelpRequest.outcome == RequestOutcome.CALLED_BACK))
        .order_by(Match.matched_at.desc(), Match.id.desc()).limit(1))


def _other(session: Session, match: Match, me: int) -> Participant | None:
    other_id = match.helper_id if match.asker_id == me else match.asker_id
    return session.get(Participant, other_id) if other_id is not None else None


def _not_callable(other: Participant | None, match: Match, me: int) -> ReconnectionOutcome | None:
    """Why the other side may never be phoned (as for the follow-up calls), or None."""
    if other is None or not other.phone.startswith("+") or other.opted_out:
        return Out.STOPPED
    # Call consent is about being rung as a helper; an asker is phoned about their own request.
    if other.id == match.helper_id and not other.call_consent:
        return Out.STOPPED
    return None


def _not_now(other: Participant, neighbourhood_quiet: str | None, default_quiet: str,
             now: datetime) -> bool:
    """Paused, the quiet hours (the neighbourhood's own, else the default), or outside the
    hours they gave: not phoned now, as any call."""
    if other.paused_until is not None and other.paused_until > now:
        return True
    local_now = to_local(now)
    quiet = default_quiet if neighbourhood_quiet is None else neighbourhood_quiet
    if in_quiet_hours(quiet, local_now.time()):
        return True
    try:
        return not is_available(parse_windows(other.availability), local_now)
    except AvailabilityError:
        return True  # unreadable availability: never call at a time they did not agree to


def ask(session: Session, request: HelpRequest, match_id: int, now: datetime,
        quiet_hours: str) -> Reconnection | None:
    """The caller pressed 1: a reconnection, due to be phoned or refused at once (its outcome
    says why); None when this caller has no such match. A retried webhook gets the same row."""
    existing = session.scalar(select(Reconnection).where(
        Reconnection.call_sid == request.call_sid, Reconnection.match_id == match_id))
    if existing is not None:
        return existing
    match = session.get(Match, match_id)
    me = request.caller_id
    if match is None or me is None or me not in (match.asker_id, match.helper_id):
        return None
    row = Reconnection(match_id=match_id, requested_by_id=me, call_sid=request.call_sid,
                       language=request.language, state=S.DUE, requested_at=now)
    other = _other(session, match, me)
    refused = _not_callable(other, match, me)
    if refused is None and _not_now(other, request.neighbourhood.quiet_hours, quiet_hours, now):
        refused = Out.NOT_NOW
    if refused is not None:
        row.state, row.outcome, row.ended_at = S.NOT_CONNECTED, refused, now
        log.info("reconnection for match %s refused: %s", match_id, refused)
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class PlannedCall:
    """A call to the other side the engine is to place now."""

    reconnection_id: int
    phone: str
    from_number: str


def _stuck(now: datetime) -> tuple:
    return (Reconnection.state == S.CALLING, Reconnection.placed_at < now - LOST_CALL)


def _to_stop() -> tuple:
    return (Reconnection.outcome == Out.ASKER_LEFT, Reconnection.other_call_sid.is_not(None),
            Reconnection.answered_at.is_(None), Reconnection.stop_requested_at.is_(None))


def pending(now: datetime):
    """A condition, true when :func:`claim_due` or :func:`calls_to_stop` would find work."""
    return or_(exists().where(Reconnection.state == S.DUE), exists().where(*_stuck(now)),
               exists().where(*_to_stop()))


def claim_due(session: Session, now: datetime) -> list[PlannedCall]:
    """Reconnections whose other side is to be phoned, each moved to 'placing' (the caller
    queues their calls in the same transaction). Read first: this runs every engine step."""
    _expire_stuck(session, now)
    planned = []
    for row in session.scalars(select(Reconnection).where(Reconnection.state == S.DUE)).all():
        claimed = session.execute(
            update(Reconnection).where(Reconnection.id == row.id, Reconnection.state == S.DUE)
            .values(state=S.PLACING, placed_at=now)
            .execution_options(synchronize_session=False)).rowcount
        other = _other(session, row.match, row.requested_by_id) if row.requested_by_id else None
        if claimed and other is not None:
            request = session.get(HelpRequest, row.match.request_id)
            planned.append(PlannedCall(row.id, other.phone,
                                       request.neighbourhood.exchange_number))
        elif claimed:
            _end(session, row.id, Out.STOPPED, now, (S.PLACING,))
    return planned


def _expire_stuck(session: Session, now: datetime) -> None:
    stuck = session.scalars(select(Reconnection.id).where(*_stuck(now))).all()
    for row_id in stuck:
        _end(session, row_id, Out.UNREACHABLE, now, (S.CALLING,))


def turn_came(session: Session, reconnection_id: int, now: datetime) -> bool:
    """Its call's turn at the carrier came: place it if it is still to be placed (from now on
    its news is awaited)."""
    return bool(session.execute(
        update(Reconnection)
        .where(Reconnection.id == reconnection_id, Reconnection.state == S.PLACING)
        .values(placed_at=now)
        .execution_options(synchronize_session=False)).rowcount)


def placed(session: Session, reconnection_id: int, sid: str) -> None:
    """The carrier took the call. One statement: its webhooks may already have moved the row
    on, which must not be undone."""
    session.execute(
        update(Reconnection).where(Reconnection.id == reconnection_id)
        .values(other_call_sid=sid)
        .execution_options(synchronize_session=False))
    session.execute(
        update(Reconnection)
        .where(Reconnection.id == reconnection_id, Reconnection.state == S.PLACING)
        .values(state=S.CALLING)
        .execution_options(synchronize_session=False))


def placing_failed(session: Session, reconnection_id: int, now: datetime) -> None:
    _end(session, reconnection_id, Out.CARRIER_ERROR, now, (S.PLACING,))


def _end(session: Session, reconnection_id: int, outcome: ReconnectionOutcome, now: datetime,
         expected: tuple[ReconnectionState, ...] = OPEN) -> bool:
    moved = session.execute(
        update(Reconnection)
        .where(Reconnection.id == reconnection_id, Reconnection.state.in_(expected))
        .values(state=S.NOT_CONNECTED, outcome=outcome, ended_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if moved:
        log.info("reconnection %s not connected: %s", reconnection_id, outcome)
    return bool(moved)


class Heard(StrEnum):
    """What the other side hears when they pick up (or press a key)."""

    ASK = "ask"  # the question: be put through?
    CONNECT = "connect"  # they pressed 1: bridged
    DECLINED = "declined"  # they pressed 2
    GONE = "gone"  # the one who asked is no longer waiting
    MACHINE = "machine"


@dataclass(frozen=True)
class OtherSide:
    """What the other side hears: ``kind``, in their language, about the match's category."""

    kind: Heard
    language: str = DEFAULT_LANGUAGE
    neighbourhood: str = ""
    category: str = ""
    queue_name: str = ""
    more_time: bool = False  # they asked for more time to press a key


def _language(session: Session, row: Reconnection) -> str:
    """The asker hears the language of their request, the helper their first language."""
    match = row.match
    request = session.get(HelpRequest, match.request_id)
    if row.requested_by_id == match.helper_id:
        return request.language
    helper = session.get(Participant, match.helper_id) if match.helper_id else None
    spoken = helper.language_list if helper else []
    return next((code for code in spoken if code in available_languages()), DEFAULT_LANGUAGE)


def _heard(session: Session, row: Reconnection, kind: Heard) -> OtherSide:
    language = _language(session, row)
    request = session.get(HelpRequest, row.match.request_id)
    other = _other(session, row.match, row.requested_by_id) if row.requested_by_id else None
    return OtherSide(kind, language, request.neighbourhood.name,
                     category_label(session, request, language), row.queue_name,
                     bool(other and other.needs_more_time))


def other_side(session: Session, reconnection_id: int) -> OtherSide:
    """Where the other side is now, and in which language they hear it."""
    row = session.get(Reconnection, reconnection_id)
    if row is None:
        return OtherSide(Heard.GONE)
    return _heard(session, row, Heard.ASK if row.state == S.CALLING else _closed(row))


def other_answered(session: Session, reconnection_id: int, answered_by: str,
                   now: datetime) -> OtherSide:
    """The other side picked up: the question, unless the one who asked left meanwhile."""
    row = session.get(Reconnection, reconnection_id)
    if row is None:
        return OtherSide(Heard.GONE)
    if is_machine(answered_by):
        _end(session, row.id, Out.UNREACHABLE, now)
        return OtherSide(Heard.MACHINE)
    if row.answered_at is None:
        row.answered_at = now
    return _heard(session, row, Heard.ASK if row.state == S.CALLING else _closed(row))


def _closed(row: Reconnection) -> Heard:
    if row.state == S.CONNECTED:
        return Heard.CONNECT
    return Heard.DECLINED if row.outcome == Out.DECLINED else Heard.GONE


def other_pressed(session: Session, reconnection_id: int, digits: str,
                  now: datetime) -> OtherSide:
    """1 puts them through (the one who asked is bridged), 2 says no; other keys ask again."""
    row = session.get(Reconnection, reconnection_id)
    if row is None:
        return OtherSide(Heard.GONE)
    if row.state != S.CALLING:
        return _heard(session, row, _closed(row))  # a retried webhook, or too late
    digits = digits.strip()
    if digits == "2":
        _end(session, row.id, Out.DECLINED, now)
    elif digits == "1" and session.execute(
            update(Reconnection)
            .where(Reconnection.id == row.id, Reconnection.state == S.CALLING)
            .values(state=S.CONNECTED, outcome=Out.CONNECTED)
            .execution_options(synchronize_session=False)).rowcount:
        _done_with_menu(session, row, now)
        log.info("reconnection %s of match %s connected", row.id, row.match_id)
    session.refresh(row)
    return _heard(session, row, Heard.ASK if row.state == S.CALLING else _closed(row))


def _done_with_menu(session: Session, row: Reconnection, now: datetime) -> None:
    """The call that asked for the reconnection ends its stay in the menu: it asked nothing."""
    request_id = session.scalar(select(HelpRequest.id).where(
        HelpRequest.call_sid == row.call_sid))
    if request_id is not None:
        transition(session, request_id, RequestState.MENU, RequestState.ABANDONED,
                   outcome=RequestOutcome.RECONNECTED, ended_at=now)


def other_gave_no_key(session: Session, reconnection_id: int, now: datetime) -> None:
    _end(session, reconnection_id, Out.NO_KEY, now, (S.CALLING,))


def other_call_ended(session: Session, reconnection_id: int, now: datetime) -> bool:
    """The call to the other side ended before they pressed 1 (not reached, or hung up)."""
    row = session.get(Reconnection, reconnection_id)
    if row is None:
        return False
    outcome = Out.NO_KEY if row.answered_at is not None else Out.UNREACHABLE
    return _end(session, reconnection_id, outcome, now, (S.PLACING, S.CALLING))


def asker_left(session: Session, reconnection_id: int, now: datetime) -> bool:
    """The one who asked hung up while waiting: the engine stops the call to the other side."""
    return _end(session, reconnection_id, Out.ASKER_LEFT, now)


def calls_to_stop(session: Session, now: datetime) -> list[str]:
    """Calls to the other side still ringing though the one who asked hung up (marked, so
    each is stopped once). Answered ones hear so at their next key."""
    rows = session.execute(select(Reconnection.id, Reconnection.other_call_sid)
                           .where(*_to_stop())).all()
    for row_id, _ in rows:
        session.execute(update(Reconnection).where(Reconnection.id == row_id)
                        .values(stop_requested_at=now))
    return [sid for _, sid in rows]


def interrupted(session: Session, reconnection_id: int, now: datetime) -> bool:
    """The wait on hold ended otherwise than by a bridge or a hang-up (the carrier's error)."""
    return _end(session, reconnection_id, Out.CARRIER_ERROR, now)


def add_to_report(session: Session, in_month, rows: dict[int, dict], total: dict) -> None:
    """``reconnections`` (connected reconnections of the month's matches, ``in_month`` a
    condition on HelpRequest) and ``matches_reconnected`` (matches with at least one), per
    neighbourhood row (by id) and in the total."""
    counts = session.execute(
        select(HelpRequest.neighbourhood_id, func.count(Reconnection.id),
               func.count(distinct(Reconnection.match_id)))
        .select_from(Reconnection)
        .join(Match, Reconnection.match_id == Match.id)
        .join(HelpRequest, Match.request_id == HelpRequest.id)
        .where(in_month, Reconnection.outcome == Out.CONNECTED)
        .group_by(HelpRequest.neighbourhood_id)).all()
    for neighbourhood_id, reconnections, matches in counts:
        if neighbourhood_id in rows:
            rows[neighbourhood_id].update(reconnections=reconnections,
                                          matches_reconnected=matches)
        total["reconnections"] += reconnections
        total["matches_reconnected"] += matches
