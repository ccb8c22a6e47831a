"""The strategies benchmark on a tiny neighbourhood: its figures are plausible and repeatable."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from matching.fairness import gini
from matching.policy import LegOutcome, Limits


def _load_benchmark():
    """benchmarks/ is scripts, not a package: load the module from its file."""
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "strategies.py"
    spec = importlib.util.spec_from_file_location("strategies_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


strategies = _load_benchmark()

TINY = strategies.Scenario("tiny", acceptance=0.3, requests_per_month=60, volunteers=25)
DAYS = 10


def run(limits: Limits, seed: int = 5) -> tuple[strategies.Simulation, strategies.Result]:
    volunteers = strategies.population(TINY, seed)
    requests = strategies.arrivals(TINY, volunteers, DAYS, seed)
    simulation = strategies.Simulation(volunteers, requests, limits, seed)
    return simulation, simulation.run(DAYS)


@pytest.fixture(scope="module")
def runs():
    return {name: run(limits) for name, limits in strategies.STRATEGIES.items()}


def test_figures_are_plausible(runs):
    for _, result in runs.values():
        assert result.requests > 5
        assert 0 <= result.match_rate <= 1
        assert result.matched <= result.calls
        assert 0 <= result.gini <= 1
        assert all(t > 0 for t in result.times_to_match)
        assert result.unwanted == result.calls - result.matched


def test_each_request_is_matched_at_most_once_and_never_rings_anyone_twice(runs):
    for simulation, _ in runs.values():
        for search in simulation.searches.values():
            outcomes = [leg.outcome for leg in search.legs]
            assert outcomes.count(LegOutcome.ACCEPTED) == (search.matched_s is not None)
            rung = [leg.volunteer_id for leg in search.legs]
            assert len(rung) == len(set(rung))
            assert search.request.caller_id not in rung
            assert None not in outcomes, "a call was left ringing after the search ended"


def test_sequential_never_has_two_calls_live_and_waves_stay_within_their_size(runs):
    sequential, waves = runs["sequential"][1], runs["waves k=3"][1]
    assert sequential.max_live_legs == 1 and sequential.taken_while_listening == 0
    assert waves.max_live_legs <= 3


def test_same_seed_gives_the_same_figures_and_another_seed_does_not():
    limits = strategies.STRATEGIES["waves k=2"]
    first, again, other = run(limits)[1], run(limits)[1], run(limits, seed=6)[1]
    assert first == again
    assert first != other


def test_pooled_runs_add_up():
    results = [run(Limits(), seed)[1] for seed in (1, 2)]
    both = strategies.pooled(results)
    assert both.requests == sum(r.requests for r in results)
    assert both.volunteers == 2 * TINY.volunteers


def test_gini_is_zero_for_equal_counts_and_high_when_one_gets_all():
    assert gini([3, 3, 3]) == 0
    assert gini([]) == 0 and gini([0, 0]) == 0
    assert gini([0, 0, 0, 10]) == pytest.approx(0.75)
