"""Database access: one engine per process, one session per request or engine step."""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Iterator

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, MetaData, create_engine, event, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
# A pooled connection back in use within this long has just proved itself; one idle for longer
# is pinged first (the database may have restarted or a firewall dropped it meanwhile).
PING_AFTER_IDLE_S = 5.0
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The one declarative base of every feature's models (``bhc.models`` gathers them)."""

    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> datetime:
    """Naive UTC, the form every timestamp is stored in."""
    return datetime.now(UTC).replace(tzinfo=None)


def _tune_sqlite(engine: Engine) -> None:
    """WAL and a busy timeout let webhook threads and the engine share one SQLite file."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


def _ping_after_idle(engine: Engine) -> None:
    """pool_pre_ping pings on every checkout: one more round trip on every webhook, which under
    load waits its turn like any statement. A ping only after idleness finds the same stale
    connections (a restart, a dropped socket) before a request uses them; raising
    DisconnectionError from a checkout listener makes the pool replace the connection and try
    again (SQLAlchemy, "Core Events: PoolEvents.checkout")."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy):
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # noqa: BLE001 - any failure means: not this connection
            raise DisconnectionError(f"stale pooled connection: {exc}") from exc


class Database:
    def __init__(self, url: str, *, role: str | None = None, **engine_options) -> None:
        """``role`` names the process in PostgreSQL's pg_stat_activity (application_name)."""
        self.url = url
        if url.startswith("sqlite"):
            engine_options.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
            # One connection per server thread: opening one per request costs its PRAGMAs.
            engine_options.setdefault("pool_size", 20)
            engine_options.setdefault("max_overflow", 20)
            self.engine = create_engine(url, **engine_options)
            _tune_sqlite(self.engine)
        else:
            if role is not None:  # a copy: the caller's connect_args stay theirs
                engine_options["connect_args"] = {
                    "application_name": f"bhc {role} {os.getpid()}",
                    **engine_options.get("connect_args", {})}
            engine_options.setdefault("pool_size", 10)
            engine_options.setdefault("max_overflow", 20)
            self.engine = create_engine(url, **engine_options)
            _ping_after_idle(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        with self.sessions() as session, session.begin():
            yield session

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def upgrade(self, revision: str = "head") -> None:
        """Bring the schema up to date through Alembic."""
        with self.engine.begin() as connection:
            alembic_config = alembic_config_for(self.url)
            alembic_config.attributes["connection"] = connection
            command.upgrade(alembic_config, revision)

    def dispose(self) -> None:
        self.engine.dispose()


def fresh_schema(url: str, schema: str) -> str:
    """An empty PostgreSQL schema of its own (for a test run or a benchmark); returns a URL
    whose connections work in it."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def drop_schema(url: str, schema: str) -> None:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def alembic_config_for(url: str) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config
