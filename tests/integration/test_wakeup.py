"""Cross-process wake-ups on PostgreSQL: a web worker's NOTIFY reaches the engine's listener."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest

from bhc import wakeup
from bhc.db import Database, utcnow
from bhc.engines import heartbeat
from bhc.wakeup import Listener, Notifier, libpq_conninfo, notify

# A NOTIFY arrives in milliseconds; the deadline only bounds a failing test on a loaded machine.
# Nothing but a notification (or a reconnection, which these tests would see) calls on_wake.
DEADLINE_S = 30


@pytest.fixture
def postgres(postgres_schema):
    db = Database(postgres_schema)
    yield db
    db.dispose()


def woken_after_catching_up() -> tuple[threading.Event, Callable[[], None]]:
    """An event set by a listener's second wake-up: the first comes on connecting, to catch
    up on what was missed, so only a later one shows a notification arrived."""
    woken = threading.Event()
    calls = []

    def on_wake():
        calls.append(1)
        if len(calls) > 1:
            woken.set()

    return woken, on_wake


def listening(postgres, on_wake) -> Listener:
    listener = Listener(postgres.url, on_wake)
    listener.start()
    assert listener.listening.wait(DEADLINE_S)
    return listener


def test_a_notification_wakes_the_listener_at_once(postgres):
    woken, on_wake = woken_after_catching_up()
    listener = listening(postgres, on_wake)
    try:
        notify(postgres)
        assert woken.wait(DEADLINE_S), "the NOTIFY did not reach the listener"
    finally:
        listener.stop()


@contextmanager
def notifier_heard(postgres) -> Iterator[tuple[threading.Event, Notifier]]:
    """A web worker's notifier, and the event a listener sets once a notification arrived."""
    woken, on_wake = woken_after_catching_up()
    listener = listening(postgres, on_wake)
    notifier = Notifier(postgres)
    try:
        yield woken, notifier
    finally:
        notifier.stop()
        listener.stop()


def test_a_web_workers_wake_ups_reach_the_listener_from_its_notifier_thread(postgres):
    with notifier_heard(postgres) as (woken, notifier):
        for _ in range(20):  # a burst of webhooks: each only raises the flag
            notifier.request()
        assert woken.wait(DEADLINE_S), "the notifier's NOTIFY did not reach the listener"


def test_a_stopping_notifier_still_sends_the_wake_up_it_was_asked_for(postgres):
    with notifier_heard(postgres) as (woken, notifier):
        notifier.request()
        notifier.stop()
        assert woken.wait(DEADLINE_S), "the last wake-up was lost on stopping"



class Counted:
    """A listener's wake-ups after its first (catching up on connecting), and a condition to
    wait on for a given total over several of them."""

    def __init__(self, changed: threading.Condition) -> None:
        self.changed = changed
        self.calls = 0

    @property
    def woken(self) -> int:
        return max(0, self.calls - 1)

    def __call__(self) -> None:
        with self.changed:
            self.calls += 1
            self.changed.notify_all()


def test_each_wake_up_goes_to_one_live_engine_in_turn_and_none_to_a_silent_one(postgres,
                                                                               monkeypatch):
    # Generous, so that a slow machine's pauses never make the live engines look silent.
    monkeypatch.setattr(wakeup, "AWAKE_WITHIN", timedelta(hours=1))
    now = utcnow()
    with postgres.session() as session:
        live = [heartbeat.register(session, now) for _ in range(2)]
        silent = heartbeat.register(session, now - timedelta(hours=2))
    changed = threading.Condition()
    counts = {engine_id: Counted(changed) for engine_id in [*live, silent]}
    listeners = [Listener(postgres.url, counts[engine_id], engine_id=engine_id)
                 for engine_id in counts]
    for listener in listeners:
        listener.start()
    notifier = Notifier(postgres)
    try:
        for listener in listeners:
            assert listener.listening.wait(DEADLINE_S)
        with changed:
            assert changed.wait_for(lambda: all(c.calls for c in counts.values()), DEADLINE_S)
        for sent in range(1, 5):
            notifier.request()
            with changed:
                assert changed.wait_for(
                    lambda: sum(c.woken for c in counts.values()) >= sent, DEADLINE_S)
        assert [counts[engine_id].woken for engine_id in live] == [2, 2]
        assert counts[silent].woken == 0
    finally:
        notifier.stop()
        for listener in listeners:
            listener.stop()


def test_the_listener_reconnects_after_losing_its_connection(postgres):
    woken = threading.Event()
    listener = Listener(postgres.url, woken.set)
    listener.conninfo = "postgresql://nobody@127.0.0.1:1/none"  # unreachable at first
    listener.start()
    try:
        assert not listener.listening.wait(0.3)  # unreachable: it cannot listen, however long
        listener.conninfo = libpq_conninfo(postgres.url)
        assert listener.listening.wait(DEADLINE_S), "the listener did not reconnect"
        assert woken.wait(DEADLINE_S), "no catching up after reconnecting"
    finally:
        listener.stop()


def test_notify_without_a_reachable_database_only_logs(caplog):
    db = Database("postgresql+psycopg://nobody@127.0.0.1:1/none")
    notify(db)
    assert "could not notify the engine" in caplog.text


def test_the_conninfo_keeps_the_search_path_option():
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dx"
    assert libpq_conninfo(url).startswith("postgresql://postgres@127.0.0.1:5432/test?options=")
