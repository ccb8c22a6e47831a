"""Needs attention: residents and volunteers a coordinator should phone, from raised to closed.

``sweep`` raises an item for every source that needs a coordinator and has none yet: a request
that ended unmatched, abandoned on hold, or whose call-back expired; an asker whose follow-up
said they were not helped; an unregistered caller who asked to be signed up; a volunteer who
pressed 0 to stop; and (``check_ins``) a volunteer who answered none of their calls in 30 days.
It also withdraws open items whose reason went away (the caller asked for a call-back after
all, or was matched on a later call; the volunteer answered again), and closes sign-up items
marked done on the dashboard. The engine process sweeps on a timer; the list page sweeps too,
so it is never behind. Every step is idempotent: an item is unique per (kind, source row).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import DateTime, and_, delete, exists, func, literal, null, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased, selectinload

from bhc.attention.models import AttentionItem, AttentionKind, Resolution
from bhc.audit import services as audit
from bhc.audit.models import AuditLog
from bhc.calls.models import CallLeg, HelpRequest, LegOutcome, Match, RequestOutcome, RequestState
from bhc.calls.volunteer_figures import ANSWERED, NOT_REACHED
from bhc.followups.models import FollowUp, FollowUpSide
from bhc.neighbourhoods.scope import in_scope
from bhc.people import self_service
from bhc.people.models import Participant, RegistrationCallback
from bhc.phones import mask

# Requests made this long ago or less are looked at for new items: a request ends within hours
# (a call-back within two days) and its follow-up comes the day after.
LOOKBACK = timedelta(days=14)
CHECK_IN_WINDOW = timedelta(days=30)
CHECK_IN_AFTER = 3  # calls that rang out (or were busy, or voicemail) and none answered
# A coordinator reopening the same item this soon is one viewing of the number, not two.
VIEWING_WINDOW = timedelta(minutes=10)
NOTE_LENGTH = 1000
INSERT_BATCH = 500

NUMBER_VIEWED = "viewed phone number"
CLOSED = "closed attention item"

_K = AttentionKind
REQUEST_KINDS = (_K.UNMATCHED, _K.ABANDONED, _K.CALLBACK_EXPIRED)
VOLUNTEER_KINDS = (_K.STOPPED_BY_PHONE, _K.CHECK_IN)


class AlreadyClosed(RuntimeError):
    """Someone closed the item first."""


@dataclass(frozen=True)
class Swept:
    raised: int
    withdrawn: int
    closed: int


def _item_for(kind: AttentionKind, ref_id) -> object:
    return exists().where(AttentionItem.kind == kind, AttentionItem.ref_id == ref_id)


def _request_still_needs(kind: AttentionKind):
    """The condition on HelpRequest under which a request-kind item is (still) needed: the
    request ended so, and its caller was not matched on a later call since."""
    later = aliased(HelpRequest)
    matched_later = exists().where(later.caller_id == HelpRequest.caller_id,
                                   later.created_at > HelpRequest.created_at,
                                   later.state == RequestState.MATCHED)
    expired = func.coalesce(HelpRequest.outcome, "") == RequestOutcome.CALLBACK_EXPIRED
    ended_so = {
        _K.UNMATCHED: and_(HelpRequest.state == RequestState.UNMATCHED, ~expired),
        _K.ABANDONED: and_(HelpRequest.state == RequestState.ABANDONED,
                           HelpRequest.searching_since.is_not(None)),
        _K.CALLBACK_EXPIRED: and_(HelpRequest.state == RequestState.UNMATCHED, expired),
    }[kind]
    return and_(ended_so, ~matched_later)


def _new_sources(now: datetime, check_ins: bool):
    """(kind, query) pairs; each query gives (ref_id, neighbourhood_id, participant_id,
    request_id, raised_at) of sources that need an item and have none."""
    recent = HelpRequest.created_at >= now - LOOKBACK
    for kind in REQUEST_KINDS:
        yield kind, (
            select(HelpRequest.id, HelpRequest.neighbourhood_id, HelpRequest.caller_id,
                   HelpRequest.id, func.coalesce(HelpRequest.ended_at, HelpRequest.created_at))
            .where(recent, _request_still_needs(kind), ~_item_for(kind, HelpRequest.id)))
    yield _K.NOT_HELPED, (
        select(FollowUp.id, HelpRequest.neighbourhood_id, Match.asker_id, HelpRequest.id,
               FollowUp.answered_at)
        .join(Match, Match.request_id == HelpRequest.id)
        .join(FollowUp, FollowUp.match_id == Match.id)
        .where(recent, FollowUp.side == FollowUpSide.ASKER, FollowUp.helped.is_(False),
               FollowUp.answered_at.is_not(None), ~_item_for(_K.NOT_HELPED, FollowUp.id)))
    yield _K.SIGN_UP_CALLBACK, (
        select(RegistrationCallback.id, RegistrationCallback.neighbourhood_id,
               RegistrationCallback.participant_id, null(), RegistrationCallback.requested_at)
        .where(RegistrationCallback.done_at.is_(None),
               ~_item_for(_K.SIGN_UP_CALLBACK, RegistrationCallback.id)))
    yield _K.STOPPED_BY_PHONE, (
        select(CallLeg.id,
               func.coalesce(Participant.neighbourhood_id, HelpRequest.neighbourhood_id),
               CallLeg.volunteer_id, HelpRequest.id,
               func.coalesce(CallLeg.decided_at, CallLeg.placed_at))
        .join(CallLeg, CallLeg.request_id == HelpRequest.id)
        .outerjoin(Participant, Participant.id == CallLeg.volunteer_id)
        .where(recent, CallLeg.outcome == LegOutcome.OPTED_OUT,
               ~_item_for(_K.STOPPED_BY_PHONE, CallLeg.id)))
    if check_ins:
        yield _K.CHECK_IN, _check_ins_due(now)


def _takes_part():
    return and_(Participant.is_helper.is_(True), Participant.opted_out.is_(False),
                Participant.call_consent.is_(True))


def _check_ins_due(now: datetime):
    """Helpers rung at least CHECK_IN_AFTER times in the last 30 days who answered none of those
    calls, and had no check-in item open or raised in that time; the item points at the first
    of those calls."""
    since = now - CHECK_IN_WINDOW
    recent_check_in = exists().where(
        AttentionItem.kind == _K.CHECK_IN, AttentionItem.participant_id == Participant.id,
        or_(AttentionItem.closed_at.is_(None), AttentionItem.raised_at >= since))
    return (
        select(func.min(CallLeg.id), Participant.neighbourhood_id, Participant.id, null(),
               literal(now, DateTime))
        .join(CallLeg, and_(CallLeg.volunteer_id == Participant.id, CallLeg.placed_at >= since))
        .where(_takes_part(), Participant.neighbourhood_id.is_not(None), ~recent_check_in)
        .group_by(Participant.id, Participant.neighbourhood_id)
        .having(func.count(CallLeg.id).filter(NOT_REACHED) >= CHECK_IN_AFTER,
                func.count(CallLeg.id).filter(ANSWERED) == 0))


def _insert(session: Session, kind: AttentionKind, rows) -> int:
    """Insert the items, skipping any another sweep inserted meanwhile; in batches, within
    SQLite's limit on a statement's parameters."""
    values = [dict(kind=kind, ref_id=ref_id, neighbourhood_id=neighbourhood_id,
                   participant_id=participant_id, request_id=request_id, raised_at=raised_at,
                   note="")
              for ref_id, neighbourhood_id, participant_id, request_id, raised_at in rows]
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    inserted = 0
    for start in range(0, len(values), INSERT_BATCH):
        statement = (dialect.insert(AttentionItem).values(values[start:start + INSERT_BATCH])
                     .on_conflict_do_nothing(index_elements=["kind", "ref_id"])
                     .returning(AttentionItem.id))
        inserted += len(session.execute(statement).all())
    return inserted


def sweep(session: Session, now: datetime, *, check_ins: bool = False) -> Swept:
    """Raise the items that are due, withdraw those no longer needed, and close sign-up items
    done elsewhere. ``check_ins`` also looks for silent volunteers (a heavier query: the
    engine does so hourly)."""
    raised = sum(_insert(session, kind, session.execute(query).all())
                 for kind, query in _new_sources(now, check_ins))
    withdrawn = 0
    open_item = AttentionItem.closed_at.is_(None)
    for kind in REQUEST_KINDS:
        gone = (select(AttentionItem.id)
                .join(HelpRequest, HelpRequest.id == AttentionItem.ref_id)
                .where(AttentionItem.kind == kind, open_item, ~_request_still_needs(kind)))
        withdrawn += _delete(session, gone)
    answered_since = exists().where(CallLeg.volunteer_id == AttentionItem.participant_id,
                                    CallLeg.placed_at >= AttentionItem.raised_at, ANSWERED)
    still_helper = exists().where(Participant.id == AttentionItem.participant_id, _takes_part())
    withdrawn += _delete(session, select(AttentionItem.id).where(
        AttentionItem.kind == _K.CHECK_IN, open_item, or_(answered_since, ~still_helper)))
    withdrawn += _delete(session, select(AttentionItem.id).where(
        AttentionItem.kind == _K.STOPPED_BY_PHONE, open_item,
        AttentionItem.participant_id.is_(None)))
    closed = 0
    for item, callback in session.execute(
            select(AttentionItem, RegistrationCallback)
            .join(RegistrationCallback, RegistrationCallback.id == AttentionItem.ref_id)
            .where(AttentionItem.kind == _K.SIGN_UP_CALLBACK, open_item,
                   RegistrationCallback.done_at.is_not(None))):
        item.closed_at, item.closed_by_id = callback.done_at, callback.done_by_id
        item.resolution = Resolution.HANDLED
        closed += 1
    return Swept(raised, withdrawn, closed)


def _delete(session: Session, ids) -> int:
    return session.execute(delete(AttentionItem).where(AttentionItem.id.in_(ids))
                           .execution_options(synchronize_session=False)).rowcount or 0


# --- what coordinators see -----------------------------------------------------------------------


def open_count(session: Session, visible: set[int] | None) -> int:
    """How many items are open in these neighbourhoods (None: all): the menu's count."""
    query = in_scope(select(func.count(AttentionItem.id)), AttentionItem.neighbourhood_id,
                     visible).where(AttentionItem.closed_at.is_(None))
    return session.scalar(query) or 0


def items(session: Session, visible: set[int] | None, *, closed: bool = False,
          neighbourhood_id: int | None = None, limit: int = 200) -> list[AttentionItem]:
    """Open items, oldest first (or the latest closed ones), with whom they are about."""
    query = in_scope(select(AttentionItem), AttentionItem.neighbourhood_id, visible)
    if neighbourhood_id is not None:
        query = query.where(AttentionItem.neighbourhood_id == neighbourhood_id)
    if closed:
        query = query.where(AttentionItem.closed_at.is_not(None)).order_by(
            AttentionItem.closed_at.desc(), AttentionItem.id.desc())
    else:
        query = query.where(AttentionItem.closed_at.is_(None)).order_by(
            AttentionItem.raised_at, AttentionItem.id)
    return list(session.scalars(query.limit(limit).options(
        selectinload(AttentionItem.participant), selectinload(AttentionItem.neighbourhood),
        selectinload(AttentionItem.request), selectinload(AttentionItem.closed_by))))


@dataclass(frozen=True)
class Contact:
    """Whom to phone for an item: a name (may be empty), their number and language."""

    name: str
    phone: str | None  # None: no number known (withheld, erased)
    language: str | None


def contact(session: Session, item: AttentionItem) -> Contact:
    if item.kind == _K.SIGN_UP_CALLBACK:
        callback = session.get(RegistrationCallback, item.ref_id)
        phone = callback.phone if callback else None
        person = item.participant
        return Contact(person.name if person else "", _dialable(phone),
                       callback.language if callback else None)
    person = item.participant
    if person is None:
        return Contact("", None, item.request.language if item.request else None)
    language = (item.request.language if item.request and item.kind in REQUEST_KINDS
                else ";".join(person.language_list) or None)
    return Contact(person.name, _dialable(person.phone), language)


def _dialable(phone: str | None) -> str | None:
    return phone if phone and phone.startswith("+") else None


def may_see_number(item: AttentionItem, neighbourhood_ids: frozenset[int] | set[int]) -> bool:
    """The full number is for a coordinator of the item's neighbourhood, while it is open."""
    return item.is_open and item.neighbourhood_id in neighbourhood_ids


def number_viewed(session: Session, item: AttentionItem, phone: str, user_id: int,
                  now: datetime) -> bool:
    """Write to the audit log that this user saw the full number (once per VIEWING_WINDOW);
    says whether a row was written."""
    seen = session.scalar(select(AuditLog.id).where(
        AuditLog.action == NUMBER_VIEWED, AuditLog.object_type == "attention_item",
        AuditLog.object_id == item.id, AuditLog.user_id == user_id,
        AuditLog.at >= now - VIEWING_WINDOW).limit(1))
    if seen is not None:
        return False
    audit.record(session, user_id=user_id, action=NUMBER_VIEWED, object_type="attention_item",
                 object_id=item.id, summary=f"{item.kind}: {mask(phone)}", now=now)
    return True


def history(session: Session, item: AttentionItem) -> list[AuditLog]:
    """The item's own audit rows (numbers viewed, closing), oldest first."""
    return list(session.scalars(
        select(AuditLog).options(selectinload(AuditLog.user))
        .where(AuditLog.object_type == "attention_item", AuditLog.object_id == item.id)
        .order_by(AuditLog.at, AuditLog.id)))


def volunteer_calls(session: Session, item: AttentionItem, now: datetime) -> list[CallLeg]:
    """For an item about a volunteer: their calls of the last 30 days, oldest first."""
    if item.kind not in VOLUNTEER_KINDS or item.participant_id is None:
        return []
    return list(session.scalars(
        select(CallLeg).where(CallLeg.volunteer_id == item.participant_id,
                              CallLeg.placed_at >= min(item.raised_at, now) - CHECK_IN_WINDOW)
        .options(selectinload(CallLeg.request)).order_by(CallLeg.placed_at, CallLeg.id)))


def close(session: Session, item: AttentionItem, *, user_id: int, resolution: Resolution,
          note: str, now: datetime) -> None:
    """A coordinator phoned (or tried): close the item with their note. A sign-up call-back
    handled is marked done as well. Raises AlreadyClosed if someone was first."""
    note = note.strip()[:NOTE_LENGTH]
    won = session.execute(
        update(AttentionItem)
        .where(AttentionItem.id == item.id, AttentionItem.closed_at.is_(None))
        .values(closed_at=now, closed_by_id=user_id, resolution=resolution, note=note)
        .execution_options(synchronize_session=False)).rowcount
    session.refresh(item)
    if not won:
        raise AlreadyClosed(item.id)
    audit.record(session, user_id=user_id, action=CLOSED, object_type="attention_item",
                 object_id=item.id, summary=f"{item.kind}: {resolution}", now=now)
    if item.kind == _K.SIGN_UP_CALLBACK and resolution == Resolution.HANDLED:
        callback = session.get(RegistrationCallback, item.ref_id)
        if callback is not None:
            self_service.sign_up_callback_done(session, callback, user_id, now)


def for_participant(session: Session, participant_id: int) -> list[AttentionItem]:
    """Every item about a person, newest first (their page, and what the AVG lets them see)."""
    return list(session.scalars(
        select(AttentionItem).where(AttentionItem.participant_id == participant_id)
        .options(selectinload(AttentionItem.request))  # its outcome can name the item
        .order_by(AttentionItem.raised_at.desc(), AttentionItem.id.desc())))
