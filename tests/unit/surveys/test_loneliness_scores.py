"""The De Jong Gierveld scoring, pure: which answers count, the parts, and what is left out."""

from __future__ import annotations

import pytest

from bhc.config import ConfigError, from_mapping
from bhc.surveys.loneliness import ITEMS, BadAnswer, Loneliness, answer, score


def _answers(*given: str) -> dict[str, str]:
    return {item: answer(text) for item, text in zip(ITEMS, given) if answer(text)}


@pytest.mark.parametrize("given, expected", [
    # emotional items count ja and min of meer; social items count nee and min of meer
    (("nee", "nee", "nee", "ja", "ja", "ja"), Loneliness(0, 0)),
    (("ja", "ja", "ja", "nee", "nee", "nee"), Loneliness(3, 3)),
    (("min of meer",) * 6, Loneliness(3, 3)),
    (("ja", "nee", "min of meer", "ja", "min of meer", "nee"), Loneliness(2, 2)),
    (("yes", "more or less", "no", "no", "yes", "more or less"), Loneliness(2, 2)),
])
def test_each_item_counts_as_the_scale_says(given, expected):
    lonely = score(_answers(*given))
    assert lonely == expected
    assert lonely.total == expected.emotional + expected.social


def test_a_part_with_an_unanswered_item_has_no_score_and_neither_has_the_total():
    lonely = score(_answers("ja", "ja", "", "nee", "nee", "ja"))
    assert (lonely.emotional, lonely.social, lonely.total, lonely.answered) == (None, 2, None,
                                                                                True)
    assert not score({}).answered


@pytest.mark.parametrize("text, canonical", [
    ("Ja", "ja"), ("  MIN   OF meer ", "min of meer"), ("No", "nee"), ("", None), ("  ", None),
])
def test_answers_are_read_whatever_their_case_and_spacing(text, canonical):
    assert answer(text) == canonical


@pytest.mark.parametrize("text", ["misschien", "2", "j", "minofmeer", "sometimes"])
def test_any_other_answer_is_refused(text):
    with pytest.raises(BadAnswer):
        answer(text)


@pytest.mark.parametrize("value", [0, 7])
def test_lonely_from_must_be_a_loneliness_score(value):
    with pytest.raises(ConfigError, match="survey.lonely_from"):
        from_mapping({"survey": {"lonely_from": value}})
