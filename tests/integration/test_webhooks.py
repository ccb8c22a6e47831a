"""The IVR webhooks, driven the way the carrier drives them: signed form posts."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

from bhc.calls import caller as use_cases
from bhc.calls import volunteer
from bhc.db import utcnow
from bhc.models import (
    AuditLog,
    BlockedNumber,
    CallLeg,
    ExchangeNumber,
    HelpRequest,
    Match,
    Participant,
)
from tests.integration.conftest import CALLER, EXCHANGE, SignedClient
from tests.integration.followups.test_time_edges import statements_of

CALL = "CA" + "c" * 32


def said(response) -> str:
    root = ET.fromstring(response.data)
    assert root.find(".//Response") is None, "a Response nested in a Response"
    return "\n".join("".join(node.itertext()) for node in root.iter("Say"))  # with <prosody>


def verbs(response) -> list[str]:
    return [node.tag for node in ET.fromstring(response.data).iter() if node.tag != "Response"]


def start(phone, sid=CALL, caller=CALLER):
    return phone.post("/ivr/voice", CallSid=sid, To=EXCHANGE, From=caller)


def request_of(exchange, sid=CALL) -> HelpRequest:
    with exchange.db.session() as session:
        return session.scalar(select(HelpRequest).where(HelpRequest.call_sid == sid))


def test_a_bad_or_missing_signature_is_refused(phone):
    form = dict(CallSid=CALL, To=EXCHANGE, From=CALLER)
    assert phone.post("/ivr/voice", signature="bm90IHZhbGlk", **form).status_code == 403
    assert phone.client.post("/ivr/voice", data=form).status_code == 403


def test_a_signature_for_other_parameters_is_refused(phone):
    signature = phone.validator.compute_signature(phone.base + "/ivr/voice",
                                                  dict(CallSid=CALL, To=EXCHANGE, From="+3161"))
    response = phone.post("/ivr/voice", signature=signature, CallSid=CALL, To=EXCHANGE,
                          From=CALLER)
    assert response.status_code == 403


def test_caller_hears_greeting_and_the_menu_from_the_database(phone):
    response = start(phone)
    text = said(response)
    assert "Welkom bij de burenhulpcentrale van Segbroek." in text
    assert "Druk 1 voor boodschappen doen." in text
    assert "Druk 7 voor helpdesk (computer, telefoon)." in text
    assert "Press 9 for English." in text
    assert verbs(response)[0] == "Gather"


def test_unknown_exchange_number_gets_a_polite_message_and_a_hangup(phone, exchange):
    response = phone.post("/ivr/voice", CallSid=CALL, To="+31709999999", From=CALLER)
    assert "Dit nummer wordt niet gebruikt voor burenhulp" in said(response)
    assert verbs(response)[-1] == "Hangup"
    assert request_of(exchange) is None


def test_unregistered_caller_may_ask_and_is_recorded_for_review(phone, exchange):
    start(phone, caller="0612999999")
    with exchange.db.session() as session:
        newcomer = session.scalar(select(Participant).where(Participant.phone == "+31612999999"))
        assert newcomer.needs_review and newcomer.is_asker and not newcomer.is_helper
    assert request_of(exchange).caller_id == newcomer.id


def test_withheld_number_is_asked_for_a_callback_number(phone, exchange):
    response = start(phone, caller="anonymous")
    assert "Uw nummer is afgeschermd" in said(response)
    response = phone.post("/ivr/caller/number?try=1", CallSid=CALL, Digits="0612888888#")
    assert "Druk 1 voor boodschappen doen." in said(response)
    with exchange.db.session() as session:
        assert session.get(HelpRequest, request_of(exchange).id).caller.phone == "+31612888888"


def test_a_mistyped_callback_number_is_asked_again_then_the_call_goes_on(phone, exchange):
    start(phone, caller="anonymous")
    again = phone.post("/ivr/caller/number?try=1", CallSid=CALL, Digits="12#")
    assert "Dat nummer werd niet herkend." in said(again)
    assert "Uw nummer is afgeschermd" in said(again)
    on = phone.post("/ivr/caller/number?try=2", CallSid=CALL, Digits="")
    assert "We gaan verder zonder uw nummer." in said(on)
    assert "Druk 1 voor boodschappen doen." in said(on)


def test_retried_voice_webhook_opens_one_request(phone, exchange):
    first, second = start(phone), start(phone)
    assert first.data == second.data
    with exchange.db.session() as session:
        assert session.scalar(select(func.count()).select_from(HelpRequest)) == 1


def test_a_call_to_a_number_that_is_no_exchange_is_told_so_and_opens_nothing(phone, exchange):
    for to in ("+31702999999", "not a number"):
        answer = phone.post("/ivr/voice", CallSid=CALL, To=to, From=CALLER)
        assert said(answer) == "Dit nummer wordt niet gebruikt voor burenhulp. Tot ziens."
    with exchange.db.session() as session:
        assert session.scalar(select(func.count()).select_from(HelpRequest)) == 0


def test_a_retried_first_webhook_keeps_its_request_after_the_exchange_number_went(phone,
                                                                                  exchange):
    """The coordinator moved the neighbourhood to another number between the carrier's first
    try and its retry: the call already opened its request, and hears its menu again."""
    first = start(phone)
    with exchange.db.session() as session:
        session.execute(update(ExchangeNumber).values(number="+31702999999"))
    assert start(phone).data == first.data
    with exchange.db.session() as session:
        assert session.scalar(select(func.count()).select_from(HelpRequest)) == 1


def test_wrong_key_repeats_the_menu_then_a_right_key_starts_the_search(phone, exchange):
    start(phone)
    wrong = phone.post("/ivr/menu?try=1", CallSid=CALL, Digits="0")
    assert "Sorry, die toets hoort niet bij het menu." in said(wrong)
    assert "Druk 1 voor boodschappen doen." in said(wrong)
    right = phone.post("/ivr/menu?try=2", CallSid=CALL, Digits="1")
    assert "U vraagt hulp bij boodschappen doen." in said(right)
    assert "Enqueue" in verbs(right)
    assert request_of(exchange).state == "searching"


def test_silence_three_times_ends_with_a_friendly_goodbye(phone, exchange):
    start(phone)
    assert "Ik heb geen keuze gehoord." in said(phone.post("/ivr/menu?try=1", CallSid=CALL))
    phone.post("/ivr/menu?try=2", CallSid=CALL)
    last = phone.post("/ivr/menu?try=3", CallSid=CALL)
    assert "Belt u later nog eens?" in said(last)
    assert verbs(last)[-1] == "Hangup"
    assert request_of(exchange).state == "abandoned"


def test_nine_switches_the_menu_to_english(phone, exchange):
    start(phone)
    response = phone.post("/ivr/menu?try=1", CallSid=CALL, Digits="9")
    assert "Press 1 for groceries." in said(response)
    assert "Druk 9 voor Nederlands." in said(response)
    chosen = phone.post("/ivr/menu?try=1", CallSid=CALL, Digits="3")
    assert "You asked for help with transport." in said(chosen)


def test_retried_menu_choice_changes_nothing(phone, exchange):
    start(phone)
    first = phone.post("/ivr/menu?try=1", CallSid=CALL, Digits="1")
    before = request_of(exchange)
    second = phone.post("/ivr/menu?try=1", CallSid=CALL, Digits="1")
    after = request_of(exchange)
    assert first.data == second.data
    assert (before.state, before.searching_since) == (after.state, after.searching_since)


def search_started(phone, exchange, carrier):
    start(phone)
    phone.post("/ivr/menu?try=1", CallSid=CALL, Digits="1")
    exchange.engine.tick()
    assert len(carrier.placed) == 1
    with exchange.db.session() as session:
        return session.scalars(select(CallLeg)).one()


def test_engine_rings_one_volunteer_who_covers_the_category(phone, exchange, carrier):
    leg = search_started(phone, exchange, carrier)
    placed = carrier.placed[0]
    assert placed["to"] in ("+31612340001", "+31612340002")  # not the caller, not transport
    assert placed["from_"] == EXCHANGE
    assert placed["url"].endswith(f"/ivr/volunteer/offer?leg={leg.id}")
    exchange.engine.tick()
    assert len(carrier.placed) == 1, "sequential: nobody else while the first one rings"


def test_volunteer_hears_the_offer_and_1_connects_them(phone, exchange, carrier):
    leg = search_started(phone, exchange, carrier)
    offer = phone.post(f"/ivr/volunteer/offer?leg={leg.id}", CallSid=carrier.placed[0]["sid"],
                       AnsweredBy="human")
    assert "Een buurtbewoner vraagt hulp bij boodschappen doen." in said(offer)
    accepted = phone.post(f"/ivr/volunteer/answer?leg={leg.id}&try=1",
                          CallSid=carrier.placed[0]["sid"], Digits="1")
    root = ET.fromstring(accepted.data)
    assert root.find("Dial/Queue").text == f"request-{leg.request_id}"
    assert request_of(exchange).state == "matched"
    with exchange.db.session() as session:
        match = session.scalars(select(Match)).one()
        assert match.leg_id == leg.id and match.time_to_match_s >= 0


def test_retried_accept_connects_again_without_a_second_match(phone, exchange, carrier):
    leg = search_started(phone, exchange, carrier)
    sid = carrier.placed[0]["sid"]
    first = phone.post(f"/ivr/volunteer/answer?leg={leg.id}&try=1", CallSid=sid, Digits="1")
    second = phone.post(f"/ivr/volunteer/answer?leg={leg.id}&try=1", CallSid=sid, Digits="1")
    assert first.data == second.data
    with exchange.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Match)) == 1


def test_decline_moves_on_to_the_next_volunteer(phone, exchange, carrier):
    leg = search_started(phone, exchange, carrier)
    declined = phone.post(f"/ivr/volunteer/answer?leg={leg.id}&try=1",
                          CallSid=carrier.placed[0]["sid"], Digits="2")
    assert "We vragen een andere buur" in said(declined)
    exchange.engine.tick()
    assert len(carrier.placed) == 2
    assert carrier.placed[1]["to"] != carrier.placed[0]["to"]


def test_status_callbacks_out_of_order_or_repeated_change_nothing(phone, exchange, carrier):
    leg = search_started(phone, exchange, carrier)
    path = f"/ivr/volunteer/status?leg={leg.id}"
    sid = carrier.placed[0]["sid"]
    phone.post(path, CallSid=sid, CallStatus="no-answer")
    phone.post(path, CallSid=sid, CallStatus="ringing")
    phone.post(path, CallSid=sid, CallStatus="no-answer")
    with exchange.db.session() as session:
        stored = session.get(CallLeg, leg.id)
        assert (stored.status, stored.outcome) == ("no-answer", "no_answer")


def test_caller_hanging_up_cancels_the_ringing_volunteer(phone, exchange, carrier):
    search_started(phone, exchange, carrier)
    phone.post("/ivr/caller/queue-ended", CallSid=CALL, QueueResult="hangup")
    assert request_of(exchange).state == "abandoned"
    exchange.engine.tick()
    assert carrier.ended == [(carrier.placed[0]["sid"], False)]


def test_a_volunteer_who_answers_after_the_caller_left_hears_it(phone, exchange, carrier):
    leg = search_started(phone, exchange, carrier)
    phone.post("/ivr/caller/queue-ended", CallSid=CALL, QueueResult="hangup")
    offer = phone.post(f"/ivr/volunteer/offer?leg={leg.id}", CallSid=carrier.placed[0]["sid"],
                       AnsweredBy="human")
    assert "niet meer aan de lijn" in said(offer)


def test_nobody_left_to_ring_ends_unmatched_and_the_caller_is_told(phone, exchange, carrier):
    start(phone)
    phone.post("/ivr/menu?try=1", CallSid=CALL, Digits="5")  # nobody covers "a chat"
    exchange.engine.tick()
    assert request_of(exchange).state == "unmatched"
    assert request_of(exchange).outcome == "no_candidates"
    assert carrier.redirected[0][0] == CALL
    message = phone.post("/ivr/caller/unmatched", CallSid=CALL)
    assert "geen buur beschikbaar" in said(message)


def test_a_carrier_error_moves_on_to_the_next_volunteer(phone, exchange, carrier):
    carrier.fail_next = 1
    start(phone)
    phone.post("/ivr/menu?try=1", CallSid=CALL, Digits="1")
    exchange.engine.tick()
    exchange.engine.tick()
    assert len(carrier.placed) == 1
    with exchange.db.session() as session:
        outcomes = [leg.outcome for leg in session.scalars(select(CallLeg).order_by(CallLeg.id))]
    assert outcomes == ["failed", None]


def test_hanging_up_in_the_menu_ends_the_request(phone, exchange):
    start(phone)
    phone.post("/ivr/caller/status", CallSid=CALL, CallStatus="completed")
    request = request_of(exchange)
    assert (request.state, request.outcome) == ("abandoned", "hung_up_in_menu")


def test_waiting_longer_than_max_wait_ends_the_search_and_stops_the_ringing(
    phone, exchange, carrier
):
    search_started(phone, exchange, carrier)
    with exchange.db.session() as session:
        request = session.scalar(select(HelpRequest))
        request.searching_since -= timedelta(seconds=exchange.config.matching.max_wait_s + 1)
    exchange.engine.tick()
    request = request_of(exchange)
    assert (request.state, request.outcome) == ("unmatched", "no_answer")
    assert carrier.redirected == [(CALL, phone.base + "/ivr/caller/unmatched")]
    assert carrier.ended == [(carrier.placed[0]["sid"], False)]
    held = phone.post("/ivr/caller/hold", CallSid=CALL)
    assert verbs(held) == ["Leave"], "a caller still on hold leaves the queue"


def test_volunteer_pressing_9_is_paused_for_a_week_and_hears_so(phone, exchange, carrier):
    leg = search_started(phone, exchange, carrier)
    offer = phone.post(f"/ivr/volunteer/offer?leg={leg.id}", CallSid=carrier.placed[0]["sid"],
                       AnsweredBy="human")
    assert "Druk 9 om een week geen oproepen te krijgen." in said(offer)
    paused = phone.post(f"/ivr/volunteer/answer?leg={leg.id}&try=1",
                        CallSid=carrier.placed[0]["sid"], Digits="9")
    assert "U wordt een week niet gebeld." in said(paused)
    with exchange.db.session() as session:
        volunteer = session.get(CallLeg, leg.id).volunteer
        assert volunteer.paused_until - utcnow() > timedelta(days=6)
        assert session.scalars(select(AuditLog)).one().action == "paused by phone for a week"
    exchange.engine.tick()
    assert carrier.placed[1]["to"] != carrier.placed[0]["to"], "the search goes on"


def test_volunteer_pressing_0_is_never_rung_again(phone, exchange, carrier):
    leg = search_started(phone, exchange, carrier)
    stopped = phone.post(f"/ivr/volunteer/answer?leg={leg.id}&try=1",
                         CallSid=carrier.placed[0]["sid"], Digits="0")
    assert "U wordt niet meer gebeld." in said(stopped)
    with exchange.db.session() as session:
        assert session.get(CallLeg, leg.id).volunteer.opted_out
    phone.post("/ivr/voice", CallSid="CA" + "d" * 32, To=EXCHANGE, From=CALLER)
    phone.post("/ivr/menu?try=1", CallSid="CA" + "d" * 32, Digits="1")
    exchange.engine.tick()
    assert carrier.placed[0]["to"] not in [p["to"] for p in carrier.placed[1:]]


def test_a_blocked_number_hears_a_short_message_and_opens_no_request(phone, exchange):
    with exchange.db.session() as session:
        session.add(BlockedNumber(number=CALLER, reason="test", blocked_at=utcnow()))
    response = start(phone)
    assert "Met dit nummer kunt u de burenhulpcentrale niet gebruiken." in said(response)
    assert verbs(response)[-1] == "Hangup"
    assert request_of(exchange) is None


LIMIT = "U hebt dit uur al een paar keer gebeld."
STRANGER = "+31612999999"  # not registered: the first call records them for review
BOTH_CALLERS = pytest.mark.parametrize("caller", [CALLER, STRANGER],
                                       ids=["registered", "unregistered"])


def ask_for_groceries(phone, sid: str, caller: str = CALLER) -> None:
    assert "Welkom" in said(start(phone, sid=sid, caller=caller))
    chosen = phone.post("/ivr/menu?try=1", CallSid=sid, Digits="1")
    assert "U vraagt hulp bij boodschappen doen." in said(chosen)


def fumble_the_menu(phone, sid: str, caller: str = CALLER) -> None:
    """A wrong key, silence and a wrong key again: the call ends in the menu."""
    assert "Welkom" in said(start(phone, sid=sid, caller=caller))
    for attempt, digits in enumerate(("0", "", "0"), start=1):
        response = phone.post(f"/ivr/menu?try={attempt}", CallSid=sid, Digits=digits)
    assert "Het is niet gelukt uw keuze door te krijgen." in said(response)


@BOTH_CALLERS
def test_too_many_requests_in_an_hour_hear_a_friendly_limit(phone, exchange, caller):
    limit = exchange.config.ivr.max_requests_per_hour
    for n in range(limit):
        ask_for_groceries(phone, f"CA{n:032d}", caller)
    response = start(phone, sid="CA" + "e" * 32, caller=caller)
    assert LIMIT in said(response)
    assert verbs(response)[-1] == "Hangup"
    assert request_of(exchange, "CA" + "e" * 32) is None


@BOTH_CALLERS
def test_calls_that_ended_in_the_menu_do_not_count_towards_the_limit(phone, exchange, caller):
    """A resident who fumbles the menu four times in an hour, and once hangs up in it, may
    still ask for help as often as anyone."""
    limit = exchange.config.ivr.max_requests_per_hour
    for n in range(limit):
        fumble_the_menu(phone, f"CF{n:032d}", caller)
    assert request_of(exchange, f"CF{0:032d}").outcome == "no_choice"
    start(phone, sid="CH" + "0" * 32, caller=caller)
    phone.post("/ivr/caller/status", CallSid="CH" + "0" * 32, CallStatus="completed")
    assert request_of(exchange, "CH" + "0" * 32).outcome == "hung_up_in_menu"
    for n in range(limit):
        ask_for_groceries(phone, f"CA{n:032d}", caller)
    assert LIMIT in said(start(phone, sid="CA" + "e" * 32, caller=caller))


@BOTH_CALLERS
def test_the_hour_rolls_a_request_made_exactly_an_hour_ago_still_counts(exchange, caller):
    limit = exchange.config.ivr.max_requests_per_hour
    now = datetime(2026, 11, 3, 10, 0)

    def request_at(sid: str, moment: datetime) -> None:
        with exchange.db.session() as session:
            request = use_cases.start_call(session, call_sid=sid, to=EXCHANGE, from_=caller,
                                           now=moment, max_per_hour=limit)
            chosen = use_cases.choose(session, request, "1", moment, "9")
            assert isinstance(chosen, use_cases.Chosen)

    request_at("CA" + "0" * 32, now - timedelta(hours=1))
    for n in range(1, limit):
        request_at(f"CA{n:032d}", now - timedelta(minutes=30))
    with exchange.db.session() as session, pytest.raises(use_cases.TooManyRequests):
        use_cases.start_call(session, call_sid="CA" + "e" * 32, to=EXCHANGE, from_=caller,
                         now=now, max_per_hour=limit)
    with exchange.db.session() as session:
        use_cases.start_call(session, call_sid="CA" + "e" * 32, to=EXCHANGE, from_=caller,
                         now=now + timedelta(microseconds=1), max_per_hour=limit)
    assert request_of(exchange, "CA" + "e" * 32).state == "menu"


@BOTH_CALLERS
def test_an_inbound_call_is_checked_and_recognised_in_one_statement(exchange, caller):
    """Which neighbourhood? A retried webhook's request? Blocked? Too many requests this hour?
    Who is it? One SELECT on every call's first webhook; with the request's INSERT, two
    statements, and one more for the row of a new asker."""
    new_asker = caller == STRANGER
    with exchange.db.session() as session:
        assert (session.scalar(select(Participant.id).where(Participant.phone == caller))
                is None) == new_asker
    opened = statements_of(exchange.db, lambda session: use_cases.start_call(
        session, call_sid="CA" + "5" * 32, to=EXCHANGE, from_=caller, now=utcnow()))
    assert opened == 2 + new_asker
    with exchange.db.session() as session:
        request = session.scalar(select(HelpRequest))
        assert request.caller.phone == caller and request.caller.needs_review == new_asker


def test_a_key_in_the_menu_starts_the_search_in_three_statements(exchange):
    """At a burst every caller presses a key within seconds of the others: the request, the
    menu with its neighbourhood's menu_by_demand (its row is not loaded in this webhook), and
    the request's compare-and-set."""
    with exchange.db.session() as session:
        use_cases.start_call(session, call_sid=CALL, to=EXCHANGE, from_=CALLER, now=utcnow())
    chosen = []
    pressed = statements_of(exchange.db, lambda session: chosen.append(use_cases.choose(
        session, use_cases.request_for_call(session, CALL), "1", utcnow(), "9")))
    assert isinstance(chosen[0], use_cases.Chosen) and chosen[0].category.slug == "groceries"
    assert pressed == 3
    assert request_of(exchange).state == "searching"


def test_a_volunteers_1_is_a_match_in_six_statements(phone, exchange, carrier):
    """The 1 is on the way to the bridge of every match, and at a burst three volunteers of a
    wave press it at once: the leg with what they hear (one SELECT), the legs rung so far, the
    request's compare-and-set, the leg's decision, the match and its follow-ups. What the
    volunteer hears is read before those writes refresh the objects it comes from (reading it
    after cost three SELECTs more)."""
    leg = search_started(phone, exchange, carrier)
    phone.post(f"/ivr/volunteer/offer?leg={leg.id}", CallSid=carrier.placed[0]["sid"],
               AnsweredBy="human")
    views = []
    pressed = statements_of(exchange.db, lambda session: views.append(
        volunteer.press(session, leg.id, "1", utcnow())))
    assert views[0].kind == volunteer.OfferKind.ACCEPTED
    assert (views[0].neighbourhood, views[0].category) == ("Segbroek", "boodschappen doen")
    # The follow-ups of both sides are one INSERT on PostgreSQL, two on SQLite.
    assert pressed == 6 + (exchange.db.engine.dialect.name == "sqlite")
    assert request_of(exchange).state == "matched"


def test_a_volunteer_whose_caller_left_just_before_the_bridge_hears_so(phone, exchange, carrier):
    leg = search_started(phone, exchange, carrier)
    sid = carrier.placed[0]["sid"]
    phone.post(f"/ivr/volunteer/answer?leg={leg.id}&try=1", CallSid=sid, Digits="1")
    empty = phone.post(f"/ivr/volunteer/after-bridge?leg={leg.id}", CallSid=sid,
                       DialCallStatus="no-answer")
    assert "uw buur heeft net opgehangen" in said(empty)
    talked = phone.post(f"/ivr/volunteer/after-bridge?leg={leg.id}", CallSid=sid,
                        DialCallStatus="completed")
    assert "Bedankt dat u uw buur helpt." in said(talked)


def test_a_database_outage_still_gives_the_caller_a_sensible_message(phone, exchange):
    exchange.db.engine.dispose()
    original = exchange.db.sessions

    def unreachable():
        raise OperationalError("connect", {}, ConnectionRefusedError("database is down"))

    exchange.db.sessions = unreachable
    try:
        response = start(phone)
    finally:
        exchange.db.sessions = original
    assert response.status_code == 200
    assert "Sorry, er ging bij ons iets mis." in said(response)
    assert verbs(response)[-1] == "Hangup"
    assert "Welkom" in said(start(phone)), "once the database is back, calls go on"


def test_the_engine_rides_out_a_database_outage(phone, exchange, carrier):
    start(phone)
    phone.post("/ivr/menu?try=1", CallSid=CALL, Digits="1")
    original = exchange.db.sessions

    def unreachable():
        raise OperationalError("connect", {}, ConnectionRefusedError("database is down"))

    exchange.db.sessions = unreachable
    exchange.engine.tick()  # logs and waits for the next step; nothing is lost
    exchange.db.sessions = original
    assert carrier.placed == []
    exchange.engine.tick()
    assert len(carrier.placed) == 1


def test_star_repeats_the_menu_without_counting_as_a_mistake(phone, exchange):
    start(phone)
    again = phone.post("/ivr/menu?try=1", CallSid=CALL, Digits="*")
    assert "Druk 1 voor boodschappen doen." in said(again)
    assert "Sorry" not in said(again)
    assert ET.fromstring(again.data).find("Gather").get("action").endswith("try=1")


def test_the_english_choice_is_remembered_for_the_next_call(phone, exchange):
    start(phone)
    phone.post("/ivr/menu?try=1", CallSid=CALL, Digits="9")
    phone.post("/ivr/caller/status", CallSid=CALL, CallStatus="completed")
    next_call = start(phone, sid="CA" + "f" * 32)
    assert "Welcome to the neighbour help exchange of Segbroek." in said(next_call)
    assert "Druk 9 voor Nederlands." in said(next_call)


def with_office(exchange, hours):
    changed = exchange.config.replace(office={"coordinator_phone": "+31703000000",
                                              "hours": hours})
    exchange.config = changed
    return SignedClient(exchange)


def test_zero_puts_the_caller_through_to_the_coordinator_in_office_hours(exchange):
    phone = with_office(exchange, "mo-su 00:00-24:00")
    menu = start(phone)
    assert "Druk 0 om de coördinator te spreken." in said(menu)
    response = phone.post("/ivr/menu?try=1", CallSid=CALL, Digits="0")
    assert "u wordt doorverbonden met de coördinator" in said(response)
    assert ET.fromstring(response.data).find("Dial").text == "+31703000000"
    assert request_of(exchange).outcome == "to_coordinator"


def test_zero_outside_office_hours_tells_the_hours_and_offers_the_menu_again(exchange):
    phone = with_office(exchange, "sa 03:00-03:01")
    start(phone)
    response = phone.post("/ivr/menu?try=1", CallSid=CALL, Digits="0")
    assert "De coördinator is bereikbaar op zaterdag van 3:00 tot 3:01." in said(response)
    assert "Druk 1 voor boodschappen doen." in said(response)
    assert request_of(exchange).state == "menu"
