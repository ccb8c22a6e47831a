"""The Queues and IncomingPhoneNumbers resources through the real twilio client, and what an
inbound caller hears when the voice URL fails (fallback URL, Twilio's application-error message).
"""

import time

import pytest
import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from ivr.simulator.twiml import APPLICATION_ERROR_MESSAGE

from .helpers import ACCOUNT_SID, CALLER, EXCHANGE, SimulatorHttpClient, done, say
from .test_queues import setup_queue


def test_queues_made_by_enqueue_persist_until_deleted(harness):
    caller = setup_queue(harness)
    (queue,) = harness.client.queues.list()
    assert (queue.friendly_name, queue.current_size, queue.max_size) == ("hulp", 1, 1000)
    assert harness.client.queues(queue.sid).fetch().current_size == 1
    with pytest.raises(TwilioRestException) as refused:
        harness.client.queues(queue.sid).delete()  # "Remove an empty queue"
    assert refused.value.status == 400
    harness.net.hangup(caller)
    harness.net.wait_for(done(caller))
    assert harness.client.queues(queue.sid).fetch().current_size == 0  # still there
    assert harness.client.queues(queue.sid).delete() is True
    assert harness.client.queues.list() == []
    with pytest.raises(TwilioRestException) as gone:
        harness.client.queues(queue.sid).fetch()
    assert (gone.value.status, gone.value.code) == (404, 20404)


def test_queue_max_size_can_be_changed(harness):
    queue = harness.client.queues.create(friendly_name="hulp", max_size=10)
    assert harness.client.queues(queue.sid).update(max_size=2).max_size == 2
    with pytest.raises(TwilioRestException) as too_big:
        harness.client.queues(queue.sid).update(max_size=5001)
    assert too_big.value.status == 400


def register(harness, voice_url: str, **number) -> str:
    harness.net.add_number(EXCHANGE, voice_url=voice_url, **number)
    return harness.client.incoming_phone_numbers.list(phone_number=EXCHANGE)[0].sid


def test_numbers_are_listed_by_phone_number_fetched_and_updated(harness):
    harness.app.on("/ivr/voice", say("Oud"))
    harness.app.on("/ivr/new", say("Nieuw"))
    harness.net.add_number("+31709999999", voice_url=harness.app.url("/ivr/voice"))
    sid = register(harness, harness.app.url("/ivr/voice"))
    assert [n.phone_number for n in harness.client.incoming_phone_numbers.list()] == [
        "+31709999999",
        EXCHANGE,
    ]
    assert [n.sid for n in harness.client.incoming_phone_numbers.list(phone_number="1234*67")] == [
        sid
    ]
    updated = harness.client.incoming_phone_numbers(sid).update(
        voice_url=harness.app.url("/ivr/new"),
        voice_method="POST",
        status_callback=harness.app.url("/ivr/status"),
        status_callback_method="POST",
        voice_fallback_url=harness.app.url("/ivr/fallback"),
        voice_fallback_method="POST",
    )
    assert updated.voice_url.endswith("/ivr/new") and updated.voice_fallback_url.endswith(
        "/ivr/fallback"
    )
    fetched = harness.client.incoming_phone_numbers(sid).fetch()
    assert fetched.status_callback.endswith("/ivr/status")
    caller = harness.net.dial(from_=CALLER, to=EXCHANGE)
    harness.net.wait_for(done(caller))
    assert harness.net.heard(caller) == "Nieuw"
    assert harness.app.wait_hits("/ivr/status")[0]["CallStatus"] == "completed"


def test_fallback_url_without_voice_url_is_refused(harness):
    sid = register(harness, harness.app.url("/ivr/voice"))
    with pytest.raises(TwilioRestException) as refused:
        harness.client.incoming_phone_numbers(sid).update(
            voice_url="", voice_fallback_url=harness.app.url("/ivr/fallback")
        )
    assert (refused.value.status, refused.value.code) == (400, 21405)


def test_a_failing_voice_url_fetches_the_fallback_with_the_error(harness):
    harness.app.on("/ivr/voice", lambda form: ("kapot", 500))
    harness.app.on("/ivr/fallback", say("Even geduld, de centrale heeft een storing"))
    register(
        harness, harness.app.url("/ivr/voice"), voice_fallback_url=harness.app.url("/ivr/fallback")
    )
    caller = harness.net.dial(from_=CALLER, to=EXCHANGE)
    harness.net.wait_for(done(caller))
    fallback = harness.app.hits("/ivr/fallback")[0]
    assert fallback["ErrorCode"] == "11200" and fallback["ErrorUrl"].endswith("/ivr/voice")
    assert harness.net.heard(caller) == "Even geduld, de centrale heeft een storing"


def test_a_voice_url_slower_than_the_webhook_timeout_fetches_the_fallback(harness):
    harness.net.set_webhook_timeout(0.3)  # Twilio's is 15 s

    def slow(form):
        time.sleep(1.0)
        return say("Te laat")

    harness.app.on("/ivr/voice", slow)
    harness.app.on("/ivr/fallback", say("Reserve"))
    register(
        harness, harness.app.url("/ivr/voice"), voice_fallback_url=harness.app.url("/ivr/fallback")
    )
    caller = harness.net.dial(from_=CALLER, to=EXCHANGE)
    harness.net.wait_for(done(caller))
    assert harness.app.hits("/ivr/fallback")[0]["ErrorCode"] == "11205"
    assert harness.net.heard(caller) == "Reserve"


def test_without_a_fallback_the_caller_hears_the_application_error_and_is_hung_up_on(harness):
    harness.app.on("/ivr/voice", lambda form: ("kapot", 500))
    register(harness, harness.app.url("/ivr/voice"))
    caller = harness.net.dial(from_=CALLER, to=EXCHANGE)
    harness.net.wait_for(done(caller))
    assert harness.net.heard(caller) == APPLICATION_ERROR_MESSAGE
    assert harness.net.call(caller)["status"] == "completed"
    assert harness.net.call(caller)["transcript"][-1]["kind"] == "hangup"
    assert [n["code"] for n in harness.net.notifications(caller)] == [11200]


def test_a_failing_fallback_ends_with_the_application_error_too(harness):
    harness.app.on("/ivr/voice", "<Response><Say>kapot")
    harness.app.on("/ivr/fallback", lambda form: ("ook kapot", 503))
    register(
        harness, harness.app.url("/ivr/voice"), voice_fallback_url=harness.app.url("/ivr/fallback")
    )
    caller = harness.net.dial(from_=CALLER, to=EXCHANGE)
    harness.net.wait_for(done(caller))
    assert harness.app.hits("/ivr/fallback")[0]["ErrorCode"] == "12100"
    assert harness.net.heard(caller) == APPLICATION_ERROR_MESSAGE


def test_bad_credentials_and_unknown_resources(harness):
    sid = register(harness, harness.app.url("/ivr/voice"))
    wrong = Client(ACCOUNT_SID, "wrong", http_client=SimulatorHttpClient(harness.sim_base))
    for listing in (wrong.incoming_phone_numbers.list, wrong.queues.list):
        with pytest.raises(TwilioException, match="HTTP 401.*20003"):
            listing()
    with pytest.raises(TwilioRestException) as error:
        wrong.incoming_phone_numbers(sid).update(voice_url="http://x")
    assert (error.value.status, error.value.code) == (401, 20003)
    wrong.http_client.session.close()
    for attempt in (
        lambda: harness.client.incoming_phone_numbers("PN" + "0" * 32).fetch(),
        lambda: harness.client.queues("QU" + "0" * 32).fetch(),
        lambda: harness.client.calls("CA" + "0" * 32).fetch(),
    ):
        with pytest.raises(TwilioRestException) as error:
            attempt()
        assert (error.value.status, error.value.code) == (404, 20404)
    body = requests.get(
        f"{harness.sim_base}/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers.json",
        timeout=5,
    ).json()
    assert body["code"] == 20003 and body["more_info"].endswith("/20003")


def test_a_call_is_seen_only_by_the_api_of_its_own_region(harness):
    """Regions are isolated: an inbound call to a number processed in IE1 does not exist for
    the US1 API ("Migrating your application to a new Region")."""
    net, client = harness.net, harness.client
    harness.app.on("/ivr/voice", say("Hallo"))
    net.add_number("+31701230000", voice_url=harness.app.url("/ivr/voice"), region="ie1")
    sid = net.dial(from_="+31612345678", to="+31701230000")
    with pytest.raises(TwilioRestException) as refused:
        client.calls(sid).update(status="completed")
    assert (refused.value.status, refused.value.code) == (404, 20404)
    assert sid not in [call.sid for call in client.calls.list()]
    net.hangup(sid)
