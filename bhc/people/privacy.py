"""What the AVG asks of us: export everything about a person, erase it, and keep no call data
longer than needed. Reports keep working because rows are anonymised, not deleted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, and_, or_, select, update
from sqlalchemy.orm import Session

from bhc.attention.models import AttentionItem
from bhc.audit import services as audit
from bhc.audit.models import AuditLog
from bhc.calls.models import CallLeg, HelpRequest, Match, Reconnection
from bhc.followups.models import FollowUp, FollowUpSide
from bhc.localtime import to_local, to_utc
from bhc.neighbourhoods.models import Neighbourhood
from bhc.people.models import Participant, ParticipantCategory, RegistrationCallback
from bhc.phones import mask, to_e164
from bhc.signups.models import SignUp, SignUpAttempt


class UnknownParticipant(LookupError):
    """No participant has this phone number."""


def _find(session: Session, phone: str) -> Participant:
    number = to_e164(phone)
    participant = session.scalar(select(Participant).where(Participant.phone == number))
    if participant is None:
        raise UnknownParticipant(f"no participant with number {mask(number)}")
    return participant


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (clamped to the month's end)."""
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    for day in range(moment.day, 27, -1):
        try:
            return moment.replace(year=year, month=month + 1, day=day)
        except ValueError:
            continue
    return moment.replace(year=year, month=month + 1, day=min(moment.day, 28))


def _when(value: datetime | None) -> str | None:
    return value.isoformat() + "Z" if value else None


def export_participant(session: Session, phone: str) -> dict:
    """Everything stored about one person: their registration, requests, calls and matches."""
    person = _find(session, phone)
    neighbourhood = session.get(Neighbourhood, person.neighbourhood_id or 0)
    requests = session.scalars(select(HelpRequest).where(HelpRequest.caller_id == person.id)
                               .order_by(HelpRequest.id)).all()
    legs = session.scalars(select(CallLeg).where(CallLeg.volunteer_id == person.id)
                           .order_by(CallLeg.id)).all()
    matches = session.scalars(select(Match).where(
        or_(Match.helper_id == person.id, Match.asker_id == person.id)).order_by(Match.id)).all()
    changes = session.scalars(select(AuditLog).where(
        AuditLog.object_type == "participant", AuditLog.object_id == person.id)
        .order_by(AuditLog.id)).all()
    follow_ups = session.execute(
        select(FollowUp, Match.request_id).join(Match, FollowUp.match_id == Match.id)
        .where(or_(and_(FollowUp.side == FollowUpSide.HELPER, Match.helper_id == person.id),
                   and_(FollowUp.side == FollowUpSide.ASKER, Match.asker_id == person.id)))
        .order_by(FollowUp.id)).all()
    sign_ups = session.scalars(select(SignUp).where(SignUp.phone == person.phone)
                               .order_by(SignUp.id)).all()
    callbacks = session.scalars(select(RegistrationCallback)
                                .where(RegistrationCallback.phone == person.phone)
                                .order_by(RegistrationCallback.id)).all()
    attention = session.scalars(select(AttentionItem)
                                .where(AttentionItem.participant_id == person.id)
                                .order_by(AttentionItem.id)).all()
    return {
        "participant": {
            "name": person.name, "phone": person.phone, "postcode": person.postcode,
            "house_number": person.house_number,
            "neighbourhood": neighbourhood.name if neighbourhood else None,
            "helper": person.is_helper, "asker": person.is_asker,
            "categories": sorted(person.category_slugs), "languages": person.language_list,
            "availability": person.availability, "call_consent": person.call_consent,
            "consent_given_at": _when(person.consent_at), "consent_source": person.consent_source,
            "paused_until": _when(person.paused_until), "opted_out": person.opted_out,
            "registered_at": _when(person.created_at), "registered_via": person.source,
        },
        "requests_made": [
            {"at": _when(r.created_at), "category": r.category_slug, "state": r.state,
             "outcome": r.outcome, "language": r.language} for r in requests],
        "calls_received_as_volunteer": [
            {"at": _when(leg.placed_at), "request": leg.request_id, "status": leg.status,
             "key_pressed": leg.key_pressed, "outcome": leg.outcome} for leg in legs],
        "matches": [
            {"at": _when(m.matched_at), "role": "helper" if m.helper_id == person.id else "asker",
             "request": m.request_id} for m in matches],
        "follow_up_calls": [
            {"request": request_id, "as": f.side, "state": f.state,
             "answered_at": _when(f.answered_at), "helped": f.helped,
             "wants_contact_again": f.wants_contact_again, "could_help": f.could_help}
            for f, request_id in follow_ups],
        "web_sign_ups": [
            {"at": _when(s.created_at), "name": s.name, "postcode": s.postcode,
             "house_number": s.house_number, "state": s.state,
             "consent_given_at": _when(s.consent_at), "verified_at": _when(s.verified_at)}
            for s in sign_ups],
        "asked_to_be_called_to_register": [
            {"at": _when(c.requested_at), "done_at": _when(c.done_at)} for c in callbacks],
        "coordinator_calls": [
            {"at": _when(a.raised_at), "why": a.kind, "closed_at": _when(a.closed_at),
             "outcome": a.resolution, "note": a.note} for a in attention],
        "changes_by_coordinators": [
            {"at": _when(a.at), "action": a.action, "summary": a.summary} for a in changes],
    }


def erase_participant(session: Session, phone: str, now: datetime) -> int:
    """Remove a person's personal data; their requests, calls and matches stay as anonymous
    rows so that every report total stays the same. Returns the participant's id."""
    person = _find(session, phone)
    number = person.phone
    _forget_number(session, number, SignUp.phone == number)
    their_matches = select(Match.id).where(or_(Match.helper_id == person.id,
                                               Match.asker_id == person.id))
    session.execute(update(FollowUp).where(FollowUp.match_id.in_(their_matches))
                    .values(call_sid=None))
    session.execute(update(Reconnection).where(Reconnection.match_id.in_(their_matches))
                    .values(call_sid=None, other_call_sid=None))
    person.name, person.postcode, person.house_number = "", "", ""
    person.phone = f"erased-{person.id}"
    person.availability, person.languages = "", ""
    person.call_consent, person.opted_out, person.is_helper = False, True, False
    person.consent_at, person.consent_source, person.paused_until = None, "", None
    person.needs_review = False
    session.execute(ParticipantCategory.__table__.delete().where(
        ParticipantCategory.participant_id == person.id))
    session.execute(update(HelpRequest).where(HelpRequest.caller_id == person.id)
                    .values(call_sid=HelpRequest.call_sid.concat("-erased")))
    session.execute(update(CallLeg).where(CallLeg.volunteer_id == person.id)
                    .values(sid=None, error=None))
    session.execute(update(AuditLog).where(AuditLog.object_type == "participant",
                                           AuditLog.object_id == person.id)
                    .values(summary="(erased)"))
    session.execute(update(AttentionItem).where(AttentionItem.participant_id == person.id)
                    .values(note="", participant_id=None))
    audit.record(session, user_id=None, action="erased on request", object_type="participant",
                 object_id=person.id, summary="personal data erased", now=now)
    return person.id


def _forget_number(session: Session, number: str | None, sign_ups) -> None:
    """Sign-ups (as ``sign_ups`` selects them) lose their personal data but still count as
    sign-ups; requests to be called to register and rate-limit traces of ``number`` lose it."""
    session.execute(update(SignUp).where(sign_ups).values(
        name="", phone="", postcode="", house_number="", availability="", code_nonce=None,
        call_sid=None))
    if number:
        session.execute(update(RegistrationCallback)
                        .where(RegistrationCallback.phone == number).values(phone=""))
        session.execute(update(SignUpAttempt)
                        .where(SignUpAttempt.phone == number).values(phone=""))


@dataclass(frozen=True)
class Anonymised:
    requests: int
    legs: int


def anonymise_old_calls(session: Session, now: datetime, retention_months: int) -> Anonymised:
    """Strip call data older than the retention period (calendar months in Amsterdam) of
    everything that links it to a phone number or a person; the anonymous rows keep counting in
    reports. A request's calls age with it, by when it was made: a call-back's calls, placed up
    to days later, never outlive the request they would name a helper of."""
    cutoff = to_utc(months_before(to_local(now), retention_months))
    old = select(HelpRequest.id).where(HelpRequest.created_at < cutoff)
    legs = session.execute(
        update(CallLeg).where(CallLeg.request_id.in_(old),
                              or_(CallLeg.sid.is_not(None), CallLeg.volunteer_id.is_not(None)))
        .values(sid=None, volunteer_id=None, error=None)
    ).rowcount
    session.execute(update(Match).where(Match.request_id.in_(old))
                    .values(helper_id=None, asker_id=None, note=None))
    requests = session.execute(
        update(HelpRequest).where(HelpRequest.created_at < cutoff,
                                  HelpRequest.caller_id.is_not(None))
        .values(caller_id=None)
    ).rowcount
    session.execute(update(HelpRequest).where(HelpRequest.created_at < cutoff,
                                              ~HelpRequest.call_sid.startswith("anon-"))
                    .values(call_sid="anon-" + HelpRequest.id.cast(String)))
    session.execute(update(FollowUp).where(FollowUp.match_id.in_(
        select(Match.id).where(Match.request_id.in_(old))), FollowUp.call_sid.is_not(None))
        .values(call_sid=None))
    session.execute(update(Reconnection).where(Reconnection.match_id.in_(
        select(Match.id).where(Match.request_id.in_(old))), Reconnection.call_sid.is_not(None))
        .values(call_sid=None, other_call_sid=None, requested_by_id=None))
    # A sign-up older than the retention period is either a participant by now (who is kept in
    # the participants table) or came to nothing.
    _forget_number(session, None, and_(SignUp.created_at < cutoff, SignUp.phone != ""))
    session.execute(update(RegistrationCallback)
                    .where(RegistrationCallback.requested_at < cutoff,
                           RegistrationCallback.phone != "").values(phone=""))
    session.execute(update(AttentionItem).where(
        AttentionItem.raised_at < cutoff,
        or_(AttentionItem.participant_id.is_not(None), AttentionItem.note != ""))
        .values(participant_id=None, note=""))
    return Anonymised(requests=requests, legs=legs)
