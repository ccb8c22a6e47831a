"""A caller who hangs up in the moment between the volunteer's 1 and the bridge: whichever news
comes first (the caller's <Enqueue> action, their status callback, the volunteer's key or their
<Dial> that found nobody), and however often, the request ends abandoned by the caller, no
match is counted, no follow-up is due, and the volunteer hears that their neighbour just hung
up."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import func, select

from bhc.db import utcnow
from bhc.localtime import to_local
from bhc.models import CallLeg, FollowUp, HelpRequest, Match
from bhc.reports.monthly import monthly_report
from tests.integration.test_webhooks import CALL, request_of, said, search_started

JUST_HUNG_UP = "uw buur heeft net opgehangen"
QUEUE = "QU" + "7" * 32


def press_1(phone, carrier, leg):
    sid = carrier.placed[0]["sid"]
    phone.post(f"/ivr/volunteer/offer?leg={leg.id}", CallSid=sid)
    return phone.post(f"/ivr/volunteer/answer?leg={leg.id}&try=1", CallSid=sid, Digits="1")


def hung_up_in_queue(phone, result="hangup"):
    return phone.post("/ivr/caller/queue-ended", CallSid=CALL, QueueResult=result,
                      QueueSid=QUEUE)


def caller_call_ended(phone):
    return phone.post("/ivr/caller/status", CallSid=CALL, CallStatus="completed")


def dial_found_nobody(phone, carrier, leg):
    return phone.post(f"/ivr/volunteer/after-bridge?leg={leg.id}",
                      CallSid=carrier.placed[0]["sid"], DialCallStatus="no-answer",
                      QueueSid=QUEUE)


def assert_abandoned_without_a_match(exchange):
    request = request_of(exchange)
    assert (request.state, request.outcome) == ("abandoned", "caller_hung_up")
    with exchange.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Match)) == 0
        assert session.scalar(select(func.count()).select_from(FollowUp)) == 0
        report = monthly_report(session, to_local(utcnow()).strftime("%Y-%m"))
    total = report["total"]
    assert (total["requests"], total["matches"], total["abandoned"]) == (1, 0, 1)


def test_the_callers_hang_up_after_the_1_abandons_the_request_and_the_volunteer_hears_so(
        phone, exchange, carrier):
    leg = search_started(phone, exchange, carrier)
    accepted = press_1(phone, carrier, leg)
    assert ET.fromstring(accepted.data).find("Dial/Queue") is not None
    assert request_of(exchange).state == "matched"
    assert hung_up_in_queue(phone).status_code == 200
    caller_call_ended(phone)
    assert_abandoned_without_a_match(exchange)
    # The engine moves the volunteer's call, dialling an empty queue, to the news.
    exchange.engine.tick()
    volunteer_sid = carrier.placed[0]["sid"]
    moved = [url for sid, url in carrier.redirected if sid == volunteer_sid]
    assert moved == [f"{phone.base}/ivr/volunteer/closed?leg={leg.id}"]
    closed = phone.post(f"/ivr/volunteer/closed?leg={leg.id}", CallSid=volunteer_sid)
    assert JUST_HUNG_UP in said(closed) and ET.fromstring(closed.data).find("Hangup") is not None
    # Should the <Dial> end on its own first, it says the same.
    assert JUST_HUNG_UP in said(dial_found_nobody(phone, carrier, leg))
    assert_abandoned_without_a_match(exchange)


def test_the_callers_hang_up_before_the_1_gives_the_same_end(phone, exchange, carrier):
    leg = search_started(phone, exchange, carrier)
    sid = carrier.placed[0]["sid"]
    phone.post(f"/ivr/volunteer/offer?leg={leg.id}", CallSid=sid)
    hung_up_in_queue(phone)
    caller_call_ended(phone)
    late_1 = phone.post(f"/ivr/volunteer/answer?leg={leg.id}&try=1", CallSid=sid, Digits="1")
    assert JUST_HUNG_UP in said(late_1)
    assert ET.fromstring(late_1.data).find("Dial") is None
    exchange.engine.tick()
    assert_abandoned_without_a_match(exchange)


@pytest.mark.parametrize("result", ["hangup", "bridging-in-process"])
def test_either_hang_up_result_of_the_wait_counts(phone, exchange, carrier, result):
    leg = search_started(phone, exchange, carrier)
    press_1(phone, carrier, leg)
    hung_up_in_queue(phone, result)
    assert_abandoned_without_a_match(exchange)


@pytest.mark.parametrize("dial_first", [True, False])
def test_without_the_wait_news_the_status_callback_and_the_empty_dial_tell_it(
        phone, exchange, carrier, dial_first):
    leg = search_started(phone, exchange, carrier)
    press_1(phone, carrier, leg)
    if dial_first:
        assert JUST_HUNG_UP in said(dial_found_nobody(phone, carrier, leg))
        assert request_of(exchange).state == "matched", "the caller's call may still be on"
        caller_call_ended(phone)
    else:
        caller_call_ended(phone)
        assert request_of(exchange).state == "matched", "a talk may just have ended"
        assert JUST_HUNG_UP in said(dial_found_nobody(phone, carrier, leg))
    assert_abandoned_without_a_match(exchange)


def test_duplicate_and_late_news_change_nothing(phone, exchange, carrier):
    leg = search_started(phone, exchange, carrier)
    press_1(phone, carrier, leg)
    for _ in range(2):
        hung_up_in_queue(phone)
        caller_call_ended(phone)
        dial_found_nobody(phone, carrier, leg)
        again = phone.post(f"/ivr/volunteer/answer?leg={leg.id}&try=1",
                           CallSid=carrier.placed[0]["sid"], Digits="1")
        assert JUST_HUNG_UP in said(again)
        phone.post("/ivr/caller/hold", CallSid=CALL, QueueSid=QUEUE)
        exchange.engine.tick()
    phone.post(f"/ivr/volunteer/status?leg={leg.id}", CallSid=carrier.placed[0]["sid"],
               CallStatus="completed")
    exchange.engine.tick()
    assert_abandoned_without_a_match(exchange)
    with exchange.db.session() as session:
        assert session.scalar(select(CallLeg.outcome)) == "accepted"
        assert len(session.scalars(select(HelpRequest)).all()) == 1
    assert len(carrier.placed) == 1, "nobody else is rung for a caller who left"


def test_a_talk_that_ended_is_still_a_match(phone, exchange, carrier):
    leg = search_started(phone, exchange, carrier)
    press_1(phone, carrier, leg)
    phone.post("/ivr/caller/connecting?request=1", CallSid=CALL, QueueSid=QUEUE)
    caller_call_ended(phone)
    talked = phone.post(f"/ivr/volunteer/after-bridge?leg={leg.id}",
                        CallSid=carrier.placed[0]["sid"], DialCallStatus="completed",
                        QueueSid=QUEUE)
    assert "Bedankt dat u uw buur helpt." in said(talked)
    phone.post("/ivr/caller/queue-ended", CallSid=CALL, QueueResult="bridged", QueueSid=QUEUE)
    exchange.engine.tick()
    assert request_of(exchange).state == "matched"
    with exchange.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Match)) == 1
        assert session.scalar(select(func.count()).select_from(FollowUp)) == 2
