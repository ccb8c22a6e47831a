"""The composition root: wires config, database, carrier and engine into one exchange."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from apscheduler.schedulers.background import BackgroundScheduler

from bhc import models  # noqa: F401 (every feature's models mapped before the first query)
from bhc.calls.carrier import Carrier
from bhc.calls.urls import WebhookUrls
from bhc.config import Config
from bhc.db import Database
from bhc.engine import Engine
from bhc.wakeup import Listener, Notifier

log = logging.getLogger(__name__)
TICK_JOB = "engine-tick"
ALERTS_JOB = "alerts"
ALERTS_EVERY_S = 5.0
ATTENTION_EVERY = timedelta(seconds=10)  # new items on the coordinators' list this soon
CHECK_INS_EVERY = timedelta(hours=1)  # volunteers who never answer: a slower question


@dataclass
class Exchange:
    """Everything a process of the exchange needs; the web app and the CLI take it from here."""

    config: Config
    db: Database
    carrier: Carrier
    engine: Engine
    urls: WebhookUrls
    scheduler: BackgroundScheduler | None = None
    network: object | None = None  # the simulated carrier, when this process hosts it
    listener: Listener | None = None  # wake-ups from web workers in other processes
    notifier: Notifier | None = None  # this web worker's wake-ups to engines elsewhere
    watchdog: BackgroundScheduler | None = None  # alerts, in a process without an engine
    _extra: dict = field(default_factory=dict)

    def wake(self) -> None:
        """Ask the engine for a step now rather than at its next poll: in this process when it
        runs here, otherwise (a web worker of a city deployment) through PostgreSQL."""
        self.engine.request_step()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.modify_job(TICK_JOB, next_run_time=datetime.now(timezone.utc))
        elif self.notifier is not None:
            self.notifier.request()

    def start_engine(self) -> None:
        """Resume every search left by an earlier process, then step on a timer and on wake."""
        self.engine.wake = self.wake  # the dispatcher's news reaches the scheduler too
        recovered = self.engine.start()
        if recovered:
            log.info("marked %s interrupted call placements as failed", recovered)
        self.scheduler = BackgroundScheduler(timezone="UTC")
        self.scheduler.add_job(
            self.engine.tick,
            "interval",
            id=TICK_JOB,
            seconds=self.config.matching.poll_interval_s,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(timezone.utc) + timedelta(milliseconds=10),
        )
        soon = datetime.now(timezone.utc) + timedelta(seconds=1)
        self.scheduler.add_job(self.sweep_attention, "interval", id="attention",
                               seconds=ATTENTION_EVERY.total_seconds(), max_instances=1,
                               coalesce=True, next_run_time=soon)
        self.scheduler.add_job(self.sweep_attention, "interval", id="check-ins",
                               seconds=CHECK_INS_EVERY.total_seconds(), max_instances=1,
                               coalesce=True, kwargs={"check_ins": True},
                               next_run_time=soon + timedelta(minutes=1))
        self.scheduler.add_job(self.anonymise_old_calls, "cron", id="retention", hour=3,
                               minute=30, timezone="Europe/Amsterdam", coalesce=True)
        self._add_alerts_job(self.scheduler)
        self.scheduler.start()
        if self.db.is_postgres:
            self.listener = Listener(self.config.database.url, self.wake,
                                     engine_id=self.engine.engine_id)
            self.listener.start()

    def start_watchdog(self) -> None:
        """Alerts from a process without an engine (a web worker): when every engine is gone,
        somebody must still notice and tell the office."""
        self.watchdog = BackgroundScheduler(timezone="UTC")
        self._add_alerts_job(self.watchdog)
        self.watchdog.start()

    def _add_alerts_job(self, scheduler: BackgroundScheduler) -> None:
        scheduler.add_job(self.deliver_alerts, "interval", id=ALERTS_JOB,
                          seconds=ALERTS_EVERY_S, max_instances=1, coalesce=True)

    def deliver_alerts(self) -> None:
        """Notice a silent engine and mail the office about every new incident."""
        from bhc.alerts.delivery import deliver

        try:
            deliver(self.db, self.config)
        except Exception:
            log.exception("alerts failed; they are looked at again in %s s", ALERTS_EVERY_S)
    def sweep_attention(self, check_ins: bool = False) -> None:
        """Raise and withdraw what needs a coordinator's attention (bhc.attention)."""
        from bhc.attention.services import sweep
        from bhc.db import utcnow

        try:
            with self.db.session() as session:
                sweep(session, utcnow(), check_ins=check_ins)
        except Exception:
            log.exception("attention sweep failed; it runs again shortly")

    def anonymise_old_calls(self) -> None:
        """The nightly retention job: call data older than [privacy] retention_months."""
        from bhc.db import utcnow
        from bhc.people.privacy import anonymise_old_calls

        try:
            with self.db.session() as session:
                done = anonymise_old_calls(session, utcnow(), self.config.privacy.retention_months)
            log.info("retention: anonymised %s requests and %s call legs", done.requests,
                     done.legs)
        except Exception:
            log.exception("retention job failed; it runs again tomorrow")

    def stop(self) -> None:
        if self.watchdog is not None and self.watchdog.running:
            self.watchdog.shutdown(wait=True)
        if self.listener is not None:
            self.listener.stop()
        if self.scheduler is not None and self.scheduler.running:
            self.engine.stop()  # first: the dispatcher's last answers wake no more steps
            self.scheduler.shutdown(wait=True)
        if self.notifier is not None:
            self.notifier.stop()
        if self.network is not None:
            self.network.shutdown()
        self.db.dispose()


def build(config: Config, *, carrier: Carrier | None = None, host_simulator: bool = False,
          time_scale: float = 1.0, role: str = "serve") -> Exchange:
    """Compose an exchange. ``host_simulator`` runs the simulated carrier in this process;
    ``role`` (serve, web, worker, demo) names the process to the database."""
    from ivr.twilio_carrier import TwilioCarrier

    db = Database(config.database.url, role=role)
    network = None
    if host_simulator:
        from ivr.simulator import SimulatedNetwork

        network = SimulatedNetwork(account_sid=config.account_sid,
                                   auth_token=config.auth_token, time_scale=time_scale)
    carrier = carrier or TwilioCarrier(config.account_sid, config.auth_token,
                                       config.api_base_url, region=config.twilio.region,
                                       edge=config.twilio.edge)
    engine = Engine(db, carrier, config)
    return Exchange(config=config, db=db, carrier=carrier, engine=engine,
                    urls=WebhookUrls(config.server.public_url), network=network,
                    notifier=Notifier(db) if db.is_postgres else None)
