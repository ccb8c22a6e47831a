"""PostgreSQL connections: a pooled connection that went stale while idle (a database restart, a
dropped socket) is replaced before a request uses it, without a ping on every checkout; each
process names itself in pg_stat_activity."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from bhc import db as db_module
from bhc.db import Database
from tests.conftest import POSTGRES_URL, require_postgres


@pytest.fixture
def postgres(postgres_schema):
    require_postgres()
    database = Database(postgres_schema, role="worker", pool_size=1, max_overflow=0)
    pings = []
    real_ping = database.engine.dialect.do_ping
    database.engine.dialect.do_ping = lambda connection: pings.append(1) or real_ping(connection)
    yield database, pings
    database.dispose()


def backend_pid(database: Database) -> int:
    with database.session() as session:
        return session.scalar(text("select pg_backend_pid()"))


def test_a_connection_back_in_use_at_once_is_not_pinged(postgres):
    database, pings = postgres
    first = backend_pid(database)
    assert [backend_pid(database) for _ in range(5)] == [first] * 5
    assert pings == []


def test_a_connection_killed_while_idle_is_replaced_before_use(postgres, monkeypatch):
    database, pings = postgres
    first = backend_pid(database)
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        assert connection.scalar(text("select pg_terminate_backend(:pid)"), {"pid": first})
    admin.dispose()
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_S", 0.0)  # it has been idle long enough

    second = backend_pid(database)  # no OperationalError: the pool found it stale

    assert second != first
    assert pings == [1]


def test_each_process_names_itself_to_the_database(postgres):
    database, _ = postgres
    with database.session() as session:
        name = session.scalar(text("select current_setting('application_name')"))
    assert name.startswith("bhc worker ")
