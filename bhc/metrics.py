"""Prometheus metrics: events counted in the process where they happen, and the state of the
exchange read from the database when ``/metrics`` is scraped.

Events (requests ended, volunteers rung, carrier errors, engine steps, webhook latency) are
counters and histograms of ``prometheus_client``. Under gunicorn every worker keeps its own;
with ``PROMETHEUS_MULTIPROC_DIR`` set (the same directory for the web workers and the
``bhc worker`` of that host, emptied at boot) prometheus_client's multiprocess mode adds them up.
State (searches in progress, callers on hold, each engine's last step, calls waiting to be
placed) and the time to match of every match come from the database at scrape time, so they
are right whichever process asks.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from functools import partial

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from sqlalchemy import case, event, func, select
from sqlalchemy.orm import Session

from bhc.calls.models import HelpRequest, Match, RequestState
from bhc.db import Database, utcnow
from bhc.engines import dispatcher, heartbeat

CONTENT_TYPE = CONTENT_TYPE_LATEST
# Engines silent longer than this drop out of the per-engine figures.
ENGINES_SHOWN_FOR = timedelta(hours=1)

REQUESTS_ENDED = Counter(
    "bhc_requests_ended", "Help requests that reached an end state, by outcome (a call-back "
    "that matches later counts again with its new outcome)", ["outcome"])
# Time to match is read from the matches themselves (see ExchangeCollector): a volunteer's 1
# that comes to nothing (they hang up before the bridge) is then no match, as in the report.
TIME_TO_MATCH_BUCKETS = (5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600)
VOLUNTEERS_RUNG = Histogram(
    "bhc_volunteers_rung", "Volunteers rung for one request, counted at its match or when it "
    "ended unmatched", ["ended"], buckets=(0, 1, 2, 3, 4, 5, 6, 8, 10, 15, 20))
CARRIER_ERRORS = Counter(
    "bhc_carrier_errors", "REST requests to the carrier that failed after the adapter's "
    "retries, by operation and kind", ["operation", "kind"])
ENGINE_STEP = Histogram(
    "bhc_engine_step_seconds", "How long one engine step took",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
WEBHOOK_SECONDS = Histogram(
    "bhc_webhook_seconds", "Time to answer a carrier's webhook, by route", ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15))

_PENDING = "bhc.metrics.pending"


def after_commit(session: Session, observe: Callable[..., None], *args: float) -> None:
    """Count something once the transaction that made it happen is committed (a rolled back
    match was no match)."""
    session.info.setdefault(_PENDING, []).append(partial(observe, *args))


@event.listens_for(Session, "after_commit")
def _observe_committed(session: Session) -> None:
    for observe in session.info.pop(_PENDING, ()):
        observe()


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


def request_ended(session: Session, state: str, outcome: str | None) -> None:
    if state in (RequestState.MATCHED, RequestState.UNMATCHED, RequestState.ABANDONED):
        after_commit(session, REQUESTS_ENDED.labels(outcome or state).inc)


def matched(session: Session, volunteers_rung: int) -> None:
    after_commit(session, VOLUNTEERS_RUNG.labels("matched").observe, volunteers_rung)


def waiting_outbound_calls(session: Session) -> int:
    """Outbound calls waiting for their turn at the carrier's calls per second: the
    dispatcher's queue, of every kind and every engine process (``bhc.engines.dispatcher``)."""
    return dispatcher.waiting(session)


class ExchangeCollector:
    """What is going on now, read from the database at each scrape."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self):
        now = utcnow()
        with self.db.session() as session:
            states = dict(session.execute(
                select(HelpRequest.state, func.count()).where(HelpRequest.state.in_(
                    (RequestState.SEARCHING, RequestState.CALLBACK_DUE)))
                .group_by(HelpRequest.state)).all())
            waiting = waiting_outbound_calls(session)
            engines = heartbeat.recent(session, now, ENGINES_SHOWN_FOR)
        on_hold = states.get(RequestState.SEARCHING, 0)
        yield GaugeMetricFamily("bhc_searches_in_progress", "Requests whose search goes on: "
                                "callers on hold and call-back rounds",
                                value=on_hold + states.get(RequestState.CALLBACK_DUE, 0))
        yield GaugeMetricFamily("bhc_callers_on_hold", "Callers waiting on hold while "
                                "volunteers are rung", value=on_hold)
        yield GaugeMetricFamily("bhc_outbound_calls_waiting", "Outbound calls waiting for "
                                "their turn to be placed", value=waiting)
        age = GaugeMetricFamily("bhc_engine_last_step_age_seconds", "Seconds since the engine "
                                "last finished a step (since its start before a first step)",
                                labels=["engine", "host", "pid"])
        duration = GaugeMetricFamily("bhc_engine_last_step_seconds", "How long the engine's "
                                     "last step took", labels=["engine", "host", "pid"])
        for engine in engines:
            labels = [engine.id[:12], engine.host, str(engine.pid)]
            age.add_metric(labels, (now - (engine.last_step_at or engine.started_at))
                           .total_seconds())
            if engine.last_step_s is not None:
                duration.add_metric(labels, engine.last_step_s)
        yield age
        yield duration
        yield self._time_to_match()

    def _time_to_match(self) -> HistogramMetricFamily:
        """Every match's time to match, as a histogram (one index-only scan of the matches)."""
        seconds = Match.time_to_match_s
        columns = [func.count(), func.sum(seconds)] + [
            func.sum(case((seconds <= bound, 1), else_=0)) for bound in TIME_TO_MATCH_BUCKETS]
        with self.db.session() as session:
            count, total, *within = session.execute(select(*columns)).one()
        buckets = [(str(float(bound)), float(n or 0))
                   for bound, n in zip(TIME_TO_MATCH_BUCKETS, within)]
        return HistogramMetricFamily(
            "bhc_time_to_match_seconds", "From the caller's category choice to a volunteer's "
            "1, of every match made", buckets=buckets + [("+Inf", float(count))],
            sum_value=float(total or 0))


def exposition(db: Database) -> bytes:
    """The text format: this process's events (or every process's, in multiprocess mode),
    then the exchange's state."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        events = CollectorRegistry()
        multiprocess.MultiProcessCollector(events)
    else:
        events = REGISTRY
    state = CollectorRegistry()
    state.register(ExchangeCollector(db))
    return generate_latest(events) + generate_latest(state)
