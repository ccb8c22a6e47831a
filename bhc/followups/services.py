"""Follow-up calls: after a match, a short call to each side asks whether help was given.

A match gets two rows at once (asker and helper). The engine times them (``[followup] delay``,
then the person's availability, pause and their neighbourhood's quiet hours), claims the due ones
and places the calls; the webhooks record the answers, which the monthly report counts.

Every change is a compare-and-set on the row's state (or on an answer still empty), so a retried
webhook or a second engine pass records nothing twice; a row is marked 'placing' and committed
before its call is placed, so nobody is phoned twice for one follow-up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from bhc.calls import machines
from bhc.calls.callbacks import CALLED_BACK
from bhc.calls.caller import category_label
from bhc.calls.carrier import CallStatus
from bhc.calls.legs import TERMINAL, is_machine
from bhc.calls.models import CallLeg, HelpRequest, Match, RequestState
from bhc.config import Config
from bhc.followups.models import FollowUp, FollowUpOutcome, FollowUpSide, FollowUpState
from bhc.i18n import DEFAULT_LANGUAGE, available_languages
from bhc.neighbourhoods.models import Neighbourhood
from bhc.people.models import Participant
from matching.availability import AvailabilityError, parse_windows
from matching.followup_timing import Delay, next_allowed, parse_delay

log = logging.getLogger(__name__)

ASKER, HELPER = FollowUpSide.ASKER, FollowUpSide.HELPER
SIDES = tuple(FollowUpSide)
# The questions each side hears, in order; each is also the FollowUp column of its answer.
HELPED, CONTACT_AGAIN, COULD_HELP = "helped", "wants_contact_again", "could_help"
QUESTIONS = {ASKER: (HELPED, CONTACT_AGAIN), HELPER: (COULD_HELP,)}
ANSWERS = {"1": True, "2": False}

# A call that rang out, was busy or reached voicemail is tried once more, this much later (at
# the next moment the person can be called from then on); then we give up.
MAX_RINGS = 2
RETRY_AFTER = timedelta(hours=2)
# The carrier refusing to place the call is retried sooner, a few times.
MAX_PLACING_TRIES = 3
CARRIER_RETRY = timedelta(minutes=5)
# A call whose status callbacks never came is given up this long after it was placed. (A crash
# while placing is the dispatcher's to notice: ``placing_interrupted``.)
LOST_CALL = timedelta(hours=1)
# A match's own call whose end was never reported still counts as over after this long.
LONGEST_CONVERSATION = timedelta(hours=3)
BATCH = 20  # follow-ups claimed per engine step; the rest wait for the next one

LIVE = (FollowUpState.PLACING, FollowUpState.CALLING, FollowUpState.ANSWERED)


@dataclass(frozen=True)
class Timing:
    """What the engine needs from the config: the delay and the default quiet hours (a
    neighbourhood's own quiet hours win)."""

    delay: Delay
    quiet_hours: str

    @classmethod
    def from_config(cls, config: Config) -> Timing:
        return cls(parse_delay(config.followup.delay), config.matching.quiet_hours)


# --- scheduling and placing ----------------------------------------------------------------------


def schedule(session: Session, match: Match) -> None:
    """A match was just made: one follow-up per side, timed by the engine."""
    for side in SIDES:
        session.add(FollowUp(match=match, side=side, state=FollowUpState.DUE))


@dataclass(frozen=True)
class PlannedCall:
    """A follow-up the engine is to place now."""

    follow_up_id: int
    match_id: int
    side: str
    phone: str
    from_number: str


def _person(session: Session, follow_up: FollowUp) -> Participant | None:
    match = follow_up.match
    person_id = match.asker_id if follow_up.side == ASKER else match.helper_id
    return session.get(Participant, person_id) if person_id is not None else None


def _skip_reason(side: str, person: Participant | None) -> FollowUpOutcome | None:
    """Why this person must not be phoned at all, or None."""
    if person is None:
        return FollowUpOutcome.NO_NUMBER
    if not person.phone.startswith("+"):
        return FollowUpOutcome.ERASED
    if person.opted_out:
        return FollowUpOutcome.OPTED_OUT
    # Call consent is about being rung as a helper. An asker phoned us about this very request
    # and is phoned back about it unless they opted out, whether or not they ever consented.
    if side == HELPER and not person.call_consent:
        return FollowUpOutcome.NO_CONSENT
    return None


def _next_moment(session: Session, follow_up: FollowUp, person: Participant,
                 moment: datetime, timing: Timing) -> datetime | None:
    """The first moment from ``moment`` at which this person may be phoned, or None: under the
    quiet hours of their own neighbourhood (a helper lent from next door lives under theirs),
    of the request's when they belong to none."""
    home = person.neighbourhood_id or session.get(HelpRequest,
                                                  follow_up.match.request_id).neighbourhood_id
    own = session.get(Neighbourhood, home).quiet_hours
    if person.paused_until and person.paused_until > moment:
        moment = person.paused_until
    try:
        windows = parse_windows(person.availability)
    except AvailabilityError:
        return None  # unreadable availability: never call at a time they did not agree to
    return next_allowed(moment, windows, timing.quiet_hours if own is None else own)


def _skip(follow_up: FollowUp, reason: FollowUpOutcome) -> None:
    follow_up.state, follow_up.outcome = FollowUpState.SKIPPED, reason
    log.info("follow-up %s (%s of match %s) skipped: %s", follow_up.id, follow_up.side,
             follow_up.match_id, reason)


def _their_people(session: Session, follow_ups: list[FollowUp]) -> list:
    """Load what timing and placing these follow-ups reads (their matches' requests, the
    people and their neighbourhoods) in three statements for the batch, not four for each:
    a burst of matches gives the engine a batch while callers wait on hold. The caller keeps
    the list while it works: the session holds loaded rows only while they are referenced."""
    matches = [follow_up.match for follow_up in follow_ups]
    if not matches:
        return []
    requests = session.scalars(select(HelpRequest).where(
        HelpRequest.id.in_({match.request_id for match in matches}))).all()
    people = session.scalars(select(Participant).where(Participant.id.in_(
        {person_id for match in matches for person_id in (match.asker_id, match.helper_id)
         if person_id is not None}))).all()
    homes = {person.neighbourhood_id for person in people} | {
        request.neighbourhood_id for request in requests}
    neighbourhoods = session.scalars(
        select(Neighbourhood).where(Neighbourhood.id.in_(homes))
        .options(selectinload(Neighbourhood.numbers))).all()
    return [*requests, *people, *neighbourhoods]


def _time_new(session: Session, timing: Timing) -> None:
    """Give follow-ups of new matches their due time: the delay, then the person's hours.
    Rows another engine is timing are skipped (``SKIP LOCKED``), not waited for and timed
    twice: under a burst of matches several engines otherwise queue on the same rows."""
    new = session.scalars(
        select(FollowUp).where(FollowUp.state == FollowUpState.DUE, FollowUp.due_at.is_(None))
        .options(joinedload(FollowUp.match, innerjoin=True))
        .order_by(FollowUp.id).limit(BATCH)
        .with_for_update(skip_locked=True, of=FollowUp)).all()
    loaded = _their_people(session, new)  # noqa: F841 (held while the loop reads them)
    for follow_up in new:
        person = _person(session, follow_up)
        reason = _skip_reason(follow_up.side, person)
        due = None if reason else _next_moment(
            session, follow_up, person, timing.delay.due(follow_up.match.matched_at), timing)
        if reason or due is None:
            _skip(follow_up, reason or FollowUpOutcome.NEVER_AVAILABLE)
        else:
            follow_up.due_at = due


def _expire_stuck(session: Session, now: datetime) -> None:
    """Give up on calls whose news never came. Read first: this runs every engine step, and an
    UPDATE would take SQLite's write lock even when it changes nothing."""
    stuck = session.scalars(
        select(FollowUp.id).where(FollowUp.state == FollowUpState.CALLING,
                                  FollowUp.last_called_at < now - LOST_CALL)
    ).all()
    for follow_up_id in stuck:
        session.execute(  # unless an answer came in meanwhile
            update(FollowUp)
            .where(FollowUp.id == follow_up_id, FollowUp.state == FollowUpState.CALLING)
            .values(state=FollowUpState.UNREACHABLE, outcome=FollowUpOutcome.LOST))
        log.info("follow-up %s given up: %s", follow_up_id, FollowUpOutcome.LOST)


def claim_due(session: Session, now: datetime, timing: Timing) -> list[PlannedCall]:
    """Follow-ups to phone now, each moved to 'placing' (the caller queues their calls in the
    same transaction).

    Due means: its time has come, the match stands (a call-back is connected) and the match's
    own conversation is over. Whoever may not be phoned is skipped; whoever may not be phoned
    now is moved to their next allowed moment.
    """
    _expire_stuck(session, now)
    _time_new(session, timing)
    conversation_over = or_(CallLeg.status.in_(TERMINAL),
                            Match.matched_at < now - LONGEST_CONVERSATION)
    due = session.scalars(
        select(FollowUp)
        .join(Match, FollowUp.match_id == Match.id)
        .join(HelpRequest, Match.request_id == HelpRequest.id)
        .join(CallLeg, Match.leg_id == CallLeg.id)
        .where(FollowUp.state == FollowUpState.DUE, FollowUp.due_at <= now,
               HelpRequest.state == RequestState.MATCHED,
               or_(HelpRequest.callback_until.is_(None), HelpRequest.outcome == CALLED_BACK),
               conversation_over)
        .order_by(FollowUp.due_at, FollowUp.id)
        .limit(BATCH)
        .options(contains_eager(FollowUp.match))
        .with_for_update(of=FollowUp, skip_locked=True)  # another engine's are left to it
    ).all()
    loaded = _their_people(session, due)  # noqa: F841 (held while the loop reads them)
    planned = []
    for follow_up in due:
        person = _person(session, follow_up)
        reason = _skip_reason(follow_up.side, person)
        allowed = None if reason else _next_moment(session, follow_up, person, now, timing)
        if reason or allowed is None:
            _skip(follow_up, reason or FollowUpOutcome.NEVER_AVAILABLE)
            continue
        if allowed > now:
            follow_up.due_at = allowed
            continue
        claimed = session.execute(
            update(FollowUp)
            .where(FollowUp.id == follow_up.id, FollowUp.state == FollowUpState.DUE)
            .values(state=FollowUpState.PLACING, attempts=FollowUp.attempts + 1,
                    last_called_at=now, call_sid=None, outcome=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed:
            request = session.get(HelpRequest, follow_up.match.request_id)
            planned.append(PlannedCall(
                follow_up.id, follow_up.match_id, follow_up.side, person.phone,
                request.neighbourhood.exchange_number))
    return planned


def turn_came(session: Session, follow_up_id: int, now: datetime) -> bool:
    """Its call's turn at the carrier came: place it if it is still to be placed (from now on
    its news is awaited)."""
    return bool(session.execute(
        update(FollowUp)
        .where(FollowUp.id == follow_up_id, FollowUp.state == FollowUpState.PLACING)
        .values(last_called_at=now)
    ).rowcount)


def placing_interrupted(session: Session, follow_up_id: int) -> None:
    """The engine placing the call went away: it may have rung, so it is not placed again."""
    session.execute(
        update(FollowUp)
        .where(FollowUp.id == follow_up_id, FollowUp.state == FollowUpState.PLACING)
        .values(state=FollowUpState.UNREACHABLE, outcome=FollowUpOutcome.INTERRUPTED))
    log.info("follow-up %s given up: %s", follow_up_id, FollowUpOutcome.INTERRUPTED)


def placed(session: Session, follow_up_id: int, sid: str) -> None:
    """The carrier took the call. One statement: its webhooks may already have moved the row
    on (answered, even ended), which must not be undone."""
    session.execute(
        update(FollowUp).where(FollowUp.id == follow_up_id)
        .values(call_sid=sid, state=case((FollowUp.state == FollowUpState.PLACING,
                                          FollowUpState.CALLING), else_=FollowUp.state))
    )


def placing_failed(session: Session, follow_up_id: int, now: datetime) -> None:
    """The carrier refused the call: try again a little later, a few times, then give up."""
    follow_up = session.get(FollowUp, follow_up_id)
    if follow_up is None or follow_up.state != FollowUpState.PLACING:
        return
    if follow_up.attempts < MAX_PLACING_TRIES:
        follow_up.state, follow_up.due_at = FollowUpState.DUE, now + CARRIER_RETRY
    else:
        follow_up.state = FollowUpState.UNREACHABLE
    follow_up.outcome = FollowUpOutcome.CARRIER_ERROR


def machine_verdict(session: Session, follow_up_id: int, answered_by: str,
                    now: datetime) -> None:
    """The asynchronous detection's verdict: a voicemail or a fax was not the person, so the
    engine hangs up and the follow-up is tried again later (``call_ended``)."""
    follow_up = session.get(FollowUp, follow_up_id)
    if (follow_up is None or not machines.surely_machine(answered_by)
            or follow_up.state not in (FollowUpState.PLACING, FollowUpState.CALLING)):
        return
    follow_up.outcome = FollowUpOutcome.MACHINE
    machines.end_later(session, follow_up.call_sid, "follow-up voicemail", now)


_NOT_REACHED = {CallStatus.BUSY: FollowUpOutcome.BUSY,
                CallStatus.NO_ANSWER: FollowUpOutcome.NO_ANSWER,
                CallStatus.FAILED: FollowUpOutcome.FAILED,
                CallStatus.CANCELED: FollowUpOutcome.CANCELED,
                CallStatus.COMPLETED: FollowUpOutcome.MACHINE}


def call_ended(session: Session, follow_up_id: int, status: str, answered_by: str,
               now: datetime) -> None:
    """The follow-up call ended. Not reached (busy, no answer, voicemail): once more later.
    Picked up but no key pressed: they heard us; we do not call again."""
    follow_up = session.get(FollowUp, follow_up_id)
    if follow_up is None or follow_up.state not in (FollowUpState.PLACING,
                                                    FollowUpState.CALLING):
        return  # answered already, or a repeated callback
    machine = is_machine(answered_by) or follow_up.outcome == FollowUpOutcome.MACHINE
    if status == CallStatus.COMPLETED and not machine:
        state, outcome = FollowUpState.UNREACHABLE, FollowUpOutcome.NO_KEY
        due_at = follow_up.due_at
    elif status in _NOT_REACHED:
        outcome = _NOT_REACHED[status]
        again = follow_up.attempts < MAX_RINGS
        state = FollowUpState.DUE if again else FollowUpState.UNREACHABLE
        due_at = now + RETRY_AFTER if again else follow_up.due_at
    else:
        return
    session.execute(
        update(FollowUp)
        .where(FollowUp.id == follow_up_id, FollowUp.state == follow_up.state)
        .values(state=state, outcome=outcome, due_at=due_at)
        .execution_options(synchronize_session=False)
    )


# --- the conversation ----------------------------------------------------------------------------

class Heard(StrEnum):
    """What the person on a follow-up call hears next."""

    ASK = "ask"
    DONE = "done"
    CLOSED = "closed"
    INVALID = "invalid"
    MACHINE = "machine"
    UNKNOWN = "unknown"


ASK, DONE, CLOSED, INVALID, MACHINE, UNKNOWN = Heard


@dataclass(frozen=True)
class Conversation:
    """What the person on a follow-up call hears next: ``kind``, and for ASK the question."""

    kind: Heard
    side: str = ASKER
    question: str = ""
    language: str = DEFAULT_LANGUAGE
    neighbourhood: str = ""
    category: str = ""


def _language(follow_up: FollowUp, request: HelpRequest, person: Participant | None) -> str:
    """The asker hears the language of their request, the helper their first language."""
    if follow_up.side == ASKER:
        return request.language
    spoken = person.language_list if person else []
    return next((code for code in spoken if code in available_languages()), DEFAULT_LANGUAGE)


def _conversation(session: Session, follow_up: FollowUp, kind: str,
                  question: str = "") -> Conversation:
    """For ASK, the first question of the side still unanswered (DONE when there is none)."""
    request = session.get(HelpRequest, follow_up.match.request_id)
    language = _language(follow_up, request, _person(session, follow_up))
    if kind == ASK:
        open_questions = [q for q in QUESTIONS[follow_up.side] if getattr(follow_up, q) is None]
        if not open_questions:
            kind = DONE if follow_up.state == FollowUpState.ANSWERED else CLOSED
        else:
            question = open_questions[0]
    return Conversation(kind, follow_up.side, question, language, request.neighbourhood.name,
                        category_label(session, request, language))


def answered(session: Session, follow_up_id: int, answered_by: str) -> Conversation:
    """The follow-up call was picked up: the next open question, nothing for a machine."""
    follow_up = session.get(FollowUp, follow_up_id)
    if follow_up is None:
        return Conversation(UNKNOWN)
    if is_machine(answered_by):
        if follow_up.state in (FollowUpState.PLACING, FollowUpState.CALLING):
            follow_up.outcome = FollowUpOutcome.MACHINE
        return Conversation(MACHINE, follow_up.side)
    if follow_up.state not in LIVE:
        return _conversation(session, follow_up, CLOSED)
    return _conversation(session, follow_up, ASK)


def record(session: Session, follow_up_id: int, question: str, digits: str,
           now: datetime) -> Conversation:
    """A key was pressed (or none) for ``question``. 1 is yes and 2 is no; the first answer to
    a question stands, so a retried webhook records nothing twice."""
    follow_up = session.get(FollowUp, follow_up_id)
    if follow_up is None:
        return Conversation(UNKNOWN)
    if follow_up.state not in LIVE:
        return _conversation(session, follow_up, CLOSED)
    if question not in QUESTIONS[follow_up.side] or getattr(follow_up, question) is not None:
        return _conversation(session, follow_up, ASK)  # a retry: go on where we are
    answer = ANSWERS.get(digits.strip())
    if answer is None:
        return _conversation(session, follow_up, INVALID, question)
    column = getattr(FollowUp, question)
    session.execute(
        update(FollowUp)
        .where(FollowUp.id == follow_up_id, column.is_(None), FollowUp.state.in_(LIVE))
        .values({column: answer, FollowUp.state: FollowUpState.ANSWERED,
                 FollowUp.outcome: FollowUpOutcome.ANSWERED,
                 FollowUp.answered_at: func.coalesce(FollowUp.answered_at, now)})
        .execution_options(synchronize_session=False)
    )
    session.refresh(follow_up)
    return _conversation(session, follow_up, ASK)


# --- reading -------------------------------------------------------------------------------------


def for_request(session: Session, request_id: int) -> list[FollowUp]:
    """The follow-ups of a request's match, asker first."""
    return list(session.scalars(
        select(FollowUp).join(Match, FollowUp.match_id == Match.id)
        .where(Match.request_id == request_id)
        .order_by(FollowUp.side)
    ))


def _yes(column) -> object:
    return case((column.is_(True), 1), (column.is_(False), 0))


def add_to_report(session: Session, in_month, rows: dict[int, dict], total: dict) -> None:
    """Follow-up figures for the report's rows (by neighbourhood id) and its total, counting
    the matches of the month's requests (``in_month``, a condition on HelpRequest):

    - ``followups_answered``: matches where at least one side answered a question;
    - ``help_given``: of those, matches where the asker said they were helped, or, when the
      asker gave no answer to that, the helper said they could help (the asker's word first:
      help is what the one who asked experienced);
    - ``help_given_rate``: help_given / followups_answered, None without answers;
    - ``wants_contact_again``: matches whose asker would like to be in touch again.
    """
    per_match = (
        select(HelpRequest.neighbourhood_id.label("neighbourhood_id"),
               func.max(case((FollowUp.side == ASKER, _yes(FollowUp.helped)))).label("helped"),
               func.max(case((FollowUp.side == HELPER, _yes(FollowUp.could_help))))
               .label("could_help"),
               func.max(case((FollowUp.side == ASKER, _yes(FollowUp.wants_contact_again))))
               .label("contact"))
        .select_from(FollowUp)
        .join(Match, FollowUp.match_id == Match.id)
        .join(HelpRequest, Match.request_id == HelpRequest.id)
        .where(in_month, FollowUp.answered_at.is_not(None))
        .group_by(HelpRequest.neighbourhood_id, Match.id)
        .subquery()
    )
    counts = session.execute(
        select(per_match.c.neighbourhood_id,
               func.count(),
               func.coalesce(func.sum(func.coalesce(per_match.c.helped,
                                                    per_match.c.could_help)), 0),
               func.coalesce(func.sum(per_match.c.contact), 0))
        .group_by(per_match.c.neighbourhood_id)
    )
    figures = {neighbourhood_id: (int(answered_count), int(helped), int(contact))
               for neighbourhood_id, answered_count, helped, contact in counts}
    for neighbourhood_id, row in rows.items():
        row.update(_figures(*figures.get(neighbourhood_id, (0, 0, 0))))
    summed = [sum(column) for column in zip(*figures.values())] or [0, 0, 0]
    total.update(_figures(*summed))


def _figures(answered_count: int, helped: int, contact: int) -> dict:
    return {"followups_answered": answered_count, "help_given": helped,
            "help_given_rate": round(helped / answered_count, 4) if answered_count else None,
            "wants_contact_again": contact}

