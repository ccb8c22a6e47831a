"""Who to ring next for a help request, and when to stop searching.

The engine gathers the facts (the request's call legs so far, the eligible volunteers) and asks
:func:`next_action`; it never decides anything itself. Keeping every rule here is what lets the
properties (never two matches, never the caller, never one volunteer twice) be proved by tests.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class LegOutcome(StrEnum):
    """How one call to a volunteer ended, as far as matching cares."""

    ACCEPTED = "accepted"
    DECLINED = "declined"
    NO_ANSWER = "no_answer"  # not answered, busy, failed, machine, or answered without a key
    WITHDRAWN = "withdrawn"  # we stopped it: request taken, caller gone, or search ended


class UnmatchedReason(StrEnum):
    NO_CANDIDATES = "no_candidates"
    ALL_DECLINED = "all_declined"
    NO_ANSWER = "no_answer"


@dataclass(frozen=True)
class Limits:
    max_attempts: int = 10
    max_wait_s: int = 300
    strategy: str = "sequential"
    wave_size: int = 3


@dataclass(frozen=True)
class Leg:
    """One call placed for this request. ``outcome`` is None while the call is live."""

    volunteer_id: int
    outcome: LegOutcome | None = None

    @property
    def live(self) -> bool:
        return self.outcome is None


@dataclass(frozen=True)
class Search:
    """The state of one request's search for a volunteer."""

    request_id: int
    caller_id: int | None
    started_at: datetime
    legs: tuple[Leg, ...] = ()
    matched: bool = False


@dataclass(frozen=True)
class Candidate:
    """An eligible volunteer with the facts used to order them fairly."""

    volunteer_id: int
    recent_calls: int = 0
    last_asked_at: datetime | None = None
    speaks_caller_language: bool = True


@dataclass(frozen=True)
class Ring:
    volunteer_ids: tuple[int, ...]


@dataclass(frozen=True)
class Wait:
    pass


@dataclass(frozen=True)
class GiveUp:
    reason: UnmatchedReason


@dataclass(frozen=True)
class Done:
    """The search is over (matched); nothing more to do."""


Action = Ring | Wait | GiveUp | Done


def rank(candidates: list[Candidate], rng: random.Random) -> list[Candidate]:
    """Fairness order: own language first, fewest recent calls, longest since last asked.

    Ties are broken randomly so that nobody is always first among equals.
    """
    never = datetime.min

    def key(pair: tuple[float, Candidate]) -> tuple:
        tiebreak, candidate = pair
        last = candidate.last_asked_at.replace(tzinfo=None) if candidate.last_asked_at else never
        return (not candidate.speaks_caller_language, candidate.recent_calls, last, tiebreak)

    return [candidate for _, candidate in sorted(((rng.random(), c) for c in candidates), key=key)]


def unmatched_reason(legs: tuple[Leg, ...]) -> UnmatchedReason:
    """Why a search ended without a match: nobody to ring, someone said no, or no answer."""
    if not legs:
        return UnmatchedReason.NO_CANDIDATES
    if any(leg.outcome is LegOutcome.DECLINED for leg in legs):
        return UnmatchedReason.ALL_DECLINED
    return UnmatchedReason.NO_ANSWER


def open_slots(search: Search, limits: Limits) -> int:
    """How many new calls the strategy allows right now (0 while a wave is still ringing).

    The engine skips the candidate query when this is 0: the decision cannot depend on it then.
    """
    if search.matched or any(leg.outcome is LegOutcome.ACCEPTED for leg in search.legs):
        return 0
    if any(leg.live for leg in search.legs):
        return 0
    width = 1 if limits.strategy == "sequential" else limits.wave_size
    return max(0, min(width, limits.max_attempts - len(search.legs)))


def next_action(
    search: Search,
    candidates: list[Candidate],
    limits: Limits,
    now: datetime,
    rng: random.Random,
) -> Action:
    """Decide the next step of a search.

    Candidates that are the caller or were already rung for this request are ignored here too,
    whatever the caller of this function passed, so those guarantees do not rest on the query.
    """
    if search.matched or any(leg.outcome is LegOutcome.ACCEPTED for leg in search.legs):
        return Done()
    live = [leg for leg in search.legs if leg.live]
    if now - search.started_at >= timedelta(seconds=limits.max_wait_s):
        return GiveUp(unmatched_reason(search.legs))

    asked = {leg.volunteer_id for leg in search.legs}
    fresh = [
        c for c in candidates if c.volunteer_id not in asked and c.volunteer_id != search.caller_id
    ]
    fresh = list({c.volunteer_id: c for c in fresh}.values())
    if live:
        return Wait()
    slots = open_slots(search, limits)
    if slots <= 0 or not fresh:
        return GiveUp(unmatched_reason(search.legs))
    chosen = rank(fresh, rng)[:slots]
    return Ring(tuple(c.volunteer_id for c in chosen))


def accept_wins(search: Search, volunteer_id: int) -> bool:
    """A volunteer's 1 wins only if the search is still open and their own call is live.

    The database applies the same rule as a compare-and-set, so concurrent presses yield one match.
    """
    if search.matched or any(leg.outcome is LegOutcome.ACCEPTED for leg in search.legs):
        return False
    return any(leg.volunteer_id == volunteer_id and leg.live for leg in search.legs)
