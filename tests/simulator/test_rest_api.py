"""Outbound calls through the real twilio REST client: ringing, answering, callbacks, cancel,
redirect, errors.
"""

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from ivr.simulator import CallStateError

from .helpers import (
    ACCOUNT_SID,
    EXCHANGE,
    VOLUNTEER,
    SimulatorHttpClient,
    done,
    pause_long,
    say,
    status_of,
)

ALL_EVENTS = ["initiated", "ringing", "answered", "completed"]


def test_human_answers_fetches_signed_url_and_reports_every_event_in_order(harness):
    harness.net.set_behaviour(VOLUNTEER, answer="human")
    harness.app.on("/ivr/answer", say("Hallo vrijwilliger"))
    call = harness.call_volunteer(
        status_callback=harness.app.url("/ivr/status"), status_callback_event=ALL_EVENTS
    )
    assert call.status == "queued" and call.sid.startswith("CA")
    callbacks = harness.app.wait_hits("/ivr/status", 4)
    assert [c["CallStatus"] for c in callbacks] == [
        "initiated",
        "ringing",
        "in-progress",
        "completed",
    ]
    assert callbacks[-1]["CallDuration"].isdigit()
    answer = harness.app.hits("/ivr/answer")[0]
    assert answer["CallSid"] == call.sid and answer["CallStatus"] == "in-progress"
    assert (answer["From"], answer["To"], answer["Direction"]) == (
        EXCHANGE,
        VOLUNTEER,
        "outbound-api",
    )
    assert answer["AccountSid"] == ACCOUNT_SID and answer["ApiVersion"] == "2010-04-01"
    assert "AnsweredBy" not in answer  # no machine detection requested
    assert all(hit.valid for hit in harness.app.hits_log)
    assert harness.net.heard(call.sid) == "Hallo vrijwilliger"
    assert harness.client.calls(call.sid).fetch().status == "completed"


def test_fake_app_rejects_unsigned_requests(harness):
    assert (
        requests.post(
            harness.app.url("/ivr/answer"), data={"CallSid": "CAx"}, timeout=5
        ).status_code
        == 403
    )


def test_ring_timeout_gives_no_answer(harness):
    harness.net.set_behaviour(VOLUNTEER, answer="no-answer")
    call = harness.call_volunteer(status_callback=harness.app.url("/ivr/status"), timeout=5)
    final = harness.app.wait_hits("/ivr/status")[0]
    assert final["CallStatus"] == "no-answer" and final["CallDuration"] == "0"
    assert harness.client.calls(call.sid).fetch().status == "no-answer"
    assert harness.app.hits("/ivr/answer") == []


def test_manual_phone_rings_until_timeout(harness):
    call = harness.call_volunteer(timeout=10)
    harness.net.wait_for(lambda n: status_of(n, call.sid) == "ringing")
    harness.net.wait_for(lambda n: status_of(n, call.sid) == "no-answer", timeout=3)


@pytest.mark.parametrize("answer, expected", [("busy", "busy"), ("fail", "failed")])
def test_busy_and_failing_phones(harness, answer, expected):
    harness.net.set_behaviour(VOLUNTEER, answer=answer)
    harness.call_volunteer(status_callback=harness.app.url("/ivr/status"))
    assert harness.app.wait_hits("/ivr/status")[0]["CallStatus"] == expected


def test_person_rejects_ringing_call_as_busy(harness):
    call = harness.call_volunteer(status_callback=harness.app.url("/ivr/status"))
    harness.net.wait_for(lambda n: status_of(n, call.sid) == "ringing")
    harness.net.reject(call.sid, reason="busy")
    assert harness.app.wait_hits("/ivr/status")[0]["CallStatus"] == "busy"


@pytest.mark.parametrize("answer, answered_by", [("machine", "machine_start"), ("human", "human")])
def test_machine_detection_reports_answered_by(harness, answer, answered_by):
    harness.net.set_behaviour(VOLUNTEER, answer=answer, answer_delay_s=2)
    harness.app.on("/ivr/answer", say("Hallo"))
    harness.call_volunteer(machine_detection="Enable")
    assert harness.app.wait_hits("/ivr/answer")[0]["AnsweredBy"] == answered_by


def test_manual_answer_by_a_person(harness):
    harness.app.on("/ivr/answer", say("Goedemiddag"))
    call = harness.call_volunteer()
    harness.net.wait_for(lambda n: status_of(n, call.sid) == "ringing")
    harness.net.answer(call.sid, as_="human")
    harness.net.wait_for(done(call.sid))
    assert harness.net.heard(call.sid) == "Goedemiddag"
    assert harness.net.call(call.sid)["status"] == "completed"


def test_cancel_ends_a_ringing_call_with_a_callback(harness):
    call = harness.call_volunteer(
        status_callback=harness.app.url("/ivr/status"), status_callback_event=ALL_EVENTS
    )
    harness.net.wait_for(lambda n: status_of(n, call.sid) == "ringing")
    updated = harness.client.calls(call.sid).update(status="canceled")
    assert updated.status == "canceled"
    statuses = [c["CallStatus"] for c in harness.app.wait_hits("/ivr/status", 3)]
    assert statuses == ["initiated", "ringing", "canceled"]
    with pytest.raises(CallStateError):
        harness.net.answer(call.sid)


def test_cancel_does_nothing_to_an_answered_call_but_completed_hangs_up(harness):
    harness.net.set_behaviour(VOLUNTEER, answer="human")
    harness.app.on("/ivr/answer", pause_long())
    call = harness.call_volunteer(status_callback=harness.app.url("/ivr/status"))
    harness.net.wait_for(lambda n: status_of(n, call.sid) == "in-progress")
    assert harness.client.calls(call.sid).update(status="canceled").status == "in-progress"
    assert harness.client.calls(call.sid).update(status="completed").status == "completed"
    assert harness.app.wait_hits("/ivr/status")[0]["CallStatus"] == "completed"


def test_update_url_interrupts_a_gather_and_runs_new_twiml(harness):
    harness.net.set_behaviour(VOLUNTEER, answer="human")
    harness.app.on(
        "/ivr/answer",
        '<Response><Gather numDigits="1" timeout="500" action="/ivr/choice">'
        "<Say>Kies een optie</Say></Gather></Response>",
    )
    harness.app.on("/ivr/other", say("Nieuwe instructies"))
    call = harness.call_volunteer()
    harness.net.wait_for(lambda n: n.call(call.sid)["waiting_for_digits"])
    harness.client.calls(call.sid).update(url=harness.app.url("/ivr/other"), method="POST")
    harness.net.wait_for(done(call.sid))
    assert harness.net.heard(call.sid) == "Kies een optie\nNieuwe instructies"
    assert harness.app.hits("/ivr/other")[0]["CallStatus"] == "in-progress"
    assert harness.app.hits("/ivr/choice") == []


def test_update_with_inline_twiml_and_create_with_twiml(harness):
    harness.net.set_behaviour(VOLUNTEER, answer="human")
    call = harness.client.calls.create(
        to=VOLUNTEER,
        from_=EXCHANGE,
        twiml='<Response><Say>Eerst</Say><Pause length="500"/></Response>',
    )
    harness.net.wait_for(lambda n: "Eerst" in n.heard(call.sid))
    harness.client.calls(call.sid).update(twiml="<Response><Say>Daarna</Say></Response>")
    harness.net.wait_for(done(call.sid))
    assert harness.net.heard(call.sid) == "Eerst\nDaarna"


def test_redirecting_a_call_that_is_not_in_progress_is_refused(harness):
    call = harness.call_volunteer()
    harness.net.wait_for(lambda n: status_of(n, call.sid) == "ringing")
    with pytest.raises(TwilioRestException) as error:
        harness.client.calls(call.sid).update(url=harness.app.url("/ivr/other"))
    assert error.value.status == 400 and error.value.code == 21220


def test_bad_credentials_get_401(harness):
    wrong = Client(ACCOUNT_SID, "wrong-token", http_client=SimulatorHttpClient(harness.sim_base))
    with pytest.raises(TwilioRestException) as error:
        wrong.calls.create(to=VOLUNTEER, from_=EXCHANGE, url=harness.app.url("/ivr/answer"))
    wrong.http_client.session.close()
    assert error.value.status == 401 and error.value.code == 20003
    response = requests.get(
        f"{harness.sim_base}/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json", timeout=5
    )
    assert response.status_code == 401 and response.json()["code"] == 20003
    assert harness.net.calls() == []


def test_unknown_sid_gives_404(harness):
    with pytest.raises(TwilioRestException) as error:
        harness.client.calls("CA" + "0" * 32).fetch()
    assert error.value.status == 404 and error.value.code == 20404
    with pytest.raises(TwilioRestException) as error:
        harness.client.calls("CA" + "0" * 32).update(status="completed")
    assert error.value.status == 404


def test_missing_url_is_a_twilio_style_400(harness):
    response = requests.post(
        f"{harness.sim_base}/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json",
        data={"To": VOLUNTEER, "From": EXCHANGE},
        auth=(ACCOUNT_SID, harness.net.auth_token),
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json()["code"] == 21205 and response.json()["status"] == 400


def test_list_calls(harness):
    harness.net.set_behaviour(VOLUNTEER, answer="busy")
    call = harness.call_volunteer()
    assert [c.sid for c in harness.client.calls.list(limit=20)] == [call.sid]


def test_hangup_after_and_delayed_press(harness):
    harness.net.set_behaviour(
        VOLUNTEER, answer="human", press="2", press_delay_s=1, hangup_after_s=30
    )
    harness.app.on(
        "/ivr/answer",
        '<Response><Gather numDigits="1" timeout="50" action="choice">'
        "<Say>Druk 1 of 2</Say></Gather></Response>",
    )
    harness.app.on("/ivr/choice", pause_long("Even wachten"))
    call = harness.call_volunteer()
    assert harness.app.wait_hits("/ivr/choice")[0]["Digits"] == "2"
    harness.net.wait_for(done(call.sid), timeout=5)
    assert harness.net.call(call.sid)["status"] == "completed"
