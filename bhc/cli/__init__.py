"""The ``bhc`` command line (entry point ``bhc.cli:main``): one module per command group."""

from bhc.cli import (  # noqa: F401 (each module registers its commands on main)
    database,
    neighbourhoods,
    numbers,
    people,
    reports,
    running,
    surveys,
    users,
)
from bhc.cli.main import main

__all__ = ["main"]
