"""Cross-process wake-ups on PostgreSQL: a web worker's NOTIFY reaches the engine's listener."""

from __future__ import annotations

import threading

import pytest

from bhc.db import Database
from bhc.wakeup import Listener, libpq_conninfo, notify

# A NOTIFY arrives in milliseconds; the deadline only bounds a failing test on a loaded machine.
# Nothing but a notification (or a reconnection, which these tests would see) calls on_wake.
DEADLINE_S = 30


@pytest.fixture
def postgres(postgres_schema):
    db = Database(postgres_schema)
    yield db
    db.dispose()


def test_a_notification_wakes_the_listener_at_once(postgres):
    woken = threading.Event()
    calls = []

    def on_wake():
        calls.append(1)
        if len(calls) > 1:  # the first call comes on connecting: catch up on what was missed
            woken.set()

    listener = Listener(postgres.url, on_wake)
    listener.start()
    try:
        assert listener.listening.wait(DEADLINE_S)
        notify(postgres)
        assert woken.wait(DEADLINE_S), "the NOTIFY did not reach the listener"
    finally:
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
