"""The exchange against the simulated carrier with Twilio's documented defaults: one call per
second for the account, asynchronous machine detection with its false verdicts, an empty queue
that keeps a <Dial> waiting, failed waits in a queue, a coordinator who does not answer.

REST latency is set to Europe's 250 ms, scaled with the rest of the simulated time.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bhc.db import utcnow
from bhc.localtime import to_local
from bhc.models import CallLeg, HelpRequest, Match
from bhc.reports.monthly import monthly_report
from tests.e2e.conftest import EXCHANGE, TIME_SCALE, VOLUNTEERS, running
from tests.e2e.test_calls import ACCEPT, CONNECTED, ask_for_groceries, assert_bridged, phones
from tests.integration.conftest import volunteer

pytestmark = pytest.mark.e2e
# What involves no race between webhooks and the engine runs on SQLite alone.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
EUROPE_LATENCY_S = 0.25
LONG_GREETING = "Goedemiddag, met Piet de Vries"
OFFER = "Een buurtbewoner vraagt hulp bij boodschappen doen."
JUST_HUNG_UP = "Het spijt ons: uw buur heeft net opgehangen"


@pytest.fixture
def live(database_url):
    for live in running(database_url):
        assert live.net.calls_per_second == 1.0  # Twilio's default for an account
        live.net.set_rest_latency(EUROPE_LATENCY_S * TIME_SCALE)
        yield live


def simulated_s(real_s: float) -> float:
    return real_s / TIME_SCALE


def entry(call: dict, kind: str, starting: str) -> dict:
    return next(e for e in call["transcript"] if e["kind"] == kind
                and e["text"].startswith(starting))


def legs(live) -> list[CallLeg]:
    with live.exchange.db.session() as session:
        return list(session.scalars(select(CallLeg).join(HelpRequest)
                                    .where(HelpRequest.call_sid != "CAhistory")))


def test_a_burst_of_six_callers_at_one_call_per_second_is_matched_with_no_leg_expired(live):
    live.config = live.config.replace(matching={"strategy": "waves", "wave_size": 3})
    live.restart_engine()
    helpers = [f"+316123410{n:02d}" for n in range(18)]
    with live.exchange.db.session() as session:
        for number in helpers:
            volunteer(session, 1, number, categories=("groceries",))
    for number in [*VOLUNTEERS, *helpers]:
        # Each phone rings long enough that calls waiting for their CPS turn would outlast a
        # ring timeout counted from the REST request.
        live.net.set_behaviour(number, answer="human", answer_delay_s=15, press="1",
                               press_delay_s=1)
    callers = [f"+3170356{n:04d}" for n in range(6)]
    sids = [live.dial(caller=number) for number in callers]
    for sid in sids:
        live.choose(sid, "1")
    for sid in sids:
        live.wait_heard(sid, CONNECTED, timeout=60)
    with live.exchange.db.session() as session:
        states = session.scalars(select(HelpRequest.state)
                                 .where(HelpRequest.call_sid.in_(sids))).all()
    assert states == ["matched"] * 6
    assert not [leg.error for leg in legs(live) if leg.error]
    assert all(leg.first_news_at is not None for leg in legs(live))
    # The account's pace held calls back past the first six: a seventh could only be withdrawn
    # (its request matched) fifteen seconds after the first rang, long after its turn. How many
    # of the 18 went out depends on how soon the first matches came.
    placed = [call for call in live.net.calls() if call["direction"] == "outbound-api"]
    assert len(placed) >= 7


@SQLITE_ONLY
def test_a_volunteer_who_picks_up_hears_the_offer_at_once(live):
    phones(live, dict(answer="human", answer_delay_s=1))
    ask_for_groceries(live)
    live.wait_until(lambda _: live.calls_to(VOLUNTEERS[0]))
    leg = live.calls_to(VOLUNTEERS[0])[0]
    live.wait_heard(leg["sid"], OFFER)
    call = live.net.call(leg["sid"])
    transcript = call["transcript"]
    answered = transcript.index(entry(call, "system", "opgenomen"))
    offer = next(i for i, e in enumerate(transcript) if e["kind"] == "say")
    # No silent wait for machine detection: nothing is played between the pick-up and the
    # offer (synchronous detection would put its silence there), and detection reports its
    # verdict while the volunteer already listens. (Not a bound on the seconds between them:
    # that is the webhook's time on a loaded machine, which failed a parallel run at 1 s.)
    assert [e["kind"] for e in transcript[answered + 1:offer]
            if e["kind"] in ("pause", "say", "play")] == []
    assert not [e for e in transcript if "machine detection" in e["text"]]
    live.wait_until(lambda net: any(e["text"] == "AMD (async): human"
                                    for e in net.call(leg["sid"])["transcript"]))


@SQLITE_ONLY
def test_a_volunteer_with_a_long_greeting_is_not_hung_up_on(live):
    phones(live, dict(answer="human", answer_delay_s=1, greeting=LONG_GREETING, press="1",
                      press_delay_s=8))
    sid = ask_for_groceries(live)
    live.wait_state("matched")
    assert_bridged(live, sid, VOLUNTEERS[0])
    leg = legs(live)[0]
    assert (leg.answered_by, leg.outcome) == ("machine_end_silence", "accepted")


@SQLITE_ONLY
def test_a_voicemail_is_hung_up_on_and_the_next_volunteer_rung(live):
    phones(live, dict(answer="machine", answer_delay_s=1), ACCEPT)
    sid = ask_for_groceries(live)
    live.wait_state("matched")
    assert_bridged(live, sid, VOLUNTEERS[1])
    voicemail = live.calls_to(VOLUNTEERS[0])[0]
    live.wait_status(voicemail["sid"], "completed")
    assert legs(live)[0].outcome == "machine"
    assert legs(live)[0].answered_by == "machine_end_beep"


def test_the_caller_hangs_up_right_after_the_volunteers_1_and_the_volunteer_hears_it(live):
    phones(live, ACCEPT)
    # The caller hangs up when the exchange has answered the volunteer's 1 (the request is
    # matched) and before the volunteer's <Dial><Queue> can take them out of the queue.
    live.net.after_next_webhook("/ivr/volunteer/answer",
                                lambda: live.net.hangup(live.request().call_sid))
    sid = ask_for_groceries(live)
    live.wait_until(lambda _: live.calls_to(VOLUNTEERS[0]))
    helper = live.calls_to(VOLUNTEERS[0])[0]["sid"]
    live.wait_heard(helper, JUST_HUNG_UP)
    live.wait_status(helper, "completed")
    request = live.wait_state("abandoned")
    assert request.outcome == "caller_hung_up"
    assert CONNECTED not in live.net.heard(sid)
    with live.exchange.db.session() as session:
        assert session.scalars(select(Match)).all() == []
        report = monthly_report(session, to_local(utcnow()).strftime("%Y-%m"))
    assert (report["total"]["matches"], report["total"]["abandoned"]) == (0, 1)


def test_a_failing_hold_webhook_leaves_the_caller_searching_and_later_bridged(live):
    live.net.fail_next_webhook("/ivr/caller/hold", "http-500", times=1)
    phones(live, dict(answer="human", answer_delay_s=10, press="1", press_delay_s=1))
    sid = ask_for_groceries(live)
    live.wait_heard(sid, "We zoeken nog naar een buur. Blijft u aan de lijn.")
    assert live.request().state == "searching"
    live.wait_state("matched")
    assert_bridged(live, sid, VOLUNTEERS[0])
    assert 11200 in [n["code"] for n in live.net.notifications(sid)]


@SQLITE_ONLY
def test_the_wait_failing_twice_ends_with_an_apology(live):
    live.net.fail_next_webhook("/ivr/caller/hold", "http-500", times=2)
    phones(live, dict(answer="manual"))
    sid = ask_for_groceries(live)
    live.wait_heard(sid, "Sorry, er ging bij ons iets mis.")
    live.wait_status(sid, "completed")
    # The exchange gave up, not the caller; the caller's status callback later changes nothing.
    assert live.wait_state("abandoned").outcome == "wait_failed"


@SQLITE_ONLY
def test_key_0_with_an_unanswered_coordinator_gives_a_message_and_the_menu_back(database_url):
    office = {"coordinator_phone": "+31701110000", "hours": "mo-su 00:00-24:00"}
    for live in running(database_url, office=office):
        live.net.set_behaviour("+31701110000", answer="no-answer")
        phones(live, ACCEPT)
        sid = live.dial()
        live.choose(sid, "0")
        live.wait_heard(sid, "Een ogenblik, u wordt doorverbonden met de coördinator.")
        live.wait_heard(sid, "De coördinator is nu niet bereikbaar.")
        live.choose(sid, "1")
        live.wait_state("matched")
        assert_bridged(live, sid, VOLUNTEERS[0])
        assert live.request().call_sid == sid


@SQLITE_ONLY
def test_the_queue_of_a_finished_request_is_deleted(live):
    phones(live, ACCEPT)
    sid = ask_for_groceries(live)
    request = live.wait_state("matched")
    assert_bridged(live, sid, VOLUNTEERS[0])
    assert live.net.queue(request.queue_name) is not None
    live.net.hangup(sid)
    live.wait_until(lambda net: net.queue(request.queue_name) is None)


@SQLITE_ONLY
def test_a_number_processed_in_another_region_is_reported_loudly_once(live, caplog):
    """The exchange talks to US1 while the number's calls live in IE1: Twilio answers 404 to
    every update of them, which the exchange must not take for "the call is gone"."""
    live.net.add_number(EXCHANGE, voice_url=live.exchange.urls.url("/ivr/voice"),
                        status_callback=live.exchange.urls.url("/ivr/caller/status"),
                        region="ie1")
    phones(live, dict(answer="busy"), dict(answer="busy"), dict(answer="busy"))
    sid = ask_for_groceries(live)
    live.wait_state("unmatched")
    # The engine's redirect to the unmatched message fails; the hold webhook still tells them.
    live.wait_heard(sid, "Het spijt ons:")

    def reported() -> list[str]:
        return [r.getMessage() for r in caplog.records
                if r.levelname == "ERROR" and "CONFIGURATION PROBLEM" in r.getMessage()]

    live.wait_until(lambda _: reported())
    live.wait_status(sid, "completed")
    assert len(reported()) == 1 and "region" in reported()[0]
