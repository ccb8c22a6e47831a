"""Follow-up calls through the simulated carrier: after a match both sides are phoned, press
their answers, and the month's report shows them."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bhc.db import utcnow
from bhc.models import FollowUp
from bhc.reports.monthly import monthly_report
from tests.e2e.conftest import CALLER, VOLUNTEERS, running
from tests.e2e.test_calls import ACCEPT, ask_for_groceries, assert_bridged, phones

pytestmark = pytest.mark.e2e


@pytest.fixture
def live(database_url):
    """The running exchange of the e2e tests, with follow-ups a second after a match."""
    yield from running(database_url, followup={"delay": "1"})


def answered_follow_ups(live) -> list[FollowUp]:
    with live.exchange.db.session() as session:
        return list(session.scalars(select(FollowUp).where(FollowUp.state == "answered")
                                    .order_by(FollowUp.side)))


def test_a_follow_up_answered_by_both_sides_appears_in_the_report(live, caplog):
    caplog.set_level(logging.INFO)
    phones(live, ACCEPT)  # the volunteer's phone also answers the follow-up, pressing 1
    live.net.set_behaviour(CALLER, answer="human", answer_delay_s=1)
    caller_sid = ask_for_groceries(live)
    live.wait_state("matched")
    assert_bridged(live, caller_sid, VOLUNTEERS[0])
    live.net.hangup(caller_sid)  # the two have talked; the follow-ups may now come

    live.wait_until(lambda net: live.calls_to(CALLER))
    follow_up = live.calls_to(CALLER)[0]["sid"]
    live.wait_heard(follow_up, "Druk 1 als u geholpen bent, druk 2 als dat niet zo is.")
    live.choose(follow_up, "1")
    live.wait_heard(follow_up, "Druk 1 als u graag nog eens contact hebt met deze buur")
    live.choose(follow_up, "1")
    live.wait_heard(follow_up, "Dank u wel voor uw antwoorden. Tot ziens.")
    helper_call = live.calls_to(VOLUNTEERS[0])[-1]["sid"]
    live.wait_heard(helper_call, "U werd onlangs doorverbonden met een buur die hulp vroeg bij "
                    "boodschappen doen.")
    live.wait_heard(helper_call, "Dank u wel voor uw antwoorden. Tot ziens.")
    live.wait_until(lambda _: len(answered_follow_ups(live)) == 2)

    asker, helper = answered_follow_ups(live)
    assert (asker.helped, asker.wants_contact_again, helper.could_help) == (True, True, True)
    with live.exchange.db.session() as session:
        month = utcnow().replace(tzinfo=ZoneInfo("UTC")).astimezone(
            ZoneInfo("Europe/Amsterdam")).strftime("%Y-%m")
        total = monthly_report(session, month)["total"]
    assert (total["matches"], total["followups_answered"], total["help_given"],
            total["help_given_rate"], total["wants_contact_again"]) == (1, 1, 1, 1.0, 1)

    live.wait_steps(3)  # the engine looks again and again: still one follow-up call each
    assert len(live.calls_to(CALLER)) == 1
    assert len(live.calls_to(VOLUNTEERS[0])) == 2  # the offer and the follow-up
    numbers = [CALLER, *VOLUNTEERS]
    assert not [r.getMessage() for r in caplog.records
                if any(number in r.getMessage() for number in numbers)]
