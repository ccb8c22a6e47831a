"""Web sign-ups as a service, on SQLite and PostgreSQL: verification by a phoned code, limits,
duplicates, approval (by a coordinator or automatically), the report's figures and the signed
webhook that reads the code aloud."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bhc.db import utcnow
from bhc.models import AuditLog, Neighbourhood, Participant, SignUp, SignUpState
from bhc.people.participants import ParticipantData, save
from bhc.reports import monthly as report
from bhc.signups import services as signups
from tests.integration.conftest import CALLER, EXCHANGE

PHONE = "+31612345678"


def data(**changes) -> signups.SignUpData:
    fields = dict(name="Joke Jansen", phone="06 1234 5678", postcode="2551 ab",
                  house_number="12a", is_helper=True, is_asker=False,
                  categories=frozenset({"groceries", "chat", "no-such-category"}),
                  languages=("nl", "en"), day_parts=("weekday-morning",), language="nl")
    fields.update(changes)
    return signups.SignUpData(**fields)


def sign_up(exchange, now=None, **changes) -> int:
    with exchange.db.session() as session:
        return signups.submit(session, data(**changes), now or utcnow()).id


def secret(exchange) -> str:
    return signups.secret_of(exchange.config)


def code_of(exchange, sign_up_id: int) -> str:
    with exchange.db.session() as session:
        return signups.code_for(secret(exchange), session.get(SignUp, sign_up_id).code_nonce)


def verify(exchange, sign_up_id, code, now=None) -> SignUp:
    with exchange.db.session() as session:
        return signups.verify(session, sign_up_id, code, secret(exchange), now or utcnow())


def load(exchange, sign_up_id) -> SignUp:
    with exchange.db.session() as session:
        return session.get(SignUp, sign_up_id)


def participant(exchange, phone=PHONE) -> Participant | None:
    with exchange.db.session() as session:
        return session.scalar(select(Participant).where(Participant.phone == phone)
                              .options(selectinload(Participant.categories)))


def approve(exchange, sign_up_id, now=None):
    with exchange.db.session() as session:
        return signups.approve(session, sign_up_id, None, now or utcnow()).id


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_a_sign_up_inside_a_neighbourhood_is_phoned_by_the_engine(exchange, carrier):
    sign_up_id = sign_up(exchange)
    stored = load(exchange, sign_up_id)
    assert stored.state == SignUpState.PENDING_VERIFICATION
    assert (stored.phone, stored.postcode, stored.neighbourhood_id) == (PHONE, "2551AB", 1)
    assert stored.categories == "chat;groceries"  # unknown categories are dropped
    assert stored.availability == "mo-fr 09:00-12:00" and stored.languages == "nl;en"

    exchange.engine.tick()
    exchange.engine.tick()  # placed once, not again in the next step
    assert [(c["to"], c["from_"]) for c in carrier.placed] == [(PHONE, EXCHANGE)]
    url = urlparse(carrier.placed[0]["url"])
    assert url.path == "/ivr/verify/code" and parse_qs(url.query) == {"signup": [str(sign_up_id)]}
    assert load(exchange, sign_up_id).call_sid == carrier.placed[0]["sid"]


def test_a_carrier_failure_leaves_the_sign_up_ready_to_be_called_again(exchange, carrier):
    sign_up_id = sign_up(exchange)
    carrier.fail_next = 1
    exchange.engine.tick()
    assert load(exchange, sign_up_id).call_status == "failed"
    with exchange.db.session() as session:
        signups.request_call(session, session.get(SignUp, sign_up_id),
                             utcnow() + timedelta(minutes=2))
    exchange.engine.tick()
    assert len(carrier.placed) == 1


def test_the_right_code_verifies_and_approval_creates_the_participant_with_consent(exchange):
    start = utcnow()
    sign_up_id = sign_up(exchange, now=start)
    verified = verify(exchange, sign_up_id, code_of(exchange, sign_up_id),
                      now=start + timedelta(minutes=3))
    assert verified.state == SignUpState.VERIFIED
    assert participant(exchange) is None  # not before a coordinator approves

    approve(exchange, sign_up_id, now=start + timedelta(hours=1))
    person = participant(exchange)
    assert (person.name, person.postcode, person.house_number) == ("Joke Jansen", "2551AB", "12a")
    assert person.is_helper and not person.is_asker and person.category_slugs == {"groceries",
                                                                                  "chat"}
    assert person.source == "web" and person.call_consent
    assert (person.consent_at, person.consent_source) == (start, "web sign-up")
    assert load(exchange, sign_up_id).state == SignUpState.APPROVED
    with exchange.db.session() as session:
        entry = session.scalar(select(AuditLog).where(AuditLog.action == "auto_approve_sign_up"))
    assert entry.object_id == person.id and PHONE not in entry.summary


def test_a_decided_sign_up_keeps_no_personal_data(exchange):
    approved = sign_up(exchange)
    verify(exchange, approved, code_of(exchange, approved))
    approve(exchange, approved)
    rejected = sign_up(exchange, phone="+31612345679")
    with exchange.db.session() as session:
        signups.reject(session, rejected, None, utcnow())
    for sign_up_id in (approved, rejected):
        row = load(exchange, sign_up_id)
        assert (row.name, row.phone, row.postcode, row.house_number) == ("", "", "", "")
    assert load(exchange, approved).participant_id == participant(exchange).id


def test_a_sign_up_never_confirmed_is_deleted_after_a_week(exchange):
    start = utcnow()
    stale = sign_up(exchange, now=start)
    fresh = sign_up(exchange, now=start + timedelta(days=6), phone="+31612345679")
    sign_up(exchange, now=start + timedelta(days=7, minutes=1), phone="+31612345670")
    assert load(exchange, stale) is None and load(exchange, fresh) is not None


def test_approving_twice_creates_one_participant(exchange):
    sign_up_id = sign_up(exchange)
    verify(exchange, sign_up_id, code_of(exchange, sign_up_id))
    approve(exchange, sign_up_id)
    with pytest.raises(signups.NotAwaitingApproval):
        approve(exchange, sign_up_id)


def test_a_code_typed_with_spaces_counts(exchange):
    sign_up_id = sign_up(exchange)
    code = code_of(exchange, sign_up_id)
    assert verify(exchange, sign_up_id, f"{code[:3]} {code[3:]}").state == SignUpState.VERIFIED


def test_wrong_codes_count_down_and_the_fifth_locks_the_code(exchange):
    start = utcnow()
    sign_up_id = sign_up(exchange, now=start)
    code = code_of(exchange, sign_up_id)
    for left in (4, 3, 2, 1):
        with exchange.db.session() as session:
            with pytest.raises(signups.WrongCode) as refused:
                signups.verify(session, sign_up_id, wrong(code), secret(exchange), start)
        assert refused.value.attempts_left == left
    for typed in (wrong(code), code):  # even the right code is refused now
        with exchange.db.session() as session:
            with pytest.raises(signups.TooManyWrongCodes):
                signups.verify(session, sign_up_id, typed, secret(exchange), start)

    # Calling again gives a new code, and five new attempts.
    with exchange.db.session() as session:
        signups.request_call(session, session.get(SignUp, sign_up_id),
                             start + timedelta(minutes=2))
    new_code = code_of(exchange, sign_up_id)
    assert load(exchange, sign_up_id).code_attempts == 0
    assert verify(exchange, sign_up_id, new_code,
                  now=start + timedelta(minutes=3)).state == SignUpState.VERIFIED


def test_a_code_expires_after_fifteen_minutes(exchange):
    start = utcnow()
    sign_up_id = sign_up(exchange, now=start)
    code = code_of(exchange, sign_up_id)
    with pytest.raises(signups.CodeExpired):
        verify(exchange, sign_up_id, code, now=start + timedelta(minutes=15, seconds=1))
    assert verify(exchange, sign_up_id, code,
                  now=start + timedelta(minutes=14)).state == SignUpState.VERIFIED


def test_calling_again_keeps_a_valid_code_and_is_rate_limited(exchange):
    start = utcnow()
    sign_up_id = sign_up(exchange, now=start)
    code = code_of(exchange, sign_up_id)

    def again(after):
        with exchange.db.session() as session:
            signups.request_call(session, session.get(SignUp, sign_up_id), start + after)

    with pytest.raises(signups.CallTooSoon):
        again(timedelta(seconds=30))
    again(timedelta(minutes=2))
    assert code_of(exchange, sign_up_id) == code  # the resident may have misheard it
    again(timedelta(minutes=4))
    with pytest.raises(signups.TooManyCalls):
        again(timedelta(minutes=6))  # the fourth call within the hour
    again(timedelta(minutes=61))
    again(timedelta(minutes=63))
    again(timedelta(minutes=65))  # the sixth today
    with pytest.raises(signups.TooManyCalls):
        again(timedelta(minutes=130))
    again(timedelta(hours=24, minutes=1))


def test_a_postcode_outside_every_neighbourhood_is_refused(exchange):
    with pytest.raises(signups.OutsideNeighbourhoods) as refused:
        sign_up(exchange, postcode="9999 zz")
    assert refused.value.postcode == "9999ZZ"


def test_the_most_specific_neighbourhood_takes_the_postcode(exchange):
    with exchange.db.session() as session:
        border = Neighbourhood(name="Border", postcodes="2551 AB", created_at=utcnow())
        session.add(border)
        session.flush()
        assert signups.find_neighbourhood(session, "2551AB").name == "Border"
        assert signups.find_neighbourhood(session, "2551AC").name == "Segbroek"


def test_a_registered_number_is_refused_without_details(exchange):
    with pytest.raises(signups.AlreadyKnown) as refused:
        sign_up(exchange, phone=CALLER)
    assert CALLER not in str(refused.value)


def test_a_second_sign_up_while_pending_updates_it_and_calls_again(exchange, carrier):
    start = utcnow()
    first = sign_up(exchange, now=start)
    exchange.engine.tick()
    second = sign_up(exchange, now=start + timedelta(minutes=2), name="Joke de Jong")
    assert second == first
    assert load(exchange, first).name == "Joke de Jong"
    exchange.engine.tick()
    assert [c["to"] for c in carrier.placed] == [PHONE, PHONE]


def test_a_number_awaiting_approval_cannot_sign_up_again(exchange):
    sign_up_id = sign_up(exchange)
    verify(exchange, sign_up_id, code_of(exchange, sign_up_id))
    with pytest.raises(signups.AlreadyKnown):
        sign_up(exchange, now=utcnow() + timedelta(minutes=5))


def test_too_many_forms_from_one_address_are_refused(exchange):
    now = utcnow()
    for _ in range(signups.SUBMITS_PER_CLIENT_PER_HOUR):
        with exchange.db.session() as session:
            signups.count_submission(session, "client-a", now)
    with exchange.db.session() as session:
        with pytest.raises(signups.TooManySignUps):
            signups.count_submission(session, "client-a", now)
        signups.count_submission(session, "client-b", now)
    with exchange.db.session() as session:
        signups.count_submission(session, "client-a", now + timedelta(minutes=61))


def test_auto_approval_makes_a_verified_sign_up_a_participant_at_once(exchange):
    with exchange.db.session() as session:
        session.get(Neighbourhood, 1).auto_approve = True
    sign_up_id = sign_up(exchange)
    assert verify(exchange, sign_up_id, code_of(exchange, sign_up_id)).state == \
        SignUpState.APPROVED
    person = participant(exchange)
    assert person.source == "web" and person.consent_source == "web sign-up"
    with exchange.db.session() as session:
        assert session.scalar(select(AuditLog.user_id).where(
            AuditLog.action == "auto_approve_sign_up", AuditLog.object_id == person.id)) is None


def test_a_caller_recorded_for_review_can_sign_up_and_is_completed(exchange):
    with exchange.db.session() as session:
        session.add(Participant(phone=PHONE, neighbourhood_id=1, needs_review=True,
                                source="phone", created_at=utcnow()))
    sign_up_id = sign_up(exchange)
    verify(exchange, sign_up_id, code_of(exchange, sign_up_id))
    approve(exchange, sign_up_id)
    person = participant(exchange)
    assert not person.needs_review and person.name == "Joke Jansen" and person.source == "phone"


def test_the_report_counts_participants_per_1000_households_and_sign_ups_by_channel(exchange):
    month_start, _ = report.month_bounds("2026-10")
    inside = month_start + timedelta(days=3)
    with exchange.db.session() as session:
        for number, source in enumerate(("web", "web", "phone", "import", "coordinator")):
            save(session, ParticipantData(
                name=f"P{number}", phone=f"+3161111000{number}", postcode="2551AB",
                house_number="1", neighbourhood_id=1, is_helper=False, is_asker=True,
                categories=frozenset(), languages="nl", availability="", call_consent=True),
                inside, source=source)
        session.add(Participant(phone="+31611110009", neighbourhood_id=1, needs_review=True,
                                source="phone", created_at=inside))  # not a sign-up
    with exchange.db.session() as session:
        data = report.monthly_report(session, "2026-10")
    row = data["neighbourhoods"][0]
    # The exchange fixture's own participants joined today, after October 2026.
    assert row["signups"] == {"web": 2, "phone": 1, "coordinator": 2}
    assert data["total"]["signups"] == row["signups"]
    assert (row["participants"], row["participants_per_1000_households"]) == (5, 0.42)
    assert (data["total"]["participants"],
            data["total"]["participants_per_1000_households"]) == (5, 0.42)


# --- the webhook that reads the code ---------------------------------------------------------


def said(response) -> list[str]:
    return ["".join(node.itertext()) for node in ET.fromstring(response.data).iter("Say")]


def test_the_verification_call_reads_the_code_twice_digit_by_digit(exchange, phone):
    sign_up_id = sign_up(exchange)
    code = code_of(exchange, sign_up_id)
    digits = ", ".join(code)
    call = dict(CallSid="CA" + "9" * 32, From=EXCHANGE, To=PHONE)
    response = phone.post(f"/ivr/verify/code?signup={sign_up_id}", **call)
    texts = said(response)
    assert texts[0].startswith("Hallo, u spreekt met de burenhulpcentrale.")
    assert f"Uw code is: {digits}." in texts
    assert f"Nog een keer, uw code is: {digits}." in texts
    gather = ET.fromstring(response.data).find("Gather")
    assert gather.get("numDigits") == "1" and "try=2" in gather.get("action")

    again = phone.post(f"/ivr/verify/code?signup={sign_up_id}&try=2", Digits="*", **call)
    assert f"Uw code is: {digits}." in said(again)
    assert not said(again)[0].startswith("Hallo")
    silence = phone.post(f"/ivr/verify/code?signup={sign_up_id}&try=2", **call)
    assert said(silence) == ["Vul de code in op de website. Tot ziens."]
    assert ET.fromstring(silence.data).find("Hangup") is not None


def test_the_code_is_read_in_english_for_an_english_sign_up(exchange, phone):
    sign_up_id = sign_up(exchange, language="en")
    response = phone.post(f"/ivr/verify/code?signup={sign_up_id}", CallSid="CA1")
    assert f"Your code is: {', '.join(code_of(exchange, sign_up_id))}." in said(response)


def test_the_verification_webhook_refuses_unsigned_requests(exchange, phone):
    sign_up_id = sign_up(exchange)
    response = phone.post(f"/ivr/verify/code?signup={sign_up_id}", signature="bad", CallSid="X")
    assert response.status_code == 403
    assert phone.client.post(f"/ivr/verify/code?signup={sign_up_id}").status_code == 403


def test_a_call_after_verification_reads_no_code(exchange, phone):
    sign_up_id = sign_up(exchange)
    verify(exchange, sign_up_id, code_of(exchange, sign_up_id))
    texts = said(phone.post(f"/ivr/verify/code?signup={sign_up_id}", CallSid="CA1"))
    assert texts == ["Deze code is niet meer nodig: uw aanmelding is al bevestigd, of de code "
                     "is verlopen. Tot ziens."]


def test_a_busy_number_is_recorded_for_the_page(exchange, phone, carrier):
    sign_up_id = sign_up(exchange)
    exchange.engine.tick()
    sid = carrier.placed[0]["sid"]
    response = phone.post(f"/ivr/verify/status?signup={sign_up_id}", CallSid=sid,
                          CallStatus="busy")
    assert response.status_code == 204
    assert load(exchange, sign_up_id).call_status == "busy"
