"""Hypothesis profiles for the unit tests (select one with HYPOTHESIS_PROFILE).

- ``dev`` (the default on a developer's machine): random examples, remembered in .hypothesis/ so
  that a failure found once is tried first next time.
- ``ci`` (the default where ``CI`` is set): the same examples on every run (``derandomize``) and no
  example database, so a run passes or fails the same way each time.
- ``mutants`` (``make mutants``): as ``ci``, so that every mutant is judged by the same examples.

Hypothesis profiles are process-wide: the profile chosen here applies to every test of the run.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, database=None,
                          print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("mutants", parent=settings.get_profile("ci"))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI")
                                                               else "dev"))
