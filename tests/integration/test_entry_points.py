"""Every process the exchange runs as maps all models before its first query, whatever it
imported: a `bhc worker` once crashed at start because AuditLog's User was never imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120,
                          env={"BHC_DATABASE_URL": f"sqlite:///{tmp_path / 'bhc.sqlite3'}",
                               "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def migrated(tmp_path: Path) -> None:
    """The schema, made in a process of its own (Alembic's env imports every model itself)."""
    done = run("from bhc import config\nfrom bhc.db import Database\n"
               "Database(config.load().database.url).upgrade()\n", tmp_path)
    assert done.returncode == 0, done.stderr


def test_an_engine_process_built_by_the_composition_root_registers_itself(tmp_path):
    migrated(tmp_path)
    result = run("from bhc import config\n"
                 "from bhc.bootstrap import build\n"
                 "exchange = build(config.load())\n"
                 "print(exchange.engine.register())\n", tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip()) == 32


def test_the_command_line_reports_on_a_fresh_database(tmp_path):
    migrated(tmp_path)
    code = ("import sys\n"
            "from bhc.cli import main\n"
            "sys.argv = ['bhc', 'report', '--month', '2026-10']\n"
            "main()\n")
    result = run(code, tmp_path)
    assert result.returncode == 0, result.stderr
    assert '"month": "2026-10"' in result.stdout
