"""Issue 7 end to end through the simulated carrier: English throughout, a recording played
instead of the text, a helper pausing themselves by phone, and 0 for the coordinator."""

from __future__ import annotations

import urllib.request

import pytest

from bhc.db import utcnow
from bhc.prompts import recordings
from tests.e2e.conftest import VOLUNTEERS, running
from tests.e2e.test_calls import ACCEPT, CONNECTED, assert_bridged, phones
from tests.integration.prompts.test_recorded_prompts import MP3

pytestmark = pytest.mark.e2e
COORDINATOR = "+31703000000"
# The language and office tests read no database-specific behaviour: SQLite alone suffices.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def said_to(live, sid: str) -> list[tuple[str, str | None]]:
    """(text, speech language) of every Say the phone heard, in order."""
    return [(e["text"], e["language"]) for e in live.net.call(sid)["transcript"]
            if e["kind"] == "say"]


@SQLITE_ONLY
def test_a_caller_chooses_english_and_hears_english_throughout(live):
    phones(live, ACCEPT)
    sid = live.dial()
    live.wait_heard(sid, "Press 9 for English.")
    live.choose(sid, "9")
    live.wait_heard(sid, "Press 1 for groceries.")
    live.choose(sid, "1")
    live.wait_state("matched")
    live.wait_heard(sid, "A neighbour is on the line for you now.")
    heard = said_to(live, sid)
    after_choice = heard[[text for text, _ in heard].index("Press 9 for English.") + 1:]
    assert after_choice and {language for _, language in after_choice} == {"en-GB"}
    assert not [text for text, _ in after_choice if "Druk" in text or "buur" in text]
    volunteer_heard = live.net.heard(live.calls_to(VOLUNTEERS[0])[0]["sid"])
    assert "Een buurtbewoner vraagt hulp bij boodschappen doen." in volunteer_heard


def test_a_recorded_prompt_is_played_instead_of_the_text(live):
    with live.exchange.db.session() as session:
        prompt = recordings.save(
            session, key=recordings.message_key("Press star to hear this again."),
            language="nl", data=MP3, user_id=None, now=utcnow())
        file_name = recordings.Recording(prompt.id, prompt.token,
                                            prompt.content_type).file_name
    recordings.index(live.exchange.db).forget()
    sid = live.dial()
    live.wait_for_keys(sid)
    url = f"{live.exchange.urls.base}/ivr/audio/{file_name}"
    live.wait_until(lambda net: any(e["kind"] == "play" and e["text"] == url
                                    for e in net.call(sid)["transcript"]))
    assert "Druk sterretje om dit nog eens te horen." not in live.net.heard(sid)
    assert "Druk 1 voor boodschappen doen." in live.net.heard(sid)
    with urllib.request.urlopen(url, timeout=30) as fetched:  # as the carrier fetches it
        assert fetched.read() == MP3


def test_a_helper_pauses_by_phone_and_is_not_rung_until_they_resume(live):
    helper = VOLUNTEERS[0]  # the first the fairness rule would ring
    own = live.dial(caller=helper)
    live.choose(own, "8")
    live.wait_heard(own, "U kunt gebeld worden als een buur om hulp vraagt.")
    live.choose(own, "2")
    live.wait_heard(own, "U wordt niet gebeld tot u ons weer belt en daarom vraagt.")
    live.net.hangup(own)

    phones(live, ACCEPT, ACCEPT, ACCEPT)
    first = live.dial()
    live.choose(first, "1")
    live.wait_state("matched")
    assert_bridged(live, first, VOLUNTEERS[1])
    assert helper not in live.rung()
    live.net.hangup(first)

    again = live.dial(caller=helper)
    live.wait_heard(again, "Druk 8 om weer gebeld te worden.")
    live.choose(again, "8")
    live.wait_heard(again, "U wordt weer gebeld als een buur om hulp vraagt.")
    live.net.hangup(again)

    second = live.dial()
    live.choose(second, "1")
    live.wait_heard(second, CONNECTED)
    assert live.rung()[-1] == helper


def office_live(database_url, hours):
    yield from running(database_url, office={"coordinator_phone": COORDINATOR, "hours": hours})


@pytest.fixture
def office_open(database_url):
    yield from office_live(database_url, "mo-su 00:00-24:00")


@pytest.fixture
def office_closed(database_url):
    yield from office_live(database_url, "sa 03:00-03:01")


@SQLITE_ONLY
def test_zero_reaches_the_coordinator_in_office_hours(office_open):
    live = office_open
    live.net.set_behaviour(COORDINATOR, answer="human")
    sid = live.dial()
    live.wait_heard(sid, "Druk 0 om de coördinator te spreken.")
    live.choose(sid, "0")
    live.wait_heard(sid, "u wordt doorverbonden met de coördinator")
    live.wait_until(lambda net: live.calls_to(COORDINATOR)
                    and net.call(sid)["bridged_with"] == live.calls_to(COORDINATOR)[0]["sid"])
    assert live.calls_to(COORDINATOR)[0]["from"] == "+31702000001"  # the exchange's number
    assert live.request().outcome == "to_coordinator"


@SQLITE_ONLY
def test_zero_outside_office_hours_tells_the_hours(office_closed):
    live = office_closed
    sid = live.dial()
    live.choose(sid, "0")
    live.wait_heard(sid, "De coördinator is bereikbaar op zaterdag van 3:00 tot 3:01.")
    live.choose(sid, "1")  # the menu is offered again, and still works
    live.wait_heard(sid, "U vraagt hulp bij boodschappen doen.")
    assert live.calls_to(COORDINATOR) == []
    assert live.request().category_slug == "groceries"
    live.net.hangup(sid)
    live.wait_state("abandoned")
