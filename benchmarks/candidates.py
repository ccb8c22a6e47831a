"""Choosing the next volunteers at national scale: one indexed query, not a scan.

Loads participants over many neighbourhoods (default 1,000,000 over 1,000, with categories and
a month of call history) into an empty PostgreSQL schema, then times what the engine does for
each step of a search (`eligible_volunteers`, one query, + `as_candidates`) against a naive
load-everything-and-filter-in-Python, in the same run. A few untimed searches first open the
connection and compile the statement, as a running engine has long done.

    python benchmarks/candidates.py [--participants 1000000] [--neighbourhoods 1000]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select  # noqa: E402

from bhc.calls.candidates import Caps, as_candidates, cap_periods, eligible_volunteers  # noqa: E402
from bhc.calls.models import LIVE_LEG_STATUSES, CallLeg, HelpRequest  # noqa: E402
from bhc.db import Database, drop_schema, fresh_schema, utcnow  # noqa: E402
from bhc.localtime import to_local  # noqa: E402
from bhc.people.models import Participant, ParticipantCategory  # noqa: E402
from matching.availability import in_quiet_hours, is_available, parse_windows  # noqa: E402

SLUGS = ("groceries", "odd-jobs", "transport", "babysitting", "chat", "dog-walking", "helpdesk")
AVAILABILITY = ("", "", "", "mo-fr 09:00-17:00", "sa-su 10:00-18:00", "mo-su 08:00-21:00")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def copy_rows(cursor, table: str, columns: str, rows) -> None:
    """Bulk load with COPY: what a national import would use, and 50x faster than INSERTs."""
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def load(database: Database, args, rng: random.Random) -> None:
    now = utcnow()
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        copy_rows(cursor, "neighbourhoods", "id, name, households, postcodes, created_at",
                  ((n, f"Wijk {n}", 5000, "", now) for n in range(1, args.neighbourhoods + 1)))
        per = args.participants // args.neighbourhoods

        def participants():
            for i in range(1, args.participants + 1):
                helper = rng.random() < 0.7
                yield (i, f"Deelnemer {i}", f"+316{10000000 + i}", "2500AA", str(i),
                       (i - 1) // per % args.neighbourhoods + 1, helper, True, "nl",
                       rng.choice(AVAILABILITY), rng.random() < 0.9, "import", False, False,
                       "import", now)

        copy_rows(cursor, "participants",
                  "id, name, phone, postcode, house_number, neighbourhood_id, is_helper, is_asker,"
                  " languages, availability, call_consent, consent_source, opted_out,"
                  " needs_review, source,"
                  " created_at", participants())
        copy_rows(cursor, "participant_categories", "participant_id, slug",
                  ((i, slug) for i in range(1, args.participants + 1)
                   for slug in rng.sample(SLUGS, 3)))
        copy_rows(cursor, "help_requests",
                  "id, call_sid, neighbourhood_id, category_slug, language, state, created_at",
                  ((r, f"CAhist{r}", rng.randint(1, args.neighbourhoods), rng.choice(SLUGS), "nl",
                    "matched", now - timedelta(days=rng.uniform(0, 30)))
                   for r in range(1, args.history + 1)))
        copy_rows(cursor, "call_legs", "request_id, volunteer_id, status, outcome, placed_at",
                  ((rng.randint(1, args.history), rng.randint(1, args.participants), "completed",
                    "no_answer", now - timedelta(days=rng.uniform(0, 30)))
                   for _ in range(args.history * 3)))
        for table in ("neighbourhoods", "participants", "help_requests", "call_legs"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"(SELECT max(id) FROM {table}))")
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


def naive(session, request: HelpRequest, now, quiet: str, caps: Caps) -> list[int]:
    """Load every participant, category and recent call leg and decide in Python: what a scan
    costs (plain rows, not ORM objects, so the figure is the scan's and not the ORM's)."""
    local = to_local(now)
    if in_quiet_hours(quiet, local.time()):
        return []
    day_start, week_start = cap_periods(local)
    covers = {participant_id for participant_id, slug in session.execute(
        select(ParticipantCategory.participant_id, ParticipantCategory.slug))
        if slug == request.category_slug}
    today, week, busy = Counter(), Counter(), set()
    for volunteer_id, placed_at, status, request_id in session.execute(
            select(CallLeg.volunteer_id, CallLeg.placed_at, CallLeg.status, CallLeg.request_id)):
        today[volunteer_id] += placed_at >= day_start
        week[volunteer_id] += placed_at >= week_start
        if status in LIVE_LEG_STATUSES or request_id == request.id:
            busy.add(volunteer_id)
    chosen = []
    for (participant_id, neighbourhood_id, helper, consent, opted_out, paused_until,
         availability) in session.execute(
            select(Participant.id, Participant.neighbourhood_id, Participant.is_helper,
                   Participant.call_consent, Participant.opted_out, Participant.paused_until,
                   Participant.availability)):
        if (neighbourhood_id == request.neighbourhood_id and helper and consent
                and not opted_out and (paused_until is None or paused_until <= now)
                and participant_id in covers and participant_id not in busy
                and today[participant_id] < caps.daily and week[participant_id] < caps.weekly
                and is_available(parse_windows(availability), local)):
            chosen.append(participant_id)
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=1_000_000)
    parser.add_argument("--neighbourhoods", type=int, default=1_000)
    parser.add_argument("--history", type=int, default=200_000,
                        help="past requests (each with 3 call legs) over the last 30 days")
    parser.add_argument("--requests", type=int, default=500, help="searches to time")
    parser.add_argument("--warm-up", type=int, default=20, help="untimed searches first")
    parser.add_argument("--naive-requests", type=int, default=3)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    rng = random.Random(11)

    schema = f"bench_candidates_{os.getpid()}"
    database = Database(fresh_schema(args.database_url, schema))
    database.upgrade()
    started = time.perf_counter()
    load(database, args, rng)
    print(f"loaded {args.participants:,} participants over {args.neighbourhoods:,} "
          f"neighbourhoods and {args.history * 3:,} call legs in "
          f"{time.perf_counter() - started:.0f} s")

    now, caps = utcnow(), Caps(daily=3, weekly=10)
    timings, sizes = [], []
    with database.session() as session:
        for searched in range(args.warm_up + args.requests):
            request = HelpRequest(id=0, neighbourhood_id=rng.randint(1, args.neighbourhoods),
                                  caller_id=None, category_slug=rng.choice(SLUGS), language="nl")
            start = time.perf_counter()
            found = eligible_volunteers(session, request, now, "", caps)
            as_candidates(found, "nl")
            if searched >= args.warm_up:
                timings.append((time.perf_counter() - start) * 1000)
                sizes.append(len(found))
        slow = []
        for _ in range(args.naive_requests):
            request = HelpRequest(id=0, neighbourhood_id=rng.randint(1, args.neighbourhoods),
                                  caller_id=None, category_slug=rng.choice(SLUGS), language="nl")
            start = time.perf_counter()
            scanned = naive(session, request, now, "", caps)
            slow.append((time.perf_counter() - start) * 1000)
            indexed = [v.id for v in eligible_volunteers(session, request, now, "", caps)]
            assert sorted(scanned) == sorted(indexed), "the query and the scan disagree"
    p50, p99 = percentile(timings, .5), percentile(timings, .99)
    print(f"eligible volunteers per search: median {statistics.median(sizes):.0f}")
    print(f"{'':28}{'n':>6}{'p50 ms':>12}{'p99 ms':>12}")
    print(f"{'indexed query (engine)':28}{len(timings):>6}{p50:>12.2f}{p99:>12.2f}")
    print(f"{'naive load-and-filter':28}{len(slow):>6}{percentile(slow, .5):>12.0f}"
          f"{percentile(slow, .99):>12.0f}")
    print(f"naive / indexed at p50: {percentile(slow, .5) / p50:,.0f}x; aim p99 < 10 ms: "
          f"{'met' if p99 < 10 else 'NOT met'}")
    database.dispose()
    drop_schema(args.database_url, schema)


if __name__ == "__main__":
    main()
