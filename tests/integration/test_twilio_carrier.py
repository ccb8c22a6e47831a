"""TwilioCarrier against a Twilio-compatible API that misbehaves."""

from __future__ import annotations

import json
import threading
import time

import pytest
from flask import Flask, request
from twilio.http.response import Response
from werkzeug.serving import make_server

from bhc.calls.carrier import CarrierError
from ivr.simulator import SimulatedNetwork
from ivr.twilio_carrier import TwilioCarrier
from tests.simulator.helpers import ServedApp

SID = "AC" + "a" * 32


class FlakyApi:
    """Answers the first ``failures`` call creations with ``status`` (or hangs), then succeeds."""

    def __init__(self, failures: int, status: int = 503, hang_s: float = 0.0) -> None:
        self.failures, self.status, self.hang_s = failures, status, hang_s
        self.requests: list[str] = []
        app = Flask("flaky")

        @app.post(f"/2010-04-01/Accounts/{SID}/Calls.json")
        def create():
            self.requests.append(request.form["To"])
            if len(self.requests) <= self.failures:
                if self.hang_s:
                    time.sleep(self.hang_s)
                return {"code": 20003, "message": "try later", "status": self.status}, self.status
            return {"sid": "CA" + "f" * 32, "status": "queued", "account_sid": SID,
                    "to": request.form["To"], "from": request.form["From"]}, 201

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        # A quick shutdown poll: every test stops its server, and the default waits up to 0.5 s.
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def api(request):
    api = FlakyApi(**request.param)
    yield api
    api.close()


def place(carrier: TwilioCarrier) -> str:
    return carrier.place_call(to="+31612340001", from_="+31702000001",
                              url="http://127.0.0.1/ivr/volunteer/offer?leg=1",
                              status_callback="http://127.0.0.1/ivr/volunteer/status?leg=1",
                              timeout_s=20)


@pytest.mark.parametrize("api", [dict(failures=2, status=503)], indirect=True)
def test_a_busy_carrier_is_retried_with_backoff(api):
    assert place(TwilioCarrier(SID, "token", api.url)).startswith("CA")
    assert len(api.requests) == 3


@pytest.mark.parametrize("api", [dict(failures=9, status=503)], indirect=True)
def test_a_carrier_that_stays_down_gives_a_carrier_error(api):
    with pytest.raises(CarrierError):
        place(TwilioCarrier(SID, "token", api.url))
    assert len(api.requests) == 4


@pytest.mark.parametrize("api", [dict(failures=1, status=500)], indirect=True)
def test_a_500_is_not_retried_since_the_call_may_exist(api):
    with pytest.raises(CarrierError):
        place(TwilioCarrier(SID, "token", api.url))
    assert len(api.requests) == 1


@pytest.mark.parametrize("api", [dict(failures=1, hang_s=3)], indirect=True)
def test_a_timeout_is_not_retried_and_fails_fast(api):
    carrier = TwilioCarrier(SID, "token", api.url)
    carrier.client.http_client.timeout = 0.5
    with pytest.raises(CarrierError):
        place(carrier)
    # The request was sent; on a loaded machine the server may note it only after the client
    # gave up. No retry can come now that place() has returned.
    deadline = time.monotonic() + 30
    while not api.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(api.requests) == 1


def test_an_unreachable_carrier_is_a_carrier_error():
    with pytest.raises(CarrierError):
        place(TwilioCarrier(SID, "token", "http://127.0.0.1:9"))


def test_region_and_edge_choose_twilios_host(monkeypatch):
    """IE1 through the Dublin edge: api.dublin.ie1.twilio.com ("Using the Twilio REST API in a
    non-US Region"), by the client's own mechanism, not by rewriting the host."""
    carrier = TwilioCarrier(SID, "token", region="ie1", edge="dublin")
    requested = []

    def answer(method, uri, **kwargs):
        requested.append(uri)
        return Response(201, json.dumps({"sid": "CA" + "e" * 32, "status": "queued"}))

    monkeypatch.setattr(carrier.client.http_client, "request", answer)
    place(carrier)
    assert requested[0] == f"https://api.dublin.ie1.twilio.com/2010-04-01/Accounts/{SID}/Calls.json"


def test_an_other_api_base_url_gets_every_request_whatever_the_region():
    net = SimulatedNetwork(account_sid=SID, auth_token="token")
    served = ServedApp(net.wsgi_app, "carrier")
    try:
        carrier = TwilioCarrier(SID, "token", served.base, region="ie1", edge="dublin")
        sid = carrier.place_call(to="+31612340001", from_="+31702000001",
                                 url="http://127.0.0.1:9/offer", status_callback="",
                                 timeout_s=20, machine_detection_url="http://127.0.0.1:9/amd")
        amd = net.get(sid).setup.amd
        assert (amd.mode, amd.asynchronous, amd.callback) == (
            "DetectMessageEnd", True, "http://127.0.0.1:9/amd")
    finally:
        net.shutdown()
        served.close()


def test_a_404_on_a_call_update_is_a_configuration_problem_said_loudly_once(caplog):
    net = SimulatedNetwork(account_sid=SID, auth_token="token")
    served = ServedApp(net.wsgi_app, "carrier")
    try:
        carrier = TwilioCarrier(SID, "token", served.base)
        carrier.redirect_call("CA" + "9" * 32, "http://127.0.0.1:9/closed")
        carrier.end_call("CA" + "8" * 32, answered=False)
    finally:
        net.shutdown()
        served.close()
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1
    assert "CONFIGURATION PROBLEM" in errors[0].getMessage()
    assert "region" in errors[0].getMessage()


def test_redirecting_a_call_that_just_ended_is_no_error():
    net = SimulatedNetwork(account_sid=SID, auth_token="token")
    net.set_behaviour("+31612340001", answer="busy")
    served = ServedApp(net.wsgi_app, "carrier")
    try:
        carrier = TwilioCarrier(SID, "token", served.base)
        sid = carrier.place_call(to="+31612340001", from_="+31702000001",
                                 url="http://127.0.0.1:9/offer", status_callback="",
                                 timeout_s=20)
        net.wait_for(lambda n: n.call(sid)["done"], timeout=30)
        carrier.redirect_call(sid, "http://127.0.0.1:9/closed")  # 400, error 21220
    finally:
        net.shutdown()
        served.close()


def test_queues_are_deleted_at_the_carrier():
    net = SimulatedNetwork(account_sid=SID, auth_token="token")
    queue = net.create_queue("request-7")
    served = ServedApp(net.wsgi_app, "carrier")
    try:
        carrier = TwilioCarrier(SID, "token", served.base)
        carrier.delete_queue(queue.sid)
        assert net.queue("request-7") is None
        carrier.delete_queue(queue.sid)  # already gone: nothing to do
    finally:
        net.shutdown()
        served.close()
