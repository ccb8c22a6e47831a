"""Status callbacks that arrive late, out of order or twice, as Twilio warns they may."""

from ivr.simulator import SimulatedNetwork

from .helpers import EXCHANGE, VOLUNTEER, done, pause_long, say

ALL_EVENTS = ["initiated", "ringing", "answered", "completed"]


def place(harness, twiml: str | None = None) -> str:
    harness.net.set_behaviour(VOLUNTEER, answer="human", answer_delay_s=1)
    harness.app.on("/ivr/answer", twiml or say("Hallo"))
    return harness.client.calls.create(
        to=VOLUNTEER,
        from_=EXCHANGE,
        url=harness.app.url("/ivr/answer"),
        status_callback=harness.app.url("/ivr/status"),
        status_callback_event=ALL_EVENTS,
    ).sid


def arrived(harness) -> list[tuple[str, str]]:
    return [(f["SequenceNumber"], f["CallStatus"]) for _, f in harness.app.arrivals("/ivr/status")]


def test_a_late_callback_arrives_after_later_events(harness):
    harness.net.set_callback_faults(delay_s=50, events=["ringing"])  # 1 s of wall clock
    sid = place(harness)
    harness.net.wait_for(done(sid))  # done waits for the late callback too
    assert arrived(harness) == [
        ("0", "initiated"),
        ("2", "in-progress"),
        ("3", "completed"),
        ("1", "ringing"),
    ]


def test_duplicated_callbacks_arrive_twice_with_the_same_sequence_number(harness):
    harness.net.set_callback_faults(duplicate=True, events=["completed"])
    sid = place(harness)
    harness.net.wait_for(done(sid))
    # Only the copies are compared, not their place among the others: the faulted completed
    # callbacks leave on timers of their own, and on a slow machine the in-progress one, sent
    # in order, can arrive after the first copy ("there is no guarantee they will arrive in
    # the same order", Call resource, SequenceNumber).
    completed = [hit for hit in arrived(harness) if hit[1] == "completed"]
    assert completed == [("3", "completed"), ("3", "completed")]
    assert all(hit.valid for hit in harness.app.hits_log)


def test_every_callback_late_keeps_the_call_going_meanwhile(harness):
    harness.net.set_callback_faults(delay_s=100)  # 2 s of wall clock
    sid = place(harness, pause_long("Hallo"))
    harness.net.wait_for(lambda n: n.call(sid)["status"] == "in-progress")
    assert harness.app.hits("/ivr/status") == []  # nothing yet: all of them are late
    harness.net.hangup(sid)
    harness.net.wait_for(done(sid))
    assert {s for _, s in arrived(harness)} == {"initiated", "ringing", "in-progress", "completed"}


def test_faults_can_be_set_at_construction():
    net = SimulatedNetwork(callback_delay_s=5, duplicate_callbacks=True)
    try:
        faults = net.callback_faults
        assert (faults.delay_s, faults.duplicate, faults.applies_to("ringing")) == (5, True, True)
    finally:
        net.shutdown()
