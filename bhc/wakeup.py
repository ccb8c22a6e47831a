"""Waking the engine across processes: PostgreSQL NOTIFY from web workers, LISTEN in the engine.

A city runs webhooks in gunicorn workers and the engine in one ``bhc worker``
(docs/architecture.md, "Scale"). The engine would otherwise see a volunteer's 1 or a caller's
choice only at its next poll; a notification lets it act within milliseconds. Notifications
carry no data: the database stays the only source of truth, and a lost notification costs at
most one poll interval.

With several engine processes, each wake-up goes to one of them, in turn, on a channel of its
own: every engine steps through every open search, so one step per wake-up is enough, and
waking them all made each do the same step, three times the statements and the row-lock races
of one engine for the same work (``benchmarks/load.py --engines 3``).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from datetime import timedelta
from typing import Callable

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bhc.db import Database, utcnow
from bhc.engines import heartbeat
from bhc.engines.models import EngineProcess

log = logging.getLogger(__name__)
CHANNEL = "bhc_engine"
# How long one wait for notifications lasts before checking whether to stop: what stopping an
# engine waits for its listener (a wait that ends idle costs a poll() and nothing else).
LISTEN_TIMEOUT_S = 0.2
# How long stopping waits for a thread finishing a NOTIFY or a LISTEN before going on without it.
JOIN_TIMEOUT_S = 3.0
# After the connection is lost: wait this long, doubling up to the maximum, before reconnecting.
RECONNECT_FIRST_S, RECONNECT_MAX_S = 0.5, 30.0
# Wake-ups go to engines whose heartbeat (written every second) is at most this old: one that
# died is no longer woken within a few seconds, its wake-ups meanwhile covered by the others'
# polls. Which engines those are is read again this often.
AWAKE_WITHIN = timedelta(seconds=2.5)
ENGINES_EVERY_S = 1.0


def channel(url: str) -> str:
    """The channel of this exchange: NOTIFY reaches every listener of the database, so
    exchanges that share one in separate schemas (``search_path`` in the URL) get one each."""
    options = make_url(url).query.get("options", "")
    found = re.search(r"search_path\s*=\s*([^\s&]+)", options if isinstance(options, str) else "")
    suffix = re.sub(r"\W", "_", found.group(1)).lower() if found else ""
    return f"{CHANNEL}_{suffix}"[:63] if suffix else CHANNEL


def engine_channel(url: str, engine_id: str) -> str:
    """The channel of one engine process of this exchange."""
    return f"{channel(url)[:50]}_{engine_id[:12]}"


def notify(db: Database, to: str | None = None) -> None:
    """Tell the engine on channel ``to`` (default: every engine of this exchange) that
    something happened (PostgreSQL only)."""
    try:
        with db.engine.connect() as connection:
            connection.execute(text(f"NOTIFY {to or channel(db.url)}"))
            connection.commit()
    except Exception as exc:  # the engine's poll still picks the change up
        log.warning("could not notify the engine: %s", exc.__class__.__name__)


class Notifier:
    """A web process's wake-ups, sent by a thread of its own: a webhook only raises a flag, so
    its answer to the carrier waits for no connection, NOTIFY and commit of its own (three
    round trips, each a wait for the interpreter's lock in a busy process), and the wake-ups
    of a burst of webhooks go out as one NOTIFY. The flag is raised after the webhook's
    transaction committed, so the engine that wakes sees its change. Each NOTIFY goes to the
    next engine process in turn (all of them while none has a heartbeat)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._engines: list[str] = []
        self._engines_read = float("-inf")
        self._turn = 0
        self._wanted = False
        self._due = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def request(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="bhc-notify",
                                                daemon=True)
                self._thread.start()
        self._wanted = True
        self._due.set()

    def stop(self) -> None:
        """Stop, after sending a wake-up still wanted."""
        self._stop.set()
        self._due.set()
        if self._thread is not None:
            self._thread.join(timeout=JOIN_TIMEOUT_S)

    def _run(self) -> None:
        while True:
            self._due.wait()
            self._due.clear()
            if self._wanted:
                # Cleared before sending: a request from now on is covered by this NOTIFY,
                # which goes out after its transaction committed.
                self._wanted = False
                notify(self.db, self._next_channel())
            if self._stop.is_set():
                return

    def _next_channel(self) -> str | None:
        """The channel of the engine whose turn it is to be woken; None: every engine's."""
        if time.monotonic() - self._engines_read >= ENGINES_EVERY_S:
            self._engines_read = time.monotonic()
            try:
                with self.db.session() as session:
                    self._engines = list(session.scalars(
                        heartbeat.live_ids(utcnow(), AWAKE_WITHIN).order_by(EngineProcess.id)))
            except Exception as exc:  # the database is away: so is the NOTIFY, which says so
                log.debug("could not read the engines to wake: %s", exc.__class__.__name__)
                self._engines = []
        if not self._engines:
            return None
        self._turn += 1
        return engine_channel(self.db.url, self._engines[self._turn % len(self._engines)])


def libpq_conninfo(url: str) -> str:
    """The SQLAlchemy URL as a libpq connection string (query options such as a search_path
    are kept)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class Listener:
    """A thread that calls ``on_wake`` whenever a NOTIFY arrives on the exchange's channel, or
    on the channel of engine ``engine_id``."""

    def __init__(self, url: str, on_wake: Callable[[], None],
                 engine_id: str | None = None) -> None:
        self.conninfo = libpq_conninfo(url)
        self.channels = [channel(url)]
        if engine_id is not None:
            self.channels.append(engine_channel(url, engine_id))
        self.on_wake = on_wake
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bhc-listen", daemon=True)
        self.listening = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=JOIN_TIMEOUT_S)

    def _run(self) -> None:
        delay = RECONNECT_FIRST_S
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True) as connection:
                    for name in self.channels:
                        connection.execute(f"LISTEN {name}")
                    self.listening.set()
                    delay = RECONNECT_FIRST_S
                    # Anything may have happened while we were not listening.
                    self.on_wake()
                    while not self._stop.is_set():
                        if any(True for _ in connection.notifies(timeout=LISTEN_TIMEOUT_S)):
                            self.on_wake()
            except Exception as exc:
                self.listening.clear()
                if self._stop.is_set():
                    return
                log.warning("engine wake-up listener lost its connection (%s); retrying in "
                            "%.1f s", exc.__class__.__name__, delay)
                self._stop.wait(delay)
                delay = min(delay * 2, RECONNECT_MAX_S)
