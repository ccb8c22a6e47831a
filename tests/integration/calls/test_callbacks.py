"""Call-backs: unmatched now, called back when a neighbour can help."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

from sqlalchemy import func, select, update

from bhc.db import utcnow
from bhc.models import CallLeg, HelpRequest, Match
from tests.integration.conftest import CALLER, volunteer
from tests.integration.test_webhooks import CALL, request_of, said, start

CHATTER = "+31612340009"


def unmatched_then_callback_requested(phone, exchange, carrier) -> None:
    start(phone)
    phone.post("/ivr/menu?try=1", CallSid=CALL, Digits="5")  # nobody covers "a chat"
    exchange.engine.tick()
    assert request_of(exchange).state == "unmatched"
    offer = phone.post("/ivr/caller/unmatched", CallSid=CALL)
    assert "Druk 1 als u wilt dat we u terugbellen" in said(offer)
    chosen = phone.post("/ivr/caller/callback", CallSid=CALL, Digits="1")
    assert "We bellen u op dit nummer terug" in said(chosen)
    assert request_of(exchange).state == "callback_due"


def a_neighbour_becomes_available(exchange) -> None:
    """As the next morning: a volunteer for chats is there, and the next round is due."""
    with exchange.db.session() as session:
        volunteer(session, 1, CHATTER, categories=("chat",))
        session.execute(update(HelpRequest).values(next_round_at=utcnow()))


def volunteer_accepts(phone, exchange, carrier) -> CallLeg:
    exchange.engine.tick()
    assert carrier.placed[-1]["to"] == CHATTER
    with exchange.db.session() as session:
        leg = session.scalars(select(CallLeg)).one()
    sid = carrier.placed[-1]["sid"]
    phone.post(f"/ivr/volunteer/status?leg={leg.id}", CallSid=sid, CallStatus="in-progress")
    accepted = phone.post(f"/ivr/volunteer/answer?leg={leg.id}&try=1", CallSid=sid, Digits="1")
    assert "We bellen uw buur nu op." in said(accepted)
    assert ET.fromstring(accepted.data).find("Enqueue").text == f"request-{leg.request_id}"
    return leg


def the_resident_is_called_back(phone, exchange, carrier) -> tuple[CallLeg, dict]:
    """Nobody now, a call-back asked for, a neighbour who accepts later: the engine has placed
    the call to the resident. Returns the volunteer's leg and the resident's call."""
    unmatched_then_callback_requested(phone, exchange, carrier)
    a_neighbour_becomes_available(exchange)
    leg = volunteer_accepts(phone, exchange, carrier)
    exchange.engine.tick()
    return leg, carrier.placed[-1]


def test_nobody_now_then_a_neighbour_later_and_both_are_connected(phone, exchange, carrier):
    unmatched_then_callback_requested(phone, exchange, carrier)
    exchange.engine.tick()  # a round finds nobody: the next one is in retry_every_s
    assert carrier.placed == []
    request = request_of(exchange)
    assert request.next_round_at - utcnow() > timedelta(seconds=800)
    a_neighbour_becomes_available(exchange)
    leg = volunteer_accepts(phone, exchange, carrier)
    exchange.engine.tick()
    resident_call = carrier.placed[-1]
    assert resident_call["to"] == CALLER
    path = resident_call["url"].split("8080")[1]
    answered = phone.post(path, CallSid=resident_call["sid"], AnsweredBy="human")
    assert "We bellen u terug over praatje maken" in said(answered)
    connected = phone.post(f"/ivr/callback/choice?request={leg.request_id}&try=1",
                           CallSid=resident_call["sid"], Digits="1")
    assert ET.fromstring(connected.data).find("Dial/Queue").text == f"request-{leg.request_id}"
    request = request_of(exchange)
    assert (request.state, request.outcome) == ("matched", "called_back")
    with exchange.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Match)) == 1


def test_the_resident_can_cancel_and_the_waiting_volunteer_is_told(phone, exchange, carrier):
    leg, resident_call = the_resident_is_called_back(phone, exchange, carrier)
    resident_sid = resident_call["sid"]
    cancelled = phone.post(f"/ivr/callback/choice?request={leg.request_id}&try=1",
                           CallSid=resident_sid, Digits="2")
    assert "We hebben uw hulpvraag geannuleerd." in said(cancelled)
    request = request_of(exchange)
    assert (request.state, request.outcome) == ("unmatched", "callback_declined")
    exchange.engine.tick()
    assert carrier.redirected[-1] == (carrier.placed[0]["sid"],
                                      phone.base + f"/ivr/volunteer/closed?leg={leg.id}")
    closed = phone.post(f"/ivr/volunteer/closed?leg={leg.id}", CallSid=carrier.placed[0]["sid"])
    assert "niet meer aan de lijn" in said(closed)
    with exchange.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Match)) == 0


def test_an_unreachable_resident_ends_the_callback_without_a_match(phone, exchange, carrier):
    leg, resident_call = the_resident_is_called_back(phone, exchange, carrier)
    phone.post(f"/ivr/callback/status?request={leg.request_id}", CallSid=resident_call["sid"],
               CallStatus="no-answer")
    assert request_of(exchange).outcome == "callback_unreachable"


def test_an_expired_callback_ends_unmatched_with_that_reason(phone, exchange, carrier):
    unmatched_then_callback_requested(phone, exchange, carrier)
    with exchange.db.session() as session:
        session.execute(update(HelpRequest).values(callback_until=utcnow() - timedelta(1),
                                                   next_round_at=utcnow()))
    exchange.engine.tick()
    request = request_of(exchange)
    assert (request.state, request.outcome) == ("unmatched", "callback_expired")


def test_the_residents_voicemail_ends_the_call_back_and_the_volunteer_is_told(phone, exchange,
                                                                              carrier):
    leg, resident_call = the_resident_is_called_back(phone, exchange, carrier)
    assert resident_call["machine_detection_url"].endswith(
        f"/ivr/callback/amd/status?request={leg.request_id}")
    phone.post(f"/ivr/callback/amd/status?request={leg.request_id}",
               CallSid=resident_call["sid"], AnsweredBy="machine_end_beep")
    assert request_of(exchange).outcome == "callback_unreachable"
    exchange.engine.tick()
    assert (resident_call["sid"], True) in carrier.ended
    assert carrier.redirected[-1] == (carrier.placed[0]["sid"],
                                      phone.base + f"/ivr/volunteer/closed?leg={leg.id}")


def test_the_residents_dial_into_the_queue_has_a_timeout_and_an_action(phone, exchange,
                                                                       carrier):
    leg, resident_call = the_resident_is_called_back(phone, exchange, carrier)
    resident_sid = resident_call["sid"]
    connected = phone.post(f"/ivr/callback/choice?request={leg.request_id}&try=1",
                           CallSid=resident_sid, Digits="1")
    dial = ET.fromstring(connected.data).find("Dial")
    assert dial.get("timeout") == "5"
    assert dial.get("action").endswith(f"/ivr/callback/after-bridge?request={leg.request_id}")
    gone = phone.post(f"/ivr/callback/after-bridge?request={leg.request_id}",
                      CallSid=resident_sid, DialCallStatus="no-answer")
    assert "de buur die kon helpen is niet meer beschikbaar" in said(gone).lower()
    done = phone.post(f"/ivr/callback/after-bridge?request={leg.request_id}",
                      CallSid=resident_sid, DialCallStatus="completed")
    assert "Tot ziens" in said(done)
