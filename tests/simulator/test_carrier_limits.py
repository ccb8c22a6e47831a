"""The account's calls-per-second limit and the REST API's round-trip latency."""

import threading
import time

import requests

from .helpers import ACCOUNT_SID, CALLER, EXCHANGE, TIME_SCALE, say

VOLUNTEERS = ["+31612340001", "+31612340002", "+31612340003"]


def create(harness, to: str):
    return harness.client.calls.create(
        to=to,
        from_=EXCHANGE,
        url=harness.app.url("/ivr/answer"),
        timeout=600,
        status_callback=harness.app.url("/ivr/status"),
        status_callback_event=["initiated"],
    )


def initiated(harness, count: int) -> list[tuple[float, str]]:
    """(arrival time, CallSid) of the first `count` initiated callbacks, in arrival order."""
    harness.app.wait_hits("/ivr/status", count)
    return [(at, form["CallSid"]) for at, form in harness.app.arrivals("/ivr/status")]


def test_calls_beyond_the_rate_are_queued_and_start_in_creation_order(harness):
    harness.net.set_calls_per_second(0.01)  # one call per 100 simulated s: 2 s of wall clock
    interval_ms = 100_000
    asked = time.monotonic()
    calls, created = [], []
    for number in VOLUNTEERS:
        calls.append(create(harness, number))
        created.append(time.monotonic())
    assert [c.status for c in calls] == ["queued"] * 3  # the REST API accepts all at once
    # Each call waits for its turn, counted from the account's first: the k-th is queued for
    # k turns less however long its creation came after the first's (a loaded machine takes
    # a while over three REST requests; the turns do not move for that).
    for k, call in enumerate(calls):
        late_ms = (created[k] - created[0]) / TIME_SCALE * 1000
        assert k * interval_ms - late_ms - 1000 <= int(call.queue_time) <= k * interval_ms
    sids = [c.sid for c in calls]
    harness.net.wait_for(lambda n: n.call(sids[0])["status"] == "ringing")
    assert harness.net.call(sids[2])["status"] == "queued"
    arrived = initiated(harness, 3)
    assert [sid for _, sid in arrived] == sids
    interval = 100 * TIME_SCALE
    assert arrived[2][0] - asked >= 2 * interval  # in aggregate (see the next test)


def test_default_is_one_call_per_simulated_second(harness):
    assert harness.net.calls_per_second == 1.0
    asked = time.monotonic()
    calls, created = [], []
    for n in range(6):
        calls.append(create(harness, f"+3161234000{n}"))
        created.append(time.monotonic())
    # Turns a second apart from the first's, less however late each call was created.
    for k, call in enumerate(calls):
        late_ms = (created[k] - created[0]) / TIME_SCALE * 1000
        assert k * 1000 - late_ms - 1000 <= int(call.queue_time) <= k * 1000
    arrived = initiated(harness, 6)
    assert {sid for _, sid in arrived} == {c.sid for c in calls}
    # "In aggregate calls are executed at the rate defined by the CPS. Individual calls may not
    # execute at the anticipated rate" (https://www.twilio.com/docs/glossary/cps): the sixth
    # starts five turns after the first could have, but a first start that came late (its
    # thread ran late) shortens the gaps after it, so the gap between the first and the last
    # callback is no measure; the time since the first was asked for is.
    assert arrived[-1][0] - asked >= 5 * TIME_SCALE


def test_a_canceled_queued_call_never_rings_and_frees_its_turn(harness):
    harness.net.set_calls_per_second(0.02)  # 50 simulated s between calls: 1 s of wall clock
    first, second, third = (create(harness, number).sid for number in VOLUNTEERS)
    harness.net.wait_for(lambda n: n.call(first)["status"] == "ringing")
    assert harness.client.calls(second).update(status="canceled").status == "canceled"
    harness.net.set_calls_per_second(None)  # no limit from now on
    harness.net.wait_for(lambda n: n.call(third)["status"] == "ringing")
    assert [sid for _, sid in initiated(harness, 2)] == [first, third]


def test_inbound_calls_are_not_limited(harness):
    harness.net.set_calls_per_second(0.01)
    harness.app.on("/ivr/voice", say("Welkom"))
    harness.net.add_number(EXCHANGE, voice_url=harness.app.url("/ivr/voice"))
    create(harness, VOLUNTEERS[0])
    queued = create(harness, VOLUNTEERS[1]).sid  # waits 100 simulated s for its turn
    inbound = harness.net.dial(from_=CALLER, to=EXCHANGE)
    harness.net.wait_for(lambda n: n.heard(inbound) == "Welkom")
    assert harness.net.call(queued)["status"] == "queued"


def test_rest_requests_take_the_latency_and_overlap(harness):
    harness.net.set_rest_latency(1.0)
    url = f"{harness.sim_base}/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"
    took: list[float] = []

    def fetch() -> None:
        started = time.monotonic()
        response = requests.get(url, auth=(ACCOUNT_SID, harness.net.auth_token), timeout=10)
        assert response.status_code == 200
        took.append(time.monotonic() - started)

    started = time.monotonic()
    threads = [threading.Thread(target=fetch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    both = time.monotonic() - started
    assert len(took) == 2 and min(took) >= 1.0
    assert both < 1.9  # concurrent: about L, not 2 L


def test_latency_applies_to_twilio_errors_too_and_defaults_to_zero(harness):
    assert harness.net.rest_latency_s == 0.0
    harness.net.set_rest_latency(0.4)
    started = time.monotonic()
    response = requests.get(
        f"{harness.sim_base}/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json", timeout=10
    )
    assert response.status_code == 401 and time.monotonic() - started >= 0.4
