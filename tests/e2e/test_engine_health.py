"""/healthz follows the engine process: SIGKILL the only engine and the exchange is reported
failing within [server] engine_stale_after_s; start another and it is healthy again."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bhc import config as config_module
from bhc.app import create_app
from bhc.bootstrap import build

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
STALE_AFTER_S = 3.0
DEADLINE_S = 90.0  # for a process to start on a loaded machine


def start_worker(url: str, logs: Path) -> subprocess.Popen:
    with open(logs, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "bhc.cli", "worker"], cwd=ROOT, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "BHC_DATABASE_URL": url, "BHC_MATCHING_POLL_INTERVAL_S": "0.2",
                 "BHC_SERVER_ENGINE_STALE_AFTER_S": str(STALE_AFTER_S)})


def wait_for(client, status: int, deadline_s: float, stepped: bool = False) -> tuple[float, dict]:
    """Poll /healthz until it answers ``status`` (and, if ``stepped``, reports an engine step
    finished lately, not merely an engine started); returns how long that took and the
    answer."""
    started = time.monotonic()
    while True:
        answer = client.get("/healthz")
        last_step_s = answer.json["engine_last_step_s"]
        if answer.status_code == status and (
                not stepped or (last_step_s is not None and last_step_s < STALE_AFTER_S)):
            return time.monotonic() - started, answer.json
        assert time.monotonic() - started < deadline_s, f"/healthz stayed {answer.json}"
        time.sleep(0.05)


def test_healthz_fails_within_the_limit_after_the_engine_is_killed_and_recovers(
        sqlite_template, tmp_path):
    path = tmp_path / "bhc.sqlite3"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    exchange = build(config_module.from_mapping({
        "database": {"url": url}, "server": {"engine_stale_after_s": STALE_AFTER_S}}))
    client = create_app(exchange).test_client()
    workers = [start_worker(url, tmp_path / "worker.log")]
    try:
        _, healthy = wait_for(client, 200, DEADLINE_S, stepped=True)
        assert healthy["engine"] == "ok" and healthy["engines"] == 1

        os.killpg(workers[0].pid, signal.SIGKILL)
        workers[0].wait(30)
        took, failing = wait_for(client, 503, DEADLINE_S)
        assert took <= STALE_AFTER_S + 0.5, f"503 only {took:.1f} s after the kill"
        assert failing["database"] == "ok" and failing["engine"] == "stale"
        assert failing["engine_last_step_s"] >= STALE_AFTER_S

        workers.append(start_worker(url, tmp_path / "worker.log"))
        _, back = wait_for(client, 200, DEADLINE_S, stepped=True)
        assert back["engine"] == "ok" and back["engines"] == 1
    except BaseException:
        print((tmp_path / "worker.log").read_text(errors="replace")[-3000:])
        raise
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(30)
        exchange.stop()
