"""Every documented QueueResult of <Enqueue>, and <Dial><Queue> on an empty or missing queue."""

import pytest
from twilio.twiml.voice_response import Dial, VoiceResponse

from .helpers import CALLER, EXCHANGE, VOLUNTEER, done, say
from .test_queues import ENQUEUE, connect_volunteer, dial_queue, setup_queue


def hear_result(harness) -> None:
    harness.app.on("/ivr/enqueue-done", lambda form: say(f"Resultaat {form['QueueResult']}"))


def volunteer_dials(harness, twiml: str) -> str:
    """A volunteer picks up and runs `twiml`; a Dial action says the DialCallStatus."""
    harness.net.set_behaviour(VOLUNTEER, answer="human")
    harness.app.on("/ivr/volunteer", twiml)
    harness.app.on("/ivr/dial-done", lambda form: say(f"Dial {form['DialCallStatus']}"))
    return harness.client.calls.create(
        to=VOLUNTEER, from_=EXCHANGE, url=harness.app.url("/ivr/volunteer")
    ).sid


def test_queue_full_refuses_the_caller_without_queue_sid(harness):
    harness.client.queues.create(friendly_name="hulp", max_size=1)
    first = setup_queue(harness)
    second = harness.net.dial(from_="+31622222222", to=EXCHANGE)
    harness.net.wait_for(done(second))
    result = harness.app.hits("/ivr/enqueue-done")[0]
    assert result["QueueResult"] == "queue-full" and result["CallSid"] == second
    assert "QueueSid" not in result and "QueueTime" not in result
    assert harness.net.heard(second) == "Welkom\nResultaat queue-full"
    assert harness.net.call(first)["queue"] == "hulp"


@pytest.mark.parametrize(
    "how, code", [("http-500", 11200), ("unreachable", 11205), ("invalid-twiml", 12100)]
)
def test_a_failing_wait_url_ends_the_wait_with_error(harness, how, code):
    harness.net.fail_next_webhook("/ivr/wait", how=how)
    caller = setup_queue(harness, until_queued=False)
    harness.net.wait_for(done(caller))
    result = harness.app.hits("/ivr/enqueue-done")[0]
    assert result["QueueResult"] == "error" and result["QueueSid"].startswith("QU")
    assert harness.net.heard(caller) == "Welkom\nResultaat error"
    assert [n["code"] for n in harness.net.notifications(caller)] == [code]


def test_only_the_scripted_number_of_fetches_fail(harness):
    harness.net.fail_next_webhook("/ivr/wait", how="http-500", times=1)
    harness.app.on("/ivr/voice", ENQUEUE)
    harness.app.on("/ivr/wait", "<Response><Leave/></Response>")
    hear_result(harness)
    harness.net.add_number(EXCHANGE, voice_url=harness.app.url("/ivr/voice"))
    first = harness.net.dial(from_=CALLER, to=EXCHANGE)
    harness.net.wait_for(done(first))
    second = harness.net.dial(from_=CALLER, to=EXCHANGE)
    harness.net.wait_for(done(second))
    results = [hit["QueueResult"] for hit in harness.app.hits("/ivr/enqueue-done")]
    assert results == ["error", "leave"]


def test_system_error_when_the_carrier_fails_to_enqueue(harness):
    harness.net.inject_system_error("hulp")
    caller = setup_queue(harness, until_queued=False)
    harness.net.wait_for(done(caller))
    result = harness.app.hits("/ivr/enqueue-done")[0]
    assert result["QueueResult"] == "system-error" and "QueueSid" not in result
    assert harness.net.heard(caller) == "Welkom\nResultaat system-error"
    assert harness.app.hits("/ivr/wait") == []


def test_members_dequeue_redirects_the_caller_out_of_the_queue(harness):
    caller = setup_queue(harness)
    harness.app.on("/ivr/elsewhere", say("Ergens anders"))
    queue = harness.client.queues.list()[0]
    members = harness.client.queues(queue.sid).members.list()
    assert [m.call_sid for m in members] == [caller] and members[0].position == 1
    harness.client.queues(queue.sid).members("Front").update(
        url=harness.app.url("/ivr/elsewhere"), method="POST"
    )
    harness.net.wait_for(done(caller))
    assert harness.app.hits("/ivr/enqueue-done")[0]["QueueResult"] == "redirected"
    assert harness.net.heard(caller).endswith("Ergens anders")


def test_redirect_while_bridged_is_redirected_from_bridged(harness):
    caller = setup_queue(harness)
    harness.app.on("/ivr/elsewhere", say("Ergens anders"))
    harness.app.on("/ivr/dial-done", lambda form: say(f"Dial {form['DialCallStatus']}"))
    volunteer = connect_volunteer(harness, caller, dial_queue(action="dial-done"))
    harness.client.calls(caller).update(url=harness.app.url("/ivr/elsewhere"))
    harness.net.wait_for(lambda n: done(caller)(n) and done(volunteer)(n))
    assert harness.app.hits("/ivr/enqueue-done")[0]["QueueResult"] == "redirected-from-bridged"
    assert harness.net.heard(caller).endswith("Ergens anders")
    dial_done = harness.app.hits("/ivr/dial-done")[0]
    assert dial_done["DialCallStatus"] == "completed" and dial_done["DialBridged"] == "true"


def test_caller_hanging_up_during_the_announcement_is_bridging_in_process(harness):
    caller = setup_queue(harness)
    harness.app.on("/ivr/announce", '<Response><Pause length="500"/></Response>')
    volunteer_dials(harness, dial_queue(action="dial-done"))
    harness.net.wait_for(lambda n: any(e["text"] == "500 s" for e in n.call(caller)["transcript"]))
    harness.net.hangup(caller)
    result = harness.app.wait_hits("/ivr/enqueue-done")[0]
    assert result["QueueResult"] == "bridging-in-process"
    assert harness.app.wait_hits("/ivr/dial-done")[0]["DialBridged"] == "false"


def test_invalid_queue_name_is_an_error(harness):
    harness.app.on(
        "/ivr/voice",
        f'<Response><Enqueue action="enqueue-done">{"x" * 65}</Enqueue>'
        "<Say>Verder</Say></Response>",
    )
    hear_result(harness)
    harness.net.add_number(EXCHANGE, voice_url=harness.app.url("/ivr/voice"))
    caller = harness.net.dial(from_=CALLER, to=EXCHANGE)
    harness.net.wait_for(done(caller))
    assert harness.app.hits("/ivr/enqueue-done")[0]["QueueResult"] == "error"


def test_without_action_the_caller_goes_on_after_the_bridge(harness):
    harness.app.on("/ivr/voice", "<Response><Enqueue>hulp</Enqueue><Say>Nog iets?</Say></Response>")
    harness.net.add_number(EXCHANGE, voice_url=harness.app.url("/ivr/voice"))
    caller = harness.net.dial(from_=CALLER, to=EXCHANGE)
    harness.net.wait_for(lambda n: n.call(caller)["queue"] == "hulp")
    volunteer = connect_volunteer(harness, caller, dial_queue())
    harness.net.hangup(volunteer)
    harness.net.wait_for(done(caller))
    assert harness.net.heard(caller) == "Nog iets?"


def test_dial_queue_waits_and_bridges_when_a_caller_arrives(harness):
    harness.client.queues.create(friendly_name="hulp")
    volunteer = volunteer_dials(harness, dial_queue(action="dial-done", timeout=600))
    harness.net.wait_for(
        lambda n: any("waiting for a caller" in e["text"] for e in n.call(volunteer)["transcript"])
    )
    caller = setup_queue(harness, until_queued=False)
    harness.net.wait_for(lambda n: n.call(volunteer)["bridged_with"] == caller)
    harness.net.hangup(caller)
    dial_done = harness.app.wait_hits("/ivr/dial-done")[0]
    assert dial_done["DialCallStatus"] == "completed" and dial_done["DialCallSid"] == caller
    assert dial_done["QueueSid"] == harness.client.queues.list()[0].sid


def test_dial_to_a_queue_that_does_not_exist_posts_failed(harness):
    sid = volunteer_dials(harness, dial_queue(action="dial-done"))
    harness.net.wait_for(done(sid))
    assert harness.net.heard(sid) == "Dial failed"


def test_dial_without_action_goes_on_with_the_next_verb_then_hangs_up(harness):
    harness.client.queues.create(friendly_name="hulp")
    response = VoiceResponse()
    dial = Dial(timeout=5)
    dial.queue("hulp")
    response.append(dial)
    response.say("Niemand gevonden")
    sid = volunteer_dials(harness, str(response))
    harness.net.wait_for(done(sid))
    assert harness.net.heard(sid) == "Niemand gevonden"
    assert harness.net.call(sid)["status"] == "completed"
    assert [h.path for h in harness.app.hits_log] == ["/ivr/volunteer"]
