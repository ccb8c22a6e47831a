"""Joining through the web: a resident signs up, the exchange phones them a code, a coordinator
(or the neighbourhood's auto-approval) turns the verified sign-up into a participant.

States: ``pending_verification`` -> ``verified`` -> ``approved`` (participant created), or
``rejected``. The verification call is placed by the engine (``claim_due_calls``), never in the
web request. Spam is refused by a honeypot field, a minimum time to fill in the form and rate
limits kept in the database, so every web worker applies the same ones.

The code is never stored, not even hashed (six digits hash back in a second): it is an HMAC of a
random nonce under the server's secret, so the webhook that reads it aloud and the page that
checks it can both derive it while the database alone reveals nothing.

Personal data stays only as long as needed: a decided sign-up keeps no name, number or address
(the participant, or nobody, holds them), and one never confirmed is deleted after a week.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import Session

from bhc.audit import services as audit
from bhc.calls.carrier import PLACING, CallStatus
from bhc.config import Config
from bhc.neighbourhoods.models import Category, Neighbourhood
from bhc.neighbourhoods.scope import in_scope
from bhc.people.models import Participant
from bhc.people.participants import ParticipantData, save
from bhc.phones import mask, to_e164
from bhc.signups.models import OPEN_SIGN_UPS, SignUp, SignUpAttempt, SignUpState

log = logging.getLogger(__name__)

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=15)
MAX_CODE_ATTEMPTS = 5
MIN_FILL_SECONDS = 3.0  # people need longer than this to fill in the form; scripts do not
SUBMITS_PER_CLIENT_PER_HOUR = 10
CALLS_PER_PHONE_PER_HOUR = 3
CALLS_PER_PHONE_PER_DAY = 6  # nobody can make the exchange pester a number that is not theirs
SECONDS_BETWEEN_CALLS = 60
ATTEMPTS_KEPT = timedelta(days=1)
UNVERIFIED_KEPT = timedelta(days=7)  # a sign-up whose number was never confirmed, then deleted
CONSENT_SOURCE = "web sign-up"

# When a resident may be called, as the form offers it; outside quiet hours (21:00-08:00).
DAY_PARTS = {
    "weekday-morning": "mo-fr 09:00-12:00",
    "weekday-afternoon": "mo-fr 12:00-17:00",
    "weekday-evening": "mo-fr 17:00-21:00",
    "weekend-morning": "sa-su 09:00-12:00",
    "weekend-afternoon": "sa-su 12:00-17:00",
    "weekend-evening": "sa-su 17:00-21:00",
}
_POSTCODE = re.compile(r"[1-9][0-9]{3}[A-Z]{2}")


class SignUpRefused(ValueError):
    """A sign-up or verification step cannot go on; the subclass says why."""


class BadPostcode(SignUpRefused):
    pass


class OutsideNeighbourhoods(SignUpRefused):
    """No neighbourhood of the exchange covers the postcode."""

    def __init__(self, postcode: str) -> None:
        super().__init__(f"postcode {postcode} lies outside every neighbourhood")
        self.postcode = postcode


class LooksLikeSpam(SignUpRefused):
    pass


class TooManySignUps(SignUpRefused):
    """Too many forms from one client address within the hour."""


class AlreadyKnown(SignUpRefused):
    """The number already takes part or has a sign-up awaiting approval."""


class TooManyCalls(SignUpRefused):
    """This number was called for verification too often within the hour."""


class CallTooSoon(SignUpRefused):
    def __init__(self, wait_s: int) -> None:
        super().__init__(f"the last call was less than {SECONDS_BETWEEN_CALLS} s ago")
        self.wait_s = wait_s


class NoSuchSignUp(SignUpRefused):
    pass


class WrongCode(SignUpRefused):
    def __init__(self, attempts_left: int) -> None:
        super().__init__(f"wrong code, {attempts_left} attempts left")
        self.attempts_left = attempts_left


class CodeExpired(SignUpRefused):
    pass


class TooManyWrongCodes(SignUpRefused):
    pass


class NotAwaitingApproval(SignUpRefused):
    """Already approved or rejected (by someone else, or a second click)."""


@dataclass(frozen=True)
class SignUpData:
    """What the resident filled in; phone and postcode as typed."""

    name: str
    phone: str
    postcode: str
    house_number: str
    is_helper: bool
    is_asker: bool
    categories: frozenset[str]
    languages: tuple[str, ...]
    day_parts: tuple[str, ...]
    language: str  # of the page: the verification call speaks it too


# --- postcodes and neighbourhoods ------------------------------------------------------------


def normalise_postcode(text: str) -> str:
    """'2511 ab' -> '2511AB'; raises BadPostcode for anything that is not a Dutch postcode."""
    compact = re.sub(r"[\s-]", "", text or "").upper()
    if not _POSTCODE.fullmatch(compact):
        raise BadPostcode(f"{text!r} is not a Dutch postcode like 2511 AB")
    return compact


def covers(postcodes: str, postcode: str) -> int:
    """How well a neighbourhood's postcode list covers a full postcode: 2 for the full postcode,
    1 for its four digits, 0 not at all."""
    entries = {re.sub(r"\s", "", entry).upper() for entry in postcodes.split(",")}
    if postcode in entries:
        return 2
    return 1 if postcode[:4] in entries else 0


def find_neighbourhood(session: Session, postcode: str) -> Neighbourhood | None:
    """The neighbourhood of a normalised postcode; a listed full postcode wins over its digits
    elsewhere (a street on the border), then the first by name."""
    best, best_score = None, 0
    for neighbourhood_id, postcodes in session.execute(
            select(Neighbourhood.id, Neighbourhood.postcodes).order_by(Neighbourhood.name)):
        score = covers(postcodes or "", postcode)
        if score > best_score:
            best, best_score = neighbourhood_id, score
    return session.get(Neighbourhood, best) if best is not None else None


def availability_from(day_parts: tuple[str, ...]) -> str:
    """The day parts ticked as availability windows; none ticked means any time."""
    return "; ".join(DAY_PARTS[part] for part in DAY_PARTS if part in day_parts)


# --- secrets: the code and the client key ----------------------------------------------------


def secret_of(config: Config) -> str:
    """Shared by every process of one deployment: the admin secret, else the carrier token."""
    return config.admin.secret_key or config.auth_token


def code_for(secret: str, nonce: str) -> str:
    digest = hmac.new(secret.encode(), f"sign-up code:{nonce}".encode(), hashlib.sha256)
    return f"{int(digest.hexdigest(), 16) % 10**CODE_DIGITS:0{CODE_DIGITS}d}"


def client_key(secret: str, address: str) -> str:
    """A keyed hash of the client's address: enough to count, not to recover it."""
    return hmac.new(secret.encode(), f"client:{address}".encode(), hashlib.sha256).hexdigest()


# --- spam and rate limits --------------------------------------------------------------------


def check_not_spam(honeypot: str, form_age_s: float | None) -> None:
    """A filled hidden field or a form sent within seconds of showing it is a script."""
    if honeypot.strip():
        raise LooksLikeSpam("the hidden field was filled in")
    if form_age_s is None or form_age_s < MIN_FILL_SECONDS:
        raise LooksLikeSpam("the form was sent too fast")


def count_submission(session: Session, client: str, now: datetime) -> None:
    """Record a form sent from this client; raises TooManySignUps over the hourly limit."""
    session.execute(delete(SignUpAttempt).where(SignUpAttempt.at < now - ATTEMPTS_KEPT))
    recent = session.scalar(select(func.count()).select_from(SignUpAttempt).where(
        SignUpAttempt.kind == "submit", SignUpAttempt.client == client,
        SignUpAttempt.at >= now - timedelta(hours=1)))
    if recent >= SUBMITS_PER_CLIENT_PER_HOUR:
        raise TooManySignUps("too many sign-ups from this address within the hour")
    session.add(SignUpAttempt(kind="submit", at=now, client=client))


def _count_call(session: Session, phone: str, now: datetime) -> None:
    today = list(session.scalars(select(SignUpAttempt.at).where(
        SignUpAttempt.kind == "call", SignUpAttempt.phone == phone,
        SignUpAttempt.at >= now - timedelta(days=1))))
    calls = [at for at in today if at >= now - timedelta(hours=1)]
    if len(calls) >= CALLS_PER_PHONE_PER_HOUR or len(today) >= CALLS_PER_PHONE_PER_DAY:
        raise TooManyCalls(f"{mask(phone)} was called {len(calls)} times this hour, "
                           f"{len(today)} today")
    last = max(calls, default=None)
    if last is not None and now - last < timedelta(seconds=SECONDS_BETWEEN_CALLS):
        raise CallTooSoon(SECONDS_BETWEEN_CALLS - int((now - last).total_seconds()))
    session.add(SignUpAttempt(kind="call", at=now, phone=phone))


# --- signing up and verifying ----------------------------------------------------------------


def submit(session: Session, data: SignUpData, now: datetime) -> SignUp:
    """Validate a sign-up and ask the engine for a verification call.

    A number with a sign-up still awaiting its code gets that sign-up updated and called again;
    a number that takes part or awaits approval is refused without saying more.
    """
    session.execute(delete(SignUp).where(SignUp.state == SignUpState.PENDING_VERIFICATION,
                                         SignUp.created_at < now - UNVERIFIED_KEPT))
    phone = to_e164(data.phone)
    postcode = normalise_postcode(data.postcode)
    neighbourhood = find_neighbourhood(session, postcode)
    if neighbourhood is None:
        raise OutsideNeighbourhoods(postcode)
    registered = session.scalar(select(Participant).where(Participant.phone == phone))
    if registered is not None and not registered.needs_review:
        raise AlreadyKnown("the number takes part already")
    open_sign_ups = list(session.scalars(select(SignUp).where(
        SignUp.phone == phone, SignUp.state.in_(OPEN_SIGN_UPS)).order_by(SignUp.id)))
    if any(s.state == SignUpState.VERIFIED for s in open_sign_ups):
        raise AlreadyKnown("the number has a sign-up awaiting approval")
    known = set(session.scalars(select(Category.slug).where(
        Category.neighbourhood_id == neighbourhood.id, Category.enabled.is_(True))))
    sign_up = open_sign_ups[-1] if open_sign_ups else SignUp(
        phone=phone, state=SignUpState.PENDING_VERIFICATION, created_at=now, code_attempts=0)
    sign_up.neighbourhood = neighbourhood
    sign_up.name = data.name.strip()
    sign_up.postcode = postcode
    sign_up.house_number = data.house_number.strip()
    sign_up.is_helper, sign_up.is_asker = data.is_helper, data.is_asker
    sign_up.categories = ";".join(sorted(data.categories & known)) if data.is_helper else ""
    sign_up.languages = ";".join(data.languages or ("nl",))
    sign_up.availability = availability_from(data.day_parts)
    sign_up.language = data.language
    sign_up.consent_at = now
    log.info("web sign-up %s for %s in neighbourhood %s", "updated" if sign_up.id else "new",
             mask(phone), neighbourhood.id)
    session.add(sign_up)
    request_call(session, sign_up, now)
    session.flush()
    return sign_up


def open_sign_up(session: Session, sign_up_id: int | None) -> SignUp:
    sign_up = session.get(SignUp, sign_up_id) if sign_up_id else None
    if sign_up is None:
        raise NoSuchSignUp(f"sign-up {sign_up_id} does not exist")
    return sign_up


def request_call(session: Session, sign_up: SignUp, now: datetime) -> None:
    """Ask the engine to phone the code (again); a code still valid is kept, so a resident who
    misheard it hears the same one."""
    if sign_up.state != SignUpState.PENDING_VERIFICATION:
        return
    _count_call(session, sign_up.phone, now)
    if (sign_up.code_nonce is None or sign_up.code_expires_at is None
            or sign_up.code_expires_at <= now or sign_up.code_attempts >= MAX_CODE_ATTEMPTS):
        sign_up.code_nonce = secrets.token_hex(16)
        sign_up.code_expires_at = now + CODE_LIFETIME
        sign_up.code_attempts = 0
    sign_up.call_requested_at, sign_up.call_sid, sign_up.call_status = now, None, None


def verify(session: Session, sign_up_id: int, code: str, secret: str, now: datetime) -> SignUp:
    """Check the code the resident typed; the right one verifies the number (and approves the
    sign-up at once where the neighbourhood auto-approves). A retry of a verified one is fine."""
    sign_up = session.get(SignUp, sign_up_id, with_for_update=True)
    if sign_up is None:
        raise NoSuchSignUp(f"sign-up {sign_up_id} does not exist")
    if sign_up.state != SignUpState.PENDING_VERIFICATION:
        return sign_up
    if sign_up.code_nonce is None or sign_up.code_attempts >= MAX_CODE_ATTEMPTS:
        raise TooManyWrongCodes("ask for a new call")
    if sign_up.code_expires_at is None or sign_up.code_expires_at <= now:
        raise CodeExpired("the code has expired")
    typed = re.sub(r"\D", "", code or "")
    if not hmac.compare_digest(typed, code_for(secret, sign_up.code_nonce)):
        sign_up.code_attempts += 1
        left = MAX_CODE_ATTEMPTS - sign_up.code_attempts
        log.info("wrong verification code for sign-up %s, %s attempts left", sign_up.id, left)
        if left <= 0:
            raise TooManyWrongCodes("five wrong codes")
        raise WrongCode(left)
    sign_up.state, sign_up.verified_at = SignUpState.VERIFIED, now
    sign_up.code_nonce = sign_up.code_expires_at = sign_up.call_requested_at = None
    log.info("sign-up %s verified its phone number", sign_up.id)
    if sign_up.neighbourhood.auto_approve:
        approve(session, sign_up.id, user_id=None, now=now)
    return sign_up


# --- the verification call (engine and webhook) ----------------------------------------------


@dataclass(frozen=True)
class DueCall:
    sign_up_id: int
    phone: str
    from_number: str


def _call_due() -> tuple:
    return (SignUp.state == SignUpState.PENDING_VERIFICATION,
            SignUp.call_requested_at.is_not(None), SignUp.call_sid.is_(None))


def calls_pending():
    """A condition, true when :func:`claim_due_calls` would find a call to place."""
    return exists().where(*_call_due())


def claim_due_calls(session: Session) -> list[DueCall]:
    """Verification calls to place now, marked 'placing' so that no other pass (nor another
    engine: rows it is claiming are skipped) places them."""
    due = []
    for sign_up in session.scalars(select(SignUp).where(*_call_due())
                                   .with_for_update(skip_locked=True)):
        sign_up.call_sid = PLACING
        due.append(DueCall(sign_up.id, sign_up.phone, sign_up.neighbourhood.exchange_number))
    return due


def call_still_due(session: Session, sign_up_id: int) -> bool:
    """Its turn at the carrier came: is the code still to be read to them?"""
    return session.scalar(select(SignUp.id).where(
        SignUp.id == sign_up_id, SignUp.state == SignUpState.PENDING_VERIFICATION,
        SignUp.call_sid == PLACING)) is not None


def call_placed(session: Session, sign_up_id: int, sid: str | None) -> None:
    """The carrier took the call (sid) or refused it (None: the page offers to call again)."""
    session.execute(update(SignUp).where(SignUp.id == sign_up_id, SignUp.call_sid == PLACING)
                    .values(call_sid=sid or CallStatus.FAILED,
                            call_status=None if sid else CallStatus.FAILED))


def call_ended(session: Session, sign_up_id: int, sid: str, status: str) -> None:
    """How the verification call ended (busy, no answer, ...), for the page to tell."""
    session.execute(update(SignUp).where(SignUp.id == sign_up_id, SignUp.call_sid == sid)
                    .values(call_status=status))


def spoken_code(session: Session, sign_up_id: int, secret: str, now: datetime
                ) -> tuple[str, str | None]:
    """The language of the call and the code to read aloud (None once it is no longer valid)."""
    sign_up = session.get(SignUp, sign_up_id)
    if sign_up is None:
        return "nl", None
    valid = (sign_up.state == SignUpState.PENDING_VERIFICATION and sign_up.code_nonce
             and sign_up.code_expires_at and sign_up.code_expires_at > now
             and sign_up.code_attempts < MAX_CODE_ATTEMPTS)
    return sign_up.language, code_for(secret, sign_up.code_nonce) if valid else None


# --- coordinators ----------------------------------------------------------------------------


def open_sign_ups(session: Session, neighbourhood_ids: set[int] | None) -> list[SignUp]:
    """Sign-ups awaiting approval and awaiting their code, oldest first (None: all)."""
    return list(session.scalars(in_scope(
        select(SignUp).where(SignUp.state.in_(OPEN_SIGN_UPS))
        .order_by(SignUp.neighbourhood_id, SignUp.created_at, SignUp.id),
        SignUp.neighbourhood_id, neighbourhood_ids)))


def awaiting_approval(session: Session, neighbourhood_ids: set[int] | None) -> int:
    return session.scalar(in_scope(
        select(func.count()).select_from(SignUp).where(SignUp.state == SignUpState.VERIFIED),
        SignUp.neighbourhood_id, neighbourhood_ids))


def approve(session: Session, sign_up_id: int, user_id: int | None, now: datetime
            ) -> Participant:
    """Create the participant (or complete a caller recorded for review), with the call consent
    given on the web page; once only, whoever clicks first."""
    moved = session.execute(
        update(SignUp).where(SignUp.id == sign_up_id, SignUp.state == SignUpState.VERIFIED)
        .values(state=SignUpState.APPROVED, decided_at=now, decided_by_id=user_id)
        .execution_options(synchronize_session=False)).rowcount
    if not moved:
        raise NotAwaitingApproval(f"sign-up {sign_up_id} is not awaiting approval")
    sign_up = session.get(SignUp, sign_up_id)
    session.refresh(sign_up)
    existing = session.scalar(select(Participant).where(Participant.phone == sign_up.phone))
    if existing is not None and not existing.needs_review:
        raise AlreadyKnown("the number became a participant meanwhile")
    save(session, ParticipantData(
        name=sign_up.name, phone=sign_up.phone, postcode=sign_up.postcode,
        house_number=sign_up.house_number, neighbourhood_id=sign_up.neighbourhood_id,
        is_helper=sign_up.is_helper, is_asker=sign_up.is_asker,
        categories=frozenset(sign_up.category_slugs), languages=sign_up.languages,
        availability=sign_up.availability, call_consent=True), now, source="web")
    participant = session.scalar(select(Participant).where(Participant.phone == sign_up.phone))
    participant.consent_at, participant.consent_source = sign_up.consent_at, CONSENT_SOURCE
    session.flush()
    sign_up.participant_id = participant.id
    how = "approved" if user_id is not None else "auto-approved"
    audit.record(session, user_id=user_id, object_type="participant",
                 action="approve_sign_up" if user_id is not None else "auto_approve_sign_up",
                 object_id=participant.id,
                 summary=f"{sign_up.name} ({mask(sign_up.phone)}) web sign-up {how}", now=now)
    log.info("sign-up %s %s: participant %s", sign_up.id, how, participant.id)
    _forget_person(sign_up)
    return participant


def reject(session: Session, sign_up_id: int, user_id: int, now: datetime) -> SignUp:
    sign_up = session.get(SignUp, sign_up_id)
    moved = session.execute(
        update(SignUp).where(SignUp.id == sign_up_id, SignUp.state.in_(OPEN_SIGN_UPS))
        .values(state=SignUpState.REJECTED, decided_at=now, decided_by_id=user_id,
                code_nonce=None, call_requested_at=None)
        .execution_options(synchronize_session=False)).rowcount
    if not moved or sign_up is None:
        raise NotAwaitingApproval(f"sign-up {sign_up_id} is not open")
    audit.record(session, user_id=user_id, action="reject_sign_up", object_type="sign_up",
                 object_id=sign_up.id,
                 summary=f"{sign_up.name} ({mask(sign_up.phone)}) web sign-up rejected", now=now)
    session.refresh(sign_up)
    _forget_person(sign_up)
    return sign_up


def _forget_person(sign_up: SignUp) -> None:
    """Once decided, the sign-up is only a record of how someone joined (or that they did not)."""
    sign_up.name = sign_up.phone = sign_up.postcode = sign_up.house_number = ""
