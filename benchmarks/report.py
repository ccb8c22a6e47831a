"""The monthly report at national scale: aggregates in SQL, on PostgreSQL and on SQLite.

Loads one month (default 200,000 requests with 1,000,000 call legs over 50 neighbourhoods,
about two thirds matched) into an empty PostgreSQL schema and into a temporary SQLite file,
then times ``bhc.report.monthly_report`` (median of several runs) against a naive version that
loads the month's rows into Python and computes the same figures, checks that both agree, and
prints the times and their ratio. Aim: the report builds in under 1 s on both databases.

    python benchmarks/report.py [--requests 200000] [--legs 1000000] [--neighbourhoods 50]
        [--runs 5] [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
        [--only postgresql|sqlite]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402

from bhc.calls.models import CallLeg, HelpRequest, Match, RequestState  # noqa: E402
from bhc.db import Database, drop_schema, fresh_schema  # noqa: E402
from bhc.neighbourhoods.models import Neighbourhood  # noqa: E402
from bhc.people.models import Participant  # noqa: E402
from bhc.reports import monthly as report  # noqa: E402

MONTH = "2026-10"
SLUGS = ("groceries", "odd-jobs", "transport", "babysitting", "chat", "dog-walking", "helpdesk")
HELPERS, ASKERS = 300, 1500  # per neighbourhood
# How requests end: (share, state, outcome).
ENDINGS = ((0.66, "matched", "matched"), (0.08, "unmatched", "all_declined"),
           (0.08, "unmatched", "no_answer"), (0.03, "unmatched", "no_candidates"),
           (0.10, "abandoned", "caller_hung_up"), (0.03, "callback_due", "callback_requested"),
           (0.02, "searching", None))

PARTICIPANT_COLUMNS = ("id", "name", "phone", "postcode", "house_number", "neighbourhood_id",
                       "is_helper", "is_asker", "languages", "availability", "call_consent",
                       "consent_source", "opted_out", "needs_review", "source", "created_at")
REQUEST_COLUMNS = ("id", "call_sid", "neighbourhood_id", "caller_id", "category_slug",
                   "language", "state", "outcome", "created_at", "searching_since")
LEG_COLUMNS = ("id", "request_id", "volunteer_id", "status", "outcome", "placed_at",
               "answered_at", "decided_at", "key_pressed")
MATCH_COLUMNS = ("id", "request_id", "leg_id", "helper_id", "asker_id", "matched_at",
                 "time_to_match_s", "volunteers_rung")


def month_rows(args) -> dict[str, list[tuple]]:
    """The month's rows, the same for both databases (a seeded RNG)."""
    rng = random.Random(5)
    start, end = report.month_bounds(MONTH)
    span = (end - start).total_seconds()
    created = start - timedelta(days=60)
    n = args.neighbourhoods
    neighbourhoods = [(i, f"Wijk {i:02d}", 5000, "", created) for i in range(1, n + 1)]
    participants, helpers, askers = [], defaultdict(list), defaultdict(list)
    for neighbourhood in range(1, n + 1):
        for number in range(HELPERS + ASKERS):
            pid = len(participants) + 1
            helper = number < HELPERS
            (helpers if helper else askers)[neighbourhood].append(pid)
            participants.append((pid, f"Deelnemer {pid}", f"+316{20000000 + pid}", "2500AA",
                                 str(pid), neighbourhood, helper, not helper, "nl", "", True,
                                 "import", False, False, "import", created))
    legs_per_request = args.legs / args.requests
    requests, legs, matches = [], [], []
    shares = [share for share, _, _ in ENDINGS]
    for rid in range(1, args.requests + 1):
        neighbourhood = rng.randint(1, n)
        at = start + timedelta(seconds=rng.uniform(0, span - 3600))
        _, state, outcome = rng.choices(ENDINGS, weights=shares)[0]
        caller = None if rng.random() < 0.1 else rng.choice(askers[neighbourhood])
        requests.append((rid, f"CA{rid:032d}", neighbourhood, caller, rng.choice(SLUGS), "nl",
                         state, outcome, at, at))
        count = max(1, round(rng.uniform(0, 2 * legs_per_request)))
        for number in range(1, count + 1):
            accepted = state == RequestState.MATCHED and number == count
            answered = accepted or rng.random() < 0.5
            # One in ten volunteers rung comes from the next neighbourhood (adjacent ones).
            pool = helpers[neighbourhood % n + 1 if rng.random() < 0.1 else neighbourhood]
            placed = at + timedelta(seconds=20 * number)
            legs.append((len(legs) + 1, rid, rng.choice(pool), "completed",
                         "accepted" if accepted else ("declined" if answered else "no_answer"),
                         placed, placed + timedelta(seconds=5) if answered else None,
                         placed + timedelta(seconds=12) if answered else None,
                         ("1" if accepted else "2") if answered else None))
        if state == RequestState.MATCHED:
            leg = legs[-1]
            matches.append((len(matches) + 1, rid, leg[0], leg[2], caller, leg[7],
                            (leg[7] - at).total_seconds(), count))
    return {"neighbourhoods": neighbourhoods, "participants": participants,
            "help_requests": requests, "call_legs": legs, "matches": matches}


def columns_of(table: str) -> tuple[str, ...]:
    return {"neighbourhoods": ("id", "name", "households", "postcodes", "created_at"),
            "participants": PARTICIPANT_COLUMNS, "help_requests": REQUEST_COLUMNS,
            "call_legs": LEG_COLUMNS, "matches": MATCH_COLUMNS}[table]


def load_postgresql(database: Database, rows: dict[str, list[tuple]]) -> None:
    """COPY, as a national import would."""
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for table, values in rows.items():
            with cursor.copy(f"COPY {table} ({', '.join(columns_of(table))}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"(SELECT max(id) FROM {table}))")
        raw.commit()
    finally:
        raw.close()
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.exec_driver_sql("VACUUM ANALYZE")  # visibility map for index-only scans, statistics


def load_sqlite(database: Database, rows: dict[str, list[tuple]]) -> None:
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for table, values in rows.items():
            names = columns_of(table)
            cursor.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES "
                               f"({', '.join('?' for _ in names)})",
                               [tuple(_sqlite_value(v) for v in row) for row in values])
        raw.commit()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


def _sqlite_value(value):
    # SQLAlchemy stores naive datetimes in SQLite as ISO text with microseconds.
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, datetime) else value


# --- the naive version: the month's rows into Python, every figure computed there ----------

def naive_report(session, month: str) -> dict:
    neighbourhoods = list(session.execute(
        select(Neighbourhood.id, Neighbourhood.name, Neighbourhood.households)
        .order_by(Neighbourhood.name)))
    figures = naive_figures(session, month)
    before = naive_figures(session, report.shift_month(month, -1))
    months = [report.shift_month(month, by) for by in range(1 - report.HISTORY_MONTHS, 1)]
    history = [naive_figures(session, m, counts_only=True) for m in months]
    with_households = {n.id for n in neighbourhoods if n.households is not None}
    households = sum(n.households for n in neighbourhoods if n.households is not None)

    def finished(raw: dict, total_people: set | None = None, n=None) -> dict:
        raw = {**report._empty(), **raw}
        raw["residents_in_contact"] = len(raw.pop("people"))
        raw["active_helpers"] = len(raw.pop("helpers"))
        raw["active_askers"] = len(raw.pop("askers"))
        raw["residents_with_households"] = 0
        if total_people is None:
            return report._finish(raw, n.households)
        reach = len({person for nid, person in total_people if nid in with_households})
        return report._finish(raw, households or None, reach_residents=reach)

    def total_of(figs: dict) -> dict:
        total = empty()
        pairs = set()
        for nid, raw in figs.items():
            for key in ("requests", "matches", "abandoned", "in_progress", "rung",
                        "repeat_contacts"):
                total[key] += raw[key]
            for key, count in raw["unmatched"].items():
                total["unmatched"][key] += count
            total["times"] += raw["times"]
            for slug, counts in raw["by_category"].items():
                mine = total["by_category"].setdefault(slug, {"requests": 0, "matches": 0})
                mine["requests"] += counts["requests"]
                mine["matches"] += counts["matches"]
            for key in ("people", "helpers", "askers"):
                total[key] |= raw[key]
            pairs |= {(nid, person) for person in raw["people"]}
        return finished(total, pairs)

    result = {"month": month,
              "total": {"households": households or None, **total_of(figures)},
              "neighbourhoods": [{"name": n.name, "households": n.households,
                                  **finished(figures.get(n.id, empty()), n=n)}
                                 for n in neighbourhoods]}
    previous_total = total_of(before)
    result["previous"] = {
        "month": report.shift_month(month, -1),
        "total": {k: previous_total[k] for k in report.PREVIOUS_FIELDS},
        "neighbourhoods": [{"name": n.name, **{k: v for k, v in finished(
            before.get(n.id, empty()), n=n).items() if k in report.PREVIOUS_FIELDS}}
            for n in neighbourhoods]}
    result["history"] = {
        "months": months,
        "total": {key: [sum(m[nid][key] for nid in m) for m in history]
                  for key in ("requests", "matches")},
        "neighbourhoods": [{"name": n.name, **{key: [m.get(n.id, empty())[key] for m in history]
                                               for key in ("requests", "matches")}}
                           for n in neighbourhoods]}
    return result


def empty() -> dict:
    return {"requests": 0, "matches": 0, "abandoned": 0, "in_progress": 0, "rung": 0,
            "unmatched": dict.fromkeys(report.UNMATCHED_KEYS, 0), "times": [],
            "people": set(), "helpers": set(), "askers": set(), "repeat_contacts": 0,
            "by_category": {}}


def naive_figures(session, month: str, counts_only: bool = False) -> dict[int, dict]:
    start, end = report.month_bounds(month)
    in_month = (HelpRequest.created_at >= start, HelpRequest.created_at < end,
                HelpRequest.category_slug.is_not(None))
    requests = session.execute(select(HelpRequest.id, HelpRequest.neighbourhood_id,
                                      HelpRequest.category_slug, HelpRequest.state,
                                      HelpRequest.outcome, HelpRequest.caller_id)
                               .where(*in_month)).all()
    matches = {row.request_id: row for row in session.execute(
        select(Match.request_id, Match.asker_id, Match.helper_id, Match.time_to_match_s,
               Match.volunteers_rung).join(HelpRequest, HelpRequest.id == Match.request_id)
        .where(*in_month))}
    figures: dict[int, dict] = defaultdict(empty)
    for request in requests:
        raw = figures[request.neighbourhood_id]
        match = matches.get(request.id)
        raw["requests"] += 1
        category = raw["by_category"].setdefault(request.category_slug,
                                                 {"requests": 0, "matches": 0})
        category["requests"] += 1
        if match is not None:
            raw["matches"] += 1
            category["matches"] += 1
            raw["rung"] += match.volunteers_rung
            raw["times"].append(match.time_to_match_s)
            raw["people"] |= {p for p in (match.asker_id, match.helper_id) if p is not None}
            if match.asker_id is not None and match.helper_id is not None:
                raw.setdefault("pairs", defaultdict(int))[(match.asker_id, match.helper_id)] += 1
        if request.state == RequestState.ABANDONED:
            raw["abandoned"] += 1
        elif request.state == RequestState.SEARCHING:
            raw["in_progress"] += 1
        elif request.state == RequestState.CALLBACK_DUE:
            raw["unmatched"]["callback_pending"] += 1
        elif request.state == RequestState.UNMATCHED:
            raw["unmatched"][report._UNMATCHED_OUTCOMES.get(request.outcome, "other")] += 1
    for raw in figures.values():
        raw["repeat_contacts"] = sum(1 for n in raw.pop("pairs", {}).values() if n > 1)
    if counts_only:
        return figures
    # Active helpers and askers count with their own neighbourhood; calls by when placed.
    home = dict(session.execute(select(Participant.id, Participant.neighbourhood_id)).all())
    for request in requests:
        if request.caller_id is not None:
            figures[home[request.caller_id]]["askers"].add(request.caller_id)
    for volunteer_id, answered_at in session.execute(
            select(CallLeg.volunteer_id, CallLeg.answered_at)
            .where(CallLeg.placed_at >= start, CallLeg.placed_at < end)):
        if answered_at is not None and volunteer_id is not None:
            figures[home[volunteer_id]]["helpers"].add(volunteer_id)
    return figures


def core(report_dict: dict, like: dict) -> dict:
    """The report's fields that the naive version computes (other issues add more)."""
    def row(values: dict, keys: dict) -> dict:
        return {key: values[key] for key in keys}

    return {"month": report_dict["month"], "total": row(report_dict["total"], like["total"]),
            "neighbourhoods": [row(r, n) for r, n in zip(report_dict["neighbourhoods"],
                                                        like["neighbourhoods"], strict=True)],
            "previous": report_dict["previous"], "history": report_dict["history"]}


def server_cpu_reader(session):
    """CPU seconds the PostgreSQL backend of this session has used so far, read from /proc
    when the server runs on this machine (0 otherwise, and for SQLite, which runs in this
    process). With the CPUs shared, wall time overstates what the report costs."""
    if session.get_bind().dialect.name != "postgresql":
        return lambda: 0.0
    stat = Path(f"/proc/{session.execute(select(func.pg_backend_pid())).scalar()}/stat")
    if not stat.exists():
        return lambda: 0.0

    def used() -> float:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    return used


def measure(name: str, database: Database, runs: int) -> tuple[float, float]:
    timings, cpu = [], []
    with database.session() as session:
        server = server_cpu_reader(session)
        for _ in range(runs + 1):  # the first run warms the caches
            started, cpu_started = time.perf_counter(), time.process_time() + server()
            fast = report.monthly_report(session, MONTH)
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() + server() - cpu_started)
        started = time.perf_counter()
        slow = naive_report(session, MONTH)
        naive_s = time.perf_counter() - started
    assert core(fast, slow) == slow, f"{name}: the SQL and the naive figures differ"
    median = statistics.median(timings[1:])
    total = fast["total"]
    print(f"{name:12} report {median:6.3f} s (median of {runs}; min {min(timings[1:]):.3f}; "
          f"CPU {statistics.median(cpu[1:]):.3f} s)  naive {naive_s:6.2f} s  "
          f"naive/SQL {naive_s / median:5.1f}x  aim < 1 s: {'met' if median < 1 else 'NOT met'}")
    print(f"{'':12} {total['requests']:,} requests, {total['matches']:,} matches, "
          f"{total['active_helpers']:,} active helpers, {total['active_askers']:,} askers")
    return median, naive_s


def load_and_measure(name: str, database: Database, load, rows: dict, runs: int) -> None:
    """The month's rows into a new schema with ``load``, then the report timed there."""
    try:
        database.upgrade()
        load(database, rows)
        measure(name, database, runs)
    finally:
        database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--legs", type=int, default=1_000_000)
    parser.add_argument("--neighbourhoods", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=("postgresql", "sqlite"))
    parser.add_argument("--database-url",
                        default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()

    started = time.perf_counter()
    rows = month_rows(args)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{MONTH}: {len(rows['help_requests']):,} requests, {len(rows['call_legs']):,} call "
          f"legs, {len(rows['matches']):,} matches over {args.neighbourhoods} neighbourhoods "
          f"(generated in {time.perf_counter() - started:.0f} s)")

    if args.only != "sqlite":
        schema = f"bench_report_{os.getpid()}"
        database = Database(fresh_schema(args.database_url, schema))
        try:
            load_and_measure("PostgreSQL", database, load_postgresql, rows, args.runs)
        finally:
            drop_schema(args.database_url, schema)
    if args.only != "postgresql":
        with tempfile.TemporaryDirectory() as folder:
            database = Database(f"sqlite:///{folder}/report.sqlite3")
            load_and_measure("SQLite", database, load_sqlite, rows, args.runs)

if __name__ == "__main__":
    main()
