"""The control API and phone page work under the /sim prefix; shutdown is quick."""

import time

import requests

from .helpers import CALLER, EXCHANGE, VOLUNTEER, say


def test_phone_page_is_served_under_the_prefix(harness):
    page = requests.get(harness.sim_base + "/phone", timeout=5)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "Telefoonsimulator" in page.text
    # Its script and style are files beside it (no inline code for the CSP to allow), found
    # relative to the page, so they load under the prefix too; no external assets.
    assert "<script>" not in page.text and "<style>" not in page.text
    assert 'src="phone.js"' in page.text and 'href="phone.css"' in page.text
    script = requests.get(harness.sim_base + "/phone.js", timeout=5)
    assert script.headers["Content-Type"].startswith("text/javascript")
    assert "/control/calls" in script.text and "http" not in script.text
    style = requests.get(harness.sim_base + "/phone.css", timeout=5)
    assert style.headers["Content-Type"].startswith("text/css") and ".keypad" in style.text
    index = requests.get(harness.sim_base + "/", timeout=5, allow_redirects=False)
    assert index.status_code == 302 and index.headers["Location"].endswith("/sim/phone")


def test_control_api_plays_the_phones(harness):
    base = harness.sim_base + "/control"
    harness.app.on(
        "/ivr/voice",
        '<Response><Gather numDigits="1" action="menu" timeout="50">'
        "<Say>Kies</Say></Gather></Response>",
    )
    harness.app.on("/ivr/menu", say("Gekozen"))
    harness.net.add_number(EXCHANGE, voice_url=harness.app.url("/ivr/voice"))
    assert requests.get(base + "/numbers", timeout=5).json()[0]["number"] == EXCHANGE
    created = requests.post(base + "/dial", json={"from": CALLER, "to": EXCHANGE}, timeout=5)
    assert created.status_code == 201
    sid = created.json()["sid"]
    harness.net.wait_for(lambda n: n.call(sid)["waiting_for_digits"])
    assert requests.post(f"{base}/calls/{sid}/press", json={"digits": "1"}, timeout=5).ok
    harness.net.wait_for(lambda n: "Gekozen" in n.heard(sid))
    calls = requests.get(base + "/calls", timeout=5).json()
    assert [c["sid"] for c in calls] == [sid]
    assert requests.post(f"{base}/calls/{sid}/hangup", timeout=5).ok
    assert (
        requests.post(f"{base}/calls/CAnope/press", json={"digits": "1"}, timeout=5).status_code
        == 404
    )
    assert requests.post(f"{base}/calls/{sid}/answer", json={}, timeout=5).status_code == 409


def test_behaviour_over_http(harness):
    url = f"{harness.sim_base}/control/phones/{VOLUNTEER.replace('+', '%2B')}/behaviour"
    put = requests.put(
        url, json={"answer": "human", "press": "1", "answer_delay_s": "2"}, timeout=5
    )
    assert put.ok and put.json()["answer"] == "human"
    assert harness.net.behaviour(VOLUNTEER).press == "1"
    assert requests.get(url, timeout=5).json()["answer_delay_s"] == 2.0
    assert (
        requests.get(harness.sim_base + "/control/phones", timeout=5).json()[VOLUNTEER]["press"]
        == "1"
    )
    assert requests.put(url, json={"answer": "sometimes"}, timeout=5).status_code == 400


def test_shutdown_stops_every_kind_of_waiting_call_quickly(harness):
    harness.app.on("/ivr/voice", "<Response><Enqueue>hulp</Enqueue></Response>")
    harness.app.on("/ivr/volunteer", '<Response><Gather timeout="5000"/></Response>')
    harness.net.add_number(EXCHANGE, voice_url=harness.app.url("/ivr/voice"))
    harness.net.set_behaviour(VOLUNTEER, answer="human")
    queued = harness.net.dial(from_=CALLER, to=EXCHANGE)
    gathering = harness.client.calls.create(
        to=VOLUNTEER, from_=EXCHANGE, url=harness.app.url("/ivr/volunteer")
    ).sid
    ringing = harness.client.calls.create(
        to="+31699999999", from_=EXCHANGE, url=harness.app.url("/ivr/volunteer"), timeout=600
    ).sid
    harness.net.wait_for(
        lambda n: (
            n.call(queued)["queue"] == "hulp"
            and n.call(gathering)["waiting_for_digits"]
            and n.call(ringing)["status"] == "ringing"
        )
    )
    started = time.monotonic()
    harness.net.shutdown()
    assert time.monotonic() - started < 1.0
    assert all(not c.thread.is_alive() for c in harness.net.all_calls())
    assert {c["status"] for c in harness.net.calls()} == {"completed", "canceled"}


def test_control_api_speaks_and_the_page_offers_it(harness):
    base = harness.sim_base + "/control"
    harness.app.on(
        "/ivr/voice",
        '<Response><Gather input="speech" action="menu" timeout="50">'
        '<Say loop="0">Zeg het maar</Say></Gather></Response>',
    )
    harness.app.on("/ivr/menu", lambda form: say(f"U zei {form['SpeechResult']}"))
    harness.net.add_number(EXCHANGE, voice_url=harness.app.url("/ivr/voice"))
    sid = harness.net.dial(from_=CALLER, to=EXCHANGE)
    harness.net.wait_for(lambda n: n.call(sid)["listening_for_speech"])
    spoken = requests.post(f"{base}/calls/{sid}/speak", json={"text": "klusje"}, timeout=5)
    assert spoken.ok and spoken.json()["heard"] is True
    harness.net.wait_for(lambda n: "U zei klusje" in n.heard(sid))
    assert (
        requests.post(f"{base}/calls/{sid}/speak", json={"text": ""}, timeout=5).status_code == 409
    )
    page = requests.get(harness.sim_base + "/phone", timeout=5).text
    script = requests.get(harness.sim_base + "/phone.js", timeout=5).text
    assert 'id="speakBtn"' in page and "/speak" in script
