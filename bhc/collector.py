"""Garbage-collection pauses of a long-running process.

A full collection walks every object the interpreter tracks, and most of them are what
startup made (modules, mappers, the app, the config), which live as long as the process. Each
such collection stopped every webhook thread at once: four times in a run of
``benchmarks/load.py`` on SQLite, 160 ms each, a good part of the webhooks' p99. Startup's
objects go to the permanent generation, which collections skip (``gc.freeze``), leaving them
only what the calls themselves make.
"""

from __future__ import annotations

import gc


def freeze_startup() -> None:
    """Call once startup is done, just before serving or stepping."""
    gc.collect()
    gc.freeze()
