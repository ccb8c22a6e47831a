"""The matching core: properties that must hold for any sequence of events."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from matching.policy import (
    Candidate,
    Done,
    GiveUp,
    Leg,
    LegOutcome,
    Limits,
    Ring,
    Search,
    UnmatchedReason,
    Wait,
    accept_wins,
    next_action,
    rank,
)

START = datetime(2026, 11, 2, 10, 0)
CALLER = 0


def candidates(ids):
    return [Candidate(volunteer_id=i) for i in ids]


def test_sequential_rings_one_volunteer_at_a_time():
    search = Search(1, CALLER, START)
    action = next_action(search, candidates([1, 2, 3]), Limits(), START, random.Random(1))
    assert isinstance(action, Ring) and len(action.volunteer_ids) == 1


def test_waits_while_a_call_is_live():
    search = Search(1, CALLER, START, legs=(Leg(1),))
    assert next_action(search, candidates([2, 3]), Limits(), START, random.Random(1)) == Wait()


def test_waves_ring_several_at_once():
    limits = Limits(strategy="waves", wave_size=3)
    action = next_action(Search(1, CALLER, START), candidates(range(1, 10)), limits, START,
                         random.Random(1))
    assert isinstance(action, Ring) and len(set(action.volunteer_ids)) == 3


def test_no_candidates_gives_up_with_that_reason():
    action = next_action(Search(1, CALLER, START), [], Limits(), START, random.Random(1))
    assert action == GiveUp(UnmatchedReason.NO_CANDIDATES)


def test_all_declined_and_no_answer_are_told_apart():
    declined = Search(1, CALLER, START, legs=(Leg(1, LegOutcome.DECLINED),
                                              Leg(2, LegOutcome.NO_ANSWER)))
    silent = Search(1, CALLER, START, legs=(Leg(1, LegOutcome.NO_ANSWER),))
    assert next_action(declined, [], Limits(), START, random.Random()) == GiveUp(
        UnmatchedReason.ALL_DECLINED)
    assert next_action(silent, [], Limits(), START, random.Random()) == GiveUp(
        UnmatchedReason.NO_ANSWER)


def test_max_wait_ends_the_search_even_with_a_call_ringing():
    search = Search(1, CALLER, START, legs=(Leg(1),))
    later = START + timedelta(seconds=301)
    assert isinstance(next_action(search, candidates([2]), Limits(max_wait_s=300), later,
                                  random.Random()), GiveUp)


def test_max_attempts_ends_the_search():
    legs = tuple(Leg(i, LegOutcome.NO_ANSWER) for i in range(1, 4))
    action = next_action(Search(1, CALLER, START, legs=legs), candidates([9]),
                         Limits(max_attempts=3), START, random.Random())
    assert action == GiveUp(UnmatchedReason.NO_ANSWER)


def test_fairness_prefers_fewest_recent_calls_then_longest_since_asked():
    busy = Candidate(1, recent_calls=5)
    recent = Candidate(2, recent_calls=1, last_asked_at=START - timedelta(hours=1))
    long_ago = Candidate(3, recent_calls=1, last_asked_at=START - timedelta(days=9))
    fresh = Candidate(4, recent_calls=0)
    order = [c.volunteer_id for c in rank([busy, recent, long_ago, fresh], random.Random(3))]
    assert order == [4, 3, 2, 1]


def test_among_equals_the_one_never_asked_comes_first_then_the_one_asked_longest_ago():
    never = Candidate(1, recent_calls=2)
    long_ago = Candidate(2, recent_calls=2, last_asked_at=START - timedelta(days=20))
    lately = Candidate(3, recent_calls=2, last_asked_at=START - timedelta(hours=1))
    for seed in range(20):  # whatever the tie-break draws
        order = rank([lately, long_ago, never], random.Random(seed))
        assert [c.volunteer_id for c in order] == [1, 2, 3]


def test_volunteers_speaking_the_callers_language_come_first():
    other = Candidate(1, speaks_caller_language=False)
    same = Candidate(2, recent_calls=3)
    assert [c.volunteer_id for c in rank([other, same], random.Random())] == [2, 1]


def test_ties_are_broken_randomly_but_reproducibly_with_a_seed():
    pool = candidates(range(1, 20))
    first = [c.volunteer_id for c in rank(pool, random.Random(7))]
    again = [c.volunteer_id for c in rank(pool, random.Random(7))]
    other = [c.volunteer_id for c in rank(pool, random.Random(8))]
    assert first == again and first != other


def test_only_a_live_leg_of_an_open_search_can_accept():
    search = Search(1, CALLER, START, legs=(Leg(1), Leg(2, LegOutcome.DECLINED)))
    assert accept_wins(search, 1)
    assert not accept_wins(search, 2)
    assert not accept_wins(search, 3)
    taken = Search(1, CALLER, START, legs=(Leg(1, LegOutcome.ACCEPTED), Leg(2)))
    assert not accept_wins(taken, 2)


# --- properties over whole simulated searches ------------------------------------------------

events = st.lists(st.sampled_from(["accept", "decline", "no_answer"]), min_size=1, max_size=40)


@settings(max_examples=300, deadline=None)
@given(
    pool=st.lists(st.integers(min_value=0, max_value=30), max_size=30),
    outcomes=events,
    strategy=st.sampled_from(["sequential", "waves"]),
    wave_size=st.integers(min_value=1, max_value=5),
    max_attempts=st.integers(min_value=1, max_value=15),
    seed=st.integers(),
)
def test_a_search_never_matches_twice_never_rings_the_caller_or_anyone_twice(
    pool, outcomes, strategy, wave_size, max_attempts, seed
):
    """Drive a search to its end with arbitrary answers, where the candidate list passed in
    may even contain the caller and volunteers already rung: the rules must still hold."""
    rng = random.Random(seed)
    limits = Limits(max_attempts=max_attempts, strategy=strategy, wave_size=wave_size)
    legs: list[Leg] = []
    matched = False
    answers = iter(outcomes)
    now = START
    for _ in range(200):
        search = Search(1, CALLER, START, legs=tuple(legs), matched=matched)
        action = next_action(search, candidates(pool), limits, now, rng)
        if isinstance(action, (Done, GiveUp)):
            break
        if isinstance(action, Ring):
            assert CALLER not in action.volunteer_ids
            legs.extend(Leg(v) for v in action.volunteer_ids)
            live = sum(leg.live for leg in legs)
            assert live <= (1 if strategy == "sequential" else wave_size)
            continue
        # Wait: settle every live leg with the next scripted answer, first 1 wins.
        for index, leg in enumerate(legs):
            if not leg.live:
                continue
            answer = next(answers, "no_answer")
            if answer == "accept" and accept_wins(Search(1, CALLER, START, tuple(legs), matched),
                                                  leg.volunteer_id):
                legs[index] = Leg(leg.volunteer_id, LegOutcome.ACCEPTED)
                matched = True
            elif answer == "accept":
                legs[index] = Leg(leg.volunteer_id, LegOutcome.WITHDRAWN)
            elif answer == "decline":
                legs[index] = Leg(leg.volunteer_id, LegOutcome.DECLINED)
            else:
                legs[index] = Leg(leg.volunteer_id, LegOutcome.NO_ANSWER)
        now += timedelta(seconds=5)
    rung = [leg.volunteer_id for leg in legs]
    assert len(rung) == len(set(rung)), "a volunteer was rung twice for one request"
    assert CALLER not in rung
    assert sum(leg.outcome is LegOutcome.ACCEPTED for leg in legs) <= 1
    assert len(rung) <= max_attempts
