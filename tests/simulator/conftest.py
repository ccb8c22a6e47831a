"""Fixtures: a fake exchange app and the simulator, each on its own port, plus the real twilio
Client.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pytest
from flask import Flask
from twilio.rest import Client
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from ivr.simulator import SimulatedNetwork

from .helpers import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    EXCHANGE,
    TIME_SCALE,
    VOLUNTEER,
    FakeExchangeApp,
    ServedApp,
    SimulatorHttpClient,
)


@dataclass
class Harness:
    net: SimulatedNetwork
    app: FakeExchangeApp
    client: Client
    sim_base: str

    def call_volunteer(self, **options):
        """The exchange phones VOLUNTEER through the real client; the call fetches the fake
        app's /ivr/answer."""
        return self.client.calls.create(to=VOLUNTEER, from_=EXCHANGE,
                                        url=self.app.url("/ivr/answer"), **options)


@pytest.fixture(autouse=True)
def no_leaked_threads():
    """Every thread a test starts (servers, call threads) must be gone soon after teardown."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 2.0
    while True:
        leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not leaked or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert not leaked, f"threads leaked: {[t.name for t in leaked]}"


@pytest.fixture
def harness():
    """Fake app + simulator (mounted under /sim like in the demo) + twilio Client aimed at the
    simulator.
    """
    net = SimulatedNetwork(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, time_scale=TIME_SCALE)
    fake = FakeExchangeApp(AUTH_TOKEN)
    app_server = ServedApp(fake.flask, "app")
    fake.base = app_server.base
    not_found = Flask("outside_sim")
    sim_server = ServedApp(DispatcherMiddleware(not_found, {"/sim": net.wsgi_app}), "sim")
    http_client = SimulatorHttpClient(sim_server.base + "/sim")
    client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=http_client)
    try:
        yield Harness(net, fake, client, sim_server.base + "/sim")
    finally:
        net.shutdown()
        if http_client.session is not None:
            http_client.session.close()
        sim_server.close()
        app_server.close()
