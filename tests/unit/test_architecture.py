"""The rooms keep their dependencies pointing inward (DESIGN §2)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def modules_loaded_by(package: str) -> set[str]:
    """Top-level modules a fresh interpreter has loaded after importing every module of
    ``package``."""
    names = sorted(p.stem for p in (ROOT / package).glob("*.py") if p.stem != "__init__")
    script = (f"import sys, importlib\n"
              f"for name in {names!r}: importlib.import_module('{package}.' + name)\n"
              f"print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                            text=True, check=True)
    return set(result.stdout.split())


def test_the_matching_core_needs_no_web_telephony_or_database_library():
    loaded = modules_loaded_by("matching")
    assert not loaded & {"flask", "twilio", "sqlalchemy", "bhc", "ivr", "admin_ui"}


def test_the_core_services_do_not_reach_into_the_edges():
    """bhc may not import the web UI; only its composition root and app factory know ivr."""
    offenders = []
    for path in sorted((ROOT / "bhc").glob("*.py")):
        if path.stem in ("app", "bootstrap", "wsgi", "cli", "demo"):
            continue
        text = path.read_text(encoding="utf-8")
        if "from admin_ui" in text or "import admin_ui" in text or "from ivr" in text:
            offenders.append(path.name)
    assert offenders == []
