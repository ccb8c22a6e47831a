"""The matching core makes progress: it rings whoever it may, gives up only for a reason, and
stops once there is a match.

The safety properties of test_policy.py (never two matches, never the caller, nobody twice)
would all hold for a policy that gave up after the first wave. These would not: they fix what
``next_action`` must do in every state of a search, for both strategies, up to and past
``max_wait_s``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hypothesis import Phase, event, find, given, note, settings
from hypothesis import strategies as st

from matching import policy
from matching.policy import Leg, LegOutcome, Limits, Search

START = datetime(2026, 11, 2, 10, 0)
ENDED = [LegOutcome.DECLINED, LegOutcome.NO_ANSWER, LegOutcome.WITHDRAWN]

volunteer_ids = st.integers(min_value=1, max_value=12)
callers = st.one_of(st.none(), volunteer_ids)  # None: a withheld number
limits = st.builds(
    Limits,
    max_attempts=st.integers(min_value=1, max_value=12),
    max_wait_s=st.integers(min_value=1, max_value=600),
    strategy=st.sampled_from(["sequential", "waves"]),
    wave_size=st.integers(min_value=1, max_value=5),
)


def width(limits: Limits) -> int:
    return 1 if limits.strategy == "sequential" else limits.wave_size


def fresh_ids(search: Search, candidates: list[policy.Candidate]) -> set[int]:
    """Who may still be rung: passed in, not the caller, not yet rung for this request."""
    asked = {leg.volunteer_id for leg in search.legs}
    return {c.volunteer_id for c in candidates} - asked - {search.caller_id}


def matched(search: Search) -> bool:
    return search.matched or any(leg.outcome is LegOutcome.ACCEPTED for leg in search.legs)


def time_is_up(search: Search, limits: Limits, now: datetime) -> bool:
    return now - search.started_at >= timedelta(seconds=limits.max_wait_s)


@st.composite
def moments(draw, limits: Limits) -> datetime:
    """A moment of the search, often right at ``max_wait_s`` or a second either side."""
    wait = limits.max_wait_s
    elapsed = draw(st.one_of(st.integers(min_value=0, max_value=2 * wait),
                             st.sampled_from([wait - 1, wait, wait + 1])))
    return START + timedelta(seconds=elapsed)


@st.composite
def states(draw, *, allow_match: bool = True):
    """Any state a search can be in: its legs so far (some live, at most one accepted), the
    candidates the engine passes (which may wrongly hold the caller, volunteers already rung and
    duplicates), the limits and the moment."""
    chosen = draw(limits)
    caller = draw(callers)
    rung = draw(st.lists(volunteer_ids.filter(lambda v: v != caller), unique=True,
                         max_size=chosen.max_attempts))
    outcomes = [draw(st.sampled_from([None, *ENDED])) for _ in rung]
    if allow_match and rung and draw(st.booleans()):
        outcomes[draw(st.integers(min_value=0, max_value=len(rung) - 1))] = LegOutcome.ACCEPTED
    legs = tuple(Leg(v, o) for v, o in zip(rung, outcomes))
    search = Search(1, caller, START, legs=legs,
                    matched=allow_match and LegOutcome.ACCEPTED in outcomes and draw(st.booleans()))
    pool = draw(st.lists(volunteer_ids, max_size=15))
    candidates = [policy.Candidate(v) for v in pool]
    return search, candidates, chosen, draw(moments(chosen))


def decide(state, seed: int = 0):
    search, candidates, chosen, now = state
    return policy.next_action(search, candidates, chosen, now, random.Random(seed))


# --- one decision, in any state --------------------------------------------------------------


@given(states())
def test_gives_up_only_when_nobody_fresh_or_attempts_spent_or_time_is_up(state):
    search, candidates, chosen, now = state
    action = decide(state)
    if isinstance(action, policy.GiveUp):
        assert (time_is_up(search, chosen, now) or len(search.legs) >= chosen.max_attempts
                or not fresh_ids(search, candidates))
        assert not matched(search)
        # While a call still rings only the clock ends the search: that call may yet be a 1.
        assert time_is_up(search, chosen, now) or not any(leg.live for leg in search.legs)


@given(states(), st.integers())
def test_a_ring_calls_exactly_as_many_as_the_open_slots_and_fresh_candidates_allow(state, seed):
    search, candidates, chosen, now = state
    action = decide(state, seed)
    if isinstance(action, policy.Ring):
        fresh = fresh_ids(search, candidates)
        assert len(action.volunteer_ids) == min(policy.open_slots(search, chosen), len(fresh)) > 0
        assert len(set(action.volunteer_ids)) == len(action.volunteer_ids)
        assert set(action.volunteer_ids) <= fresh
        assert not time_is_up(search, chosen, now)


@given(states())
def test_rings_whenever_someone_fresh_may_be_rung(state):
    """Nothing ringing, attempts left, someone fresh, time left: the policy must ring."""
    search, candidates, chosen, now = state
    idle = not matched(search) and not any(leg.live for leg in search.legs)
    if (idle and len(search.legs) < chosen.max_attempts and fresh_ids(search, candidates)
            and not time_is_up(search, chosen, now)):
        assert isinstance(decide(state), policy.Ring)


@given(states())
def test_once_matched_the_search_is_done_and_rings_nobody(state):
    search, _, _, _ = state
    action = decide(state)
    assert isinstance(action, policy.Done) == matched(search)


@given(states())
def test_waits_only_while_a_call_is_still_ringing_before_the_time_is_up(state):
    """A Wait with nothing ringing would stall the search: no status callback would come."""
    search, _, chosen, now = state
    action = decide(state)
    if isinstance(action, policy.Wait):
        assert any(leg.live for leg in search.legs)
        assert not time_is_up(search, chosen, now) and not matched(search)
    if any(leg.live for leg in search.legs) and not time_is_up(search, chosen, now) \
            and not matched(search):
        assert isinstance(action, policy.Wait)


@given(states())
def test_max_wait_ends_every_unmatched_search_from_the_second_it_is_reached(state):
    search, _, chosen, now = state
    if matched(search):
        return
    action = decide(state)
    if time_is_up(search, chosen, now):
        assert isinstance(action, policy.GiveUp)
    late = decide((search, state[1], chosen, START + timedelta(seconds=chosen.max_wait_s)))
    assert isinstance(late, policy.GiveUp)
    event("time is up" if time_is_up(search, chosen, now) else "time left")


@given(states(allow_match=False))
def test_the_reason_for_giving_up_is_nobody_then_a_no_then_silence(state):
    search, _, _, _ = state
    action = decide(state)
    if isinstance(action, policy.GiveUp):
        outcomes = {leg.outcome for leg in search.legs}
        if not search.legs:
            assert action.reason is policy.UnmatchedReason.NO_CANDIDATES
        elif LegOutcome.DECLINED in outcomes:
            assert action.reason is policy.UnmatchedReason.ALL_DECLINED
        else:
            assert action.reason is policy.UnmatchedReason.NO_ANSWER


@given(states())
def test_open_slots_are_the_wave_width_capped_by_attempts_left_and_none_while_ringing(state):
    search, _, chosen, _ = state
    slots = policy.open_slots(search, chosen)
    if matched(search) or any(leg.live for leg in search.legs):
        assert slots == 0
    else:
        assert slots == max(0, min(width(chosen), chosen.max_attempts - len(search.legs)))


@given(states(), volunteer_ids)
def test_a_1_wins_only_on_a_live_call_of_an_unmatched_search(state, volunteer):
    search, _, _, _ = state
    live = {leg.volunteer_id for leg in search.legs if leg.live}
    assert policy.accept_wins(search, volunteer) == (not matched(search) and volunteer in live)


# --- whole searches, driven to their end ------------------------------------------------------


@dataclass
class Run:
    """What happened in one simulated search."""

    limits: Limits
    pool: set[int]
    caller: int | None
    legs: list[Leg] = field(default_factory=list)
    matched: bool = False
    end: policy.Done | policy.GiveUp | None = None
    ended_at: datetime | None = None
    decisions: int = 0

    def search(self) -> Search:
        return Search(1, self.caller, START, tuple(self.legs), self.matched)

    @property
    def fresh(self) -> set[int]:
        return self.pool - {leg.volunteer_id for leg in self.legs} - {self.caller}

    @property
    def timed_out(self) -> bool:
        return self.ended_at is not None and self.ended_at - START >= timedelta(
            seconds=self.limits.max_wait_s)


answers = st.sampled_from(["accept", "decline", "no_answer", "withdrawn"])


@st.composite
def runs(draw) -> Run:
    """A search driven by the policy to its end: each live call ends with a drawn answer after a
    drawn number of seconds (often long enough for max_wait_s to pass)."""
    run = Run(draw(limits), set(draw(st.lists(volunteer_ids, max_size=12))), draw(callers))
    rng = random.Random(draw(st.integers()))
    now = START
    bound = 2 * run.limits.max_attempts + 2  # each decision rings someone or ends a call
    while run.end is None:
        assert run.decisions < bound, "the search does not end"
        run.decisions += 1
        candidates = [policy.Candidate(v) for v in sorted(run.pool)]
        action = policy.next_action(run.search(), candidates, run.limits, now, rng)
        note(f"{(now - START).seconds}s: {action}")
        if isinstance(action, policy.Ring):
            fresh = run.fresh
            slots = policy.open_slots(run.search(), run.limits)
            assert len(action.volunteer_ids) == min(slots, len(fresh)) > 0
            assert set(action.volunteer_ids) <= fresh
            run.legs.extend(Leg(v) for v in action.volunteer_ids)
        elif isinstance(action, policy.Wait):
            live = [i for i, leg in enumerate(run.legs) if leg.live]
            assert live, "waiting with no call ringing"
            now += timedelta(seconds=draw(st.integers(min_value=0, max_value=300)))
            for index in live:  # every live call of the wave ends before the next decision
                answer = draw(answers)
                volunteer = run.legs[index].volunteer_id
                if answer == "accept" and policy.accept_wins(run.search(), volunteer):
                    run.legs[index], run.matched = Leg(volunteer, LegOutcome.ACCEPTED), True
                else:
                    outcome = {"decline": LegOutcome.DECLINED, "no_answer": LegOutcome.NO_ANSWER
                               }.get(answer, LegOutcome.WITHDRAWN)
                    run.legs[index] = Leg(volunteer, outcome)
        else:
            run.end, run.ended_at = action, now
    return run


@settings(max_examples=300)
@given(runs())
def test_every_search_ends_in_a_match_or_a_give_up_that_had_a_reason(run):
    if isinstance(run.end, policy.Done):
        assert run.matched
        assert sum(leg.outcome is LegOutcome.ACCEPTED for leg in run.legs) == 1
        event("matched")
        return
    assert not run.matched
    spent = len(run.legs) >= run.limits.max_attempts
    assert run.timed_out or spent or not run.fresh
    event("gave up: " + ("time" if run.timed_out else "attempts" if spent else "nobody fresh"))
    rung = [leg.volunteer_id for leg in run.legs]
    assert len(rung) == len(set(rung)) and run.caller not in rung
    assert len(rung) <= run.limits.max_attempts


def test_the_generated_searches_reach_a_second_wave_and_time_out_with_work_left():
    """So a policy that stopped after the first wave, or never timed out, would be caught: the
    generated searches reach a second wave, and reach max_wait_s with volunteers and attempts
    left (the two cases the safety properties never reached)."""
    search_settings = settings(database=None, derandomize=True, max_examples=2000,
                               phases=[Phase.generate])  # the first found will do

    def second_wave(run: Run) -> bool:
        return run.limits.strategy == "waves" and len(run.legs) > run.limits.wave_size

    def timed_out_with_work_left(run: Run) -> bool:
        return (isinstance(run.end, policy.GiveUp) and run.timed_out and bool(run.fresh)
                and len(run.legs) < run.limits.max_attempts)

    assert second_wave(find(runs(), second_wave, settings=search_settings))
    assert timed_out_with_work_left(find(runs(), timed_out_with_work_left,
                                         settings=search_settings))
