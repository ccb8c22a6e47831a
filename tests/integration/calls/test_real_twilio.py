"""What Twilio's documentation asks of a careful application, at the service and webhook level:
the ring time of a call counts from the carrier's first news, machine detection never keeps
anyone waiting and ends only sure machines, failed waits go back on hold, every <Dial> has an
action, a request's queue is deleted when it is over, and the fallback needs no database."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

from sqlalchemy import func, select

from bhc.calls.models import CallToEnd
from bhc.db import utcnow
from bhc.models import CallLeg, HelpRequest, Match
from tests.integration.test_webhooks import CALL, request_of, said, search_started, start


def leg_of(exchange, n: int = 0) -> CallLeg:
    """The search's first leg (or its ``n``-th, from 0)."""
    with exchange.db.session() as session:
        return session.scalars(select(CallLeg).order_by(CallLeg.id)).all()[n]


def age(exchange, **column_ages: timedelta) -> None:
    """Move the leg's timestamps into the past."""
    with exchange.db.session() as session:
        leg = session.scalars(select(CallLeg).order_by(CallLeg.id)).first()
        for column, delta in column_ages.items():
            setattr(leg, column, getattr(leg, column) - delta)


def test_volunteer_calls_ask_for_asynchronous_machine_detection(phone, exchange, carrier):
    leg = search_started(phone, exchange, carrier)
    assert carrier.placed[0]["machine_detection_url"] == (
        f"{phone.base}/ivr/volunteer/amd/status?leg={leg.id}")


def test_without_machine_detection_no_verdict_is_asked_for(phone, exchange, carrier):
    exchange.engine.config = exchange.config.replace(carrier={"machine_detection": "off"})
    search_started(phone, exchange, carrier)
    assert carrier.placed[0]["machine_detection_url"] is None


def test_a_call_waiting_for_its_cps_turn_is_not_taken_for_lost(phone, exchange, carrier):
    search_started(phone, exchange, carrier)
    with exchange.db.session() as session:
        session.scalar(select(HelpRequest)).searching_since = utcnow()
    # Two minutes after the REST request Twilio has still not dialled it: no news at all.
    age(exchange, placed_at=timedelta(minutes=2))
    exchange.engine.tick()
    assert leg_of(exchange).outcome is None and carrier.ended == []


def test_ring_time_counts_from_the_first_status_callback(phone, exchange, carrier):
    leg = search_started(phone, exchange, carrier)
    phone.post(f"/ivr/volunteer/status?leg={leg.id}", CallSid=carrier.placed[0]["sid"],
               CallStatus="initiated")
    first_news = leg_of(exchange).first_news_at
    assert first_news is not None
    phone.post(f"/ivr/volunteer/status?leg={leg.id}", CallSid=carrier.placed[0]["sid"],
               CallStatus="ringing")
    assert leg_of(exchange).first_news_at == first_news
    # Twenty seconds of ringing plus the grace after the first news, and nothing since.
    age(exchange, first_news_at=timedelta(seconds=51))
    exchange.engine.tick()
    lost = leg_of(exchange)
    assert (lost.outcome, lost.error) == ("no_answer", "no status from the carrier")
    assert carrier.ended == [(carrier.placed[0]["sid"], False)]


def test_a_call_never_heard_of_expires_once_the_longest_search_is_over(phone, exchange,
                                                                        carrier):
    search_started(phone, exchange, carrier)
    limit = exchange.config.matching.max_wait_s + 20 + 30
    age(exchange, placed_at=timedelta(seconds=limit + 1))
    exchange.engine.tick()
    assert leg_of(exchange).error == "no news from the carrier at all"


def test_a_voicemail_verdict_ends_the_leg_and_the_engine_hangs_up(phone, exchange, carrier):
    leg = search_started(phone, exchange, carrier)
    sid = carrier.placed[0]["sid"]
    phone.post(f"/ivr/volunteer/offer?leg={leg.id}", CallSid=sid)
    phone.post(f"/ivr/volunteer/amd/status?leg={leg.id}", CallSid=sid,
               AnsweredBy="machine_end_beep")
    assert leg_of(exchange).outcome == "machine"
    exchange.engine.tick()
    assert (sid, True) in carrier.ended
    assert len(carrier.placed) == 2, "the next volunteer is rung at once"
    with exchange.db.session() as session:
        assert session.scalars(select(CallToEnd)).all() == []


def test_uncertain_verdicts_leave_the_volunteer_listening(phone, exchange, carrier):
    leg = search_started(phone, exchange, carrier)
    sid = carrier.placed[0]["sid"]
    phone.post(f"/ivr/volunteer/offer?leg={leg.id}", CallSid=sid)
    for verdict in ("unknown", "machine_start", "machine_end_silence", "machine_end_other",
                    "human"):
        phone.post(f"/ivr/volunteer/amd/status?leg={leg.id}", CallSid=sid, AnsweredBy=verdict)
    exchange.engine.tick()
    assert leg_of(exchange).outcome is None and carrier.ended == []
    accepted = phone.post(f"/ivr/volunteer/answer?leg={leg.id}&try=1", CallSid=sid, Digits="1")
    dial = ET.fromstring(accepted.data).find("Dial")
    assert dial.get("timeout") == "5" and dial.get("action").endswith(
        f"/ivr/volunteer/after-bridge?leg={leg.id}")


def test_a_failed_wait_puts_a_searching_caller_back_on_hold_once(phone, exchange, carrier):
    search_started(phone, exchange, carrier)
    again = phone.post("/ivr/caller/queue-ended", CallSid=CALL, QueueResult="error",
                       QueueSid="QU" + "1" * 32)
    enqueue = ET.fromstring(again.data).find("Enqueue")
    assert enqueue.text == f"request-{request_of(exchange).id}"
    assert enqueue.get("action").endswith("/ivr/caller/queue-ended?retried=1")
    assert request_of(exchange).state == "searching"
    failed = phone.post("/ivr/caller/queue-ended?retried=1", CallSid=CALL,
                        QueueResult="system-error")
    assert "Sorry, er ging bij ons iets mis." in said(failed)
    assert (request_of(exchange).state, request_of(exchange).outcome) == (
        "abandoned", "wait_failed"), "the exchange gave up, not the caller"


def test_each_winner_whose_bridge_falls_through_gets_its_own_retry(phone, exchange, carrier):
    """Found by tests/e2e/test_city_deployment.py on a loaded machine: two winners in turn hung
    up during the caller's announcement (QueueResult error, the dequeuing call gone), and the
    second failure counted as the first wait's retry: the caller heard the apology and was
    hung up on, with the request left matched."""
    search_started(phone, exchange, carrier)
    retried = None
    for n in range(2):
        leg = leg_of(exchange, n)
        sid = carrier.placed[n]["sid"]
        phone.post(f"/ivr/volunteer/answer?leg={leg.id}&try=1", CallSid=sid, Digits="1")
        phone.post(f"/ivr/volunteer/status?leg={leg.id}", CallSid=sid, CallStatus="completed")
        again = phone.post("/ivr/caller/queue-ended" + (f"?retried={retried}" if retried else ""),
                           CallSid=CALL, QueueResult="error", QueueSid="QU" + "1" * 32)
        enqueue = ET.fromstring(again.data).find("Enqueue")
        assert enqueue is not None, said(again)
        retried = enqueue.get("action").rsplit("retried=", 1)[1]
        assert retried == f"leg-{leg.id}"
        hold = phone.post("/ivr/caller/hold", CallSid=CALL, QueueSid="QU" + "1" * 32,
                          QueueTime="30")
        assert "We zoeken nog naar een buur" in said(hold)
        assert request_of(exchange).state == "searching", "the search goes on"
        exchange.engine.tick()
    assert len(carrier.placed) == 2, "both groceries volunteers were rung, nobody twice"


def test_a_bridge_that_fails_twice_to_one_winner_leaves_no_match(phone, exchange, carrier):
    leg = search_started(phone, exchange, carrier)
    sid = carrier.placed[0]["sid"]
    phone.post(f"/ivr/volunteer/answer?leg={leg.id}&try=1", CallSid=sid, Digits="1")
    phone.post(f"/ivr/volunteer/status?leg={leg.id}", CallSid=sid, CallStatus="completed")
    wait_fails_again_at(phone, exchange, leg, "error")


def wait_fails_again_at(phone, exchange, leg: CallLeg, result: str) -> None:
    """The caller's wait fails a second time at ``leg``'s bridge: an apology ends the call, the
    request ends as the exchange's failure (not the caller's hang-up), and no match stays."""
    failed = phone.post(f"/ivr/caller/queue-ended?retried=leg-{leg.id}", CallSid=CALL,
                        QueueResult=result)
    assert "Sorry, er ging bij ons iets mis." in said(failed)
    assert (request_of(exchange).state, request_of(exchange).outcome) == (
        "abandoned", "wait_failed")
    with exchange.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Match)) == 0


def test_a_winner_still_on_the_line_when_the_wait_fails_twice_is_told_and_keeps_no_match(
        phone, exchange, carrier):
    """The carrier failed the caller's wait twice while the volunteer who pressed 1 was still
    there: the caller hears the apology, the request ends as the exchange's failure, and the
    volunteer's call is moved on (the engine stops accepted legs of requests not matched)."""
    leg = search_started(phone, exchange, carrier)
    sid = carrier.placed[0]["sid"]
    phone.post(f"/ivr/volunteer/status?leg={leg.id}", CallSid=sid, CallStatus="in-progress")
    phone.post(f"/ivr/volunteer/answer?leg={leg.id}&try=1", CallSid=sid, Digits="1")
    assert request_of(exchange).state == "matched"
    again = phone.post("/ivr/caller/queue-ended", CallSid=CALL, QueueResult="system-error")
    assert ET.fromstring(again.data).find("Enqueue").get("action").endswith(
        f"retried=leg-{leg.id}")
    wait_fails_again_at(phone, exchange, leg, "system-error")
    exchange.engine.tick()
    assert [redirected for redirected, _ in carrier.redirected] == [sid]


def test_only_a_hang_up_abandons_a_search(phone, exchange, carrier):
    search_started(phone, exchange, carrier)
    phone.post("/ivr/caller/queue-ended", CallSid=CALL, QueueResult="system-error")
    assert request_of(exchange).state == "searching"
    phone.post("/ivr/caller/queue-ended?retried=1", CallSid=CALL, QueueResult="hangup")
    assert request_of(exchange).state == "abandoned"


def test_the_queue_of_a_finished_request_is_deleted_once(phone, exchange, carrier):
    search_started(phone, exchange, carrier)
    phone.post("/ivr/caller/queue-ended", CallSid=CALL, QueueResult="hangup",
               QueueSid="QU" + "2" * 32)
    exchange.engine.tick()
    exchange.engine.tick()
    assert carrier.deleted_queues == ["QU" + "2" * 32]


def test_the_coordinators_dial_has_a_timeout_and_an_action(phone, exchange):
    exchange.config = exchange.config.replace(
        office={"coordinator_phone": "+31701110000", "hours": "mo-su 00:00-24:00"})
    start(phone)
    put_through = phone.post("/ivr/menu?try=1", CallSid=CALL, Digits="0")
    dial = ET.fromstring(put_through.data).find("Dial")
    assert dial.get("timeout") == "20" and dial.get("action").endswith("/ivr/caller/office-ended"
                                                                        "?try=1")
    assert request_of(exchange).state == "abandoned"
    back = phone.post("/ivr/caller/office-ended?try=1", CallSid=CALL, CallStatus="in-progress",
                      DialCallStatus="busy")
    assert "De coördinator is nu niet bereikbaar." in said(back)
    assert "Druk 1 voor boodschappen doen." in said(back)
    assert (request_of(exchange).state, request_of(exchange).outcome) == ("menu", None)


def test_a_conversation_with_the_coordinator_ends_the_call_kindly(phone, exchange):
    exchange.config = exchange.config.replace(
        office={"coordinator_phone": "+31701110000", "hours": "mo-su 00:00-24:00"})
    start(phone)
    phone.post("/ivr/menu?try=1", CallSid=CALL, Digits="0")
    done = phone.post("/ivr/caller/office-ended?try=1", CallSid=CALL, CallStatus="in-progress",
                      DialCallStatus="completed")
    assert "Tot ziens" in said(done)
    assert (request_of(exchange).state, request_of(exchange).outcome) == (
        "abandoned", "to_coordinator")


def test_the_fallback_apologises_in_dutch_without_the_database(phone, exchange, monkeypatch):
    def no_database():
        raise AssertionError("the fallback must not touch the database")

    monkeypatch.setattr(exchange.db, "session", no_database)
    fallback = phone.post("/ivr/fallback", CallSid=CALL, ErrorCode="11205")
    assert fallback.status_code == 200
    assert "door een storing kan de burenhulpcentrale uw oproep nu niet aannemen" in said(
        fallback)
    assert ET.fromstring(fallback.data)[-1].tag == "Hangup"


def test_a_late_redirect_to_the_unmatched_message_keeps_the_call_back_promise(phone, exchange,
                                                                               carrier):
    search_started(phone, exchange, carrier)
    with exchange.db.session() as session:
        request = session.scalar(select(HelpRequest))
        request.searching_since -= timedelta(seconds=exchange.config.matching.max_wait_s + 1)
    exchange.engine.tick()
    phone.post("/ivr/caller/callback", CallSid=CALL, Digits="1")
    assert request_of(exchange).state == "callback_due"
    late = phone.post("/ivr/caller/unmatched", CallSid=CALL)
    assert "We bellen u op dit nummer terug zodra een buur kan helpen." in said(late)
