"""Who met whom in a month's matches, counted as whole arrays.

A month can hold 130,000 matches; counting the distinct residents, pairs and repeat contacts
among them in Python sets of tuples cost a third of the report's time. Here each match is three
integers (neighbourhood, asker, helper) in numpy arrays, and every count is a sort-and-unique.
Participant ids are below 2**31, so a (neighbourhood, person) pair packs into one int64.
Distinct values are found by sorting and comparing neighbours: numpy 2's own ``unique`` (and
what builds on it) measured some 30 times slower on these arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

UNKNOWN = -1  # a caller whose number the exchange does not know (no participant)


def _ids(values: Sequence[int | None]) -> np.ndarray:
    return np.fromiter((UNKNOWN if value is None else value for value in values),
                       dtype=np.int64, count=len(values))


def _counted(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct rows of these equally long columns (sorted) and how often each occurs."""
    if len(columns) == 1:
        ordered = [np.sort(columns[0])]
    else:
        order = np.lexsort(columns[::-1])
        ordered = [column[order] for column in columns]
    size = ordered[0].size
    if not size:
        return ordered, np.empty(0, dtype=np.int64)
    new = np.zeros(size, dtype=bool)
    new[0] = True
    for column in ordered:
        new[1:] |= column[1:] != column[:-1]
    starts = np.flatnonzero(new)
    return [column[starts] for column in ordered], np.diff(np.append(starts, size))


def _distinct(values: np.ndarray) -> np.ndarray:
    return _counted(values)[0][0]


def _tally(values: np.ndarray) -> dict[int, int]:
    """How often each value occurs."""
    (distinct,), counts = _counted(values)
    return dict(zip(distinct.tolist(), counts.tolist()))


def _per_neighbourhood(packed: np.ndarray) -> dict[int, int]:
    """How many distinct packed (neighbourhood, person) keys each neighbourhood has."""
    return _tally(packed >> 32)


@dataclass(frozen=True)
class MonthMatches:
    """The month's matches as parallel arrays; UNKNOWN where the asker was not registered."""

    neighbourhood: np.ndarray
    asker: np.ndarray
    helper: np.ndarray

    @classmethod
    def of(cls, neighbourhood: Sequence[int], asker: Sequence[int | None],
           helper: Sequence[int | None]) -> MonthMatches:
        return cls(np.fromiter(neighbourhood, dtype=np.int64, count=len(neighbourhood)),
                   _ids(asker), _ids(helper))

    @classmethod
    def none(cls) -> MonthMatches:
        empty = np.empty(0, dtype=np.int64)
        return cls(empty, empty, empty)

    def _packed(self, people: np.ndarray) -> np.ndarray:
        known = people != UNKNOWN
        return _distinct((self.neighbourhood[known] << 32) | people[known])

    # Both are needed for the residents in contact and again for the residents in both roles.
    @cached_property
    def askers(self) -> np.ndarray:
        """Distinct packed (neighbourhood, asker)."""
        return self._packed(self.asker)

    @cached_property
    def helpers(self) -> np.ndarray:
        """Distinct packed (neighbourhood, helper)."""
        return self._packed(self.helper)

    def residents_per_neighbourhood(self) -> dict[int, int]:
        """Distinct askers and helpers of each neighbourhood's matches."""
        return _per_neighbourhood(_distinct(np.concatenate([self.askers, self.helpers])))

    def residents(self, neighbourhoods: Sequence[int] | None = None) -> int:
        """Distinct residents in contact over all (or these) neighbourhoods, each once."""
        asker, helper = self.asker, self.helper
        if neighbourhoods is not None:
            inside = np.isin(self.neighbourhood, np.asarray(neighbourhoods, dtype=np.int64),
                             kind="sort")
            asker, helper = asker[inside], helper[inside]
        people = np.concatenate([asker, helper])
        return int(_distinct(people[people != UNKNOWN]).size)

    def _known_pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        both = (self.asker != UNKNOWN) & (self.helper != UNKNOWN)
        return self.neighbourhood[both], self.asker[both], self.helper[both]

    def repeat_contacts_per_neighbourhood(self) -> dict[int, int]:
        """Pairs of the same asker and helper (in that order) matched more than once."""
        neighbourhood, asker, helper = self._known_pairs()
        if not neighbourhood.size:
            return {}
        (neighbourhoods, _), counts = _counted(neighbourhood, (asker << 32) | helper)
        return _tally(neighbourhoods[counts > 1])

    def pairs(self) -> tuple[dict[int, int], int]:
        """Distinct pairs of residents in contact per neighbourhood, whoever asked, and over
        all neighbourhoods."""
        neighbourhood, asker, helper = self._known_pairs()
        if not neighbourhood.size:
            return {}, 0
        low, high = np.minimum(asker, helper), np.maximum(asker, helper)
        pair = (low << 32) | high
        (neighbourhoods, _), _ = _counted(neighbourhood, pair)
        return _tally(neighbourhoods), int(_distinct(pair).size)

    def both_roles(self) -> tuple[dict[int, int], int]:
        """Residents who asked in one match and helped in another: per neighbourhood, and
        anywhere among these matches."""
        per = _per_neighbourhood(np.intersect1d(self.askers, self.helpers,
                                                assume_unique=True))
        anywhere = np.intersect1d(_distinct(self.asker[self.asker != UNKNOWN]),
                                  _distinct(self.helper[self.helper != UNKNOWN]),
                                  assume_unique=True)
        return per, int(anywhere.size)
