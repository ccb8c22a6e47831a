"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from ``BHC_TEST_POSTGRES_URL`` (default: the local server CI provides). Where it
cannot be reached the PostgreSQL variants are skipped, except under CI, where that is an error.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text

from bhc import config as config_module
from bhc import logs
from bhc.db import Database, drop_schema, fresh_schema
from bhc.models import Base

POSTGRES_URL = os.environ.get(
    "BHC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SCHEMA = f"bhc_test_{os.getpid()}"
# The fake carrier of the service and webhook tests has no calls-per-second limit: the engine
# need not pace its calls to it (tests/e2e pace theirs to the simulated carrier's).
FAKE_CARRIER_CPS = 1000

# Property tests judge what the code does, never how fast a loaded machine runs it: no
# per-example deadline and no health check on the time examples take to generate.
settings.register_profile("bhc", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("bhc")


@pytest.fixture(autouse=True)
def _no_cli_log_handler_left_behind():
    """The CLI puts its log handler on the root logger (``bhc.logs.configure``); without this,
    threads outliving a test that ran it print every later test's logs to the terminal."""
    level = logging.getLogger().level
    yield
    logs.unconfigure()
    logging.getLogger().setLevel(level)


@pytest.fixture(autouse=True)
def _queries_built_afresh_under_mutmut():
    """`make mutants` judges a mutant of the code that builds a cached query only where the
    query is built, and runs each mutant in a process forked after the clean run: there, every
    test builds its own."""
    if os.environ.get("MUTANT_UNDER_TEST"):
        from bhc.calls import candidates

        candidates._statement.cache_clear()


def _postgres_available() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL)
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure to connect means: no PostgreSQL here
        return str(exc).splitlines()[0]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """One migrated SQLite file, copied for each test (much faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    database = Database(f"sqlite:///{path}")
    database.upgrade()
    database.dispose()
    return path


def require_postgres() -> None:
    """Skip where PostgreSQL cannot be reached, except under CI, where that is an error."""
    problem = _postgres_available()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required under CI but unreachable: {problem}")
        pytest.skip(f"PostgreSQL not reachable: {problem}")


def migrated_postgres_schema(schema: str) -> Database:
    """A fresh, migrated PostgreSQL schema of this name (drop it with drop_schema)."""
    require_postgres()
    database = Database(fresh_schema(POSTGRES_URL, schema))
    database.upgrade()
    return database


@pytest.fixture(scope="session")
def postgres_schema():
    database = migrated_postgres_schema(SCHEMA)
    url = database.url
    database.dispose()
    yield url
    drop_schema(POSTGRES_URL, SCHEMA)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "bhc.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_schema")
    emptied(url)
    return url


def emptied(url: str) -> None:
    """Every table of the schema empty and every id counting from 1 again.

    DELETE, children first, and a reset of the sequences take a fifth of the time of TRUNCATE
    on tables this small (TRUNCATE gives each table new files), and every PostgreSQL test
    pays it."""
    deletes = "; ".join(f'DELETE FROM "{t.name}"' for t in reversed(Base.metadata.sorted_tables))
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(deletes))
        connection.execute(text(
            "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false) "
            "FROM pg_sequences WHERE schemaname = current_schema()"))
    engine.dispose()


@pytest.fixture
def database(database_url):
    db = Database(database_url)
    yield db
    db.dispose()


@pytest.fixture
def config(database_url):
    return config_module.from_mapping({
        "database": {"url": database_url},
        # reconnect_hours 0: a caller phoning again after a match hears the menu at once, as
        # tests not about reconnections expect (tests/integration/calls/test_reconnections.py
        # turns the offer on).
        "matching": {"quiet_hours": "", "strategy": "sequential", "reconnect_hours": 0},
        "twilio": {"calls_per_second": FAKE_CARRIER_CPS},
    })
