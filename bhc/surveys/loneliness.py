"""The 6-item De Jong Gierveld loneliness scale (De Jong Gierveld & Van Tilburg, 2006), as Dutch
municipalities and the CBS score it; the item wording is in bhc/sample/survey_questions.md.

Each item is answered ja, min of meer or nee (yes, more or less, no). Items 1-3 are emotional
loneliness (emptiness, missing people, feeling abandoned) and count 1 for ja or min of meer;
items 4-6 are social loneliness, worded the other way round (people to fall back on, to trust
completely, to feel close to), and count 1 for nee or min of meer. The total is 0-6. As the
items are scored yes or no, a missing answer cannot be filled in: a subscale has a score only
when its three items are answered, the total only when both subscales have one. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

SCALE = "loneliness"
ITEMS = tuple(f"{SCALE}_{n}" for n in range(1, 7))
EMOTIONAL = ITEMS[:3]
SOCIAL = ITEMS[3:]
# The items as the respondents read them (the scale's own Dutch wording, as the CBS uses it).
WORDING = {
    "loneliness_1": "Ik ervaar een leegte om me heen.",
    "loneliness_2": "Ik mis mensen om me heen.",
    "loneliness_3": "Vaak voel ik me in de steek gelaten.",
    "loneliness_4": "Er zijn genoeg mensen op wie ik in geval van narigheid kan terugvallen.",
    "loneliness_5": "Ik heb veel mensen op wie ik volledig kan vertrouwen.",
    "loneliness_6": "Er zijn voldoende mensen met wie ik me nauw verbonden voel.",
}
# Every accepted answer (lower case, single spaces) and the canonical Dutch one it stands for.
ANSWERS = {"ja": "ja", "min of meer": "min of meer", "nee": "nee",
           "yes": "ja", "more or less": "min of meer", "no": "nee"}
_COUNTS_AS_LONELY = {**dict.fromkeys(EMOTIONAL, ("ja", "min of meer")),
                     **dict.fromkeys(SOCIAL, ("nee", "min of meer"))}


class BadAnswer(ValueError):
    """An answer that is none of ja, min of meer, nee (or yes, more or less, no)."""


def answer(text: str) -> str | None:
    """The canonical answer (ja, min of meer, nee) to one item; None when left empty."""
    spoken = " ".join(text.split()).lower()
    if not spoken:
        return None
    try:
        return ANSWERS[spoken]
    except KeyError:
        raise BadAnswer(text) from None


@dataclass(frozen=True)
class Loneliness:
    """A respondent's scores: each subscale 0-3, the total 0-6; None where not all answered."""

    emotional: int | None
    social: int | None

    @property
    def total(self) -> int | None:
        if self.emotional is None or self.social is None:
            return None
        return self.emotional + self.social

    @property
    def answered(self) -> bool:
        """At least one subscale has a score."""
        return self.emotional is not None or self.social is not None


def score(answers: dict[str, str]) -> Loneliness:
    """The scores from canonical answers by item column (items left empty are absent)."""
    def subscale(items: tuple[str, ...]) -> int | None:
        if any(item not in answers for item in items):
            return None
        return sum(answers[item] in _COUNTS_AS_LONELY[item] for item in items)

    return Loneliness(emotional=subscale(EMOTIONAL), social=subscale(SOCIAL))
