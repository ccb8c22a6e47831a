"""The engine process killed in the middle of a search, as a city runs it
(docs/architecture.md, "Scale").

The web app runs under gunicorn and the engine as its own ``bhc worker`` process, on PostgreSQL,
with the production ``TwilioCarrier`` talking to the simulated carrier that this test process
serves. One search meets a carrier API answering 503 twice, then 500, for a call, and a worker
killed with SIGKILL (no clean-up of any kind) twice: while it asks the carrier to place a call,
and while a volunteer's phone rings. Each time a new worker takes over. The request must
complete, nobody may be rung twice for it, and every call the carrier placed must be a leg of
the database that ended.
"""

from __future__ import annotations

import io
import json
import os
import signal
import threading
import time
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select
from waitress.server import create_server

from bhc.db import Database, drop_schema, utcnow
from bhc.models import CallLeg, HelpRequest, Match, Participant, RequestState
from bhc.neighbourhoods.services import add_neighbourhood
from bhc.people.participants import ParticipantData, save
from ivr.simulator import SimulatedNetwork
from tests.conftest import POSTGRES_URL, migrated_postgres_schema
from tests.e2e.conftest import (
    KEY_WINDOW_S,
    free_port,
    gather_timeout_s,
    simulated_twilio_env,
)
from tests.e2e.test_city_deployment import Processes, wait_until_up

pytestmark = pytest.mark.e2e

EXCHANGE = "+31702000001"
CALLER = "+31703561234"
# In the order the engine rings them: their call history gives them 0, 1, 2 and 3 recent
# calls.
VOLUNTEERS = ["+31612340001", "+31612340002", "+31612340003", "+31612340004"]
ACCOUNT_SID = "AC" + "fa" * 16
AUTH_TOKEN = "faults-token"
TIME_SCALE = 0.1
# Twilio's longest ring, 60 real seconds here: a phone rings until the test acts.
RING_TIMEOUT_S = 600
# The helper talks a minute (real) after answering: never before the bridge, however slow.
ACCEPT = dict(answer="human", answer_delay_s=1, press="1", press_delay_s=1, hangup_after_s=600)
# What takes a second or two on an idle machine, given ample time on a loaded one.
DEADLINE_S = 60
CONNECTED = "Er is nu een buur voor u aan de lijn."
TAKEN = "Een andere buur heeft deze vraag net aangenomen."
CARRIER_TROUBLE = "carrier trouble"  # the error the gate answers with; the leg records it


class CarrierGate:
    """In front of the simulated carrier's REST API: can answer "place a call" to a number with
    errors (as a carrier in trouble does), or hold it until released, so a test can kill the
    engine while the request is in flight (as with a slow carrier API)."""

    def __init__(self, app) -> None:
        self.app = app
        self.armed = False
        self.reached = threading.Event()
        self.released = threading.Event()
        self.errors: dict[str, list[int]] = {}  # number -> HTTP statuses to answer, in turn
        self.refused: list[tuple[float, int]] = []  # (when, status) of each error answered

    def __call__(self, environ, start_response):
        if not (environ["REQUEST_METHOD"] == "POST"
                and environ["PATH_INFO"].endswith("/Calls.json")):
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        to = parse_qs(body.decode())["To"][0]
        if self.errors.get(to):
            status = self.errors[to].pop(0)
            self.refused.append((time.monotonic(), status))
            start_response(f"{status} Error", [("Content-Type", "application/json")])
            return [json.dumps({"code": 20500, "message": CARRIER_TROUBLE,
                                "status": status}).encode()]
        if self.armed:
            self.armed = False
            self.reached.set()
            self.released.wait(DEADLINE_S)
        return self.app(environ, start_response)


class Deployment:
    """gunicorn + ``bhc worker`` on PostgreSQL against a simulated carrier served here."""

    def __init__(self, database: Database, logs) -> None:
        self.database = database
        app_port, sim_port = free_port(), free_port()
        self.public_url = f"http://127.0.0.1:{app_port}"
        self.env = {
            "BHC_SERVER_PUBLIC_URL": self.public_url,
            **simulated_twilio_env(database.url, sim_port, ACCOUNT_SID, AUTH_TOKEN, TIME_SCALE),
            "BHC_MATCHING_STRATEGY": "sequential",
            "BHC_MATCHING_RING_TIMEOUT_S": str(RING_TIMEOUT_S),
            "BHC_IVR_GATHER_TIMEOUT_S": str(gather_timeout_s(TIME_SCALE, KEY_WINDOW_S)),
            "BHC_MATCHING_POLL_INTERVAL_S": "0.2",
            "BHC_MATCHING_MAX_WAIT_S": "600",
            "BHC_ADMIN_SECRET_KEY": "faults-test-secret-key-0123456789abcdef",
        }
        self.net = SimulatedNetwork(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN,
                                    time_scale=TIME_SCALE)
        self.net.add_number(EXCHANGE, voice_url=f"{self.public_url}/ivr/voice",
                            status_callback=f"{self.public_url}/ivr/caller/status")
        self.gate = CarrierGate(self.net.wsgi_app)
        self.carrier = create_server(self.gate, host="127.0.0.1", port=sim_port, threads=8)
        threading.Thread(target=self.carrier.run, daemon=True).start()
        self.processes = Processes(logs)
        self.workers = 0

    def start(self) -> None:
        self.processes.spawn("gunicorn", ["-m", "gunicorn", "-w", "1", "--threads", "8", "-b",
                                          self.public_url.removeprefix("http://"),
                                          "bhc.wsgi:app"], self.env)
        self.worker = self.start_worker()
        wait_until_up(f"{self.public_url}/healthz", self.processes)

    def start_worker(self):
        self.workers += 1
        return self.processes.spawn(f"worker{self.workers}", ["-m", "bhc.cli", "worker"],
                                    self.env)

    def kill_worker(self) -> None:
        """SIGKILL, as the kernel's OOM killer or a power cut would: no clean-up at all."""
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait(DEADLINE_S)
        self.processes.running = [(name, p) for name, p in self.processes.running
                                  if p is not self.worker]

    def stop(self) -> None:
        self.gate.released.set()
        self.processes.stop()
        self.net.shutdown()
        self.carrier.close()

    # --- the resident and the volunteers -----------------------------------------------------

    def ask_for_groceries(self) -> str:
        sid = self.net.dial(from_=CALLER, to=EXCHANGE)
        self.net.wait_for(lambda net: net.call(sid)["waiting_for_digits"], timeout=DEADLINE_S)
        self.net.press(sid, "1")
        return sid

    def calls_to(self, number: str) -> list[dict]:
        return [call for call in self.net.calls() if call["to"] == number]

    def wait_ringing(self, number: str) -> str:
        self.net.wait_for(lambda _: any(c["status"] == "ringing" for c in self.calls_to(number)),
                          timeout=DEADLINE_S)
        return self.calls_to(number)[0]["sid"]

    def request(self) -> HelpRequest:
        with self.database.session() as session:
            return session.scalar(select(HelpRequest).where(HelpRequest.call_sid != "CAhistory"))

    def legs(self) -> list:
        """The request's legs in order: (sid, volunteer's phone, status, outcome, error)."""
        with self.database.session() as session:
            return session.execute(
                select(CallLeg.sid, Participant.phone, CallLeg.status, CallLeg.outcome,
                       CallLeg.error)
                .join(Participant, CallLeg.volunteer_id == Participant.id)
                .join(HelpRequest, CallLeg.request_id == HelpRequest.id)
                .where(HelpRequest.call_sid != "CAhistory").order_by(CallLeg.id)).all()


@pytest.fixture
def deployment(tmp_path):
    schema = f"bhc_faults_{os.getpid()}"
    database = migrated_postgres_schema(schema)
    seed(database)
    deployment = Deployment(database, tmp_path)
    try:
        deployment.start()
        yield deployment
    except BaseException:
        for name, _ in deployment.processes.running:
            print(f"--- {name} log (tail) ---\n{deployment.processes.tail(name)}")
        raise
    finally:
        deployment.stop()
        database.dispose()
        drop_schema(POSTGRES_URL, schema)


def seed(database: Database) -> None:
    with database.session() as session:
        hood = add_neighbourhood(session, "Segbroek", EXCHANGE, ["2551"], 12000)
        save(session, ParticipantData(
            name="Truus", phone=CALLER, postcode="2551AB", house_number="1",
            neighbourhood_id=hood.id, is_helper=False, is_asker=True, categories=frozenset(),
            languages="nl", availability="", call_consent=True), utcnow(), "test")
        for phone in VOLUNTEERS:
            save(session, ParticipantData(
                name=f"Buur {phone[-4:]}", phone=phone, postcode="2551AB", house_number="2",
                neighbourhood_id=hood.id, is_helper=True, is_asker=False,
                categories=frozenset({"groceries"}), languages="nl", availability="",
                call_consent=True), utcnow(), "test")
        history = HelpRequest(call_sid="CAhistory", neighbourhood_id=hood.id, state="matched",
                              created_at=utcnow() - timedelta(days=3))
        session.add(history)
        session.flush()
        for calls, phone in enumerate(VOLUNTEERS):
            volunteer_id = session.scalar(select(Participant.id).where(Participant.phone == phone))
            session.add_all(CallLeg(request_id=history.id, volunteer_id=volunteer_id,
                                    status="completed", outcome="no_answer",
                                    placed_at=utcnow() - timedelta(days=3))
                            for _ in range(calls))


def check_nothing_lost(deployment: Deployment, caller_sid: str, helper: str) -> None:
    """Matched once, by the helper; the caller was put through; nobody rung twice for the
    request; the carrier placed exactly the calls the legs record (but those it refused), and
    every leg ended."""
    net = deployment.net
    net.wait_for(lambda _: CONNECTED in net.heard(caller_sid), timeout=DEADLINE_S)
    request = deployment.request()
    assert request.state == RequestState.MATCHED
    with deployment.database.session() as session:
        matches = session.scalars(select(Match).where(Match.request_id == request.id)).all()
    assert len(matches) == 1
    legs = deployment.legs()
    rung = [leg.phone for leg in legs]
    assert len(rung) == len(set(rung)), f"a volunteer was rung twice: {rung}"
    assert [leg.phone for leg in legs if leg.outcome == "accepted"] == [helper]
    placed_by_carrier = [leg.phone for leg in legs
                         if CARRIER_TROUBLE not in (leg.error or "")]
    assert [len(deployment.calls_to(phone)) for phone in VOLUNTEERS] == \
        [placed_by_carrier.count(phone) for phone in VOLUNTEERS], "a call without a leg"
    placed = {call["sid"] for phone in VOLUNTEERS for call in deployment.calls_to(phone)}
    assert {leg.sid for leg in legs if leg.sid} <= placed
    assert all(leg.outcome is not None for leg in legs), legs


def test_carrier_trouble_and_a_killed_engine_mid_search_lose_nothing(deployment):
    net, gate = deployment.net, deployment.gate
    net.set_behaviour(VOLUNTEERS[0], answer="manual")
    net.set_behaviour(VOLUNTEERS[1], answer="manual")
    net.set_behaviour(VOLUNTEERS[2], answer="manual")
    net.set_behaviour(VOLUNTEERS[3], **ACCEPT)

    # 1. The carrier answers "try later" (503) twice, which is retried (the second time after
    # a back-off), then a 500 (the call may or may not exist: not retried), so the engine moves
    # on to the next volunteer.
    gate.errors[VOLUNTEERS[0]] = [503, 503, 500]
    # 2. Killed while asking the carrier to ring that next volunteer: the leg row was written
    # first, so the next engine knows that phone may ring (it does: the carrier got the
    # request) and moves on instead of ringing them again.
    gate.armed = True
    caller = deployment.ask_for_groceries()
    assert gate.reached.wait(DEADLINE_S), "the engine never asked to place a call"
    assert [status for _, status in gate.refused] == [503, 503, 500]
    assert gate.refused[2][0] - gate.refused[1][0] >= 0.4, "retried after a back-off"
    assert deployment.calls_to(VOLUNTEERS[0]) == []
    deployment.kill_worker()
    gate.released.set()
    orphan = deployment.wait_ringing(VOLUNTEERS[1])
    deployment.worker = deployment.start_worker()

    # 3. Killed while the third volunteer's phone rings; they turn it down while no engine
    # runs, which the web app records, and nobody else is rung until an engine is back.
    third = deployment.wait_ringing(VOLUNTEERS[2])
    # The interrupted placement did ring, but no engine heard its sid (and a ringing call's
    # early statuses are not written): it stays "placing", with its volunteer counted busy.
    assert [leg[1:4] for leg in deployment.legs()[:2]] == [
        (VOLUNTEERS[0], "failed", "failed"), (VOLUNTEERS[1], "placing", "failed")
    ], "the refused and the interrupted placement both count as a call to that volunteer"
    deployment.kill_worker()
    net.reject(third, reason="busy")
    net.wait_for(lambda _: deployment.legs()[2].outcome == "busy", timeout=DEADLINE_S)
    # Every webhook of that call has been answered (webhooks never place calls either).
    net.wait_for(lambda net: net.call(third)["done"], timeout=DEADLINE_S)
    assert deployment.calls_to(VOLUNTEERS[3]) == [], "nobody places calls without an engine"
    assert deployment.request().state == RequestState.SEARCHING
    deployment.worker = deployment.start_worker()

    # The fourth volunteer takes it; the orphaned call, answered late, hears it is taken.
    net.wait_for(lambda _: deployment.request().state == RequestState.MATCHED,
                 timeout=DEADLINE_S)
    net.answer(orphan)
    net.wait_for(lambda _: TAKEN in net.heard(orphan), timeout=DEADLINE_S)
    check_nothing_lost(deployment, caller, helper=VOLUNTEERS[3])
