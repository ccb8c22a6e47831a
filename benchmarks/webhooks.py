"""Webhook latency under load: many concurrent calls through the whole flow, under waitress.

Every webhook the simulated carrier sends is timed from its side (connect, request, TwiML back).
The baseline is a trivial Flask endpoint returning fixed TwiML, served by waitress with the same
thread count, hit with the same requests at the same moments, in the same run.

    python benchmarks/webhooks.py [--calls 50] [--database-url URL] [--threads 16]
"""

from __future__ import annotations

import argparse
import random
import statistics
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

from bhc import config as config_module  # noqa: E402
from bhc.app import wsgi_stack  # noqa: E402
from bhc.bootstrap import build  # noqa: E402
from bhc.db import utcnow  # noqa: E402
from bhc.demo import connect_numbers  # noqa: E402
from bhc.models import HelpRequest  # noqa: E402
from bhc.neighbourhoods import add_neighbourhood  # noqa: E402
from bhc.participants import ParticipantData, save  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

EXCHANGE = "+31702000001"
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


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def seed(exchange, volunteers: int, callers: int, rng: random.Random) -> list[str]:
    with exchange.db.session() as session:
        hood = add_neighbourhood(session, "Benchwijk", EXCHANGE, ["2500"], 20000)
        for i in range(volunteers):
            save(session, ParticipantData(
                name=f"Volunteer {i}", phone=f"+316{20000000 + i}", postcode="2500AA",
                house_number=str(i), neighbourhood_id=hood.id, is_helper=True, is_asker=False,
                categories=frozenset(rng.sample(CATEGORIES, 3)), languages="nl",
                availability="", call_consent=True), utcnow(), "bench")
        numbers = [f"+316{30000000 + i}" for i in range(callers)]
    return numbers


def run_flow(args) -> tuple[list[tuple[float, float, str, dict, str]], dict]:
    """Run the calls; returns (start offset, duration, url, params, signature) per webhook."""
    rng = random.Random(7)
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="bhc-bench-")
    url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
    config = config_module.from_mapping({
        "server": {"public_url": f"http://127.0.0.1:{port}", "port": port,
                   "threads": args.threads},
        "database": {"url": url},
        "matching": {"quiet_hours": "", "poll_interval_s": 0.2, "max_wait_s": 600,
                     "ring_timeout_s": 20, "max_attempts": 15},
    })
    exchange = build(config, host_simulator=True, time_scale=args.time_scale)
    exchange.db.upgrade()
    callers = seed(exchange, args.volunteers, args.calls, rng)
    connect_numbers(exchange)
    net = exchange.network
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

    records: list[tuple[float, float, str, dict, str]] = []
    lock = threading.Lock()
    original_send = net.webhooks.send
    t0 = time.perf_counter()

    def timed_send(url, method, params):
        start = time.perf_counter()
        try:
            return original_send(url, method, params)
        finally:
            end = time.perf_counter()
            with lock:
                records.append((start - t0, end - start, url, dict(params), method))

    net.webhooks.send = timed_send
    server = serve(wsgi_stack(exchange), port, args.threads)
    exchange.start_engine()

    sids = []
    for number in callers:
        sids.append(net.dial(from_=number, to=EXCHANGE))
        time.sleep(rng.uniform(0, args.spread / args.calls))
    for sid in sids:
        key = str(rng.choice([1, 2, 3, 5]))
        net.wait_for(lambda n, s=sid: n.call(s)["waiting_for_digits"], timeout=60)
        net.press(sid, key)

    def all_ended(_net) -> bool:
        with exchange.db.session() as session:
            open_requests = session.scalar(select(func.count()).select_from(HelpRequest).where(
                HelpRequest.state.in_(("menu", "searching"))))
        return open_requests == 0

    net.wait_for(all_ended, timeout=args.timeout, interval=0.5)
    with exchange.db.session() as session:
        states = dict(session.execute(select(HelpRequest.state, func.count())
                                      .group_by(HelpRequest.state)).all())
    net.shutdown()
    server.close()
    exchange.stop()
    return records, states


def run_baseline(records, threads: int) -> list[float]:
    """Replay the same requests at the same moments against a fixed-TwiML Flask endpoint."""
    fixed = VoiceResponse()
    fixed.say("Welkom bij de burenhulpcentrale.", language="nl-NL")
    fixed.pause(length=1)
    body = str(fixed)
    app = Flask("baseline")

    @app.route("/<path:anything>", methods=["GET", "POST"])
    def trivial(anything):
        return Response(body, mimetype="text/xml")

    port = free_port()
    server = serve(app, port, threads)
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
                      headers={"X-Twilio-Signature": "x"}, timeout=15)
        with lock:
            durations.append(time.perf_counter() - start)

    with ThreadPoolExecutor(max_workers=128) as pool:
        list(pool.map(replay, sorted(records, key=lambda r: r[0])))
    server.close()
    return durations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50, help="concurrent calls")
    parser.add_argument("--volunteers", type=int, default=400)
    parser.add_argument("--accept", type=float, default=0.3, help="share of volunteers who accept")
    parser.add_argument("--threads", type=int, default=16, help="waitress threads (both servers)")
    parser.add_argument("--time-scale", type=float, default=0.25,
                        help="simulated seconds per real second (ringing, speech, delays)")
    parser.add_argument("--spread", type=float, default=2.0, help="seconds over which calls start")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    args = parser.parse_args()

    records, states = run_flow(args)
    flow = [duration * 1000 for _, duration, *_ in records]
    base = [d * 1000 for d in run_baseline(records, args.threads)]
    backend = (args.database_url or "sqlite").split(":")[0]
    print(f"{args.calls} concurrent calls, {args.volunteers} volunteers, {backend}, "
          f"waitress threads={args.threads}")
    print(f"requests by outcome: {states}")
    print(f"{'':24}{'n':>6}{'p50 ms':>10}{'p99 ms':>10}")
    print(f"{'bhc webhooks':24}{len(flow):>6}{percentile(flow, .5):>10.2f}"
          f"{percentile(flow, .99):>10.2f}")
    print(f"{'fixed TwiML baseline':24}{len(base):>6}{percentile(base, .5):>10.2f}"
          f"{percentile(base, .99):>10.2f}")
    print(f"ratio p50 {percentile(flow, .5) / percentile(base, .5):.2f}x, "
          f"p99 {percentile(flow, .99) / percentile(base, .99):.2f}x (aim: p99 within 3x)")
    by_path: dict[str, list[float]] = {}
    for _, duration, url, _, _ in records:
        by_path.setdefault(url.split("?")[0].split("/", 3)[3], []).append(duration * 1000)
    for path, values in sorted(by_path.items()):
        print(f"  /{path:36}{len(values):>6}{statistics.median(values):>9.2f}"
              f"{percentile(values, .99):>10.2f}")


if __name__ == "__main__":
    main()
