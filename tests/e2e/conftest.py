"""Whole calls: the app served over HTTP, the simulated carrier, the real TwilioCarrier adapter.

The simulated network runs 20x faster than real time, so a ring timeout of 20 s rings 1 s. A
menu waits for a key at least ``KEY_WINDOW_S`` real seconds whatever the time scale, so a test
on a loaded machine cannot miss it; tests press keys when the call waits for them, never after
a fixed delay.
"""

from __future__ import annotations

import math
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
# Real seconds a menu (any <Gather>) waits for a key: long enough for a test's key press to land
# on a loaded 2-core machine; silence costs a test this long, so no test should wait through it
# without reason.
KEY_WINDOW_S = 5.0
# How long a test waits for something that takes well under a second on an idle machine.
DEADLINE_S = 30.0
# Real seconds a phone rings in a test marked ``phones_ring_long``, which acts on a ringing
# phone (otherwise the 20 s ring timeout rings 1 s, and "no-answer" phones ring out quickly).
RING_WINDOW_S = 15.0
EXCHANGE = "+31702000001"
CALLER = "+31703561234"
# Volunteers in the order the fairness rule rings them (fewest recent calls first).
HISTORY = "CAhistory"
VOLUNTEERS = ["+31612340001", "+31612340002", "+31612340003"]


def gather_timeout_s(time_scale: float, window_s: float = KEY_WINDOW_S) -> int:
    """The configured ``[ivr] gather_timeout_s`` (simulated seconds) that waits at least
    ``window_s`` real seconds, and never less than the production default of 6 s."""
    return max(6, math.ceil(window_s / time_scale))


def simulated_twilio_env(database_url: str, sim_port: int, account_sid: str, auth_token: str,
                         time_scale: float) -> dict[str, str]:
    """The environment of an exchange process on ``database_url`` whose carrier "twilio" is
    the simulated network served on ``sim_port`` at ``time_scale``, with no quiet hours."""
    return {
        "BHC_DATABASE_URL": database_url,
        "BHC_CARRIER_KIND": "twilio",
        "BHC_TWILIO_ACCOUNT_SID": account_sid,
        "BHC_TWILIO_AUTH_TOKEN": auth_token,
        "BHC_TWILIO_API_BASE_URL": f"http://127.0.0.1:{sim_port}",
        # The simulated carrier's one call per simulated second, in real seconds.
        "BHC_TWILIO_CALLS_PER_SECOND": str(1 / time_scale),
        "BHC_MATCHING_QUIET_HOURS": "",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Live:
    """A running exchange with its simulated phone network, and what a test does with it."""

    def __init__(self, database_url: str, time_scale: float = TIME_SCALE,
                 key_window_s: float = KEY_WINDOW_S) -> None:
        self.time_scale = time_scale
        self.port = free_port()
        self.config = config_module.from_mapping({
            "server": {"public_url": f"http://127.0.0.1:{self.port}", "port": self.port},
            "database": {"url": database_url},
            # reconnect_hours 0: a caller phoning again after a match hears the menu at once
            # (tests/e2e/test_people_on_the_line.py turns the offer on).
            "matching": {"quiet_hours": "", "poll_interval_s": 0.05, "max_wait_s": 120,
                         "strategy": "sequential", "reconnect_hours": 0},
            "callback": {"retry_every_s": 1},
            # The simulated carrier's one call per simulated second, in real seconds.
            "twilio": {"calls_per_second": 1 / time_scale},
            "ivr": {"gather_timeout_s": gather_timeout_s(time_scale, key_window_s)},
        })
        self.exchange = None
        self.server = None
        self._keyed_gathers: dict[str, int] = {}  # per call: the menus a key was pressed in

    def start(self) -> None:
        self.exchange = build(self.config, host_simulator=True, time_scale=self.time_scale)
        self.exchange.engine.rng = random.Random(1)
        self.steps = 0
        self._count_steps(self.exchange.engine)
        self.net = self.exchange.network
        self.server = make_server("127.0.0.1", self.port, wsgi_stack(self.exchange),
                                  threaded=True)
        # A quick shutdown poll: every test stops its server, and the default waits up to 0.5 s.
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.exchange.start_engine()

    def restart_engine(self) -> None:
        """As after a crash of the engine process: a new engine over the same database."""
        self.stop_engine()
        self.start_new_engine()

    def stop_engine(self) -> None:
        """No engine runs from now on (the webhooks still answer).

        The wake-up listener goes first, as in ``Exchange.stop``: with the scheduler stopped,
        each wake-up it hears would NOTIFY it again, keeping the old engine stepping for ever
        and the shutdown waiting on it."""
        if self.exchange.listener is not None:
            self.exchange.listener.stop()
        self.exchange.engine.stop()
        self.exchange.scheduler.shutdown(wait=True)

    def start_new_engine(self) -> None:
        fresh = build(self.config)
        self._count_steps(fresh.engine)
        self.exchange.engine = fresh.engine
        self.exchange.carrier = fresh.carrier
        self.exchange.start_engine()

    def _count_steps(self, engine) -> None:
        """Count the engine's finished steps, so a test can wait for the engine to have looked
        again (calling its tick from the test would wait as long as wake-ups keep it busy)."""
        step = engine._step

        def counted() -> None:
            step()
            self.steps += 1

        engine._step = counted

    def wait_steps(self, count: int = 2) -> None:
        """Wait until the engine finished ``count`` more steps (so at least one began after
        this call)."""
        target = self.steps + count
        self.wait_until(lambda _: self.steps >= target)

    def stop(self) -> None:
        if self.exchange is not None:
            self.net.shutdown()
            self.exchange.stop()
        if self.server is not None:
            self.server.shutdown()

    # --- acting as the resident ------------------------------------------------------------

    def dial(self, caller: str = CALLER, to: str = EXCHANGE) -> str:
        return self.net.dial(from_=caller, to=to)

    def wait_until(self, predicate, timeout: float = DEADLINE_S) -> None:
        """Poll ``predicate(network)`` until it holds (LookupErrors count as not yet)."""
        self.net.wait_for(predicate, timeout=timeout)

    def wait_heard(self, sid: str, text: str, timeout: float = DEADLINE_S) -> None:
        self.wait_until(lambda net: text in net.heard(sid), timeout=timeout)

    def wait_for_keys(self, sid: str, timeout: float = DEADLINE_S) -> int:
        """Wait until the call listens for keys in a menu no key was pressed in yet (not the
        one the last key went to, which may still be closing); returns that menu's number."""
        pressed = self._keyed_gathers.get(sid, 0)
        found = []

        def listening(net) -> bool:
            call = net.call(sid)  # one snapshot: the flag and the transcript agree
            menus = gathers_begun(call)
            if call["waiting_for_digits"] and menus > pressed:
                found.append(menus)
                return True
            return False

        self.wait_until(listening, timeout=timeout)
        return found[-1]

    def choose(self, sid: str, key: str) -> None:
        """Press a key once the call waits for one in a new menu."""
        self._keyed_gathers[sid] = self.wait_for_keys(sid)
        self.net.press(sid, key)

    def wait_status(self, sid: str, *statuses: str, timeout: float = DEADLINE_S) -> None:
        self.wait_until(lambda net: net.call(sid)["status"] in statuses, timeout=timeout)

    def wait_done(self, sid: str, timeout: float = DEADLINE_S) -> None:
        """The call ended and the app has had all its status callbacks (they go out after the
        call's end, as at Twilio)."""
        self.wait_until(lambda net: net.call(sid)["done"], timeout=timeout)

    # --- reading the database --------------------------------------------------------------

    def request(self) -> HelpRequest | None:
        with self.exchange.db.session() as session:
            return session.scalar(select(HelpRequest).order_by(HelpRequest.id.desc()))

    def wait_state(self, state: str, timeout: float = DEADLINE_S) -> HelpRequest:
        self.wait_until(lambda _: (r := self.request()) is not None and r.state == state,
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


def gathers_begun(call: dict) -> int:
    """How many times the call (a snapshot from the simulator) began to wait for keys."""
    return sum(1 for entry in call["transcript"]
               if entry["kind"] == "gather" and "wacht op toetsen" in entry["text"])


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


def running(database_url: str, time_scale: float = TIME_SCALE,
            key_window_s: float = KEY_WINDOW_S, **config_changes):
    """A seeded, running exchange; ``config_changes`` are config sections to override."""
    live = Live(database_url, time_scale, key_window_s)
    if config_changes:
        live.config = live.config.replace(**config_changes)
    try:
        live.start()
        seed(live)
        connect_numbers(live.exchange)
        yield live
    finally:
        live.stop()


def pytest_configure(config):
    config.addinivalue_line("markers", "phones_ring_long: the test acts on a phone while it "
                            "rings, so phones ring RING_WINDOW_S real seconds")


@pytest.fixture
def live(request, database_url):
    changes = {}
    if request.node.get_closest_marker("phones_ring_long"):
        changes["matching"] = {"ring_timeout_s": math.ceil(RING_WINDOW_S / TIME_SCALE)}
    yield from running(database_url, **changes)
