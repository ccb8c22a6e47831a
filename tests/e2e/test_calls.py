"""The call as the pilots ran it, end to end through the simulated carrier."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bhc.models import HelpRequest, Match
from tests.e2e.conftest import VOLUNTEERS
from tests.integration.conftest import volunteer

pytestmark = pytest.mark.e2e
ACCEPT = dict(answer="human", answer_delay_s=1, press="1", press_delay_s=1)
DECLINE = dict(answer="human", answer_delay_s=1, press="2", press_delay_s=1)
NO_ANSWER = dict(answer="no-answer")
CONNECTED = "Er is nu een buur voor u aan de lijn."


def phones(live, *behaviours):
    for number, behaviour in zip(VOLUNTEERS, behaviours):
        live.net.set_behaviour(number, **behaviour)


def ask_for_groceries(live) -> str:
    sid = live.dial()
    live.wait_heard(sid, "Druk 1 voor boodschappen doen.")
    live.choose(sid, "1")
    live.wait_heard(sid, "U vraagt hulp bij boodschappen doen.")
    return sid


def assert_bridged(live, caller_sid: str, volunteer: str) -> None:
    live.wait_heard(caller_sid, CONNECTED)
    leg = live.calls_to(volunteer)[-1]
    live.wait_until(lambda net: net.call(caller_sid)["bridged_with"] == leg["sid"])


def test_first_volunteer_accepts_and_is_connected(live):
    phones(live, ACCEPT, ACCEPT, ACCEPT)
    sid = ask_for_groceries(live)
    request = live.wait_state("matched")
    assert_bridged(live, sid, VOLUNTEERS[0])
    assert live.rung() == VOLUNTEERS[:1]
    heard = live.net.heard(live.calls_to(VOLUNTEERS[0])[0]["sid"])
    assert "Een buurtbewoner vraagt hulp bij boodschappen doen." in heard
    assert request.outcome == "matched"


def test_decline_then_accept(live):
    phones(live, DECLINE, ACCEPT, ACCEPT)
    sid = ask_for_groceries(live)
    live.wait_state("matched")
    assert_bridged(live, sid, VOLUNTEERS[1])
    assert live.rung() == VOLUNTEERS[:2]
    assert "We vragen een andere buur" in live.net.heard(live.calls_to(VOLUNTEERS[0])[0]["sid"])


def test_no_answer_twice_then_accept(live):
    phones(live, NO_ANSWER, dict(answer="busy"), ACCEPT)
    sid = ask_for_groceries(live)
    live.wait_state("matched")
    assert_bridged(live, sid, VOLUNTEERS[2])
    assert live.rung() == VOLUNTEERS
    assert [live.calls_to(v)[0]["status"] for v in VOLUNTEERS[:2]] == ["no-answer", "busy"]


def test_all_decline_and_the_caller_hears_so_kindly(live):
    phones(live, DECLINE, DECLINE, DECLINE)
    sid = ask_for_groceries(live)
    request = live.wait_state("unmatched")
    assert request.outcome == "all_declined"
    live.wait_heard(sid, "er kon nu geen buur op uw vraag ingaan")
    live.wait_heard(sid, "Druk 1 als u wilt dat we u terugbellen")
    # Silence after the offer of a call-back: a kind goodbye, and the call ends.
    live.wait_heard(sid, "Probeert u het later nog eens. Tot ziens.")
    live.wait_status(sid, "completed")
    assert live.rung() == VOLUNTEERS


@pytest.mark.phones_ring_long
def test_caller_hangs_up_mid_search_and_the_ringing_volunteer_is_released(live):
    phones(live, dict(answer="manual"))
    sid = ask_for_groceries(live)
    live.wait_until(lambda net: any(c["status"] == "ringing"
                                    for c in live.calls_to(VOLUNTEERS[0])))
    live.net.hangup(sid)
    request = live.wait_state("abandoned")
    assert request.outcome == "caller_hung_up"
    live.wait_until(lambda net: live.calls_to(VOLUNTEERS[0])[0]["status"] == "canceled")
    assert live.rung() == VOLUNTEERS[:1]


def test_wrong_key_then_right_key(live):
    phones(live, ACCEPT)
    sid = live.dial()
    live.choose(sid, "0")
    live.wait_heard(sid, "Sorry, die toets hoort niet bij het menu.")
    live.choose(sid, "1")
    live.wait_state("matched")
    assert_bridged(live, sid, VOLUNTEERS[0])


def test_unknown_exchange_number(live):
    live.net.add_number("+31709999999", voice_url=live.exchange.urls.url("/ivr/voice"))
    sid = live.dial(to="+31709999999")
    live.wait_heard(sid, "Dit nummer wordt niet gebruikt voor burenhulp.")
    live.wait_status(sid, "completed")
    assert live.request().call_sid == "CAhistory"  # no new request was opened


def test_unregistered_caller_gets_help_too(live):
    phones(live, ACCEPT)
    sid = live.dial(caller="+31612999999")
    live.choose(sid, "1")
    request = live.wait_state("matched")
    with live.exchange.db.session() as session:
        caller = session.get(HelpRequest, request.id).caller
        assert (caller.phone, caller.needs_review) == ("+31612999999", True)
    assert_bridged(live, sid, VOLUNTEERS[0])


@pytest.mark.phones_ring_long
def test_restart_during_a_search_resumes_without_calling_anyone_twice(live):
    phones(live, dict(answer="manual"), ACCEPT, ACCEPT)
    sid = ask_for_groceries(live)
    live.wait_until(lambda net: any(c["status"] == "ringing"
                                    for c in live.calls_to(VOLUNTEERS[0])))
    live.restart_engine()
    first = live.calls_to(VOLUNTEERS[0])[0]["sid"]
    live.net.reject(first, reason="busy")
    live.wait_state("matched")
    assert_bridged(live, sid, VOLUNTEERS[1])
    assert live.rung() == VOLUNTEERS[:2]
    assert len(live.calls_to(VOLUNTEERS[0])) == 1


def test_no_full_phone_number_is_logged_during_a_call(live, caplog):
    caplog.set_level("DEBUG")
    phones(live, DECLINE, NO_ANSWER, ACCEPT)
    ask_for_groceries(live)
    live.wait_state("matched")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "****" in logged  # numbers do appear, masked
    for number in ["+31703561234", *VOLUNTEERS]:
        assert number not in logged and number[1:] not in logged


def test_unmatched_then_called_back_when_a_neighbour_can_help(live):
    phones(live, DECLINE, DECLINE, DECLINE)
    sid = ask_for_groceries(live)
    live.wait_state("unmatched")
    live.wait_heard(sid, "Druk 1 als u wilt dat we u terugbellen")
    live.choose(sid, "1")
    live.wait_heard(sid, "We bellen u op dit nummer terug zodra een buur kan helpen.")
    live.wait_status(sid, "completed")
    # The next morning a neighbour who can help is available; the resident answers our call.
    newcomer = "+31612340007"
    live.net.set_behaviour(newcomer, **ACCEPT)
    live.net.set_behaviour("+31703561234", answer="human", answer_delay_s=1, press="1",
                           press_delay_s=1)
    with live.exchange.db.session() as session:
        volunteer(session, 1, newcomer, categories=("groceries",))
    live.wait_until(lambda _: live.request().outcome == "called_back")
    back = [c for c in live.calls_to("+31703561234")][-1]
    helper = live.calls_to(newcomer)[-1]
    live.wait_until(lambda net: net.call(back["sid"])["bridged_with"] == helper["sid"])
    assert "We bellen u terug over boodschappen doen" in live.net.heard(back["sid"])
    assert "We bellen uw buur nu op." in live.net.heard(helper["sid"])


@pytest.mark.phones_ring_long
def test_waves_ring_three_at_once_the_first_1_wins_and_the_others_are_told(live):
    live.config = live.config.replace(matching={"strategy": "waves", "wave_size": 3})
    live.restart_engine()
    phones(live, dict(answer="human", answer_delay_s=1, press="1", press_delay_s=1),
           dict(answer="human", answer_delay_s=1, press="1", press_delay_s=30),
           dict(answer="manual"))
    sid = ask_for_groceries(live)
    live.wait_state("matched")
    assert_bridged(live, sid, VOLUNTEERS[0])
    assert sorted(live.rung()) == sorted(VOLUNTEERS)
    second, third = (live.calls_to(v)[-1]["sid"] for v in VOLUNTEERS[1:])
    live.wait_until(lambda net: "net aangenomen" in net.heard(second))
    live.wait_until(lambda net: net.call(third)["status"] == "canceled")
    with live.exchange.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Match)) == 1
