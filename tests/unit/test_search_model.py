"""A model of one whole search, driven by hypothesis in any order the world allows.

The engine asks the policy what to do; meanwhile time passes, live calls end (a 1, a 2, no
answer, or stopped by us), the caller may hang up, and volunteers become available or stop
being so. Whatever the order, the engine's promises (docs/architecture.md) must hold at every
step, and once ``max_wait_s`` has passed the search must end at the engine's next step.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from matching import policy
from matching.policy import Leg, LegOutcome

START = datetime(2026, 11, 2, 10, 0)
volunteer_ids = st.integers(min_value=1, max_value=10)

OPEN, MATCHED, GAVE_UP, ABANDONED = "open", "matched", "gave up", "abandoned"


class SearchModel(RuleBasedStateMachine):
    """One request's search; ``state`` is what the request row would say."""

    @initialize(
        limits=st.builds(
            policy.Limits,
            max_attempts=st.integers(min_value=1, max_value=10),
            max_wait_s=st.integers(min_value=1, max_value=400),
            strategy=st.sampled_from(["sequential", "waves"]),
            wave_size=st.integers(min_value=1, max_value=4),
        ),
        caller=st.one_of(st.none(), volunteer_ids),
        pool=st.sets(volunteer_ids, max_size=10),
        seed=st.integers(min_value=0, max_value=2**32),
    )
    def start(self, limits, caller, pool, seed):
        self.limits = limits
        self.caller = caller
        # The candidate query may be wrong (hold the caller, or someone already rung): the
        # policy must keep its promises whatever it is given.
        self.pool = set(pool)
        self.legs: list[Leg] = []
        self.state = OPEN
        self.now = START
        self.rng = random.Random(seed)
        self.width = 1 if limits.strategy == "sequential" else limits.wave_size

    # --- helpers ------------------------------------------------------------------------------

    def search(self) -> policy.Search:
        return policy.Search(1, self.caller, START, tuple(self.legs), matched=self.state == MATCHED)

    def live(self) -> list[int]:
        return [i for i, leg in enumerate(self.legs) if leg.live]

    def fresh(self) -> set[int]:
        return self.pool - {leg.volunteer_id for leg in self.legs} - {self.caller}

    def time_is_up(self) -> bool:
        return self.now - START >= timedelta(seconds=self.limits.max_wait_s)

    def stop_live_legs(self) -> None:
        """What the engine does once the request is no longer open: stop every live call."""
        for index in self.live():
            self.legs[index] = Leg(self.legs[index].volunteer_id, LegOutcome.WITHDRAWN)

    def decide(self):
        candidates = [policy.Candidate(v) for v in sorted(self.pool)]
        return policy.next_action(self.search(), candidates, self.limits, self.now, self.rng)

    # --- the world ----------------------------------------------------------------------------

    @rule(seconds=st.one_of(st.integers(min_value=0, max_value=60),
                            st.integers(min_value=60, max_value=500)))
    def time_passes(self, seconds):
        self.now += timedelta(seconds=seconds)

    @precondition(lambda self: self.state in (OPEN, MATCHED))
    @rule()
    def engine_steps(self):
        """The engine's pass over this request; after a match it may still look once (a late
        pass), and must be told there is nothing to do."""
        was_up = self.time_is_up()
        fresh = self.fresh()
        slots = policy.open_slots(self.search(), self.limits)
        action = self.decide()
        if self.state == MATCHED:
            assert action == policy.Done(), "after a match nothing more may happen"
            return
        if was_up:
            assert isinstance(action, policy.GiveUp), "max_wait_s passed and the search goes on"
        if isinstance(action, policy.Ring):
            assert len(action.volunteer_ids) == min(slots, len(fresh)) > 0
            assert set(action.volunteer_ids) <= fresh
            self.legs.extend(Leg(v) for v in action.volunteer_ids)
        elif isinstance(action, policy.Wait):
            assert self.live(), "waiting while nothing rings: the search would stall"
        elif isinstance(action, policy.GiveUp):
            assert (was_up or len(self.legs) >= self.limits.max_attempts or not fresh)
            assert was_up or not self.live(), "gave up while a call could still be a 1"
            self.state = GAVE_UP
            self.stop_live_legs()
        else:
            raise AssertionError(f"Done without a match: {action}")

    @precondition(lambda self: self.live())
    @rule(which=st.integers(min_value=0), answer=st.sampled_from(
        ["accept", "decline", "no_answer", "withdrawn"]))
    def a_live_call_ends(self, which, answer):
        live = self.live()
        index = live[which % len(live)]
        volunteer = self.legs[index].volunteer_id
        if answer == "accept":
            wins = policy.accept_wins(self.search(), volunteer)
            assert wins == (self.state == OPEN)
            if wins:
                self.legs[index] = Leg(volunteer, LegOutcome.ACCEPTED)
                self.state = MATCHED
            else:  # "this request has just been taken"
                self.legs[index] = Leg(volunteer, LegOutcome.WITHDRAWN)
            return
        outcome = {"decline": LegOutcome.DECLINED, "no_answer": LegOutcome.NO_ANSWER,
                   "withdrawn": LegOutcome.WITHDRAWN}[answer]
        self.legs[index] = Leg(volunteer, outcome)

    @precondition(lambda self: self.state == MATCHED and self.live())
    @rule()
    def the_engine_stops_the_other_calls_of_a_match(self):
        self.stop_live_legs()

    @precondition(lambda self: self.state == OPEN)
    @rule()
    def the_caller_hangs_up(self):
        self.state = ABANDONED
        self.stop_live_legs()

    @rule(volunteer=volunteer_ids)
    def a_volunteer_becomes_available(self, volunteer):
        self.pool.add(volunteer)

    @rule(volunteer=volunteer_ids)
    def a_volunteer_is_no_longer_available(self, volunteer):
        self.pool.discard(volunteer)

    # --- what must always hold ----------------------------------------------------------------

    @invariant()
    def never_two_matches(self):
        accepted = sum(leg.outcome is LegOutcome.ACCEPTED for leg in self.legs)
        assert accepted == (1 if self.state == MATCHED else 0)

    @invariant()
    def never_the_caller_rung(self):
        assert self.caller is None or all(leg.volunteer_id != self.caller for leg in self.legs)

    @invariant()
    def never_a_volunteer_twice_for_one_request(self):
        rung = [leg.volunteer_id for leg in self.legs]
        assert len(rung) == len(set(rung))

    @invariant()
    def never_more_live_calls_than_the_wave_is_wide(self):
        assert len(self.live()) <= self.width

    @invariant()
    def never_more_calls_than_max_attempts(self):
        assert len(self.legs) <= self.limits.max_attempts

    @invariant()
    def an_ended_search_rings_nobody(self):
        if self.state in (GAVE_UP, ABANDONED):
            assert not self.live()

    def teardown(self):
        """However the run stopped: once max_wait_s has passed, the next step ends it."""
        if not hasattr(self, "limits") or self.state != OPEN:
            return
        self.now = max(self.now, START + timedelta(seconds=self.limits.max_wait_s))
        self.engine_steps()
        assert self.state == GAVE_UP


SearchModel.TestCase.settings = settings(max_examples=150, stateful_step_count=30)
TestAWholeSearchKeepsItsPromisesInAnyOrderOfEvents = SearchModel.TestCase
