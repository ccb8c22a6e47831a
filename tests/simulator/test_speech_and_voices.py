"""<Gather> with speech input, and <Say> voices, languages and SSML, as a caller and the app see
them.
"""

import pytest

from .helpers import CALLER, EXCHANGE, VOLUNTEER, done, say


def register(harness, voice: str) -> None:
    harness.app.on("/ivr/voice", voice)
    harness.net.add_number(EXCHANGE, voice_url=harness.app.url("/ivr/voice"))


def gather(input_: str | None, prompt: str = "Zeg of toets uw keuze") -> str:
    attributes = f' input="{input_}"' if input_ else ""
    return (
        f'<Response><Gather{attributes} action="menu" timeout="50" language="nl-NL" '
        f'hints="boodschappen, klusje" speechTimeout="auto"><Say loop="0">{prompt}</Say>'
        "</Gather><Say>Niets gehoord</Say></Response>"
    )


def test_speech_is_reported_as_speech_result_and_confidence(harness):
    register(harness, gather("speech"))
    harness.app.on("/ivr/menu", lambda form: say(f"U zei {form['SpeechResult']}"))
    sid = harness.net.dial(from_=CALLER, to=EXCHANGE)
    harness.net.wait_for(lambda n: n.call(sid)["listening_for_speech"])
    assert harness.net.speak(sid, "Boodschappen doen", confidence=0.83) is True
    menu = harness.app.wait_hits("/ivr/menu")[0]
    assert (menu["SpeechResult"], menu["Confidence"]) == ("Boodschappen doen", "0.83")
    assert "Digits" not in menu
    harness.net.wait_for(done(sid))
    assert harness.net.heard(sid) == "Zeg of toets uw keuze\nU zei Boodschappen doen"
    listening = next(e for e in harness.net.call(sid)["transcript"] if e["kind"] == "gather")
    assert (listening["language"], listening["hints"]) == ("nl-NL", "boodschappen, klusje")


def test_keys_pressed_instead_give_digits(harness):
    register(harness, gather("dtmf speech"))
    harness.app.on("/ivr/menu", lambda form: say(f"U koos {form['Digits']}"))
    sid = harness.net.dial(from_=CALLER, to=EXCHANGE)
    harness.net.wait_for(lambda n: n.call(sid)["waiting_for_digits"])
    harness.net.press(sid, "2#")
    menu = harness.app.wait_hits("/ivr/menu")[0]
    assert menu["Digits"] == "2" and "SpeechResult" not in menu


def test_with_dtmf_input_speech_is_not_heard(harness):
    register(harness, gather(None).replace('timeout="50"', 'timeout="5"'))
    sid = harness.net.dial(from_=CALLER, to=EXCHANGE)
    harness.net.wait_for(lambda n: n.call(sid)["waiting_for_digits"])
    assert harness.net.call(sid)["listening_for_speech"] is False
    assert harness.net.speak(sid, "Boodschappen") is False
    harness.net.wait_for(done(sid))
    assert harness.app.hits("/ivr/menu") == []
    assert harness.net.heard(sid).endswith("Niets gehoord")


def test_an_automatic_phone_can_speak_at_its_first_gather(harness):
    harness.net.set_behaviour(VOLUNTEER, answer="human", speak="Ja, ik help", speak_confidence=0.7)
    harness.app.on("/ivr/answer", gather("speech"))
    harness.app.on("/ivr/menu", say("Dank u"))
    harness.client.calls.create(to=VOLUNTEER, from_=EXCHANGE, url=harness.app.url("/ivr/answer"))
    menu = harness.app.wait_hits("/ivr/menu")[0]
    assert (menu["SpeechResult"], menu["Confidence"]) == ("Ja, ik help", "0.7")


def spoken(harness, twiml: str) -> tuple[str, dict | None, list[dict]]:
    """Run one inbound call; -> (what was heard, the first say entry, notifications)."""
    register(harness, twiml)
    sid = harness.net.dial(from_=CALLER, to=EXCHANGE)
    harness.net.wait_for(done(sid))
    entry = next((e for e in harness.net.call(sid)["transcript"] if e["kind"] == "say"), None)
    return harness.net.heard(sid), entry, harness.net.notifications(sid)


def test_ssml_with_a_polly_voice_is_heard_without_its_tags(harness):
    heard, entry, notes = spoken(
        harness,
        '<Response><Say voice="Polly.Lotte" language="nl-NL"><prosody rate="90%">Goedemiddag'
        '</prosody>, <break time="300ms"/>u spreekt met de <sub alias="burenhulpcentrale">BHC'
        "</sub>.</Say></Response>",
    )
    assert heard == "Goedemiddag, u spreekt met de burenhulpcentrale."
    assert (entry["voice"], entry["language"], entry["ssml"]) == ("Polly.Lotte", "nl-NL", True)
    assert notes == []


def test_ssml_with_a_basic_voice_is_not_interpreted_and_warned_about(harness):
    heard, entry, notes = spoken(
        harness,
        '<Response><Say voice="man" language="en-GB"><prosody rate="90%">Hello</prosody> '
        '<sub alias="neighbour">NB</sub></Say></Response>',
    )
    assert heard == "Hello NB"
    assert (entry["voice"], entry["ssml"]) == ("man", False)
    assert [(n["code"], n["level"]) for n in notes] == [(13513, "warning")]


@pytest.mark.parametrize(
    "say_element, code",
    [
        ('<Say voice="Polly.Joanna" language="nl-NL">Hallo</Say>', 13511),  # wrong language
        ('<Say voice="alice" language="nl-NL">Hallo</Say>', 13511),  # no longer a voice
        ('<Say voice="Polly.Nobody">Hallo</Say>', 13511),
        ('<Say voice="Polly.Lotte" language="nl-NL"><blink>Hallo</blink></Say>', 13520),
        ("<Say>   </Say>", 13520),
    ],
)
def test_a_say_twilio_would_refuse_is_not_heard(harness, say_element, code):
    heard, entry, notes = spoken(harness, f"<Response>{say_element}<Say>Daarna</Say></Response>")
    assert heard == "Daarna"
    assert [n["code"] for n in notes] == [code]


def test_the_account_default_voice_depends_on_the_language(harness):
    _, entry, _ = spoken(harness, '<Response><Say language="nl-NL">Welkom</Say></Response>')
    assert (entry["voice"], entry["language"]) == ("Google.nl-NL-Standard-A", "nl-NL")


def test_the_account_default_voices_can_be_configured(harness):
    harness.net.set_default_voice("nl-NL", "Polly.Ruben")
    _, entry, _ = spoken(harness, '<Response><Say language="nl-NL">Welkom</Say></Response>')
    assert entry["voice"] == "Polly.Ruben"


def test_without_language_and_voice_it_is_man_in_en_us(harness):
    _, entry, _ = spoken(harness, "<Response><Say>Hello</Say></Response>")
    assert (entry["voice"], entry["language"]) == ("man", "en-US")
