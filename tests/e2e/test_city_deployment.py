"""A city's deployment under a burst: residents of one neighbourhood all call at the same time.

Deployed as docs/deployment.md says a city runs it, with the commands and environment of its
unit files (docs/deployment/bhc-web.service, bhc-worker@.service): the web-only app under
gunicorn (several worker processes, each with threads, prometheus_client's multiprocess mode)
plus one ``bhc worker`` process for the engine, on PostgreSQL, with the production
``TwilioCarrier`` talking to the simulated carrier that this test process serves and plays
(callers press a category; volunteers' phones accept, decline, are busy or ring out).

Checked afterwards, from the database and from the carrier's own records: every request ended
matched or unmatched; at most one match per request; no volunteer was ever on two live calls at
once; nobody was rung twice for one request; every caller heard the outcome. And what an
operator reads: /healthz is healthy, and /metrics, added up over every process, counts as many
times to match as there are matches.

The burst grows with the CPUs this test may use (``CALLERS_PER_CPU`` callers and
``VOLUNTEERS_PER_CPU`` volunteers each, never fewer than two CPUs' worth: 60 callers for 44
volunteers), and the deadlines with the work per CPU, so a loaded 2-core machine gets as much
time per call as a quiet 16-core one.

Strategy ``waves`` (the default); ``BHC_TEST_CITY_STRATEGY=sequential`` runs the same burst
one call at a time.

The same deployment with three ``bhc worker`` engines, one SIGKILLed mid-load and started
again, must keep the same promises, and never ring a wave wider than ``wave_size``.
"""

from __future__ import annotations

import os
import random
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import and_, func, select
from waitress.server import create_server

from bhc.db import Database, drop_schema, utcnow
from bhc.models import CallLeg, HelpRequest, Match, Participant, RequestState
from bhc.neighbourhoods.services import add_neighbourhood
from bhc.people.participants import ParticipantData, save
from ivr.simulator import SimulatedNetwork
from tests.conftest import POSTGRES_URL, migrated_postgres_schema
from tests.e2e.conftest import KEY_WINDOW_S, free_port, gather_timeout_s, simulated_twilio_env

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "docs" / "deployment"
UNIT_ADDRESS = "127.0.0.1:8080"  # where the unit files have gunicorn listen
# The programs of the unit files, as modules of this test's interpreter.
PROGRAMS = {"gunicorn": ["-m", "gunicorn"], "bhc": ["-m", "bhc.cli"]}
EXCHANGE = "+31702000001"
ACCOUNT_SID = "AC" + "c1" * 16
AUTH_TOKEN = "city-deployment-token"
TIME_SCALE = 0.1  # real seconds per simulated second: a 20 s ring timeout rings 2 s
CPUS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
CALLERS_PER_CPU = 30
VOLUNTEERS_PER_CPU = 22  # fewer volunteers than callers: most are rung for several requests
CALLERS = CALLERS_PER_CPU * max(CPUS, 2)
VOLUNTEERS = VOLUNTEERS_PER_CPU * max(CPUS, 2)
# Three engines: 30 callers arriving within 2 s (more on a machine with more CPUs); one engine
# is killed once this many legs exist, and started again this much later.
ENGINES_CALLERS = 15 * max(CPUS, 2)
KILL_AFTER_LEGS, KILL_WITHIN_S, RESTART_AFTER_S = 15, 30, 2.0
# What a kill may cost: the placements it was making count as interrupted once it has been
# silent for heartbeat.ENGINE_GONE_AFTER, and the restarted engine imports the app first.
KILL_COSTS_S = 15 + 25
WAVE_SIZE = 3
MENU_KEYS = {"1": "groceries", "2": "odd-jobs", "3": "transport", "5": "chat"}
# What a caller hears at the end, Dutch or (while a new text awaits its translation) English.
CONNECTED = ("Er is nu een buur voor u aan de lijn.", "A neighbour is on the line for you now.")
UNMATCHED = ("Het spijt ons:", "We are sorry:")
MAX_WAIT_S = 25  # [matching] max_wait_s: the engine ends a search at the latest after this
THINK_S = (0.5, 3.0)  # how long a caller takes to press a key once the menu plays (simulated)
TALK_S = 60  # how long a helper talks after answering (simulated)
# Real seconds of work per call (webhooks, engine steps, the simulated phones) on one core,
# generously (about 0.4 s of CPU, all processes together): what the burst adds to the
# deadlines beyond the waits of a single call, for a machine also busy with other work.
WORK_S_PER_CALL = 1.0
# Every caller has dialled and chosen (then: ended_within_s, and every call over).
ALL_CHOSEN_WITHIN_S = 30 + WORK_S_PER_CALL * CALLERS / max(CPUS, 1)


def unit_command(unit: str, address: str) -> list[str]:
    """The ExecStart of a unit file of docs/deployment as this test runs it: its program as a
    module of this interpreter, listening on ``address`` instead of the unit's."""
    text = (UNITS / unit).read_text()
    command = next(line.removeprefix("ExecStart=") for line in text.splitlines()
                   if line.startswith("ExecStart="))
    program, *args = shlex.split(command.replace(UNIT_ADDRESS, address))
    return PROGRAMS[Path(program).name] + args


def unit_environment(unit: str) -> dict[str, str]:
    """The unit's Environment= settings, but the config file: this test sets every key in the
    environment instead."""
    pairs = [line.removeprefix("Environment=").split("=", 1)
             for line in (UNITS / unit).read_text().splitlines()
             if line.startswith("Environment=")]
    return {key: value for key, value in pairs if key != "BHC_CONFIG"}


@pytest.fixture
def city_database():
    """A fresh PostgreSQL schema of its own, migrated; dropped afterwards."""
    schema = f"bhc_city_{os.getpid()}"
    database = migrated_postgres_schema(schema)
    try:
        yield database
    finally:
        database.dispose()
        drop_schema(POSTGRES_URL, schema)


def volunteer_phone(i: int) -> str:
    return f"+3162{i:07d}"


def seed(database: Database, rng: random.Random) -> None:
    with database.session() as session:
        hood = add_neighbourhood(session, "Stadswijk", EXCHANGE, ["2500"], 20000)
        for i in range(VOLUNTEERS):
            save(session, ParticipantData(
                name=f"Vrijwilliger {i}", phone=volunteer_phone(i), postcode="2500AA",
                house_number=str(i + 1), neighbourhood_id=hood.id, is_helper=True,
                is_asker=False, categories=frozenset(rng.sample(sorted(MENU_KEYS.values()), 3)),
                languages="nl", availability="", call_consent=True), utcnow(), "test")


def phones_behave(net: SimulatedNetwork, rng: random.Random) -> None:
    """Some volunteers take it, more decline, some are busy, the rest let it ring out."""
    for i in range(VOLUNTEERS):
        roll = rng.random()
        if roll < 0.30:
            behaviour = dict(answer="human", answer_delay_s=rng.uniform(1, 6), press="1",
                             press_delay_s=rng.uniform(1, 4), hangup_after_s=TALK_S)
        elif roll < 0.65:
            behaviour = dict(answer="human", answer_delay_s=rng.uniform(1, 6), press="2",
                             press_delay_s=rng.uniform(1, 4))
        elif roll < 0.72:
            behaviour = dict(answer="busy")
        else:
            behaviour = dict(answer="no-answer")
        net.set_behaviour(volunteer_phone(i), **behaviour)


class Processes:
    """Subprocesses of the deployment; all of them are always stopped, whatever happened."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.running: list[tuple[str, subprocess.Popen]] = []

    def spawn(self, name: str, args: list[str], env: dict[str, str],
              program: str = sys.executable) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "wb")
        process = subprocess.Popen([program, *args], cwd=ROOT, env={**os.environ, **env},
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.running.append((name, process))
        return process

    def check_alive(self) -> None:
        for name, process in self.running:
            assert process.poll() is None, f"{name} exited with {process.returncode}:\n" + \
                self.tail(name)

    def tail(self, name: str, lines: int = 40) -> str:
        path = self.logs / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) \
            if path.exists() else ""

    def problems(self, name: str, lines: int = 80) -> str:
        """The log's warnings, errors and tracebacks (with the lines after them), where the
        tail alone may be long past the webhook that failed."""
        path = self.logs / f"{name}.log"
        if not path.exists():
            return ""
        found, after = [], 0
        for line in path.read_text(errors="replace").splitlines():
            if any(mark in line for mark in ("WARNING", "ERROR", "Traceback")):
                after = 12
            if after:
                found.append(line)
                after -= 1
        return "\n".join(found[:lines])

    def stop(self) -> None:
        for _, process in self.running:
            if process.poll() is None:
                process.terminate()
        for _, process in self.running:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def wait_until_up(url: str, processes: Processes, timeout: float = 90.0) -> None:
    """Until ``url`` answers 200 (gunicorn's workers import the whole app first, slowly on a
    loaded machine), or a process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        processes.check_alive()
        try:
            if requests.get(url, timeout=10).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not come up within {timeout} s")


class LiveCallWatcher:
    """Samples the carrier while the calls run: no phone may have two calls ringing or
    in progress at the same moment."""

    def __init__(self, net: SimulatedNetwork) -> None:
        self.net = net
        self.doubles: list[tuple[str, list[str]]] = []
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_):
        self._stop.set()
        self._thread.join(60)  # it stops within one sample; this only bounds a hang

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            live: dict[str, list[str]] = defaultdict(list)
            with self.net.lock:
                for call in self.net.all_calls():
                    if call.is_outbound and not call.is_ended:
                        live[call.to].append(call.sid)
            self.samples += 1
            self.doubles.extend((to, sids) for to, sids in live.items() if len(sids) > 1)


def most_at_once(intervals: list[tuple]) -> int:
    """The most (start, end) intervals open at one moment (an end before a start)."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals],
                    key=lambda event: (event[0], event[1]))
    open_, most = 0, 0
    for _, change in events:
        open_ += change
        most = max(most, open_)
    return most


def overlapping(intervals: list[tuple]) -> list[tuple]:
    """Pairs of (start, end, label) intervals, sorted by start, that overlap."""
    ordered = sorted(intervals, key=lambda i: i[0])
    return [(a, b) for a, b in zip(ordered, ordered[1:]) if b[0] < a[1]]


def closest_gap_s(by_key: dict[object, list[tuple]]) -> float | None:
    """The shortest time between one call's end and the next call's start to the same person."""
    gaps = [(b[0] - a[1]).total_seconds()
            for intervals in by_key.values()
            for a, b in zip(sorted(intervals), sorted(intervals)[1:])]
    return min(gaps, default=None)


NGINX = Path(os.environ.get("BHC_NGINX", "/usr/sbin/nginx"))


def proxy_config(folder: Path, proxy_port: int, app_port: int) -> Path:
    """docs/deployment/nginx-bhc.conf with this test's addresses and a certificate made for
    127.0.0.1, inside the least nginx needs to run unprivileged in ``folder``."""
    if not NGINX.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{NGINX} is required under CI (.ci/run installs nginx-light)")
        pytest.skip(f"no nginx at {NGINX}")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    snippet = (UNITS / "nginx-bhc.conf").read_text()
    for old, new in (("listen 443 ssl", f"listen 127.0.0.1:{proxy_port} ssl"),
                     ("/etc/letsencrypt/live/bhc.example.nl/fullchain.pem", str(cert)),
                     ("/etc/letsencrypt/live/bhc.example.nl/privkey.pem", str(key)),
                     (UNIT_ADDRESS, f"127.0.0.1:{app_port}")):
        assert old in snippet, old
        snippet = snippet.replace(old, new)
    (folder / "bhc.conf").write_text(snippet)
    temp = " ".join(f"{kind}_temp_path {folder / kind};"
                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    main = folder / "nginx.conf"
    main.write_text(
        f"daemon off; worker_processes 2; pid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'nginx-error.log'} warn;\n"
        + ("user root;\n" if os.geteuid() == 0 else "")
        + "events { worker_connections 1024; }\n"
        f"http {{ access_log off; {temp} include {folder / 'bhc.conf'}; }}\n")
    return main


def test_a_burst_of_simultaneous_calls_in_one_neighbourhood(city_database, tmp_path,
                                                            monkeypatch):
    run_city(city_database, tmp_path, monkeypatch, callers=CALLERS, engines=1)


def test_three_engines_and_one_killed_mid_load_lose_nothing(city_database, tmp_path,
                                                            monkeypatch):
    """Three ``bhc worker`` engines (``bhc-worker@1..3``) share the load; one is SIGKILLed once
    calls are being placed and started again: every caller is still bridged or told, no wave
    is wider than ``wave_size``, nobody is rung twice for a request nor on two live calls."""
    run_city(city_database, tmp_path, monkeypatch, callers=ENGINES_CALLERS, engines=3,
             kill_one=True, arrival_spread_s=2.0)


def run_city(database: Database, tmp_path: Path, monkeypatch, *, callers: int, engines: int,
             kill_one: bool = False, arrival_spread_s: float = 0.0) -> None:
    rng = random.Random(2026)
    app_port, sim_port, proxy_port = free_port(), free_port(), free_port()
    # Twilio (here the simulated carrier) reaches the exchange through the reverse proxy,
    # over TLS with the test's own certificate.
    nginx_config = proxy_config(tmp_path, proxy_port, app_port)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "cert.pem"))
    public_url = f"https://127.0.0.1:{proxy_port}"
    env = {
        "BHC_SERVER_PUBLIC_URL": public_url,
        "BHC_SERVER_TRUSTED_PROXIES": "1",
        **simulated_twilio_env(database.url, sim_port, ACCOUNT_SID, AUTH_TOKEN, TIME_SCALE),
        "BHC_MATCHING_STRATEGY": os.environ.get("BHC_TEST_CITY_STRATEGY", "waves"),
        "BHC_MATCHING_WAVE_SIZE": str(WAVE_SIZE),
        "BHC_MATCHING_POLL_INTERVAL_S": "0.2",
        "BHC_MATCHING_MAX_WAIT_S": str(MAX_WAIT_S),
        "BHC_IVR_GATHER_TIMEOUT_S": str(gather_timeout_s(TIME_SCALE, KEY_WINDOW_S)),
        "BHC_MATCHING_DAILY_CAP": "6",
        "BHC_MATCHING_WEEKLY_CAP": "20",
        "BHC_ADMIN_SECRET_KEY": "city-deployment-test-secret-key-0123456789",
    }
    seed(database, rng)
    net = SimulatedNetwork(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, time_scale=TIME_SCALE)
    net.add_number(EXCHANGE, voice_url=f"{public_url}/ivr/voice",
                   status_callback=f"{public_url}/ivr/caller/status")
    phones_behave(net, rng)
    carrier = create_server(net.wsgi_app, host="127.0.0.1", port=sim_port, threads=16)
    threading.Thread(target=carrier.run, daemon=True).start()
    processes = Processes(tmp_path)
    metrics_dir = tmp_path / "metrics"  # the units' PROMETHEUS_MULTIPROC_DIR, here
    metrics_dir.mkdir()
    try:
        processes.spawn("nginx", ["-c", str(nginx_config), "-p", str(tmp_path),
                                  "-e", str(tmp_path / "nginx-error.log")], {}, str(NGINX))
        web_env = unit_environment("bhc-web.service")
        assert web_env.get("PROMETHEUS_MULTIPROC_DIR") == "/run/bhc/metrics"
        processes.spawn("gunicorn", unit_command("bhc-web.service", f"127.0.0.1:{app_port}"),
                        {**env, **web_env, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)})
        worker_env = {**env, **unit_environment("bhc-worker@.service"),
                      "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
        worker = unit_command("bhc-worker@.service", f"127.0.0.1:{app_port}")
        for n in range(1, engines + 1):
            processes.spawn(f"worker{n}", worker, worker_env)
        wait_until_up(f"{public_url}/healthz", processes)
        started = time.monotonic()
        with LiveCallWatcher(net) as watcher:
            killer = threading.Thread(target=kill_and_restart,
                                      args=(processes, database, worker, worker_env),
                                      daemon=True) if kill_one else None
            if killer is not None:
                killer.start()
            caller_sids = call_all_at_once(net, rng, callers, arrival_spread_s)
            if killer is not None:
                killer.join(KILL_WITHIN_S + 60)
            allowed_s = ended_within_s(callers) + (KILL_COSTS_S if kill_one else 0)
            wait_until_all_ended(database, processes, allowed_s)
            ended_after = time.monotonic() - started
            wait_until_every_call_is_over(net, database, callers)
        processes.check_alive()
        print(f"\n{callers} calls ({CPUS} CPUs, {VOLUNTEERS} volunteers, {engines} engines"
              f"{', one killed and restarted' if kill_one else ''}) ended in "
              f"{ended_after:.1f} s (allowed {allowed_s:.0f} s); "
              f"{watcher.samples} carrier samples")
        check_outcomes(database, net, caller_sids, watcher, callers)
        check_what_an_operator_reads(database, public_url, f"http://127.0.0.1:{app_port}",
                                     callers)
    except BaseException:
        for name, _ in processes.running:
            print(f"--- {name} log (tail) ---\n{processes.tail(name)}")
            print(f"--- {name} log (problems) ---\n{processes.problems(name)}")
        raise
    finally:
        processes.stop()
        net.shutdown()
        carrier.close()


def call_all_at_once(net: SimulatedNetwork, rng: random.Random, count: int,
                     spread_s: float = 0.0) -> dict[str, str]:
    """Every resident dials in the same instant (or within ``spread_s``) and picks a category
    from the menu."""
    callers = [(f"+3163{i:07d}", rng.choice(sorted(MENU_KEYS)), rng.uniform(*THINK_S),
                rng.uniform(0, spread_s)) for i in range(count)]
    barrier = threading.Barrier(count)
    sids: dict[str, str] = {}
    errors: list[BaseException] = []

    def caller(number: str, key: str, think_s: float, after_s: float) -> None:
        try:
            barrier.wait(timeout=ALL_CHOSEN_WITHIN_S)
            time.sleep(after_s)
            sid = net.dial(from_=number, to=EXCHANGE)
            sids[number] = sid
            net.wait_for(lambda n: n.call(sid)["waiting_for_digits"],
                         timeout=ALL_CHOSEN_WITHIN_S, interval=0.05)
            time.sleep(think_s * TIME_SCALE)  # the person thinks; the menu waits far longer
            net.press(sid, key)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=caller, args=c, daemon=True) for c in callers]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 2 * ALL_CHOSEN_WITHIN_S
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    assert not errors, f"{len(errors)} callers could not choose: {errors[0]!r}"
    assert not any(thread.is_alive() for thread in threads), "callers still choosing"
    assert len(sids) == count
    return sids


def kill_and_restart(processes: Processes, database: Database, worker: list[str],
                     env: dict[str, str]) -> None:
    """Once calls are being placed, SIGKILL the second engine (no clean-up of any kind, as the
    OOM killer or a power cut would), and start it again a little later."""
    deadline = time.monotonic() + KILL_WITHIN_S
    while time.monotonic() < deadline:
        with database.session() as session:
            if session.scalar(select(func.count()).select_from(CallLeg)) >= KILL_AFTER_LEGS:
                break
        time.sleep(0.05)
    name, victim = next((n, p) for n, p in processes.running if n == "worker2")
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait(30)
    processes.running.remove((name, victim))
    print(f"\nkilled {name} at {time.monotonic():.1f}")
    time.sleep(RESTART_AFTER_S)
    processes.spawn("worker2-again", worker, env)


def ended_within_s(callers: int) -> float:
    """Every request has ended (the engine ends a search after MAX_WAIT_S at the latest)."""
    return MAX_WAIT_S + backlog_s(callers)


def backlog_s(callers: int) -> float:
    return WORK_S_PER_CALL * callers / max(CPUS, 1)


def wait_until_all_ended(database: Database, processes: Processes, allowed: float) -> None:
    deadline = time.monotonic() + allowed
    while True:
        with database.session() as session:
            open_requests = session.scalar(
                select(func.count()).select_from(HelpRequest)
                .where(HelpRequest.state.in_((RequestState.MENU, RequestState.SEARCHING))))
            live_legs = session.scalar(
                select(func.count()).select_from(CallLeg)
                .where(CallLeg.status.in_(("placing", "queued", "initiated", "ringing",
                                           "in-progress")), ~never_heard_of()))
        if open_requests == 0 and live_legs == 0:
            return
        processes.check_alive()
        if time.monotonic() > deadline:
            with database.session() as session:
                stuck = session.execute(
                    select(HelpRequest.id, HelpRequest.state, HelpRequest.searching_since)
                    .where(HelpRequest.state.in_((RequestState.MENU, RequestState.SEARCHING)))
                ).all()
            raise AssertionError(
                f"after {allowed:.0f} s, {open_requests} requests still open "
                f"({stuck[:10]}) and {live_legs} legs still live")
        time.sleep(0.25)


def never_heard_of():
    """Legs whose engine was killed before it heard from the carrier, and of which no news came
    since: the call may never have been made. They stay live, their volunteer counted as on a
    call, until the lost-leg rule ends them (max_wait_s + ring timeout + 30 s: tests/
    integration/engines/test_dispatcher.py); the carrier's calls are waited for instead, and
    check_outcomes finds none of theirs."""
    return and_(CallLeg.sid.is_(None), CallLeg.first_news_at.is_(None),
                CallLeg.error.startswith("interrupted"))


def wait_until_every_call_is_over(net: SimulatedNetwork, database: Database,
                                  callers: int) -> None:
    """Every call hung up and its last webhooks sent; else say who is still on the line."""
    allowed = max(TALK_S * TIME_SCALE, KEY_WINDOW_S) + 10 + backlog_s(callers)
    deadline = time.monotonic() + allowed
    while time.monotonic() < deadline:
        if all(call.done for call in net.all_calls()):
            return
        time.sleep(0.1)
    report = []
    with database.session() as session:
        for call in net.all_calls():
            if call.done or call.is_outbound:
                continue
            request = session.scalar(select(HelpRequest).where(HelpRequest.call_sid == call.sid))
            report.append(f"caller {call.sid} {call.status} in queue "
                          f"{call.queue.name if call.queue else None}; request "
                          f"{request.id} {request.state}/{request.outcome}")
            for leg in request.legs:
                report.append(f"  leg {leg.id} {leg.status}/{leg.outcome} key={leg.key_pressed}")
                if leg.sid:
                    report.extend(f"    {entry}" for entry in net.call(leg.sid)["transcript"])
        report.extend(f"volunteer call {c.sid} to {c.to} {c.status}"
                      for c in net.all_calls() if c.is_outbound and not c.done)
    raise AssertionError(f"calls still on the line {allowed:.0f} s after every "
                         "request ended:\n" + "\n".join(report))


def check_outcomes(database: Database, net: SimulatedNetwork, caller_sids: dict[str, str],
                   watcher: LiveCallWatcher, callers: int) -> None:
    with database.session() as session:
        requests_ = session.execute(select(HelpRequest.id, HelpRequest.call_sid,
                                           HelpRequest.state, HelpRequest.outcome)).all()
        legs = session.execute(
            select(CallLeg.id, CallLeg.request_id, CallLeg.volunteer_id, CallLeg.sid,
                   CallLeg.status, CallLeg.outcome, CallLeg.placed_at, CallLeg.decided_at,
                   CallLeg.ended_at, CallLeg.error)
        ).all()
        matches = session.execute(select(Match.request_id, Match.leg_id)).all()
        unheard_of = set(session.scalars(select(CallLeg.id).where(never_heard_of())))
        phone_of = dict(session.execute(select(Participant.id, Participant.phone)).all())

    # Every request ended matched or unmatched; none stuck, none abandoned by a caller.
    assert len(requests_) == callers
    states = defaultdict(int)
    for _, _, state, outcome in requests_:
        states[(state, outcome)] += 1
    print("outcomes:", dict(states), f"legs: {len(legs)}")
    assert {state for state, _ in states} <= {RequestState.MATCHED, RequestState.UNMATCHED}, \
        dict(states)
    assert states, "no requests"

    # At most one match per request, and exactly one for every matched request, on its
    # accepted leg.
    matched = {request_id for request_id, _, state, _ in requests_
               if state == RequestState.MATCHED}
    per_request = defaultdict(list)
    for request_id, leg_id in matches:
        per_request[request_id].append(leg_id)
    assert all(len(v) == 1 for v in per_request.values()), per_request
    assert set(per_request) == matched
    accepted = defaultdict(list)
    for leg in legs:
        if leg.outcome == "accepted":
            accepted[leg.request_id].append(leg.id)
    assert {r: v for r, v in accepted.items()} == dict(per_request)

    # Nobody rung twice for the same request.
    pairs = [(leg.request_id, leg.volunteer_id) for leg in legs]
    assert len(pairs) == len(set(pairs)), "a volunteer was rung twice for one request"

    # No wave wider than wave_size: never more of a request's calls undecided at once (rung,
    # not yet declined, accepted or ended).
    undecided = defaultdict(list)
    for leg in legs:
        undecided[leg.request_id].append((leg.placed_at, leg.decided_at or leg.ended_at))
    widest = max(most_at_once(intervals) for intervals in undecided.values())
    assert widest <= WAVE_SIZE, f"a wave of {widest} with wave_size {WAVE_SIZE}"

    # No volunteer on two legs at once, by the database: [placed_at, ended_at] never overlap.
    by_volunteer = defaultdict(list)
    for leg in legs:
        # A leg never heard of (never_heard_of) is live until the lost-leg rule ends it: its
        # volunteer may be on no other leg placed meanwhile.
        assert leg.ended_at is not None or leg.id in unheard_of, (
            f"leg {leg.id} never ended ({leg.status})")
        by_volunteer[leg.volunteer_id].append((leg.placed_at, leg.ended_at or utcnow(), leg.id))
    db_overlaps = {volunteer_id: found for volunteer_id, intervals in by_volunteer.items()
                   if (found := overlapping(intervals))}
    reused = sum(1 for intervals in by_volunteer.values() if len(intervals) > 1)
    print(f"{reused} volunteers rung more than once; closest gap between two of their legs: "
          f"{closest_gap_s(by_volunteer)} s (database)", end="")

    # ... and by the carrier: no phone ever had two calls ringing or in progress at once,
    # neither in the samples taken during the run nor by each call's own start and end.
    problems = []
    if db_overlaps:
        problems.append(f"volunteers on two live legs at once (database): {db_overlaps}")
    if watcher.doubles:
        problems.append(f"phones with two live calls (samples): {watcher.doubles[:5]}")
    outbound = [call for call in net.all_calls() if call.is_outbound]
    by_phone = defaultdict(list)
    for call in outbound:
        assert call.ended_wall is not None, f"call {call.sid} to {call.to} never ended"
        by_phone[call.to].append((call.created, call.ended_wall, call.sid))
    overlaps = {phone: found for phone, intervals in by_phone.items()
                if (found := overlapping(intervals))}
    if overlaps:
        problems.append(f"phones with two live calls at once (carrier): {overlaps}")
    assert not problems, "\n".join(problems)
    print(f", {closest_gap_s(by_phone)} s (carrier)")
    # The engines together kept to the account's calls per second: a call that came early
    # waits in the carrier's queue for its turn. The engines pace at exactly the carrier's
    # rate, so REST requests that arrive bunched on a loaded machine wait a few turns; without
    # the pacing a burst's waves (a hundred calls and more) would wait a turn each, in line.
    # Seen on 2 cores: under one turn (1 s at the account's 1 call per second) with one engine
    # and with three and one killed, but 5 turns once in a clean CI run with three and one
    # killed (the survivors and the restart share the pace loosely): 30 turns, as before.
    waited_ms = max(call.queue_time_ms for call in outbound)
    print(f"longest wait in the carrier's queue: {waited_ms} ms (simulated), "
          f"{sum(1 for call in outbound if call.queue_time_ms)} of {len(outbound)} calls waited")
    assert waited_ms <= 30_000, f"a call waited {waited_ms} ms (simulated) in the carrier's queue"

    # Every call the carrier placed is a leg of the database (the one its offer URL names), to
    # the volunteer it names, and no leg was placed twice. A leg whose engine was killed while
    # placing it may have no sid: its call went out, but the engine never heard of it.
    leg_by_id = {leg.id: leg for leg in legs}
    placed_leg = {call.sid: int(parse_qs(urlsplit(call.setup.url).query)["leg"][0])
                  for call in outbound}
    assert len(set(placed_leg.values())) == len(placed_leg), "a leg placed twice"
    assert all(phone_of[leg_by_id[leg_id].volunteer_id] == net.get(sid).to
               for sid, leg_id in placed_leg.items())
    assert {leg.sid for leg in legs if leg.sid} <= set(placed_leg)
    unheard = [leg_by_id[leg_id] for sid, leg_id in placed_leg.items()
               if leg_by_id[leg_id].sid != sid]
    assert all("interrupted" in (leg.error or "") for leg in unheard), unheard
    still_live = [leg for leg in legs if leg.status in ("placing", "queued")]
    assert all(leg.id in unheard_of and leg.id not in placed_leg.values()
               for leg in still_live), still_live

    # Every caller heard how it ended: put through, or told nobody could help now.
    by_sid = {call_sid: state for _, call_sid, state, _ in requests_}
    for number, sid in caller_sids.items():
        heard = net.heard(sid)
        # Put through: the announcement, and the bridge itself (a volunteer who hangs up
        # during the announcement leaves the caller searching again, "QueueResult" error).
        connected = any(text in heard for text in CONNECTED) and any(
            entry["kind"] == "bridge" and entry["text"].startswith("verbonden")
            for entry in net.call(sid)["transcript"])
        told_unmatched = any(text in heard for text in UNMATCHED)
        if by_sid[sid] == RequestState.MATCHED:
            assert connected, f"matched caller {number} was never put through:\n{heard}"
        else:
            assert told_unmatched and not connected, \
                f"unmatched caller {number} was not told so:\n{heard}"


def check_what_an_operator_reads(database: Database, public_url: str, local_url: str,
                                 callers: int) -> None:
    """The engine is healthy, and the pages hardened (HSTS behind https); the metrics, not
    served through the proxy, add up every gunicorn worker and the engine process: one time
    to match per match made."""
    health = requests.get(f"{public_url}/healthz", timeout=10)
    assert health.status_code == 200 and health.json()["engine"] == "ok", health.text
    assert "Strict-Transport-Security" in health.headers
    assert requests.get(f"{public_url}/metrics", timeout=10).status_code == 404
    scraped = requests.get(f"{local_url}/metrics", timeout=30)
    assert scraped.status_code == 200, scraped.text
    samples = {sample.name: sample.value
               for family in text_string_to_metric_families(scraped.text)
               for sample in family.samples if not sample.labels}
    with database.session() as session:
        matches = session.scalar(select(func.count()).select_from(Match))
    assert samples["bhc_time_to_match_seconds_count"] == matches
    assert samples["bhc_engine_step_seconds_count"] > 0, "the engine's own process is counted"
    voice = [sample.value for family in text_string_to_metric_families(scraped.text)
             for sample in family.samples if sample.name == "bhc_webhook_seconds_count"
             and sample.labels == {"route": "/ivr/voice"}]
    assert voice == [callers], "each caller's first webhook, on whichever gunicorn worker"
    assert samples["bhc_searches_in_progress"] == 0
