"""Backups of a SQLite database while the exchange runs, and restoring one.

A backup goes through SQLite's online backup API: one consistent copy, even while webhooks and
the engine write (WAL lets them go on meanwhile). PostgreSQL has its own tools (pg_dump,
pg_restore); for it these functions say so rather than half-doing it.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

from bhc.db import Database, utcnow
from bhc.engines import heartbeat

# The byte of a WAL database's -shm file that every open connection holds a shared lock on
# (SQLite's "dead man switch", os_unix.c UNIX_SHM_DMS = (22 + 8) * 4 + 8).
SHM_DMS_BYTE = 128
# What a backup must hold to be one of ours: Alembic's version and the requests.
REQUIRED_TABLES = {"alembic_version", "help_requests"}


class BackupError(Exception):
    """The backup or restore cannot be done; the message says why and what to do."""


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL; None for any other database."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(parsed.database)


def postgres_hint(url: str, verb: str) -> str:
    """What to run instead, for PostgreSQL (the password left out)."""
    parsed = make_url(url).set(drivername="postgresql")
    address = parsed.render_as_string(hide_password=True)
    if verb == "backup":
        return ("the database is PostgreSQL: back it up with pg_dump, e.g. "
                f"pg_dump --format=custom --file=bhc.dump '{address}'")
    return ("the database is PostgreSQL: stop bhc first, then restore with pg_restore, e.g. "
            f"pg_restore --clean --if-exists --dbname='{address}' bhc.dump")


def backup(url: str, target: Path) -> None:
    """A consistent copy of the database at ``url`` in ``target`` (written whole, or not)."""
    source = sqlite_file(url)
    if source is None:
        raise BackupError(postgres_hint(url, "backup"))
    if not source.exists():
        raise BackupError(f"there is no database at {source}")
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    _copy(source, partial)
    os.replace(partial, target)


def restore(url: str, backup_file: Path, stale_after_s: float) -> None:
    """Put the backup in place of the database at ``url``, which nobody may be using."""
    target = sqlite_file(url)
    if target is None:
        raise BackupError(postgres_hint(url, "restore"))
    _check_is_backup(backup_file)
    if target.exists():
        _refuse_if_in_use(url, target, stale_after_s)
    _copy(backup_file, target)


def _copy(source: Path, target: Path) -> None:
    """SQLite's online backup API, all pages in one step: a snapshot of one moment."""
    reader = sqlite3.connect(source, timeout=30)
    try:
        writer = sqlite3.connect(target, timeout=30)
        try:
            reader.backup(writer)
        finally:
            writer.close()
    except sqlite3.Error as exc:
        raise BackupError(f"copying {source} to {target} failed: {exc}") from None
    finally:
        reader.close()


def _check_is_backup(path: Path) -> None:
    if not path.is_file():
        raise BackupError(f"there is no backup at {path}")
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = {row[0] for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            problem = connection.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{path} is not a SQLite database: {exc}") from None
    if not REQUIRED_TABLES <= tables:
        raise BackupError(f"{path} is not a backup of the exchange (it has no help requests)")
    if problem != "ok":
        raise BackupError(f"{path} is damaged: {problem}")


def _refuse_if_in_use(url: str, path: Path, stale_after_s: float) -> None:
    if _held_open(path):
        raise BackupError(f"{path} is in use (a process has it open): stop bhc serve, bhc "
                          "worker and the web server first")
    db = Database(url)
    try:
        with db.session() as session:
            alive = heartbeat.live(session, utcnow(), timedelta(seconds=stale_after_s))
    except Exception:  # not our schema, or damaged: nothing there is running anyway
        alive = []
    finally:
        db.dispose()
    if alive:
        raise BackupError(f"{path} is in use by the engine on {alive[0].host} (pid "
                          f"{alive[0].pid}), which stepped within {stale_after_s:g} s: stop it "
                          "first")


def _held_open(path: Path) -> bool:
    """Whether another process has the WAL database open: it holds a shared lock on the
    dead-man-switch byte of the -shm file, which an exclusive lock then cannot get."""
    shm = path.with_name(path.name + "-shm")
    try:
        fd = os.open(shm, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, SHM_DMS_BYTE)
    except OSError:
        return True
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, SHM_DMS_BYTE)
        return False
    finally:
        os.close(fd)
