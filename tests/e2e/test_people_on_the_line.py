"""Issue 14 end to end through the simulated carrier: saying what you need instead of pressing,
speech at a slower rate where the voice takes SSML, and being put through again to the
neighbour of a match without anyone's number being read out or shown."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bhc.app import create_app
from bhc.db import utcnow
from bhc.models import HelpRequest, Match, Neighbourhood, Reconnection
from bhc.users import services as users
from tests.e2e.conftest import CALLER, EXCHANGE, VOLUNTEERS, running
from tests.e2e.test_calls import ACCEPT, CONNECTED, assert_bridged, phones

pytestmark = pytest.mark.e2e
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
MENU = "Druk 1 voor boodschappen doen."
CONFIRM = "U wilt hulp bij boodschappen doen. Druk 1 als dat klopt, of zeg het nog eens."
OFFER = ("Wilt u weer verbonden worden met de buur die u vandaag sprak? Druk 1. "
         "Voor het menu, druk 2.")


def record_twiml(live) -> list[str]:
    """Every answer the app gives the carrier from now on (TwiML and status callbacks)."""
    answers: list[str] = []
    send = live.net.webhooks.send

    def recorded(url, method, params):
        response = send(url, method, params)
        answers.append(response.text)
        return response

    live.net.webhooks.send = recorded
    return answers


def speech_on(live, on: bool = True) -> None:
    with live.exchange.db.session() as session:
        session.execute(update(Neighbourhood).values(speech_input=on))


def say_when_listening(live, sid: str, phrase: str, confidence: float = 0.9, *,
                       nth: int = 1) -> None:
    """Say phrase into the call's nth listening <Gather>, once it is open.

    Counting from a fixed nth, not from "the next one", matters: the menu that follows a
    "Sorry" may already be listening when this is called, and waiting for a later one would
    let that gather time out and the caller's phrase land in the one after."""
    def open_now(net) -> bool:
        call = net.call(sid)
        assert _listens(call) <= nth, f"listening gather {nth} already passed"
        return call["listening_for_speech"] and _listens(call) == nth

    live.wait_until(open_now)
    assert live.net.speak(sid, phrase, confidence=confidence) is True


def _listens(call: dict) -> int:
    return sum(1 for e in call["transcript"]
               if e["kind"] == "gather" and e["text"].startswith("luistert"))


@pytest.fixture
def reconnecting(database_url):
    """An exchange that offers reconnections for 24 hours after a match (the default)."""
    yield from running(database_url, matching={"reconnect_hours": 24})


@pytest.fixture
def polly(database_url):
    """An exchange whose Dutch voice is Polly (SSML) and whose English one is Basic ("man")."""
    yield from running(database_url, ivr={"voices": {"nl": "Polly.Lotte", "en": "man"},
                                          "speech_rate": {"nl": "90", "en": "90"}})


@SQLITE_ONLY
def test_a_caller_says_boodschappen_confirms_with_1_and_is_matched(polly):
    live = polly
    speech_on(live)
    phones(live, ACCEPT)
    answers = record_twiml(live)
    sid = live.dial()
    say_when_listening(live, sid, "Boodschappen.", confidence=0.82)
    live.wait_heard(sid, CONFIRM)
    live.choose(sid, "1")
    live.wait_state("matched")
    assert_bridged(live, sid, VOLUNTEERS[0])
    assert live.request().category_slug == "groceries"
    listening = [e for e in live.net.call(sid)["transcript"]
                 if e["kind"] == "gather" and e["text"].startswith("luistert")]
    assert listening[0]["language"] == "nl-NL"
    assert "boodschappen" in listening[0]["hints"] and "supermarkt" in listening[0]["hints"]
    menu = next(a for a in answers if "Druk 1 voor boodschappen doen." in a)
    assert 'input="dtmf speech"' in menu and 'language="nl-NL"' in menu
    # speech_rate: Polly takes SSML, so the Dutch texts are spoken at 90%.
    assert '<Say language="nl-NL" voice="Polly.Lotte"><prosody rate="90%">' in menu
    says = [e for e in live.net.call(sid)["transcript"] if e["kind"] == "say"]
    assert says and all(e["ssml"] for e in says if e["voice"] == "Polly.Lotte")


@SQLITE_ONLY
def test_a_basic_voice_gets_no_prosody(polly):
    live = polly
    answers = record_twiml(live)
    sid = live.dial()
    live.choose(sid, "9")
    live.wait_heard(sid, "Press 1 for groceries.")
    english = ET.fromstring(next(a for a in answers if "Press 1 for groceries." in a))
    says = {say.get("voice"): say for say in english.iter("Say")}
    assert list(says["man"]) == [] and says["man"].text  # plain text, no <prosody>
    assert [child.tag for child in says["Polly.Lotte"]] == ["prosody"]  # "Druk 9 voor ..."
    assert [n for n in live.net.notifications(sid) if n["code"] == 13513] == []


@SQLITE_ONLY
def test_a_low_confidence_or_unknown_phrase_gives_the_menu_again(live):
    speech_on(live)
    sid = live.dial()
    say_when_listening(live, sid, "Boodschappen", confidence=0.2)
    live.wait_heard(sid, "Sorry, dat heb ik niet goed verstaan.")
    say_when_listening(live, sid, "Iets heel anders graag", nth=2)
    live.wait_until(lambda net: net.heard(sid).count("Sorry, dat heb ik niet goed verstaan.")
                    == 2)
    live.wait_until(lambda net: _listens(net.call(sid)) == 3)  # the menu a third time
    assert CONFIRM not in live.net.heard(sid)
    assert live.request().state == "menu"


@SQLITE_ONLY
def test_with_speech_off_nothing_listens_for_speech(live):
    answers = record_twiml(live)
    sid = live.dial()
    live.wait_for_keys(sid)
    assert live.net.call(sid)["listening_for_speech"] is False
    assert live.net.speak(sid, "Boodschappen") is False
    menu = next(a for a in answers if MENU in a)
    assert 'input="dtmf"' in menu and "speech" not in menu and "hints" not in menu
    assert "U kunt ook zeggen" not in menu


def _no_number_of(texts, *numbers) -> None:
    """None of the numbers appears, in any of its usual forms (+31..., 31..., 0...)."""
    for number in numbers:
        national = number[-9:]
        assert not [t for t in texts if national in t], number


def _pages_seen_by_a_coordinator(live) -> list[str]:
    app = create_app(live.exchange)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    with live.exchange.db.session() as session:
        users.create_user(session, email="ada@example.nl", name="Ada", role="admin",
                          password="correct horse battery", neighbourhood_names=[], now=utcnow())
        request_ids = list(session.scalars(select(HelpRequest.id)
                                           .where(HelpRequest.call_sid != "CAhistory")))
    client = app.test_client()
    client.post("/admin/login", data={"email": "ada@example.nl",
                                      "password": "correct horse battery"})
    pages = [client.get("/admin/").get_data(as_text=True)]
    pages += [client.get(f"/admin/requests/{r}").get_data(as_text=True) for r in request_ids]
    assert all("Segbroek" in page for page in pages)
    return pages


def test_a_match_then_the_asker_phones_again_presses_1_and_is_bridged_with_the_same_volunteer(
        reconnecting):
    live = reconnecting
    phones(live, ACCEPT, ACCEPT, ACCEPT)
    first = live.dial()
    live.choose(first, "1")
    live.wait_state("matched")
    assert_bridged(live, first, VOLUNTEERS[0])
    live.net.hangup(first)
    live.wait_done(first)
    helper_call = live.calls_to(VOLUNTEERS[0])[0]["sid"]
    live.wait_done(helper_call)  # the exchange knows both calls ended
    answers = record_twiml(live)
    # This time the volunteer listens to the whole question before pressing 1 (an automatic
    # press a second into the <Gather> could barge in on the greeting before the question).
    live.net.set_behaviour(VOLUNTEERS[0], answer="human", answer_delay_s=1)

    again = live.dial()
    live.wait_heard(again, OFFER)
    assert MENU not in live.net.heard(again)  # the offer comes before the menu
    live.choose(again, "1")
    live.wait_heard(again, "Een ogenblik: we bellen uw buur nu op.")
    live.wait_until(lambda _: len(live.calls_to(VOLUNTEERS[0])) == 2)
    back = live.calls_to(VOLUNTEERS[0])[-1]
    assert back["from"] == EXCHANGE  # the volunteer's phone shows the exchange, not the caller
    live.wait_heard(back["sid"], "De buur die u vandaag sprak over boodschappen doen wil u nog "
                    "even spreken. Druk 1 om verbonden te worden.")
    live.net.press(back["sid"], "1")
    live.wait_until(lambda net: net.call(again)["bridged_with"] == back["sid"])
    live.wait_heard(again, "Uw buur is nu aan de lijn.")
    assert live.rung() == VOLUNTEERS[:1]  # nobody else was rung: no new search
    with live.exchange.db.session() as session:
        reconnection = session.scalar(select(Reconnection))
        assert (reconnection.state, reconnection.outcome) == ("connected", "connected")
        assert session.scalar(select(HelpRequest.outcome)
                              .where(HelpRequest.call_sid == again)) == "reconnected"
    _no_number_of(answers, CALLER, VOLUNTEERS[0])
    _no_number_of(_pages_seen_by_a_coordinator(live), CALLER, VOLUNTEERS[0])


@SQLITE_ONLY
def test_after_the_window_the_menu_comes_first(reconnecting):
    live = reconnecting
    phones(live, ACCEPT)
    first = live.dial()
    live.choose(first, "1")
    live.wait_state("matched")
    live.wait_heard(first, CONNECTED)
    live.net.hangup(first)
    with live.exchange.db.session() as session:
        session.execute(update(Match).values(matched_at=utcnow() - timedelta(hours=25)))
    again = live.dial()
    live.wait_heard(again, MENU)
    live.wait_for_keys(again)
    assert OFFER not in live.net.heard(again)
    assert live.net.heard(again).startswith("Welkom bij de burenhulpcentrale van Segbroek.")
