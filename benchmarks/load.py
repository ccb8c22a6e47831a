"""A city's load: callers arriving within a few seconds, through the whole exchange and the
simulated carrier at its REST latency and calls per second, with 1..3 engine processes.

Every volunteer answers after ``--answer`` seconds (as "Hallo?", so the carrier's machine
detection takes its 1.7 s) and presses 1 at once; waves of three. The simulated carrier runs
in real time (time scale 1) in this process, with the account's calls per second ``--cps``
and every REST request taking ``--latency``; the engine is told the same rate
(``[twilio] calls_per_second``). SQLite runs ``bhc serve`` (webhooks and engine in one
process); PostgreSQL runs the web app under waitress and ``--engines`` ``bhc worker``
processes.

Per setting it prints, from the caller's key (the menu webhook) to the first volunteer's phone
ringing (its ``ringing`` status callback) and to the bridge (the caller's ``connecting``
webhook), the p50 and p99 against the floor of that setting: the REST request's way to the
carrier (half the round trip), the carrier's dial-out, the answer delay (to the bridge), and
the pacing (with everyone at once, the i-th caller's first call can start no sooner than
(i-1)/C after the first's). Machine detection runs asynchronously and adds nothing. With
``--follow-ups K``, K follow-up calls are due when the callers call, and it counts the follow-
ups placed while a caller's volunteer still waited for its turn (the aim is none). The
webhooks' p99, as the carrier sees them, is set against a fixed-TwiML endpoint hit with the
same requests at the same moments (``benchmarks/webhooks.py``), in the same run.

    python benchmarks/load.py [--callers 50] [--latency 0.25] [--cps 30] [--engines 1]
        [--database-url postgresql+psycopg://...] [--follow-ups 0] [--matrix] [--pin]

``--matrix`` runs the settings of issue 11: SQLite with one engine and PostgreSQL with one
and with three (``--database-url`` needed), at the given latency and rate, and then, on
PostgreSQL, at one call per second with ``--follow-ups 20``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from datetime import UTC
from pathlib import Path
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import webhooks as bench  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bhc import config as config_module  # noqa: E402
from bhc.db import Database, drop_schema, fresh_schema, utcnow  # noqa: E402
from bhc.models import CallLeg, HelpRequest  # noqa: E402
from bhc.neighbourhoods.services import add_neighbourhood  # noqa: E402
from bhc.people.participants import ParticipantData, save  # noqa: E402
from ivr.simulator import SimulatedNetwork, lifecycle  # noqa: E402
from tests.earlier_matches import add_yesterdays_match  # noqa: E402

EXCHANGE = bench.EXCHANGE
ACCOUNT_SID, AUTH_TOKEN = bench.ACCOUNT_SID, bench.AUTH_TOKEN
GREETING = "Hallo?"
# Calls before the measured ones, two per engine at once, so that every process has done
# each step at least once (the first time costs imports and statement compilation).
WARM_UP_PER_ENGINE = 2
WAVE_SIZE = 3


def person(hood_id: int, phone: str, helper: bool, categories=("groceries",)) -> ParticipantData:
    return ParticipantData(
        name=f"Buur {phone[-5:]}", phone=phone, postcode="2500AA", house_number=phone[-4:],
        neighbourhood_id=hood_id, is_helper=helper, is_asker=not helper,
        categories=frozenset(categories if helper else ()), languages="nl", availability="",
        call_consent=True)


def warm_up_callers(engines: int) -> list[str]:
    return [f"+3165{i:07d}" for i in range(WARM_UP_PER_ENGINE * engines)]


def seed(database: Database, callers: int, follow_ups: int,
         warm_up: list[str]) -> tuple[list[str], list[str]]:
    """Volunteers enough for every caller's wave and more; registered callers; matches of
    yesterday whose follow-ups are due now. Returns the volunteers' and the callers' numbers."""
    volunteers = [f"+3162{i:07d}"
                  for i in range(WAVE_SIZE * (callers + len(warm_up)) + 10)]
    numbers = [f"+3163{i:07d}" for i in range(callers)]
    now = utcnow()
    with database.session() as session:
        hood = add_neighbourhood(session, "Stadswijk", EXCHANGE, ["2500"], 20000)
        for phone in volunteers:
            save(session, person(hood.id, phone, True), now, "bench")
        for phone in numbers + warm_up:
            save(session, person(hood.id, phone, False), now, "bench")
        for n in range(follow_ups // 2):
            asker, helper = f"+3164{2 * n:07d}", f"+3164{2 * n + 1:07d}"
            save(session, person(hood.id, asker, False), now, "bench")
            save(session, person(hood.id, helper, True, ("transport",)), now, "bench")
            add_yesterdays_match(session, hood.id, asker, helper, f"CAearlier{n}", now,
                                 follow_ups_due_at=now)
    return volunteers, numbers


def open_requests(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(HelpRequest)
                              .where(HelpRequest.state.in_(("menu", "searching"))))


def run(args, engines: int, database_url: str | None, follow_ups: int) -> dict:
    """One setting: the calls, then the same webhooks against fixed TwiML."""
    app_port, sim_port = bench.free_port(), bench.free_port()
    tmp = tempfile.mkdtemp(prefix="bhc-load-")
    schema = f"load_{os.getpid()}_{engines}_{follow_ups}"
    url = fresh_schema(database_url, schema) if database_url else f"sqlite:///{tmp}/load.db"
    env = bench.exchange_environ(
        app_port, sim_port, url, args.threads,
        BHC_TWILIO_CALLS_PER_SECOND=str(args.cps),
        BHC_MATCHING_STRATEGY="waves",
        BHC_MATCHING_WAVE_SIZE=str(WAVE_SIZE),
        BHC_MATCHING_DAILY_CAP="100",
        BHC_MATCHING_WEEKLY_CAP="100",
        BHC_IVR_MAX_REQUESTS_PER_HOUR="100",
        BHC_FOLLOWUP_DELAY="60",
    )
    config = config_module.load(None, environ=env)
    database = Database(url)
    database.upgrade()
    warm_up = warm_up_callers(engines)
    volunteers, numbers = seed(database, args.callers, follow_ups, warm_up)

    net = SimulatedNetwork(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, time_scale=1.0,
                           calls_per_second=args.cps, rest_latency_s=args.latency)
    net.add_number(EXCHANGE, voice_url=f"{config.server.public_url}/ivr/voice",
                   status_callback=f"{config.server.public_url}/ivr/caller/status")
    for phone in volunteers:
        net.set_behaviour(phone, answer="human", answer_delay_s=args.answer, press="1",
                          press_delay_s=0, hangup_after_s=30, greeting=GREETING)
    for n in range(follow_ups):
        net.set_behaviour(f"+3164{n:07d}", answer="no-answer")

    timer = bench.WebhookTimer(net)
    records = timer.records
    sim_server = bench.serve(net.wsgi_app, sim_port, 64)
    if database_url:
        processes = [bench.spawn(["-m", "waitress", f"--port={app_port}",
                                  f"--threads={args.threads}", "bhc.wsgi:app"], env)]
        processes += [bench.spawn(["-m", "bhc.cli", "worker"], env, bench.WORKER_NICENESS)
                      for _ in range(engines)]
    else:
        processes = [bench.spawn(["-m", "bhc.cli", "serve"], env)]
    try:
        bench.wait_until_up(f"{config.server.public_url}/healthz", processes[0], timeout=120)

        def caller(number: str, after_s: float = 0.0) -> str:
            time.sleep(after_s)
            sid = net.dial(from_=number, to=EXCHANGE)
            net.wait_for(lambda n: n.call(sid)["waiting_for_digits"], timeout=120, interval=0.02)
            net.press(sid, "1")
            return sid

        # Every engine up and stepping before the first call: a burst must not meet
        # processes still importing.
        net.wait_for(lambda _n: bench.engines_stepping(database) >= engines, timeout=120,
                     interval=0.2)
        # Calls first, not measured, at once so that each engine has a search to take.
        warm_threads = [threading.Thread(target=caller, args=(number,), daemon=True)
                        for number in warm_up]
        for thread in warm_threads:
            thread.start()
        for thread in warm_threads:
            thread.join(120)
        net.wait_for(lambda _n: open_requests(database) == 0, timeout=120, interval=0.1)
        timer.restart(forget=True)
        cpu_before = cpu_by_role(processes)
        rng = random.Random(11)

        threads = [threading.Thread(target=caller, args=(number, rng.uniform(0, args.spread)),
                                    daemon=True) for number in numbers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(180)

        net.wait_for(lambda _n: open_requests(database) == 0, timeout=args.timeout,
                     interval=0.5)
        if follow_ups:
            net.wait_for(lambda n: sum(1 for c in n.all_calls() if c.is_outbound and
                                       "/ivr/followup/" in (c.setup.url or "")) >= follow_ups,
                         timeout=args.timeout, interval=0.5)
        time.sleep(2.0)  # the last connecting webhooks
        cpu_after = cpu_by_role(processes)
        burst_s = time.perf_counter() - timer.t0
        with database.session() as session:
            leg_request = dict(session.execute(select(CallLeg.id, CallLeg.request_id)).all())
            placed = session.execute(select(CallLeg.request_id, func.min(CallLeg.placed_at))
                                     .group_by(CallLeg.request_id)).all()
            request_of_sid = dict(session.execute(
                select(HelpRequest.call_sid, HelpRequest.id)).all())
            states = dict(session.execute(select(HelpRequest.state, func.count())
                                          .group_by(HelpRequest.state)).all())
        calls = [(c.created.timestamp(), c.setup.url or "", c.to) for c in net.all_calls()
                 if c.is_outbound]
        # When each volunteer's phone rang, as seconds after its call was created.
        rang_after = {c.setup.url: next((e["t"] for e in c.transcript
                                         if e["text"].startswith("gaat over")), None)
                      for c in net.all_calls() if c.is_outbound and c.setup.url}
        queued_ms = sorted(c.queue_time_ms for c in net.all_calls() if c.is_outbound)
        # The simulator's own lag: ringing later than its dial-out and CPS turn account for.
        sim_lag_s = sorted(rang_after[c.setup.url] - lifecycle.dial_out_s(net)
                           - c.queue_time_ms / 1000 for c in net.all_calls()
                           if c.is_outbound and rang_after.get(c.setup.url) is not None)
    finally:
        net.shutdown()
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(15)
        sim_server.close()
        database.dispose()
        if database_url:
            drop_schema(database_url, schema)
    hooks = parsed(records)
    result = measure(args, hooks, leg_request, request_of_sid, calls, timer.t0)
    result["segments"], result["slowest"] = segments(hooks, leg_request, request_of_sid,
                                                     calls, placed, rang_after, timer.t0)
    result["states"] = states
    result["queued_ms"] = queued_ms
    result["sim_lag_s"] = sim_lag_s
    result["cpu"] = {role: cpu_after[role] - cpu_before.get(role, 0.0) for role in cpu_after}
    result["burst_s"] = burst_s
    base, _ = bench.run_baseline(records, args.threads)
    result["webhook_p99_ms"] = bench.percentile([d * 1000 for _, d, *_ in records], .99)
    result["webhook_p50_ms"] = bench.percentile([d * 1000 for _, d, *_ in records], .5)
    result["baseline_p99_ms"] = bench.percentile([d * 1000 for d in base], .99)
    result["baseline_p50_ms"] = bench.percentile([d * 1000 for d in base], .5)
    by_path: dict[str, list[float]] = {}
    for hook in hooks:
        by_path.setdefault(hook.path, []).append(hook.duration * 1000)
    result["by_path"] = {path: (len(v), bench.percentile(v, .5), bench.percentile(v, .99))
                         for path, v in sorted(by_path.items())}
    return result


class Hook(NamedTuple):
    """A webhook the carrier sent, its url taken apart: when (s after the timer's start), how
    long the exchange took to answer, the path, the url's query and the form."""
    offset: float
    duration: float
    path: str
    query: dict[str, str]
    params: dict[str, str]

    def number(self, name: str) -> int | None:
        return int(self.query[name]) if name in self.query else None


def parsed(records) -> list[Hook]:
    """The timer's records in the order they were sent, each url parsed once."""
    return [Hook(offset, duration, urlsplit(url_).path, query_of(url_), params)
            for offset, duration, url_, params, _ in sorted(records, key=lambda r: r[0])]


def query_of(url_: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url_).query).items()}


def measure(args, hooks: list[Hook], leg_request, request_of_sid, calls, t0) -> dict:
    """From the webhooks the carrier sent: each caller's key, first ringing, bridge."""
    key, ringing, bridged = {}, {}, {}
    wall_offset = time.time() - time.perf_counter()  # perf_counter -> wall clock
    for hook in hooks:
        if hook.path == "/ivr/menu" and hook.params.get("Digits") == "1":
            key.setdefault(request_of_sid.get(hook.params["CallSid"]), hook.offset)
        elif hook.path == "/ivr/volunteer/status" and hook.params.get("CallStatus") == "ringing":
            ringing.setdefault(leg_request.get(hook.number("leg")), hook.offset)
        elif hook.path == "/ivr/caller/connecting":
            bridged.setdefault(hook.number("request"), hook.offset)
    order = sorted((at, request_id) for request_id, at in key.items() if request_id)
    first_key = order[0][0]
    # The carrier takes a moment from the REST request to dialing out (the simulator's
    # lifecycle.dial_out_s; Twilio documents no figure). Machine detection is asynchronous, so
    # the volunteer hears the offer as they pick up and it adds nothing.
    dial_out_s = lifecycle.QUEUED_S
    ring_floor, bridge_floor, to_ring, to_bridge = [], [], [], []
    for rank, (at, request_id) in enumerate(order):
        pace = max(0.0, rank / args.cps - (at - first_key))
        if request_id in ringing:
            to_ring.append(ringing[request_id] - at)
            ring_floor.append(args.latency / 2 + dial_out_s + pace)
        if request_id in bridged:
            to_bridge.append(bridged[request_id] - at)
            bridge_floor.append(args.latency / 2 + dial_out_s + pace + args.answer)
    # Follow-ups placed while some caller's first wave still waited for its turn.
    legs_at = sorted((at, url_) for at, url_, _ in calls if "/ivr/volunteer/offer" in url_)
    follow_ups_at = [at for at, url_, _ in calls if "/ivr/followup/" in url_]
    chose_at = {request_id: at + t0 + wall_offset for request_id, at in key.items()}
    waiting = []
    for at, url_ in legs_at:
        request_id = leg_request.get(int(query_of(url_)["leg"]))
        if request_id in chose_at:
            waiting.append((chose_at[request_id] + 0.3, at))  # 0.3 s for the engine's step
    ahead = sum(1 for f in follow_ups_at if any(start < f < end for start, end in waiting))
    return dict(to_ring=to_ring, ring_floor=ring_floor, to_bridge=to_bridge,
                bridge_floor=bridge_floor, follow_ups=len(follow_ups_at),
                follow_ups_ahead=ahead, dial_out_s=dial_out_s, callers=len(order))


def segments(hooks: list[Hook], leg_request, request_of_sid, calls, placed, rang_after,
             t0) -> tuple[list[tuple[str, list[float]]], list[tuple[str, float]]]:
    """Where a caller's time goes, step by step from the key to the bridge: (label, seconds
    per caller), and the slowest caller's (label, seconds). Each caller's first leg and
    winning leg; clocks as the carrier saw them."""
    wall_offset = time.time() - time.perf_counter()
    at: dict[str, dict[int, float]] = {name: {} for name in (
        "key", "chosen", "leg", "carrier", "rang", "ringing", "offer", "pressed", "bridge")}
    winner: dict[int, int] = {}
    offers: dict[int | None, float] = {}
    for hook in hooks:
        leg = hook.number("leg")
        if hook.path == "/ivr/menu" and hook.params.get("Digits") == "1":
            request_id = request_of_sid.get(hook.params["CallSid"])
            at["key"].setdefault(request_id, hook.offset)
            at["chosen"].setdefault(request_id, hook.offset + hook.duration)
        elif hook.path == "/ivr/volunteer/status" and hook.params.get("CallStatus") == "ringing":
            at["ringing"].setdefault(leg_request.get(leg), hook.offset)
        elif hook.path == "/ivr/volunteer/answer" and hook.params.get("Digits") == "1":
            request_id = leg_request.get(leg)
            if request_id not in at["pressed"]:
                at["pressed"][request_id], winner[request_id] = hook.offset, leg
        elif hook.path == "/ivr/caller/connecting":
            at["bridge"].setdefault(hook.number("request"), hook.offset)
        elif hook.path == "/ivr/volunteer/offer":
            offers[leg] = hook.offset  # the latest: an offer asked again replaces it
    for request_id, leg in winner.items():
        if leg in offers:
            at["offer"][request_id] = offers[leg]
    for request_id, placed_at in placed:
        at["leg"][request_id] = placed_at.replace(tzinfo=UTC).timestamp() - wall_offset - t0
    for created, url_, _ in sorted(calls):
        if "/ivr/volunteer/offer" in url_:
            request_id = leg_request.get(int(query_of(url_)["leg"]))
            if request_id not in at["carrier"] and rang_after.get(url_) is not None:
                at["carrier"][request_id] = created - wall_offset - t0
                at["rang"][request_id] = at["carrier"][request_id] + rang_after[url_]
    # The status callback's line is beside the chain, not in it: the answer follows the phone's
    # ringing, not the callback telling the exchange about it.
    steps = (("menu webhook", "key", "chosen"), ("engine: search to leg row", "chosen", "leg"),
             ("dispatcher + REST to the carrier", "leg", "carrier"),
             ("carrier: CPS turn and dial-out to ringing", "carrier", "rang"),
             ("(ringing to its status callback)", "rang", "ringing"),
             ("ringing to offer webhook (answer)", "rang", "offer"),
             ("offer to the 1's webhook", "offer", "pressed"),
             ("the 1's webhook to the bridge", "pressed", "bridge"))
    per_caller = [(label, [at[end][r] - at[start][r] for r in at["key"]
                           if r in at[start] and r in at[end]]) for label, start, end in steps]
    # The slowest caller's own chain: with 50 callers the p99 is about the slowest one.
    done = [r for r in at["key"] if r in at["bridge"]]
    slowest = max(done, key=lambda r: at["bridge"][r] - at["key"][r], default=None)
    chain = [] if slowest is None else [
        (label, at[end][slowest] - at[start][slowest]) for label, start, end in steps
        if slowest in at[start] and slowest in at[end]]
    return per_caller, chain


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux /proc), 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_by_role(processes) -> dict[str, float]:
    """CPU seconds so far of the web server (with its engine under SQLite), the engines,
    PostgreSQL's backends (every postgres process on the machine: run nothing else against
    it) and this process (the carrier)."""
    web, *engines = processes
    postgres = [int(d.name) for d in Path("/proc").iterdir() if d.name.isdigit()
                and _comm(d) == "postgres"]
    return {"web": cpu_seconds(web.pid), "engines": sum(cpu_seconds(e.pid) for e in engines),
            "PostgreSQL": sum(cpu_seconds(pid) for pid in postgres),
            "carrier": cpu_seconds(os.getpid())}


def _comm(proc_dir: Path) -> str:
    try:
        return (proc_dir / "comm").read_text().strip()
    except OSError:
        return ""


def p(values: list[float], q: float) -> float:
    return bench.percentile(values, q) if values else float("nan")


def ratio(value: float, floor: float) -> str:
    """How many times the floor (none when the floor is zero: no latency and no pacing)."""
    return f"{value / floor:4.2f}x" if floor > 0 else "  -  "


def report(name: str, args, result: dict) -> None:
    print(f"\n{name}: {result['callers']} callers within {args.spread:g} s, REST latency "
          f"{args.latency:g} s, {args.cps:g} calls/s, answer after {args.answer:g} s "
          f"(+ {result['dial_out_s']:g} s the carrier's dial-out); requests {result['states']}")
    for label, values, floor in (("key to first ringing", result["to_ring"],
                                  result["ring_floor"]),
                                 ("key to bridge", result["to_bridge"],
                                  result["bridge_floor"])):
        print(f"  {label:22} p50 {p(values, .5):6.2f} s  p99 {p(values, .99):6.2f} s   floor "
              f"p50 {p(floor, .5):5.2f} s  p99 {p(floor, .99):5.2f} s   ratio p50 "
              f"{ratio(p(values, .5), p(floor, .5))}  p99 {ratio(p(values, .99), p(floor, .99))}"
              f"   p99 - floor p99 {p(values, .99) - p(floor, .99):+.2f} s")
    print(f"  {'webhooks (carrier)':22} p50 {result['webhook_p50_ms']:6.1f} ms p99 "
          f"{result['webhook_p99_ms']:6.1f} ms  fixed TwiML p50 {result['baseline_p50_ms']:5.1f} "
          f"ms p99 {result['baseline_p99_ms']:5.1f} ms   ratio p99 "
          f"{result['webhook_p99_ms'] / result['baseline_p99_ms']:4.2f}x")
    lag = result["sim_lag_s"]
    print(f"  {'simulator lag':22} ringing after dial-out and CPS turn: p50 {p(lag, .5):.3f} s, "
          f"p99 {p(lag, .99):.3f} s")
    print(f"  {'where the time goes':22} p50 / p99 per caller, key to bridge:")
    for label, values in result["segments"]:
        print(f"    {label:42} {p(values, .5):6.3f} / {p(values, .99):6.3f} s")
    print(f"  {'the slowest caller':22} " + "; ".join(
        f"{label} {seconds:.2f}" for label, seconds in result["slowest"]))
    print(f"  {'CPU during the burst':22} {result['burst_s']:.1f} s: " + ", ".join(
        f"{role} {seconds:.1f} s" for role, seconds in result["cpu"].items() if seconds))
    queued = result["queued_ms"]
    print(f"  {'carrier CPS queue':22} {sum(1 for q in queued if q)} of {len(queued)} calls "
          f"waited; p50 {p(queued, .5):.0f} ms, p99 {p(queued, .99):.0f} ms, longest "
          f"{max(queued, default=0)} ms")
    slowest = sorted(result["by_path"].items(), key=lambda item: -item[1][2])[:4]
    print("  slowest webhooks (n, p50 ms, p99 ms): " + "; ".join(
        f"{path} {n} {p50:.1f} {p99:.1f}" for path, (n, p50, p99) in slowest))
    if result["follow_ups"]:
        print(f"  follow-ups placed {result['follow_ups']}, of which while a caller's "
              f"volunteer waited for its turn: {result['follow_ups_ahead']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callers", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.25, help="REST round trip, s")
    parser.add_argument("--cps", type=float, default=30.0, help="the account's calls per second")
    parser.add_argument("--engines", type=int, default=1, help="bhc worker processes (PostgreSQL)")
    parser.add_argument("--answer", type=float, default=1.0, help="volunteers answer after, s")
    parser.add_argument("--spread", type=float, default=2.0, help="callers arrive within, s")
    parser.add_argument("--follow-ups", type=int, default=0, help="follow-ups due at the start")
    parser.add_argument("--threads", type=int, default=16, help="waitress threads")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--database-url", help="PostgreSQL (default: a temporary SQLite file)")
    parser.add_argument("--matrix", action="store_true", help="the settings of issue 11")
    parser.add_argument("--pin", action="store_true",
                        help="servers on the first CPU, the simulated carrier on the others")
    args = parser.parse_args()
    if args.pin:
        print(bench.pin_servers_apart())
    if args.matrix:
        if not args.database_url:
            parser.error("--matrix needs --database-url (PostgreSQL)")
        report("SQLite, bhc serve", args, run(args, 1, None, 0))
        report("PostgreSQL, 1 engine", args, run(args, 1, args.database_url, 0))
        report("PostgreSQL, 3 engines", args, run(args, 3, args.database_url, 0))
        slow = argparse.Namespace(**{**vars(args), "cps": 1.0})
        report("PostgreSQL, 1 engine, 1 call/s, 20 follow-ups due", slow,
               run(slow, 1, args.database_url, 20))
        return
    if args.engines > 1 and not args.database_url:
        parser.error("several engines need PostgreSQL (--database-url)")
    name = (f"PostgreSQL, {args.engines} engine(s)" if args.database_url
            else "SQLite, bhc serve")
    report(name, args, run(args, args.engines, args.database_url, args.follow_ups))


if __name__ == "__main__":
    main()
