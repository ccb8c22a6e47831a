"""Inbound calls: voice webhook, Gather (digits, barge-in, timeout), Reject, Hangup, application
errors.
"""

import logging

from .helpers import CALLER, EXCHANGE, done, say

MENU = (
    '<Response><Gather action="menu" timeout="50"><Say language="nl-NL">Toets uw keuze</Say>'
    "</Gather><Say>Geen keuze ontvangen</Say></Response>"
)


def register(harness, voice: str) -> None:
    harness.app.on("/ivr/voice", voice)
    harness.net.add_number(
        EXCHANGE,
        voice_url=harness.app.url("/ivr/voice"),
        status_callback=harness.app.url("/ivr/caller-status"),
    )


def test_inbound_call_fetches_voice_url_and_posts_pressed_digits(harness):
    register(harness, MENU)
    harness.app.on("/ivr/menu", lambda form: say(f"U koos {form['Digits']}"))
    sid = harness.net.dial(from_=CALLER, to=EXCHANGE)
    harness.net.wait_for(lambda n: n.call(sid)["waiting_for_digits"])
    harness.net.press(sid, "12#")
    menu = harness.app.wait_hits("/ivr/menu")[0]
    assert (menu["Digits"], menu["FinishedOnKey"], menu["CallStatus"]) == ("12", "#", "in-progress")
    voice = harness.app.hits("/ivr/voice")[0]
    assert (voice["From"], voice["To"], voice["Direction"]) == (CALLER, EXCHANGE, "inbound")
    assert voice["CallStatus"] == "ringing"
    final = harness.app.wait_hits("/ivr/caller-status")[0]
    assert final["CallStatus"] == "completed" and final["CallSid"] == sid
    assert harness.net.heard(sid) == "Toets uw keuze\nU koos 12"
    said = next(e for e in harness.net.call(sid)["transcript"] if e["kind"] == "say")
    assert (said["text"], said["language"]) == ("Toets uw keuze", "nl-NL")
    assert isinstance(said["t"], float)
    assert all(hit.valid for hit in harness.app.hits_log)


def test_num_digits_takes_one_digit_and_keeps_the_rest_buffered(harness):
    register(harness, '<Response><Gather numDigits="1" action="first" timeout="50"/></Response>')
    harness.app.on(
        "/ivr/first", '<Response><Gather numDigits="1" action="second" timeout="50"/></Response>'
    )
    sid = harness.net.dial(from_=CALLER, to=EXCHANGE)
    harness.net.wait_for(lambda n: n.call(sid)["waiting_for_digits"])
    harness.net.press(sid, "34")
    assert harness.app.wait_hits("/ivr/first")[0]["Digits"] == "3"
    assert harness.app.wait_hits("/ivr/second")[0]["Digits"] == "4"


def test_digits_during_the_prompt_barge_in(harness):
    """A prompt that repeats until interrupted (loop="0") can only end by barge-in: the key cuts
    it short and the caller hears the menu's answer next (no race against the prompt's length).
    """
    register(
        harness,
        '<Response><Gather numDigits="1" action="menu">'
        '<Say loop="0">Kies een nummer</Say></Gather><Say>Te laat</Say></Response>',
    )
    harness.app.on("/ivr/menu", lambda form: say(f"U koos {form['Digits']}"))
    sid = harness.net.dial(from_=CALLER, to=EXCHANGE)
    harness.net.wait_for(lambda n: "Kies een nummer" in n.heard(sid))
    harness.net.press(sid, "5")
    harness.net.wait_for(done(sid))
    assert harness.app.hits("/ivr/menu")[0]["Digits"] == "5"
    assert harness.net.heard(sid) == "Kies een nummer\nU koos 5"


def test_gather_timeout_falls_through_to_the_next_verb(harness):
    register(harness, MENU.replace('timeout="50"', 'timeout="5"'))
    sid = harness.net.dial(from_=CALLER, to=EXCHANGE)
    harness.net.wait_for(done(sid))
    assert harness.net.heard(sid) == "Toets uw keuze\nGeen keuze ontvangen"
    assert harness.app.hits("/ivr/menu") == []
    assert harness.net.call(sid)["status"] == "completed"


def test_redirect_resolves_relative_urls_and_hangup_ends_the_call(harness):
    register(harness, "<Response><Say>Een</Say><Redirect>next?step=2</Redirect></Response>")
    harness.app.on("/ivr/next", "<Response><Say>Twee</Say><Hangup/><Say>Nooit</Say></Response>")
    sid = harness.net.dial(from_=CALLER, to=EXCHANGE)
    harness.net.wait_for(done(sid))
    assert harness.net.heard(sid) == "Een\nTwee"
    assert harness.app.hits("/ivr/next")[0]["CallSid"] == sid


def test_reject_busy_leaves_the_call_unanswered(harness):
    register(harness, '<Response><Reject reason="busy"/></Response>')
    sid = harness.net.dial(from_="anonymous", to=EXCHANGE)
    final = harness.app.wait_hits("/ivr/caller-status")[0]
    assert final["CallStatus"] == "busy" and final["From"] == "anonymous"
    assert harness.net.call(sid)["status"] == "busy"


def test_application_error_is_heard_and_the_call_ends(harness):
    register(harness, lambda form: ("boom", 500))
    sid = harness.net.dial(from_=CALLER, to=EXCHANGE)
    harness.net.wait_for(done(sid))
    call = harness.net.call(sid)
    assert call["status"] == "completed"
    assert any(
        e["kind"] == "system" and "application error" in e["text"] for e in call["transcript"]
    )


def test_unparsable_twiml_is_an_application_error(harness):
    register(harness, "<Response><Say>kapot")
    sid = harness.net.dial(from_=CALLER, to=EXCHANGE)
    harness.net.wait_for(done(sid))
    assert "application error" in harness.net.call(sid)["transcript"][-2]["text"]


def test_unknown_number_fails(harness):
    sid = harness.net.dial(from_=CALLER, to="+31700000000")
    harness.net.wait_for(done(sid))
    assert harness.net.call(sid)["status"] == "failed"


def test_caller_hangs_up_mid_pause(harness):
    register(harness, '<Response><Say>Wacht</Say><Pause length="500"/></Response>')
    sid = harness.net.dial(from_=CALLER, to=EXCHANGE)
    harness.net.wait_for(lambda n: n.heard(sid) == "Wacht")
    harness.net.hangup(sid)
    assert harness.app.wait_hits("/ivr/caller-status")[0]["CallStatus"] == "completed"


def test_logs_never_show_full_phone_numbers(harness, caplog):
    caplog.set_level(logging.DEBUG, logger="ivr.simulator")
    register(harness, "<Response><Say>Hallo</Say></Response>")
    sid = harness.net.dial(from_=CALLER, to=EXCHANGE)
    harness.net.wait_for(done(sid))
    assert caplog.records, "expected the simulator to log something"
    assert CALLER[1:] not in caplog.text and EXCHANGE[1:] not in caplog.text
    assert "***1111" in caplog.text
