"""Webhook latency under load: many concurrent calls through the whole flow, under waitress.

Every webhook the simulated carrier sends is timed from its side (connect, request, TwiML back).
The baseline is a trivial Flask endpoint returning fixed TwiML, served by waitress with the same
thread count, hit with the same requests at the same moments, in the same run.

    python benchmarks/webhooks.py [--calls 50] [--database-url URL] [--threads 16] [--pin]
                                  [--rest-latency 0.25] [--cps 1]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from flask import Flask, Response
from twilio.twiml.voice_response import VoiceResponse
from waitress.server import create_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402

from bhc import config as config_module  # noqa: E402
from bhc.calls.models import HelpRequest  # noqa: E402
from bhc.db import Database, drop_schema, fresh_schema, utcnow  # noqa: E402
from bhc.models import EngineProcess  # noqa: E402
from bhc.neighbourhoods.services import add_neighbourhood  # noqa: E402
from bhc.people.participants import ParticipantData, save  # noqa: E402
from ivr.simulator import SimulatedNetwork  # noqa: E402

EXCHANGE = "+31702000001"
ACCOUNT_SID = "AC" + "b" * 32
AUTH_TOKEN = "benchmark-token"
CATEGORIES = ("groceries", "odd-jobs", "transport", "chat")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(app, port: int, threads: int):
    server = create_server(app, host="127.0.0.1", port=port, threads=threads)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    return server


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def engines_stepping(database: Database) -> int:
    """Engine processes that have finished a step."""
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(EngineProcess).where(
            EngineProcess.stopped_at.is_(None), EngineProcess.last_step_at.is_not(None)))



# With --pin: the CPUs the servers (bhc and the baseline alike) run on; the simulated carrier
# and the load it makes keep the others. None: everything shares every CPU.
SERVER_CPUS: set[int] | None = None


# bhc worker runs at this niceness, as docs/deployment/bhc-worker@.service starts it (Nice=):
# where the engine and the web app share a CPU, a webhook a caller waits on goes first.
WORKER_NICENESS = 10


def spawn(args: list[str], env: dict[str, str], niceness: int = 0) -> subprocess.Popen:
    """A server in its own process, as in production (and so no GIL shared with the phones)."""
    cpus = SERVER_CPUS

    def placed() -> None:
        if cpus:
            os.sched_setaffinity(0, cpus)
        os.nice(niceness)

    return subprocess.Popen([sys.executable, *args], env={**os.environ, **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            preexec_fn=placed)


def pin_servers_apart() -> str:
    """Give the servers the first CPU and this process (the carrier) the rest, so that what is
    measured is the server, not its competition with the simulated phones for the CPU."""
    global SERVER_CPUS
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return "not pinned: one CPU"
    SERVER_CPUS = {cpus[0]}
    os.sched_setaffinity(0, set(cpus[1:]))
    return f"servers on CPU {cpus[0]}, carrier on CPU {','.join(map(str, cpus[1:]))}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def exchange_environ(app_port: int, sim_port: int, database_url: str, threads: int,
                     **settings: str) -> dict[str, str]:
    """The environment of an exchange on ``app_port`` whose carrier "twilio" is the simulated
    network on ``sim_port``: no quiet hours, a search of up to 600 s, caps no round reaches (a
    volunteer may be rung in every round); ``settings`` add to it."""
    return {
        "BHC_SERVER_PUBLIC_URL": f"http://127.0.0.1:{app_port}",
        "BHC_SERVER_PORT": str(app_port),
        "BHC_SERVER_THREADS": str(threads),
        "BHC_DATABASE_URL": database_url,
        "BHC_CARRIER_KIND": "twilio",
        "BHC_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "BHC_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "BHC_TWILIO_API_BASE_URL": f"http://127.0.0.1:{sim_port}",
        "BHC_MATCHING_QUIET_HOURS": "",
        "BHC_MATCHING_POLL_INTERVAL_S": "0.5",
        "BHC_MATCHING_MAX_WAIT_S": "600",
        "BHC_MATCHING_DAILY_CAP": "100",
        "BHC_MATCHING_WEEKLY_CAP": "100",
        **settings,
    }


def timing_row(round_: str, label: str, milliseconds: list[float]) -> str:
    """One line of the table: how many webhooks, their p50 and p99."""
    return (f"{round_:8}{label:16}{len(milliseconds):>6}{percentile(milliseconds, .5):>10.2f}"
            f"{percentile(milliseconds, .99):>10.2f}")


def seed(database: Database, volunteers: int, callers: int, rng: random.Random) -> list[str]:
    with database.session() as session:
        hood = add_neighbourhood(session, "Benchwijk", EXCHANGE, ["2500"], 20000)
        for i in range(volunteers):
            save(session, ParticipantData(
                name=f"Volunteer {i}", phone=f"+316{20000000 + i}", postcode="2500AA",
                house_number=str(i), neighbourhood_id=hood.id, is_helper=True, is_asker=False,
                categories=frozenset(rng.sample(CATEGORIES, 3)), languages="nl",
                availability="", call_consent=True), utcnow(), "bench")
        numbers = [f"+316{30000000 + i}" for i in range(callers)]
    return numbers


def run_flow(args) -> tuple[list[tuple[float, float, str, dict, str]], dict, list[float]]:
    """Run the calls; returns (start offset, duration, url, params, method) per webhook.

    The exchange runs as `bhc serve` in its own process with carrier "twilio" pointed at the
    simulated network, which this process serves and drives.
    """
    rng = random.Random(7)
    app_port, sim_port = free_port(), free_port()
    tmp = tempfile.mkdtemp(prefix="bhc-bench-")
    url = fresh_schema(args.database_url, f"bench_{os.getpid()}") if args.database_url else (
        f"sqlite:///{tmp}/bench.sqlite3")
    env = exchange_environ(app_port, sim_port, url, args.threads,
                           BHC_MATCHING_MAX_ATTEMPTS="15", BHC_MATCHING_STRATEGY=args.strategy)
    config = config_module.load(None, environ=env)
    database = Database(url)
    database.upgrade()
    callers = seed(database, args.volunteers, args.calls, rng)

    net = SimulatedNetwork(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN,
                           time_scale=args.time_scale, rest_latency_s=args.rest_latency,
                           calls_per_second=args.cps or None)
    net.add_number(EXCHANGE, voice_url=f"{config.server.public_url}/ivr/voice",
                   status_callback=f"{config.server.public_url}/ivr/caller/status")
    for i in range(args.volunteers):
        roll = rng.random()
        if roll < args.accept:
            behaviour = dict(answer="human", answer_delay_s=rng.uniform(2, 6), press="1",
                             press_delay_s=rng.uniform(2, 5), hangup_after_s=30)
        elif roll < args.accept + 0.35:
            behaviour = dict(answer="human", answer_delay_s=rng.uniform(2, 6), press="2",
                             press_delay_s=rng.uniform(2, 5))
        else:
            behaviour = dict(answer="no-answer")
        net.set_behaviour(f"+316{20000000 + i}", **behaviour)

    timer = WebhookTimer(net)
    records = timer.records
    sim_server = serve(net.wsgi_app, sim_port, 32)
    if args.split:
        # A city's deployment: the web app alone under waitress, the engine as `bhc worker`.
        app = spawn(["-m", "waitress", f"--port={app_port}", f"--threads={args.threads}",
                     "bhc.wsgi:app"], env)
        worker = spawn(["-m", "bhc.cli", "worker"], env, WORKER_NICENESS)
    else:
        app, worker = spawn([__file__, "--serve-bhc", str(app_port), "--threads",
                             str(args.threads)], env), None
    try:
        wait_until_up(f"{config.server.public_url}/healthz", app)
        # The engine up and stepping before the first call: a city's worker started long before
        # its residents call, and its own start (imports, first steps) competing with the first
        # burst for the servers' CPU is no webhook's cost (measured: half of CPU 0 for 1.5 s).
        net.wait_for(lambda _n: engines_stepping(database) >= 1, timeout=60, interval=0.2)
        timer.restart()
        def caller(number: str, key: str, think_s: float) -> None:
            """A resident: dial, listen to the menu, press a key a moment later."""
            sid = net.dial(from_=number, to=EXCHANGE)
            net.wait_for(lambda n: n.call(sid)["waiting_for_digits"], timeout=60, interval=0.2)
            time.sleep(think_s * args.time_scale)
            net.press(sid, key)

        threads = []
        for number in callers:
            key, think = str(rng.choice([1, 2, 3, 5])), rng.uniform(1.0, 4.0)
            thread = threading.Thread(target=caller, args=(number, key, think), daemon=True)
            thread.start()
            threads.append(thread)
            time.sleep(rng.uniform(0, 2 * args.spread / args.calls))
        for thread in threads:
            thread.join(60)

        def all_ended(_net) -> bool:
            with database.session() as session:
                open_requests = session.scalar(
                    select(func.count()).select_from(HelpRequest)
                    .where(HelpRequest.state.in_(("menu", "searching"))))
            return open_requests == 0

        net.wait_for(all_ended, timeout=args.timeout, interval=0.5)
        inside = [] if args.split else server_timings(config.server.public_url)
        with database.session() as session:
            states = dict(session.execute(select(HelpRequest.state, func.count())
                                          .group_by(HelpRequest.state)).all())
    finally:
        net.shutdown()
        for process in (app, worker):
            if process is not None:
                process.terminate()
                process.wait(10)
        sim_server.close()
        database.dispose()
    for offset, path, error, closing in timer.failures:
        print(f"  webhook /{path} at {offset:.2f} s failed ({error}), "
              f"{'at teardown' if closing else 'DURING THE CALLS'}")
    return records, states, inside


class ServerTimer:
    """WSGI middleware timing each request inside the server: from the call to the last byte of
    the body, so the driver's own load does not count. ``GET /__timings`` hands them over."""

    def __init__(self, app) -> None:
        self.app = app
        self.durations: list[float] = []

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == "/__timings":
            body = json.dumps(self.durations).encode()
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body]
        start = time.perf_counter()
        result = self.app(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        if environ.get("PATH_INFO", "").startswith("/ivr/") or "baseline" in environ.get(
                "HTTP_X_BENCH", ""):
            self.durations.append((time.perf_counter() - start) * 1000)
        return [body]


def serve_bhc(port: int, threads: int) -> None:
    """What `bhc serve` runs (config from BHC_* variables), with the server-side timer."""
    from bhc import collector
    from bhc.app import wsgi_stack
    from bhc.bootstrap import build

    exchange = build(config_module.load())
    exchange.db.upgrade()
    exchange.start_engine()
    server = create_server(ServerTimer(wsgi_stack(exchange)), host="127.0.0.1", port=port,
                           threads=threads)
    collector.freeze_startup()  # as bhc serve does: no full collection of startup's objects
    server.run()


def server_timings(base_url: str) -> list[float]:
    return requests.get(f"{base_url}/__timings", timeout=10).json()


def baseline_app() -> Flask:
    """The trivial endpoint: fixed TwiML for any path."""
    fixed = VoiceResponse()
    fixed.say("Welkom bij de burenhulpcentrale.", language="nl-NL")
    fixed.pause(length=1)
    body = str(fixed)
    app = Flask("baseline")

    @app.route("/healthz")
    @app.route("/<path:anything>", methods=["GET", "POST"])
    def trivial(anything=""):
        return Response(body, mimetype="text/xml")

    return app


class WebhookTimer:
    """Times every webhook the simulated carrier sends, from its side: (offset from the start,
    duration, url, params, method), in ``records``. A webhook that could not reach the exchange
    is also kept in ``failures`` (offset, path, error, whether the carrier was shutting down):
    one lost during the calls is the exchange's loss, one at teardown only the benchmark's."""

    def __init__(self, net) -> None:
        self.records: list[tuple[float, float, str, dict, str]] = []
        self.failures: list[tuple[float, str, str, bool]] = []
        self.lock = threading.Lock()
        self.t0 = time.perf_counter()
        self._net = net
        self._send = net.webhooks.send
        net.webhooks.send = self._timed_send

    def restart(self, forget: bool = False) -> None:
        """Count offsets from now (and with ``forget``, drop what was timed so far)."""
        with self.lock:
            if forget:
                self.records.clear()
            self.t0 = time.perf_counter()

    def _timed_send(self, url, method, params):
        start = time.perf_counter()
        try:
            return self._send(url, method, params)
        except requests.RequestException as exc:
            with self.lock:
                self.failures.append((start - self.t0, url.split("?")[0].split("/", 3)[3],
                                      exc.__class__.__name__, self._net.closing))
            raise
        finally:
            end = time.perf_counter()
            with self.lock:
                self.records.append((start - self.t0, end - start, url, dict(params), method))


def run_baseline(records, threads: int) -> tuple[list[float], list[float]]:
    """Replay the same requests at the same moments against the fixed-TwiML endpoint, served by
    waitress in its own process with the same thread count."""
    port = free_port()
    server = spawn([__file__, "--serve-baseline", str(port), "--threads", str(threads)], {})
    wait_until_up(f"http://127.0.0.1:{port}/healthz", server)
    durations: list[float] = []
    lock = threading.Lock()
    t0 = time.perf_counter()

    def replay(record):
        offset, _, url, params, _ = record
        delay = offset - (time.perf_counter() - t0)
        if delay > 0:
            time.sleep(delay)
        path = url.split("/", 3)[3]
        start = time.perf_counter()
        requests.post(f"http://127.0.0.1:{port}/{path}", data=params,
                      headers={"X-Twilio-Signature": "x", "X-Bench": "baseline"}, timeout=15)
        with lock:
            durations.append(time.perf_counter() - start)

    try:
        with ThreadPoolExecutor(max_workers=128) as pool:
            list(pool.map(replay, sorted(records, key=lambda r: r[0])))
        inside = server_timings(f"http://127.0.0.1:{port}")
    finally:
        server.terminate()
        server.wait(10)
    return durations, inside


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50, help="concurrent calls")
    parser.add_argument("--volunteers", type=int, default=400)
    parser.add_argument("--accept", type=float, default=0.3, help="share of volunteers who accept")
    parser.add_argument("--threads", type=int, default=16, help="waitress threads (both servers)")
    parser.add_argument("--time-scale", type=float, default=0.25,
                        help="simulated seconds per real second (ringing, speech, delays)")
    parser.add_argument("--spread", type=float, default=2.0, help="seconds over which calls start")
    parser.add_argument("--rest-latency", type=float, default=0.25, metavar="S",
                        help="the carrier's REST round trip in real seconds (0.25: from Europe; "
                        "0 as before issue 17)")
    parser.add_argument("--cps", type=float, default=1.0,
                        help="the account's calls per second (simulated time; Twilio's default "
                        "1, 0: no limit); calls beyond it wait in the carrier's queue")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--rounds", type=int, default=3, help="flow + baseline pairs to run")
    parser.add_argument("--strategy", default="waves", choices=("waves", "sequential"))
    parser.add_argument("--dump", metavar="PATH",
                        help="write the last round's webhooks (start offset s, ms, path) as CSV")
    parser.add_argument("--split", action="store_true",
                        help="web app (waitress) and engine (bhc worker) in separate processes")
    parser.add_argument("--pin", action="store_true",
                        help="servers on one CPU, the simulated carrier on the others")
    parser.add_argument("--serve-baseline", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--serve-bhc", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline:
        create_server(ServerTimer(baseline_app()), host="127.0.0.1", port=args.serve_baseline,
                      threads=args.threads).run()
        return
    if args.serve_bhc:
        serve_bhc(args.serve_bhc, args.threads)
        return

    backend = (args.database_url or "sqlite").split(":")[0]
    mode = "web + worker processes" if args.split else "bhc serve (web and engine in one process)"
    if args.pin:
        mode += f", {pin_servers_apart()}"
    print(f"{args.calls} concurrent calls, {args.volunteers} volunteers, {backend}, "
          f"waitress threads={args.threads}, {mode}, strategy {args.strategy}, "
          f"{args.rounds} round(s), REST latency {args.rest_latency * 1000:.0f} ms, "
          f"{f'{args.cps:g} calls per second' if args.cps else 'no CPS limit'}")
    print(f"{'round':8}{'':16}{'n':>6}{'p50 ms':>10}{'p99 ms':>10}")
    ratios, inside_ratios = [], []
    for round_ in range(1, args.rounds + 1):
        records, states, flow_inside = run_flow(args)
        flow = [duration * 1000 for _, duration, *_ in records]
        base, base_inside = run_baseline(records, args.threads)
        base = [d * 1000 for d in base]
        ratios.append((percentile(flow, .5) / percentile(base, .5),
                       percentile(flow, .99) / percentile(base, .99)))
        print(f"{timing_row(str(round_), 'bhc webhooks', flow)}   requests: {states}")
        print(f"{timing_row('', 'fixed TwiML', base)}   ratio p50 {ratios[-1][0]:.2f}x, "
              f"p99 {ratios[-1][1]:.2f}x (seen by the carrier)")
        if flow_inside and base_inside:
            inside_ratios.append((percentile(flow_inside, .5) / percentile(base_inside, .5),
                                  percentile(flow_inside, .99) / percentile(base_inside, .99)))
            print(timing_row('', 'bhc, in server', flow_inside))
            print(f"{timing_row('', 'fixed, in server', base_inside)}"
                  f"   ratio p50 {inside_ratios[-1][0]:.2f}x, p99 {inside_ratios[-1][1]:.2f}x")
    print(f"median ratio over rounds, seen by the carrier: p50 "
          f"{statistics.median(r[0] for r in ratios):.2f}x, "
          f"p99 {statistics.median(r[1] for r in ratios):.2f}x (aim: p99 within 3x)")
    if args.database_url:
        drop_schema(args.database_url, f"bench_{os.getpid()}")
    if inside_ratios:
        print(f"median ratio over rounds, inside the server: p50 "
              f"{statistics.median(r[0] for r in inside_ratios):.2f}x, "
              f"p99 {statistics.median(r[1] for r in inside_ratios):.2f}x")
    by_path: dict[str, list[float]] = {}
    for _, duration, url, _, _ in records:
        by_path.setdefault(url.split("?")[0].split("/", 3)[3], []).append(duration * 1000)
    if args.dump:
        with open(args.dump, "w", encoding="utf-8") as out:
            out.write("start_s,ms,path\n")
            for start, duration, url, _, _ in sorted(records, key=lambda r: r[0]):
                path = url.split("?")[0].split("/", 3)[3]
                out.write(f"{start:.3f},{duration * 1000:.2f},/{path}\n")
    print("last round by webhook:")
    for path, values in sorted(by_path.items()):
        print(f"  /{path:36}{len(values):>6}{statistics.median(values):>9.2f}"
              f"{percentile(values, .99):>10.2f}")

if __name__ == "__main__":
    main()
