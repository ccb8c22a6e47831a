"""Survey statistics worked out by hand (means with Student's t intervals, Welch's difference,
suppression of groups under 5), scale scores, the shareable rows and the [survey] config."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest

from bhc.config import ConfigError, from_mapping
from bhc.surveys.services import score, shareable_rows, wave_date
from bhc.surveys.stats import Moments, group, t_quantile, welch_difference


def moments(*scores: float) -> Moments:
    return Moments(len(scores), sum(scores), sum(s * s for s in scores))


@pytest.mark.parametrize("df, expected", [
    (1, 12.7062), (2, 4.3027), (4, 2.7764), (8, 2.3060), (9, 2.2622), (29, 2.0452),
    (100_000, 1.9600),
])
def test_the_t_quantile_matches_the_printed_table(df, expected):
    assert t_quantile(0.975, df) == pytest.approx(expected, abs=5e-5)


def test_a_non_integer_df_lies_between_its_neighbours():
    assert t_quantile(0.975, 6) > t_quantile(0.975, 6.68) > t_quantile(0.975, 7)


def test_a_groups_mean_and_interval_worked_out_by_hand():
    # 2, 3, 3, 4, 5: mean 3.4; squared deviations 1.96 + 0.16 + 0.16 + 0.36 + 2.56 = 5.2,
    # variance 5.2 / 4 = 1.3, standard error sqrt(1.3 / 5) = 0.5099; t(0.975, 4) = 2.7764,
    # half width 1.4157: 1.98 to 4.82.
    assert group(moments(2, 3, 3, 4, 5)) == {"n": 5, "mean": 3.4, "ci95": [1.98, 4.82]}


def test_a_group_under_five_keeps_its_size_but_shows_no_mean():
    assert group(moments(5, 5, 5, 5)) == {"n": 4, "mean": None, "ci95": None}
    assert group(Moments()) == {"n": 0, "mean": None, "ci95": None}


def test_welchs_difference_worked_out_by_hand():
    # 2, 3, 3, 4, 5 (mean 3.4) against 1, 2, 2, 3, 4 (mean 2.4), both variance 1.3:
    # standard error sqrt(0.26 + 0.26) = 0.7211; df = 0.52^2 / (2 * 0.26^2 / 4) = 8;
    # t(0.975, 8) = 2.3060, half width 1.6629: -0.66 to 2.66.
    assert welch_difference(moments(2, 3, 3, 4, 5), moments(1, 2, 2, 3, 4)) == {
        "difference": 1.0, "ci95": [-0.66, 2.66], "df": 8.0}


def test_welch_with_unequal_variances_uses_fewer_degrees_of_freedom():
    # 2, 3, 3, 4, 5 (variance 1.3) against 1, 2, 2, 3, 2 (mean 2, variance 0.5):
    # standard error sqrt(0.26 + 0.1) = 0.6; df = 0.36^2 / (0.26^2 / 4 + 0.1^2 / 4) = 6.68.
    # t(0.975, 6.68) from the printed table, interpolated in 1/df between the rows 6 (2.4469)
    # and 7 (2.3646): 2.3646 + 0.0823 * (1/6.68 - 1/7) / (1/6 - 1/7) = 2.3882; half width
    # 0.6 * 2.3882 = 1.433: -0.03 to 2.83 (for any t from 2.375 to 2.391).
    assert welch_difference(moments(2, 3, 3, 4, 5), moments(1, 2, 2, 3, 2)) == {
        "difference": 1.4, "ci95": [-0.03, 2.83], "df": 6.7}


def student_t_quantile_by_integration(probability: float, df: float) -> float:
    """Student's t quantile the long way: Simpson's rule over the density, then bisection;
    an independent check on the module's continued fraction."""
    scale = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(df * math.pi)

    def cdf(t: float, steps: int = 4000) -> float:
        x = np.linspace(0.0, t, steps + 1)
        y = scale * (1 + x * x / df) ** (-(df + 1) / 2)
        return 0.5 + t / steps / 3 * (y[0] + y[-1] + 4 * y[1:-1:2].sum() + 2 * y[2:-1:2].sum())

    low, high = 0.0, 50.0
    for _ in range(50):
        middle = (low + high) / 2
        low, high = (middle, high) if cdf(middle) < probability else (low, middle)
    return (low + high) / 2


@pytest.mark.parametrize("df", [2.5, 6.680412, 13.3, 41.7])
def test_the_t_quantile_between_table_rows_matches_the_integrated_density(df):
    assert t_quantile(0.975, df) == pytest.approx(student_t_quantile_by_integration(0.975, df),
                                                  abs=1e-6)


def test_no_difference_is_given_when_either_group_is_under_five():
    assert welch_difference(moments(1, 2, 3, 4), moments(1, 2, 3, 4, 5)) is None
    assert welch_difference(moments(1, 2, 3, 4, 5), Moments()) is None


def test_identical_answers_give_a_difference_without_spread():
    assert welch_difference(moments(4, 4, 4, 4, 4), moments(3, 3, 3, 3, 3)) == {
        "difference": 1.0, "ci95": [1.0, 1.0], "df": None}


def test_a_scale_score_needs_at_least_half_its_items_and_turns_reversed_ones():
    items = ["cohesion_1", "cohesion_2", "cohesion_3"]
    assert score({"cohesion_1": 4, "cohesion_3": 2}, items, frozenset()) == 3.0
    assert score({"cohesion_1": 4}, items, frozenset()) is None  # 1 of 3 is under half
    assert score({"cohesion_1": 4, "cohesion_2": 1}, items, frozenset({"cohesion_2"})) == 4.5
    assert score({"cohesion_1": 4, "cohesion_2": 4}, items[:2] + ["x", "y"], frozenset()) == 4.0
    assert score({}, [], frozenset()) is None


@pytest.mark.parametrize("label, held_on", [
    ("2026-03-15", date(2026, 3, 15)), ("15-03-2026", date(2026, 3, 15)),
    ("2026-03", date(2026, 3, 1)), ("voormeting", None), ("2026-13", None),
])
def test_a_waves_name_gives_its_date_when_it_is_one(label, held_on):
    assert wave_date(label) == held_on


def test_shareable_rows_hide_small_groups_and_their_means():
    survey = [{"wave": "2026-09", "neighbourhoods": [{"name": "Segbroek", "scales": {
        "cohesion": {"n": 9, "mean": 3.8, "ci95": [3.1, 4.5],
                     "used": {"n": 3, "mean": None, "ci95": None},
                     "not_used": {"n": 6, "mean": 3.5, "ci95": [2.6, 4.4]},
                     "difference": None}}}]}]
    assert shareable_rows(survey) == [{
        "wave": "2026-09", "neighbourhood": "Segbroek", "scale": "cohesion", "n": 9,
        "mean": 3.8, "ci95_low": 3.1, "ci95_high": 4.5, "used_n": "<5", "used_mean": "",
        "not_used_n": 6, "not_used_mean": 3.5, "difference": "", "difference_ci95_low": "",
        "difference_ci95_high": ""}]


@pytest.mark.parametrize("survey, message", [
    ({"cohesion_items": -1}, "survey.cohesion_items must be between 0 and 50"),
    ({"reverse_items": "cohesion_4"}, "survey.reverse_items: 'cohesion_4' is not an item"),
])
def test_a_bad_survey_config_names_its_key(survey, message):
    with pytest.raises(ConfigError, match=message):
        from_mapping({"survey": survey})


def test_the_survey_config_gives_each_scales_item_columns():
    config = from_mapping({"survey": {"cohesion_items": "2", "self_reliance_items": 0,
                                      "reverse_items": " Cohesion_2 ; liveability_1"}}).survey
    assert config.items()["cohesion"] == ["cohesion_1", "cohesion_2"]
    assert config.items()["self_reliance"] == []
    assert config.reversed_items() == {"cohesion_2", "liveability_1"}
