"""Enqueue / Dial-Queue / Dial-Number: waiting music, bridging, QueueResult and DialCallStatus."""

from twilio.twiml.voice_response import Dial, VoiceResponse

from .helpers import CALLER, EXCHANGE, VOLUNTEER, done, say

ENQUEUE = (
    '<Response><Say>Welkom</Say><Enqueue waitUrl="wait" action="enqueue-done">hulp</Enqueue>'
    "<Say>Na de wachtrij</Say></Response>"
)


def dial_queue(action: str = "", timeout: int | None = None) -> str:
    response = VoiceResponse()
    dial = Dial(action=action or None, timeout=timeout)
    dial.queue("hulp", url="announce")
    response.append(dial)
    response.say("Gesprek beeindigd")
    return str(response)


def setup_queue(
    harness,
    wait: str = '<Response><Say>Even geduld</Say><Pause length="5"/></Response>',
    until_queued: bool = True,
) -> str:
    harness.app.on("/ivr/voice", ENQUEUE)
    harness.app.on("/ivr/wait", wait)
    harness.app.on("/ivr/announce", say("U wordt doorverbonden"))
    harness.app.on("/ivr/enqueue-done", lambda form: say(f"Resultaat {form['QueueResult']}"))
    harness.net.add_number(EXCHANGE, voice_url=harness.app.url("/ivr/voice"))
    caller = harness.net.dial(from_=CALLER, to=EXCHANGE)
    if until_queued:
        harness.net.wait_for(
            lambda n: n.call(caller)["queue"] == "hulp" and "Even geduld" in n.heard(caller)
        )
    return caller


def connect_volunteer(harness, caller: str, twiml: str) -> str:
    harness.net.set_behaviour(VOLUNTEER, answer="human")
    harness.app.on("/ivr/volunteer", twiml)
    sid = harness.client.calls.create(
        to=VOLUNTEER, from_=EXCHANGE, url=harness.app.url("/ivr/volunteer")
    ).sid
    harness.net.wait_for(
        lambda n: n.call(caller)["bridged_with"] == sid and n.call(sid)["bridged_with"] == caller
    )
    return sid


def test_dial_queue_bridges_and_enqueue_action_gets_bridged_after_hangup(harness):
    caller = setup_queue(harness)
    wait = harness.app.hits("/ivr/wait")[0]
    assert wait["QueuePosition"] == "1" and wait["CurrentQueueSize"] == "1"
    assert wait["QueueSid"].startswith("QU")
    volunteer = connect_volunteer(harness, caller, dial_queue())
    assert harness.net.call(caller)["queue"] is None
    assert harness.net.heard(caller).endswith("U wordt doorverbonden")
    assert harness.app.hits("/ivr/announce")[0]["CallSid"] == caller
    assert any(e["kind"] == "bridge" for e in harness.net.call(volunteer)["transcript"])
    harness.net.hangup(volunteer)
    result = harness.app.wait_hits("/ivr/enqueue-done")[0]
    assert result["QueueResult"] == "bridged" and result["CallSid"] == caller
    harness.net.wait_for(done(caller))
    assert harness.net.heard(caller).endswith("Resultaat bridged")
    assert harness.net.call(volunteer)["status"] == "completed"
    assert all(hit.valid for hit in harness.app.hits_log)


def test_caller_hangs_up_during_bridge_and_volunteer_continues(harness):
    caller = setup_queue(harness)
    harness.app.on("/ivr/dial-done", lambda form: say(f"Dial {form['DialCallStatus']}"))
    volunteer = connect_volunteer(harness, caller, dial_queue(action="dial-done"))
    harness.net.hangup(caller)
    dial_done = harness.app.wait_hits("/ivr/dial-done")[0]
    assert dial_done["DialCallStatus"] == "completed" and dial_done["DialCallSid"] == caller
    assert harness.app.wait_hits("/ivr/enqueue-done")[0]["QueueResult"] == "bridged"
    harness.net.wait_for(done(volunteer))
    assert harness.net.heard(volunteer) == "Dial completed"
    assert "Resultaat" not in harness.net.heard(caller)


def test_caller_hangs_up_while_queued(harness):
    caller = setup_queue(harness)
    harness.net.hangup(caller)
    result = harness.app.wait_hits("/ivr/enqueue-done")[0]
    assert result["QueueResult"] == "hangup" and result["CallStatus"] == "completed"
    assert harness.net.queue_sizes() == {"hulp": 0}


def test_leave_in_wait_twiml(harness):
    caller = setup_queue(
        harness, wait="<Response><Say>Even geduld</Say><Leave/></Response>", until_queued=False
    )
    assert harness.app.wait_hits("/ivr/enqueue-done")[0]["QueueResult"] == "leave"
    harness.net.wait_for(done(caller))
    assert harness.net.heard(caller) == "Welkom\nEven geduld\nResultaat leave"


def test_gather_in_wait_twiml_can_lead_to_leave(harness):
    wait = (
        '<Response><Gather numDigits="1" action="wait-key" timeout="50">'
        "<Say>Even geduld</Say></Gather></Response>"
    )
    caller = setup_queue(harness, wait=wait)
    harness.app.on("/ivr/wait-key", "<Response><Leave/></Response>")
    harness.net.press(caller, "0")
    assert harness.app.wait_hits("/ivr/enqueue-done")[0]["QueueResult"] == "leave"


def test_rest_redirect_reports_redirected_and_runs_the_new_twiml(harness):
    """<Enqueue> page: when "a call is dequeued due to a REST API request ... the action URL is
    requested right away" with QueueResult redirected; the call goes on with the redirect's TwiML
    (this test used to expect no action request at all).
    """
    caller = setup_queue(harness)
    harness.app.on("/ivr/elsewhere", say("Ergens anders"))
    harness.client.calls(caller).update(url=harness.app.url("/ivr/elsewhere"))
    harness.net.wait_for(done(caller))
    assert harness.net.heard(caller).endswith("Ergens anders")
    assert "Resultaat" not in harness.net.heard(caller)  # the action's answer is not run
    result = harness.app.hits("/ivr/enqueue-done")[0]
    assert result["QueueResult"] == "redirected" and result["QueueSid"].startswith("QU")
    assert harness.net.queue_sizes() == {"hulp": 0}


def test_waiting_callers_are_served_in_order(harness):
    first = setup_queue(harness)
    second = harness.net.dial(from_="+31622222222", to=EXCHANGE)
    harness.net.wait_for(lambda n: n.call(second)["queue"] == "hulp")
    volunteer = connect_volunteer(harness, first, dial_queue())
    assert harness.net.call(second)["queue"] == "hulp"
    harness.net.hangup(volunteer)


def test_dial_empty_queue_waits_for_the_timeout_then_is_no_answer(harness):
    """<Queue> page: "If the queue is empty, Dial will wait until the next person joins the queue
    or until the <Dial> timeout duration is reached" (this test used to expect no-answer at once,
    for a queue that did not even exist).
    """
    harness.client.queues.create(friendly_name="hulp")
    harness.net.set_behaviour(VOLUNTEER, answer="human")
    harness.app.on("/ivr/volunteer", dial_queue(action="dial-done", timeout=5))
    harness.app.on("/ivr/dial-done", lambda form: say(f"Dial {form['DialCallStatus']}"))
    sid = harness.client.calls.create(
        to=VOLUNTEER, from_=EXCHANGE, url=harness.app.url("/ivr/volunteer")
    ).sid
    harness.net.wait_for(done(sid))
    assert harness.net.heard(sid) == "Dial no-answer"
    texts = [e["text"] for e in harness.net.call(sid)["transcript"] if e["kind"] == "dial"]
    assert "wachten op een beller / waiting for a caller" in texts
    result = harness.app.hits("/ivr/dial-done")[0]
    assert result["DialBridged"] == "false" and "DialCallSid" not in result


def test_dial_number_rings_a_manual_phone_and_bridges(harness):
    harness.app.on(
        "/ivr/voice",
        '<Response><Dial action="dial-done" timeout="20">'
        f"<Number>{VOLUNTEER}</Number></Dial></Response>",
    )
    harness.app.on("/ivr/dial-done", lambda form: say(f"Dial {form['DialCallStatus']}"))
    harness.net.add_number(EXCHANGE, voice_url=harness.app.url("/ivr/voice"))
    caller = harness.net.dial(from_=CALLER, to=EXCHANGE)
    harness.net.wait_for(
        lambda n: any(
            c["direction"] == "outbound-dial" and c["status"] == "ringing" for c in n.calls()
        )
    )
    leg = next(c for c in harness.net.calls() if c["direction"] == "outbound-dial")
    assert (leg["from"], leg["to"], leg["parent_call_sid"]) == (CALLER, VOLUNTEER, caller)
    harness.net.answer(leg["sid"])
    harness.net.wait_for(lambda n: n.call(caller)["bridged_with"] == leg["sid"])
    harness.net.hangup(leg["sid"])
    dial_done = harness.app.wait_hits("/ivr/dial-done")[0]
    assert dial_done["DialCallStatus"] == "completed" and dial_done["DialCallSid"] == leg["sid"]
    harness.net.wait_for(done(caller))
    assert harness.net.heard(caller) == "Dial completed"


def test_dial_number_busy_and_caller_gone_while_ringing(harness):
    harness.net.set_behaviour(VOLUNTEER, answer="busy")
    harness.app.on(
        "/ivr/voice",
        f"<Response><Dial>{VOLUNTEER}</Dial><Say>Bezet</Say><Dial>+31687654321</Dial></Response>",
    )
    harness.net.add_number(EXCHANGE, voice_url=harness.app.url("/ivr/voice"))
    caller = harness.net.dial(from_=CALLER, to=EXCHANGE)
    harness.net.wait_for(
        lambda n: any(c["to"] == "+31687654321" and c["status"] == "ringing" for c in n.calls())
    )
    assert harness.net.heard(caller) == "Bezet"
    harness.net.hangup(caller)
    leg = next(c for c in harness.net.calls() if c["to"] == "+31687654321")
    harness.net.wait_for(lambda n: n.call(leg["sid"])["status"] == "canceled")


def test_redirecting_the_dialed_leg_takes_it_out_of_the_bridge(harness):
    harness.net.set_behaviour(VOLUNTEER, answer="human")
    harness.app.on(
        "/ivr/voice", f'<Response><Dial action="dial-done">{VOLUNTEER}</Dial></Response>'
    )
    harness.app.on("/ivr/dial-done", lambda form: say(f"Dial {form['DialCallStatus']}"))
    harness.app.on("/ivr/elsewhere", say("Ergens anders"))
    harness.net.add_number(EXCHANGE, voice_url=harness.app.url("/ivr/voice"))
    caller = harness.net.dial(from_=CALLER, to=EXCHANGE)
    harness.net.wait_for(lambda n: n.call(caller)["bridged_with"] is not None)
    leg = harness.net.call(caller)["bridged_with"]
    harness.client.calls(leg).update(url=harness.app.url("/ivr/elsewhere"))
    harness.net.wait_for(lambda n: done(leg)(n) and done(caller)(n))
    assert harness.net.heard(leg) == "Ergens anders"
    assert harness.net.heard(caller) == "Dial completed"
    assert "DialCallDuration" not in harness.app.hits("/ivr/dial-done")[0]  # <Dial> page
