"""Answering machine detection, sync and async, as a client and a callee observe it."""

import pytest

from ivr.simulator.phones import MACHINE_GREETING

from .helpers import EXCHANGE, TIME_SCALE, VOLUNTEER, done, pause_long, say

PIET = "Goedemiddag, met Piet de Vries"


def call_with_amd(harness, **amd) -> str:
    harness.app.on("/ivr/answer", say("Hallo vrijwilliger"))
    return create_with_amd(harness, **amd)


def create_with_amd(harness, **amd) -> str:
    return harness.client.calls.create(
        to=VOLUNTEER,
        from_=EXCHANGE,
        url=harness.app.url("/ivr/answer"),
        status_callback=harness.app.url("/ivr/status"),
        status_callback_event=["answered", "completed"],
        **amd,
    ).sid


def silence_before_first_words(harness, sid: str) -> float:
    """Wall-clock seconds between the callee picking up and hearing the app's first words."""
    transcript = harness.net.call(sid)["transcript"]
    answered = next(e["t"] for e in transcript if e["text"].startswith("opgenomen"))
    spoken = next(e["t"] for e in transcript if e["kind"] == "say")
    return spoken - answered


@pytest.mark.parametrize(
    "answer, greeting, mode, answered_by",
    [
        ("human", None, "Enable", "human"),
        ("human", PIET, "Enable", "machine_start"),  # a long greeting: a false machine
        ("machine", None, "Enable", "machine_start"),
        ("machine", None, "DetectMessageEnd", "machine_end_beep"),
        ("machine-other", None, "DetectMessageEnd", "machine_end_other"),
        ("human", PIET, "DetectMessageEnd", "machine_end_silence"),
        ("fax", None, "Enable", "fax"),
        ("human", "", "Enable", "unknown"),  # picks up and says nothing
    ],
)
def test_sync_detection_answers_with_answered_by(harness, answer, greeting, mode, answered_by):
    answer, _, machine_end = answer.partition("-")
    harness.net.set_behaviour(
        VOLUNTEER, answer=answer, greeting=greeting, machine_end=machine_end or "beep"
    )
    sid = call_with_amd(harness, machine_detection=mode)
    fetched = harness.app.wait_hits("/ivr/answer")[0]
    assert fetched["AnsweredBy"] == answered_by
    assert harness.client.calls(sid).fetch().answered_by == answered_by
    final = harness.app.wait_hits("/ivr/status", 2)[-1]
    assert final["CallStatus"] == "completed" and final["AnsweredBy"] == answered_by


def test_a_human_hears_silence_for_a_few_seconds_while_detection_runs(harness):
    harness.net.set_behaviour(VOLUNTEER, answer="human")  # "Hallo?": 0.5 s, then 1.2 s silence
    sid = call_with_amd(harness, machine_detection="Enable")
    harness.net.wait_for(done(sid))
    assert silence_before_first_words(harness, sid) >= 1.7 * TIME_SCALE * 0.95
    answered = harness.app.hits("/ivr/status")[0]
    assert answered["CallStatus"] == "in-progress" and "AnsweredBy" not in answered


def test_the_speech_threshold_decides_what_a_long_greeting_is(harness):
    harness.net.set_behaviour(VOLUNTEER, answer="human", greeting=PIET)
    call_with_amd(harness, machine_detection="Enable", machine_detection_speech_threshold=3000)
    assert harness.app.wait_hits("/ivr/answer")[0]["AnsweredBy"] == "human"


def test_detection_timeout_gives_unknown(harness):
    harness.net.set_behaviour(VOLUNTEER, answer="machine")  # a voicemail greeting of ~13 s
    call_with_amd(harness, machine_detection="DetectMessageEnd", machine_detection_timeout=5)
    assert harness.app.wait_hits("/ivr/answer")[0]["AnsweredBy"] == "unknown"


def test_without_machine_detection_no_answered_by_and_no_silence(harness):
    harness.net.set_behaviour(VOLUNTEER, answer="machine")
    sid = call_with_amd(harness)
    assert "AnsweredBy" not in harness.app.wait_hits("/ivr/answer")[0]
    harness.net.wait_for(done(sid))
    assert harness.client.calls(sid).fetch().answered_by is None
    assert not any("machine detection" in e["text"] for e in harness.net.call(sid)["transcript"])


def test_async_detection_fetches_at_once_and_posts_the_result_later(harness):
    harness.net.set_behaviour(VOLUNTEER, answer="machine")  # machine_end_beep after ~13 s
    harness.app.on("/ivr/answer", pause_long("Hallo vrijwilliger"))
    heard_by_then = []  # what the callee had heard when the detection's result came in

    def on_result(form: dict) -> str:
        transcript = harness.net.call(form["CallSid"])["transcript"]
        heard_by_then.append([e["text"] for e in transcript if e["kind"] == "say"])
        return "<Response/>"

    harness.app.on("/ivr/amd", on_result)
    sid = create_with_amd(
        harness,
        machine_detection="DetectMessageEnd",
        async_amd="true",
        async_amd_status_callback=harness.app.url("/ivr/amd"),
        async_amd_status_callback_method="POST",
    )
    fetched = harness.app.wait_hits("/ivr/answer")[0]
    assert "AnsweredBy" not in fetched
    result = harness.app.wait_hits("/ivr/amd")[0]
    assert result["AnsweredBy"] == "machine_end_beep" and result["CallSid"] == sid
    greeting_s = 0.5 * len(MACHINE_GREETING.split())  # 0.5 s a word, then the beep
    assert int(result["MachineDetectionDuration"]) == round((greeting_s + 0.5) * 1000)
    assert harness.app.arrivals("/ivr/answer")[0][0] < harness.app.arrivals("/ivr/amd")[0][0]
    assert all(hit.valid for hit in harness.app.hits_log)
    assert harness.client.calls(sid).fetch().answered_by == "machine_end_beep"
    # No silent wait: the callee heard the app's words before detection ended (by causality,
    # not by the clock: a loaded machine stretches wall-clock gaps, never their order).
    assert heard_by_then == [["Hallo vrijwilliger"]]


def test_manual_answer_with_a_greeting(harness):
    sid = call_with_amd(harness, machine_detection="Enable")
    harness.net.wait_for(lambda n: n.call(sid)["status"] == "ringing")
    harness.net.answer(sid, as_="human", greeting=PIET)
    assert harness.app.wait_hits("/ivr/answer")[0]["AnsweredBy"] == "machine_start"
    callee = [e["text"] for e in harness.net.call(sid)["transcript"] if e["kind"] == "callee"]
    assert callee == [PIET]


def test_a_redirect_during_detection_runs_the_new_twiml(harness):
    long_greeting = " ".join(["bericht"] * 100)  # 50 simulated s: 1 s of wall clock
    harness.net.set_behaviour(VOLUNTEER, answer="machine", greeting=long_greeting)
    harness.app.on("/ivr/taken", say("Al opgenomen"))
    sid = call_with_amd(harness, machine_detection="DetectMessageEnd", machine_detection_timeout=59)
    harness.net.wait_for(lambda n: n.call(sid)["status"] == "in-progress")
    harness.client.calls(sid).update(url=harness.app.url("/ivr/taken"))
    harness.net.wait_for(done(sid))
    assert harness.net.heard(sid) == "Al opgenomen"
    assert harness.app.hits("/ivr/answer") == []
