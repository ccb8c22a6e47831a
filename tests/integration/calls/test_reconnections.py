"""Back to your neighbour: the offer after a match, the rules for phoning the other side, a
refusal told kindly, a hang-up while waiting, and the count in the report."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bhc.calls import caller, reconnections
from bhc.db import utcnow
from bhc.localtime import to_local
from bhc.models import CallLeg, HelpRequest, Match, Neighbourhood, Participant, Reconnection
from bhc.reports.monthly import monthly_report
from tests.integration.conftest import CALLER, EXCHANGE
from tests.integration.followups.test_time_edges import statements_of
from tests.integration.test_webhooks import STRANGER, said, start

HELPER = "+31612340001"


@pytest.fixture
def config(config):
    """The offer is on, for 24 hours after a match (the default; the shared tests switch it
    off)."""
    return config.replace(matching={"reconnect_hours": 24})
AGAIN = "CA" + "a" * 32
OFFER = "Wilt u weer verbonden worden met de buur die u vandaag sprak?"
MENU = "Druk 1 voor boodschappen doen."


def a_match(exchange, hours_ago: float = 1.0) -> int:
    """CALLER was helped with groceries by HELPER ``hours_ago``; their talk is over."""
    at = utcnow() - timedelta(hours=hours_ago)
    with exchange.db.session() as session:
        asker = session.scalar(select(Participant.id).where(Participant.phone == CALLER))
        helper = session.scalar(select(Participant.id).where(Participant.phone == HELPER))
        request = HelpRequest(call_sid="CAfirst", neighbourhood_id=1, caller_id=asker,
                              category_slug="groceries", language="nl", state="matched",
                              outcome="matched", created_at=at, searching_since=at, ended_at=at)
        session.add(request)
        session.flush()
        leg = CallLeg(request_id=request.id, volunteer_id=helper, sid="CAleg", status="completed",
                      outcome="accepted", placed_at=at)
        session.add(leg)
        session.flush()
        match = Match(request_id=request.id, leg_id=leg.id, helper_id=helper, asker_id=asker,
                      matched_at=at, time_to_match_s=20, volunteers_rung=1)
        session.add(match)
        session.flush()
        return match.id


def press_1_after_the_offer(phone, match_id: int):
    offer = start(phone, sid=AGAIN)
    assert OFFER in said(offer) and MENU not in said(offer)
    return phone.post(f"/ivr/reconnect/choice?match={match_id}", CallSid=AGAIN, Digits="1")


def the_helper_answers_and_presses(phone, exchange, carrier, key: str):
    """After a match the asker asks to be put through; the engine phones the helper, who
    answers and presses ``key``. -> (the reconnection, what the helper hears then)."""
    press_1_after_the_offer(phone, a_match(exchange))
    row = reconnection(exchange)
    exchange.engine.tick()
    sid = carrier.placed[-1]["sid"]
    phone.post(f"/ivr/reconnect/answer?reconnection={row.id}", CallSid=sid)
    return row, phone.post(f"/ivr/reconnect/key?reconnection={row.id}&try=1", CallSid=sid,
                           Digits=key)


def reconnection(exchange) -> Reconnection:
    with exchange.db.session() as session:
        return session.scalars(select(Reconnection)).one()


def test_on_1_the_caller_waits_and_the_helper_is_phoned_from_the_exchange(phone, exchange,
                                                                          carrier):
    match_id = a_match(exchange)
    waiting = press_1_after_the_offer(phone, match_id)
    assert "we bellen uw buur nu op" in said(waiting)
    row = reconnection(exchange)
    assert ET.fromstring(waiting.data).find("Enqueue").text == f"reconnect-{row.id}"
    exchange.engine.tick()
    call = carrier.placed[-1]
    assert (call["to"], call["from_"]) == (HELPER, EXCHANGE)
    answered = phone.post(f"/ivr/reconnect/answer?reconnection={row.id}", CallSid=call["sid"])
    assert "De buur die u vandaag sprak over boodschappen doen" in said(answered)
    bridged = phone.post(f"/ivr/reconnect/key?reconnection={row.id}&try=1",
                         CallSid=call["sid"], Digits="1")
    assert ET.fromstring(bridged.data).find("Dial/Queue").text == f"reconnect-{row.id}"
    assert reconnection(exchange).outcome == "connected"
    for text in (waiting.data, answered.data, bridged.data):
        assert CALLER[-9:].encode() not in text and HELPER[-9:].encode() not in text


def test_the_other_side_saying_no_is_told_kindly_and_then_the_menu(phone, exchange, carrier):
    row, declined = the_helper_answers_and_presses(phone, exchange, carrier, "2")
    assert "We laten het uw buur weten" in said(declined)
    hold = phone.post(f"/ivr/reconnect/hold?reconnection={row.id}", CallSid=AGAIN)
    assert ET.fromstring(hold.data).find("Leave") is not None
    told = phone.post(f"/ivr/reconnect/waited?reconnection={row.id}", CallSid=AGAIN,
                      QueueResult="leave")
    assert "uw buur kan nu niet aan de telefoon komen" in said(told)
    assert MENU in said(told)
    # Said no once: the next call goes straight to the menu.
    later = start(phone, sid="CA" + "b" * 32)
    assert OFFER not in said(later) and MENU in said(later)


def test_a_paused_helper_is_not_phoned_and_the_caller_hears_so(phone, exchange, carrier):
    match_id = a_match(exchange)
    with exchange.db.session() as session:
        session.execute(update(Participant).where(Participant.phone == HELPER)
                        .values(paused_until=utcnow() + timedelta(days=2)))
    refused = press_1_after_the_offer(phone, match_id)
    assert "uw buur kan op dit moment niet gebeld worden" in said(refused)
    assert MENU in said(refused)
    exchange.engine.tick()
    assert carrier.placed == []
    assert reconnection(exchange).outcome == "not_now"


def test_in_the_quiet_hours_nobody_is_phoned(phone, exchange, carrier):
    match_id = a_match(exchange)
    now = to_local(utcnow())
    quiet = f"{now.hour:02d}:00-{(now.hour + 1) % 24:02d}:00"
    with exchange.db.session() as session:
        session.execute(update(Participant).where(Participant.phone == HELPER)
                        .values(availability=""))
        session.execute(update(Neighbourhood).values(quiet_hours=quiet))
    refused = press_1_after_the_offer(phone, match_id)
    assert "niet gebeld worden" in said(refused)
    exchange.engine.tick()
    assert carrier.placed == []


def test_a_helper_who_stopped_is_never_offered(phone, exchange):
    a_match(exchange)
    with exchange.db.session() as session:
        session.execute(update(Participant).where(Participant.phone == HELPER)
                        .values(opted_out=True))
    assert MENU in said(start(phone, sid=AGAIN))


def test_the_caller_hanging_up_while_waiting_stops_the_ringing_call(phone, exchange, carrier):
    match_id = a_match(exchange)
    press_1_after_the_offer(phone, match_id)
    row = reconnection(exchange)
    exchange.engine.tick()
    sid = carrier.placed[-1]["sid"]
    phone.post(f"/ivr/reconnect/waited?reconnection={row.id}", CallSid=AGAIN,
               QueueResult="hangup")
    exchange.engine.tick()
    assert (sid, False) in carrier.ended
    assert reconnection(exchange).outcome == "asker_left"
    late = phone.post(f"/ivr/reconnect/answer?reconnection={row.id}", CallSid=sid)
    assert "Uw buur is niet meer aan de lijn" in said(late)


def test_the_helper_phoning_in_is_offered_the_asker_too(phone, exchange, carrier):
    match_id = a_match(exchange)
    offer = start(phone, sid=AGAIN, caller=HELPER)
    assert OFFER in said(offer)
    phone.post(f"/ivr/reconnect/choice?match={match_id}", CallSid=AGAIN, Digits="1")
    exchange.engine.tick()
    assert carrier.placed[-1]["to"] == CALLER


def test_2_or_silence_after_the_offer_is_the_menu_with_its_greeting(phone, exchange):
    match_id = a_match(exchange)
    start(phone, sid=AGAIN)
    menu = phone.post(f"/ivr/reconnect/choice?match={match_id}", CallSid=AGAIN, Digits="2")
    assert said(menu).startswith("Welkom bij de burenhulpcentrale van Segbroek.")
    silence = phone.post(f"/ivr/reconnect/choice?match={match_id}", CallSid=AGAIN)
    assert MENU in said(silence)


def test_after_the_window_there_is_no_offer(phone, exchange):
    a_match(exchange, hours_ago=25)
    assert OFFER not in said(start(phone, sid=AGAIN))


@pytest.mark.parametrize("number", [CALLER, STRANGER], ids=["registered", "unregistered"])
def test_only_a_caller_known_before_the_call_is_looked_up_for_a_match(exchange, number):
    """Whom the first webhook asks for a match to be put through to again: a registered caller
    (the latest match, and here none), not a new asker this very call recorded."""
    asked = []

    def first_webhook(session):
        request = caller.start_call(session, call_sid=AGAIN, to=EXCHANGE, from_=number,
                                    now=utcnow())
        asked.append(statements_of(exchange.db, lambda _: reconnections.offer_for(
            session, request, utcnow(), hours=24)))

    statements_of(exchange.db, first_webhook)
    assert asked == [1 if number == CALLER else 0]
    with exchange.db.session() as session:
        new_asker = session.scalar(select(Participant).where(Participant.phone == STRANGER))
        assert (new_asker is not None) == (number == STRANGER)


def test_reconnections_count_in_the_report_per_match(phone, exchange, carrier):
    row, _ = the_helper_answers_and_presses(phone, exchange, carrier, "1")
    with exchange.db.session() as session:
        month = to_local(session.get(Match, row.match_id).matched_at).strftime("%Y-%m")
        report = monthly_report(session, month)
    segbroek = report["neighbourhoods"][0]
    assert (segbroek["reconnections"], segbroek["matches_reconnected"]) == (1, 1)
    assert (report["total"]["reconnections"], report["total"]["matches_reconnected"]) == (1, 1)
