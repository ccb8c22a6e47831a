"""Use cases of the resident who phones in: from the first ring to waiting on hold.

Each function is one webhook's worth of work in one transaction. State changes are
compare-and-set updates, so a retried or late webhook changes nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import bindparam, delete, func, or_, select
from sqlalchemy.orm import Session

from bhc.calls import spoken_choice
from bhc.calls.models import CallLeg, HelpRequest, Match, RequestOutcome, RequestState
from bhc.calls.transitions import transition
from bhc.followups.models import FollowUp
from bhc.i18n import DEFAULT_LANGUAGE, available_languages
from bhc.neighbourhoods.models import Category, ExchangeNumber, Neighbourhood
from bhc.neighbourhoods.office import Office
from bhc.neighbourhoods.services import menu
from bhc.people import self_service
from bhc.people.models import BlockedNumber, Participant
from bhc.phones import InvalidPhoneNumber, is_withheld, mask, to_e164

log = logging.getLogger(__name__)


class UnknownExchange(LookupError):
    """The number called belongs to no neighbourhood."""


class UnknownCall(LookupError):
    """A webhook names a call this exchange has no request for."""


class BlockedCaller(PermissionError):
    """A coordinator blocked this number."""


class TooManyRequests(PermissionError):
    """This number asked for help (chose a category) the hourly maximum of times already."""


@dataclass(frozen=True)
class Chosen:
    category: Category


@dataclass(frozen=True)
class LanguageSwitched:
    language: str


@dataclass(frozen=True)
class Invalid:
    pass


@dataclass(frozen=True)
class Repeat:
    """The caller asked to hear the menu again."""


@dataclass(frozen=True)
class OwnDetails:
    """A registered participant chose the menu of their own details (status, pause, resume)."""


@dataclass(frozen=True)
class Resumed:
    """A participant paused until their next call asked to be called again."""


@dataclass(frozen=True)
class SignUpAsked:
    """An unregistered caller asked a coordinator to call them back to sign them up."""


@dataclass(frozen=True)
class ToCoordinator:
    """The caller asked for the coordinator; ``open`` says whether the office is staffed now."""

    open: bool
    phone: str
    hours: str


REPEAT_KEY, COORDINATOR_KEY = "*", "0"
OWN_DETAILS_KEY = "8"  # preferred; another spare key when a category uses it
SPARE_KEYS = "987654321"
EXTRA_KEY = "#"  # when no digit is spare (the menu reads # as a key, not as "done")


@dataclass(frozen=True)
class MenuKeys:
    """The keys of one caller's menu besides the categories, 0 and *.

    ``languages`` offers every other language with a catalogue: the first (Dutch, else
    English) on the configured language key, the others on spare keys counting down from 9,
    then on #. ``own_details`` is the
    self-service menu for a registered participant, the sign-up call-back for an unregistered
    caller (None when the caller's number is unknown or no key is spare).
    """

    languages: tuple[tuple[str, str], ...]  # (key, language code)
    own_details: str | None


def menu_keys(category_keys: list[int], language: str, language_key: str,
              own_details: bool) -> MenuKeys:
    taken = {str(key) for key in category_keys} | {COORDINATOR_KEY, REPEAT_KEY}
    spare = [key for key in SPARE_KEYS if key not in taken]

    def claim(preferred: str | None) -> str | None:
        if preferred is not None and preferred not in taken:
            key = preferred
        elif spare:
            key = spare[0]
        elif EXTRA_KEY not in taken:
            key = EXTRA_KEY
        else:
            return None
        taken.add(key)
        if key in spare:
            spare.remove(key)
        return key

    # Dutch and English keep their keys whatever catalogues are added.
    others = sorted((code for code in available_languages() if code != language),
                    key=lambda code: (code != DEFAULT_LANGUAGE, code != "en", code))
    first = [(claim(language_key), others[0])] if others else []
    own = claim(OWN_DETAILS_KEY) if own_details else None
    rest = [(claim(None), code) for code in others[1:]]
    languages = tuple((key, code) for key, code in first + rest if key is not None)
    return MenuKeys(languages=languages, own_details=own)


def keys_for(request: HelpRequest, categories: list[Category], language_key: str) -> MenuKeys:
    """The menu keys this caller hears now (the prompt and the choice agree on them)."""
    return menu_keys([c.key for c in categories], request.language, language_key,
                     own_details=request.caller_id is not None)


@dataclass(frozen=True)
class Closed:
    """The request is no longer in the menu (it ended, or the caller already chose)."""

    state: str


def request_for_call(session: Session, call_sid: str) -> HelpRequest:
    request = _request_of_call(session, call_sid)
    if request is None:
        raise UnknownCall(call_sid)
    return request


def _request_of_call(session: Session, call_sid: str) -> HelpRequest | None:
    return session.scalar(_request_of_call_statement(), {"call_sid": call_sid})


# Built once, values bound at each execution (docs/architecture.md, section 6).
@cache
def _request_of_call_statement():
    return select(HelpRequest).where(HelpRequest.call_sid == bindparam("call_sid"))


def start_call(
    session: Session, *, call_sid: str, to: str, from_: str, now: datetime,
    default_language: str = DEFAULT_LANGUAGE, max_per_hour: int = 4,
) -> HelpRequest:
    """Open a request for an inbound call (or return the one a retried webhook opened).

    Raises UnknownExchange, BlockedCaller or TooManyRequests; none of them opens a request.
    """
    phone = _e164_or_none(from_)
    first_ring = _first_ring(session, to, phone, call_sid, now)
    if first_ring is None:  # no exchange number (or no longer: a retry after it was removed)
        existing = _request_of_call(session, call_sid)
        if existing is not None:
            return existing
        raise UnknownExchange(to)
    neighbourhood, existing, is_blocked, requests, known = first_ring
    if existing is not None:
        return existing
    caller = None
    if phone is None:
        _readable(from_)  # logs a number that could not be read (masked)
    else:
        caller = _allowed_caller(session, from_, phone, neighbourhood.id, now, max_per_hour,
                                 is_blocked=is_blocked, requests=requests, known=known)
    request = HelpRequest(
        call_sid=call_sid,
        neighbourhood=neighbourhood,  # held, so the menu reads it without another SELECT
        caller=caller,
        language=_language_of(caller, default_language),
        state=RequestState.MENU,
        created_at=now,
    )
    session.add(request)
    session.flush()
    return request


def _first_ring(session: Session, to: str, phone: str | None, call_sid: str, now: datetime):
    """(neighbourhood, request already opened for this call, is the caller's number blocked,
    their requests this hour, the participant with the number), or None when ``to`` is no
    exchange number: every inbound call asks it on its first webhook, in one SELECT."""
    try:
        number = to_e164(to)
    except InvalidPhoneNumber:
        return None
    return session.execute(_first_ring_statement(), {
        "number": number, "phone": phone, "call_sid": call_sid,
        "since": now - timedelta(hours=1)}).one_or_none()


def _allowed_caller(session: Session, raw_number: str, phone: str, neighbourhood_id: int,
                    now: datetime, max_per_hour: int, *, is_blocked: bool, requests: int,
                    known: Participant | None) -> Participant | None:
    """Who calls (a new asker for review if the number is unknown, None if withheld), unless
    their number is blocked or made ``max_per_hour`` requests this hour."""
    if is_blocked:
        log.info("blocked number %s called", mask(phone))
        raise BlockedCaller(phone)
    if requests >= max_per_hour:
        log.info("number %s reached %s requests this hour", mask(phone), max_per_hour)
        raise TooManyRequests(phone)
    if is_withheld(raw_number):
        return None
    return known or _new_asker(session, phone, neighbourhood_id, now)


# Built once, values bound at each execution (docs/architecture.md, section 6).
@cache
def _first_ring_statement():
    """The exchange number's neighbourhood, outer-joined to the request of the call and to
    the participant with the caller's number (bound: number, call_sid, phone, since; a phone
    of NULL matches nobody and is blocked nowhere)."""
    phone = bindparam("phone")
    blocked = select(BlockedNumber.id).where(BlockedNumber.number == phone).exists()
    # Only requests that reached a category count: fumbling the menu is no reason to be refused.
    recent = (
        select(func.count()).select_from(HelpRequest)
        .where(HelpRequest.caller_id == Participant.id,
               HelpRequest.created_at >= bindparam("since"),
               HelpRequest.category_slug.is_not(None))
        .correlate(Participant).scalar_subquery()
    )
    return (select(Neighbourhood, HelpRequest, blocked, recent, Participant)
            .join(ExchangeNumber, ExchangeNumber.neighbourhood_id == Neighbourhood.id)
            .outerjoin(HelpRequest, HelpRequest.call_sid == bindparam("call_sid"))
            .outerjoin(Participant, Participant.phone == phone)
            .where(ExchangeNumber.number == bindparam("number")))


def _recognise(
    session: Session, raw_number: str, neighbourhood_id: int, now: datetime
) -> Participant | None:
    """The registered participant with this number, or a new asker the coordinator reviews."""
    phone = _readable(raw_number)
    if phone is None:
        return None
    participant = session.scalar(select(Participant).where(Participant.phone == phone))
    return participant or _new_asker(session, phone, neighbourhood_id, now)


def _readable(raw_number: str) -> str | None:
    """The number in E.164, or None (logged, masked, unless the caller withheld it)."""
    phone = _e164_or_none(raw_number)
    if phone is None and not is_withheld(raw_number):
        log.info("caller number %s could not be parsed", mask(raw_number))
    return phone


def _e164_or_none(raw_number: str) -> str | None:
    try:
        return to_e164(raw_number)
    except InvalidPhoneNumber:
        return None


def _new_asker(session: Session, phone: str, neighbourhood_id: int,
               now: datetime) -> Participant:
    participant = Participant(
        phone=phone,
        neighbourhood_id=neighbourhood_id,
        is_asker=True,
        is_helper=False,
        needs_review=True,
        source="phone",
        created_at=now,
    )
    session.add(participant)
    session.flush()
    log.info("unregistered caller %s recorded as a new asker for review", mask(phone))
    return participant


def _language_of(caller: Participant | None, default: str) -> str:
    if caller is not None:
        for code in caller.language_list:
            if code in available_languages():
                return code
    return default


def needs_callback_number(request: HelpRequest) -> bool:
    return request.caller_id is None and request.state == RequestState.MENU


def set_callback_number(session: Session, request: HelpRequest, digits: str,
                        now: datetime) -> bool:
    """A caller with a withheld number keyed in a number; False when it is not a phone number."""
    if request.caller_id is not None:
        return True
    digits = digits.strip().rstrip("#")
    if not digits:
        return False
    caller = _recognise(session, digits, request.neighbourhood_id, now)
    if caller is None:
        return False
    request.caller = caller
    return True


def choose(
    session: Session, request: HelpRequest, digits: str, now: datetime, language_key: str,
    office: Office | None = None,
) -> (Chosen | LanguageSwitched | Repeat | ToCoordinator | OwnDetails | Resumed | SignUpAsked
      | Invalid | Closed):
    """The caller pressed a key in the category menu.

    Besides the categories: a key per other language, * to repeat, 0 for the coordinator's
    office (put through when it is open, otherwise the caller hears its hours), and the key of
    the caller's own details (see ``menu_keys``). A chosen language is remembered as the
    caller's first language for their next call.
    """
    if request.state != RequestState.MENU:
        return _chosen_before(session, request)
    digits = digits.strip()
    categories = menu(session, request.neighbourhood_id, as_of=request.created_at)
    keys = keys_for(request, categories, language_key)
    chosen_language = dict(keys.languages).get(digits)
    if chosen_language is not None:
        request.language = chosen_language
        if request.caller is not None:
            rest = [code for code in request.caller.language_list if code != request.language]
            request.caller.languages = ";".join([request.language, *rest])
        return LanguageSwitched(request.language)
    if digits == REPEAT_KEY:
        return Repeat()
    if digits == keys.own_details:
        return _own_details(session, request, now)
    if digits == COORDINATOR_KEY and office is not None and office.phone:
        staffed = office.is_open(now)
        if staffed:
            _abandon(session, request, now, RequestOutcome.TO_COORDINATOR, (RequestState.MENU,))
        return ToCoordinator(open=staffed, phone=office.phone, hours=office.hours)
    category = next((c for c in categories if digits == str(c.key)), None)
    if category is None:
        return Invalid()
    return _start_search(session, request, category, now)


def _start_search(session: Session, request: HelpRequest, category: Category,
                  now: datetime) -> Chosen | Closed:
    if not transition(session, request, RequestState.MENU, RequestState.SEARCHING,
                      category_slug=category.slug, searching_since=now):
        return _chosen_before(session, request)
    return Chosen(category)


def _chosen_before(session: Session, request: HelpRequest) -> Chosen | Closed:
    """The request left the menu already: a retried webhook hears the same as before."""
    chosen = _category(session, request.neighbourhood_id, slug=request.category_slug)
    if request.state == RequestState.SEARCHING and chosen is not None:
        return Chosen(chosen)
    return Closed(request.state)


def listens_for_speech(request: HelpRequest) -> bool:
    """The neighbourhood's coordinator turned speech on for its menu."""
    return request.neighbourhood.speech_input


def spoken_category(session: Session, request: HelpRequest, phrase: str, confidence: float,
                    min_confidence: float) -> Category | None:
    """The category the caller said in the menu, when the recogniser was sure enough and the
    phrase names exactly one category; None means: the menu again."""
    if (request.state != RequestState.MENU or not listens_for_speech(request)
            or confidence < min_confidence):
        return None
    categories = menu(session, request.neighbourhood_id, as_of=request.created_at)
    return spoken_choice.category_named(phrase, categories, request.language)


def choose_spoken(session: Session, request: HelpRequest, slug: str,
                  now: datetime) -> Chosen | Closed | Invalid:
    """The caller pressed 1 to confirm the category they said: the search starts."""
    if request.state != RequestState.MENU:
        return _chosen_before(session, request)
    categories = menu(session, request.neighbourhood_id, as_of=request.created_at)
    category = next((c for c in categories if c.slug == slug), None)
    if category is None:
        return Invalid()  # disabled in the meantime
    return _start_search(session, request, category, now)


def _own_details(session: Session, request: HelpRequest,
                 now: datetime) -> OwnDetails | Resumed | SignUpAsked:
    caller = request.caller
    if not self_service.is_registered(caller):
        self_service.ask_sign_up_callback(session, caller, request.neighbourhood_id,
                                          request.language, now)
        return SignUpAsked()
    if self_service.waits_to_resume(caller):
        self_service.resume(session, caller, now)
        return Resumed()
    return OwnDetails()


def _category(session: Session, neighbourhood_id: int, slug: str | None) -> Category | None:
    if slug is None:
        return None
    return session.scalar(
        select(Category).where(Category.neighbourhood_id == neighbourhood_id,
                               Category.slug == slug)
    )


def end_in_menu(session: Session, request: HelpRequest, now: datetime,
                outcome: RequestOutcome) -> None:
    """The caller made no valid choice (or hung up) before the search began."""
    _abandon(session, request, now, outcome, from_states=(RequestState.MENU,))


# QueueResults of a caller who hung up still waiting, before any bridge: "hangup", and
# "bridging-in-process", hung up as a <Dial><Queue> took them but before the two were connected
# ("TwiML Voice: <Enqueue>", https://www.twilio.com/docs/voice/twiml/enqueue, the action's
# QueueResult). The action "is requested when the call leaves the queue", a hang-up included.
HUNG_UP_WAITING = ("hangup", "bridging-in-process")


def caller_left(session: Session, request: HelpRequest, now: datetime, *,
                before_bridge: bool = False) -> bool:
    """The caller hung up: the request is abandoned unless it already ended otherwise. A
    matched request is abandoned only when the caller surely left ``before_bridge`` (still
    waiting in the queue): the volunteer's 1 came, but the two were never put through."""
    if request.state == RequestState.MENU:
        return _abandon(session, request, now, RequestOutcome.HUNG_UP_IN_MENU,
                        (RequestState.MENU,))
    if before_bridge:
        return _left_waiting(session, request, now)
    return _abandon(session, request, now, RequestOutcome.CALLER_HUNG_UP,
                    (RequestState.SEARCHING,))


def call_ended(session: Session, request: HelpRequest, now: datetime) -> bool:
    """The caller's status callback says their call ended. On a matched request that alone
    does not tell a hang-up before the bridge from the end of the talk; with the winner's
    <Dial> that found nobody in the queue (``CallLeg.bridge_failed_at``) it does."""
    if request.caller_ended_at is None:
        request.caller_ended_at = now
    return caller_left(session, request, now, before_bridge=_bridge_failed(session, request))


def _bridge_failed(session: Session, request: HelpRequest) -> bool:
    return session.scalar(
        select(CallLeg.bridge_failed_at).join(Match, Match.leg_id == CallLeg.id)
        .where(Match.request_id == request.id)) is not None


def wait_failed(session: Session, request: HelpRequest, now: datetime) -> bool:
    """The caller's wait on hold failed a second time at the carrier and the call ends with an
    apology: abandoned as ``wait_failed``, not as the caller's hang-up, and a match made
    meanwhile is none, as when the caller leaves before the bridge."""
    return _left_waiting(session, request, now, RequestOutcome.WAIT_FAILED)


def _left_waiting(session: Session, request: HelpRequest, now: datetime,
                  outcome: RequestOutcome = RequestOutcome.CALLER_HUNG_UP) -> bool:
    """The caller hung up waiting on hold, searching or just matched (the volunteer's 1 came,
    the bridge did not): abandoned, as any hang-up on hold, and a match is none after all (nor
    its follow-ups). Both states in one guarded UPDATE, so a 1 committing meanwhile does not
    leave a match behind. The engine tells the volunteer, as it stops accepted legs of requests
    no longer matched."""
    moved = transition(session, request, (RequestState.SEARCHING, RequestState.MATCHED),
                       RequestState.ABANDONED,
                       where=[or_(HelpRequest.state == RequestState.SEARCHING,
                                  HelpRequest.callback_until.is_(None))],
                       outcome=outcome, ended_at=now)
    match_id = session.scalar(select(Match.id).where(Match.request_id == request.id))
    if moved and match_id is not None:
        session.execute(delete(FollowUp).where(FollowUp.match_id == match_id))
        session.execute(delete(Match).where(Match.id == match_id))
        log.info("request %s: the caller left before the bridge (%s); abandoned, no match",
                 request.id, outcome)
    return moved


def failed_wait_tag(session: Session, request: HelpRequest) -> str:
    """What a failed wait in the queue failed at, for the queue's action URL: the search ("1")
    or, once a volunteer pressed 1, the bridge to that volunteer ("leg-<id>"). A wait that
    fails twice at the same thing ends the call; the bridge to a new winner, after an earlier
    one left during the announcement, gets its own second chance."""
    if request.state != RequestState.MATCHED:
        return "1"
    leg_id = session.scalar(select(Match.leg_id).where(Match.request_id == request.id))
    return f"leg-{leg_id}" if leg_id is not None else "1"


def hung_up_on_hold(request: HelpRequest) -> bool:
    """The caller hung up on hold (if a volunteer had pressed 1, before the bridge)."""
    return (request.state == RequestState.ABANDONED
            and request.outcome == RequestOutcome.CALLER_HUNG_UP)


def back_from_coordinator(session: Session, request: HelpRequest) -> bool:
    """The coordinator did not answer: the caller is back in the menu, and so is the request
    that going to the office had ended."""
    return transition(session, request, RequestState.ABANDONED, RequestState.MENU,
                      where=[HelpRequest.outcome == RequestOutcome.TO_COORDINATOR],
                      outcome=None, ended_at=None)


def _abandon(session: Session, request: HelpRequest, now: datetime, outcome: RequestOutcome,
             from_states: tuple[RequestState, ...]) -> bool:
    return transition(session, request, from_states, RequestState.ABANDONED, outcome=outcome,
                      ended_at=now)


def category_label(session: Session, request: HelpRequest, language: str | None = None) -> str:
    """The request's category as the given language (default: the caller's) calls it."""
    return label_of(request, _category(session, request.neighbourhood_id,
                                       request.category_slug), language)


def label_of(request: HelpRequest, category: Category | None,
             language: str | None = None) -> str:
    """``category_label`` given the request's menu entry (None: it was removed, or none was
    chosen yet)."""
    if category is None:
        return request.category_slug or ""
    return category.label(language or request.language)
