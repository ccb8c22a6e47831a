"""bhc backup while the exchange runs, and bhc restore once it is stopped, as an operator runs
them: commands in processes of their own next to the running exchange."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from bhc.db import Database
from bhc.models import CallLeg, HelpRequest
from tests.e2e.conftest import RING_WINDOW_S, TIME_SCALE, running

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def bhc(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bhc.cli", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=120,
                          env={**os.environ, "BHC_DATABASE_URL": url})


@pytest.fixture
def live(sqlite_template, tmp_path):
    path = tmp_path / "bhc.sqlite3"
    shutil.copy(sqlite_template, path)
    yield from running(f"sqlite:///{path}",
                       matching={"ring_timeout_s": math.ceil(RING_WINDOW_S / TIME_SCALE)})


def request_ids(url: str) -> dict[int, str]:
    database = Database(url)
    try:
        with database.session() as session:
            return dict(session.execute(select(HelpRequest.id, HelpRequest.state)).all())
    finally:
        database.dispose()


def test_a_backup_taken_during_a_live_search_restores_every_request(live, tmp_path):
    url = live.config.database.url
    sid = live.dial()
    live.choose(sid, "1")
    live.wait_until(lambda net: any(c["status"] == "ringing" for c in live.calls_to(
        "+31612340001") + live.calls_to("+31612340002") + live.calls_to("+31612340003")))
    before = request_ids(url)
    assert "searching" in before.values()

    backup = tmp_path / "nightly.sqlite3"
    made = bhc(url, "backup", str(backup))
    assert made.returncode == 0, made.stderr
    after = request_ids(url)

    refused = bhc(url, "restore", str(backup))
    assert refused.returncode != 0 and "in use" in refused.stderr

    live.stop()
    live.exchange = None  # stopped: the fixture has nothing left to stop
    restored = bhc(url, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    found = request_ids(url)
    assert set(before) <= set(found) <= set(after)
    assert found[max(before)] == "searching"
    database = Database(url)
    with database.session() as session:
        assert session.scalars(select(CallLeg).where(
            CallLeg.request_id == max(before))).all(), "the ringing volunteer's leg is there"
    database.dispose()


def test_postgresql_is_pointed_to_pg_dump_and_a_bad_file_is_not_restored(tmp_path):
    pg = "postgresql+psycopg://bhc:secret@db.example/bhc"
    answer = bhc(pg, "backup", str(tmp_path / "x"))
    assert answer.returncode != 0 and "pg_dump" in answer.stderr and "secret" not in answer.stderr
    junk = tmp_path / "junk.sqlite3"
    junk.write_text("not a database")
    answer = bhc(f"sqlite:///{tmp_path / 'bhc.sqlite3'}", "restore", str(junk))
    assert answer.returncode != 0 and "not" in answer.stderr
    assert not (tmp_path / "bhc.sqlite3").exists()
