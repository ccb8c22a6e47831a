"""The rooms keep their dependencies pointing inward (docs/architecture.md, "Rooms").

Imports are read from the source of every module in the tree, including imports inside
functions, so a module moved into a sub-package is checked as well as one at the top.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EDGES = {"flask", "flask_babel", "flask_login", "flask_wtf", "werkzeug", "ivr", "admin_ui"}
# Only these may reach the edges: they compose the exchange or are entry points.
ENTRY_POINTS = {"bhc.app", "bhc.wsgi", "bhc.bootstrap", "bhc.cli", "bhc.demo"}


def modules(package: str) -> dict[str, Path]:
    """Every module of ``package`` by its dotted name, sub-packages included."""
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imported(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) for every import statement in the file, at any depth."""
    result = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            result += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            result.append((node.module, [alias.name for alias in node.names]))
    return result


def top(module: str) -> str:
    return module.split(".")[0]


def test_the_walk_sees_the_feature_packages():
    """Guards the guard: a walk that read only top-level files would pass vacuously."""
    names = modules("bhc")
    assert {"bhc.calls.caller", "bhc.calls.models", "bhc.people.roster",
            "bhc.reports.monthly", "bhc.cli.main"} <= set(names)
    assert len(names) > 60


def test_the_matching_core_needs_no_web_telephony_or_database_library():
    offenders = {name: module for name, path in modules("matching").items()
                 for module, _ in imported(path)
                 if top(module) in EDGES | {"twilio", "sqlalchemy", "bhc"}}
    assert offenders == {}


def test_importing_the_matching_core_loads_no_such_library():
    names = sorted(modules("matching"))
    script = ("import sys, importlib\n"
              f"for name in {names!r}: importlib.import_module(name)\n"
              "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                            text=True, check=True)
    assert not set(result.stdout.split()) & (EDGES | {"twilio", "sqlalchemy", "bhc"})


def test_features_do_not_reach_into_the_edges():
    """Feature packages and shared modules of bhc import neither Flask nor ivr nor admin_ui
    (nor twilio: the carrier is a port); only the entry points may."""
    offenders = {}
    for name, path in modules("bhc").items():
        if any(name == entry or name.startswith(entry + ".") for entry in ENTRY_POINTS):
            continue
        bad = sorted({module for module, _ in imported(path)
                      if top(module) in EDGES | {"twilio"}})
        if bad:
            offenders[name] = bad
    assert offenders == {}


def test_no_module_takes_a_private_name_from_another():
    offenders = []
    for package in ("bhc", "ivr", "admin_ui", "matching"):
        for name, path in modules(package).items():
            for module, names in imported(path):
                if top(module) not in ("bhc", "ivr", "admin_ui", "matching"):
                    continue
                offenders += [f"{name} imports {module}.{n}" for n in names
                              if n.startswith("_") and not n.startswith("__")]
    assert offenders == []
