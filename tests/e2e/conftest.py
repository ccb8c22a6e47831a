"""Whole calls: the app served over HTTP, the simulated carrier, the real TwilioCarrier adapter.

The simulated network runs 20x faster than real time, so a menu timeout of 6 s takes 0.3 s.
"""

from __future__ import annotations

import random
import socket
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from bhc import config as config_module
from bhc.app import wsgi_stack
from bhc.bootstrap import build
from bhc.db import utcnow
from bhc.demo.setup import connect_numbers
from bhc.models import CallLeg, HelpRequest, Participant
from bhc.neighbourhoods.services import add_neighbourhood
from tests.integration.conftest import volunteer

TIME_SCALE = 0.05
EXCHANGE = "+31702000001"
CALLER = "+31703561234"
# Volunteers in the order the fairness rule rings them (fewest recent calls first).
HISTORY = "CAhistory"
VOLUNTEERS = ["+31612340001", "+31612340002", "+31612340003"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Live:
    """A running exchange with its simulated phone network, and what a test does with it."""

    def __init__(self, database_url: str, time_scale: float = TIME_SCALE) -> None:
        self.time_scale = time_scale
        self.port = free_port()
        self.config = config_module.from_mapping({
            "server": {"public_url": f"http://127.0.0.1:{self.port}", "port": self.port},
            "database": {"url": database_url},
            "matching": {"quiet_hours": "", "poll_interval_s": 0.05, "max_wait_s": 120,
                         "strategy": "sequential"},
            "callback": {"retry_every_s": 1},
        })
        self.exchange = None
        self.server = None

    def start(self) -> None:
        self.exchange = build(self.config, host_simulator=True, time_scale=self.time_scale)
        self.exchange.engine.rng = random.Random(1)
        self.net = self.exchange.network
        self.server = make_server("127.0.0.1", self.port, wsgi_stack(self.exchange),
                                  threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.exchange.start_engine()

    def restart_engine(self) -> None:
        """As after a crash of the engine process: a new engine over the same database."""
        self.exchange.scheduler.shutdown(wait=True)
        fresh = build(self.config)
        self.exchange.engine = fresh.engine
        self.exchange.carrier = fresh.carrier
        self.exchange.start_engine()

    def stop(self) -> None:
        if self.exchange is not None:
            self.net.shutdown()
            self.exchange.stop()
        if self.server is not None:
            self.server.shutdown()

    # --- acting as the resident ------------------------------------------------------------

    def dial(self, caller: str = CALLER, to: str = EXCHANGE) -> str:
        return self.net.dial(from_=caller, to=to)

    def wait_heard(self, sid: str, text: str, timeout: float = 10.0) -> None:
        self.net.wait_for(lambda net: text in net.heard(sid), timeout=timeout)

    def wait_for_keys(self, sid: str, timeout: float = 10.0) -> None:
        self.net.wait_for(lambda net: net.call(sid)["waiting_for_digits"], timeout=timeout)

    def choose(self, sid: str, key: str) -> None:
        self.wait_for_keys(sid)
        self.net.press(sid, key)

    def wait_status(self, sid: str, *statuses: str, timeout: float = 10.0) -> None:
        self.net.wait_for(lambda net: net.call(sid)["status"] in statuses, timeout=timeout)

    # --- reading the database --------------------------------------------------------------

    def request(self) -> HelpRequest | None:
        with self.exchange.db.session() as session:
            return session.scalar(select(HelpRequest).order_by(HelpRequest.id.desc()))

    def wait_state(self, state: str, timeout: float = 15.0) -> HelpRequest:
        self.net.wait_for(lambda _: (r := self.request()) is not None and r.state == state,
                          timeout=timeout)
        return self.request()

    def rung(self) -> list[str]:
        """Phone numbers of the volunteers rung, in order."""
        with self.exchange.db.session() as session:
            return list(session.scalars(
                select(Participant.phone).join(CallLeg, CallLeg.volunteer_id == Participant.id)
                .join(HelpRequest, CallLeg.request_id == HelpRequest.id)
                .where(HelpRequest.call_sid != HISTORY).order_by(CallLeg.id)))

    def calls_to(self, number: str) -> list[dict]:
        return [c for c in self.net.calls() if c["to"] == number]


def seed(live: Live) -> None:
    """A neighbourhood with three grocery volunteers whose call history fixes their order."""
    with live.exchange.db.session() as session:
        neighbourhood = add_neighbourhood(session, "Segbroek", EXCHANGE, ["2551"], 12000)
        volunteer(session, neighbourhood.id, CALLER, is_helper=False, is_asker=True,
                  categories=())
        for phone in VOLUNTEERS:
            volunteer(session, neighbourhood.id, phone, categories=("groceries", "chat"))
    with live.exchange.db.session() as session:
        old = HelpRequest(call_sid=HISTORY, neighbourhood_id=1, state="matched",
                          created_at=utcnow() - timedelta(days=3))
        session.add(old)
        session.flush()
        for calls, phone in enumerate(VOLUNTEERS):
            volunteer_id = session.scalar(select(Participant.id).where(Participant.phone == phone))
            for _ in range(calls):
                session.add(CallLeg(request_id=old.id, volunteer_id=volunteer_id,
                                    status="completed", outcome="no_answer",
                                    placed_at=utcnow() - timedelta(days=3)))


def running(database_url: str, time_scale: float = TIME_SCALE, **config_changes):
    """A seeded, running exchange; ``config_changes`` are config sections to override."""
    live = Live(database_url, time_scale)
    if config_changes:
        live.config = live.config.replace(**config_changes)
    try:
        live.start()
        seed(live)
        connect_numbers(live.exchange)
        yield live
    finally:
        live.stop()


@pytest.fixture
def live(database_url):
    yield from running(database_url)
