"""The one home of a request's state changes: every allowed move, every forbidden one, and the
compare-and-set that lets exactly one of two racing changes win."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from bhc.calls.models import HelpRequest, RequestState
from bhc.calls.transitions import ALLOWED, ForbiddenTransition, transition
from bhc.neighbourhoods.services import add_neighbourhood
from tests.integration.conftest import EXCHANGE

NOW = datetime(2026, 11, 25, 10, 0)
STATES = tuple(RequestState)
# The moves of the table in bhc/calls/transitions.py, written out again: a move added or lost
# there fails here.
MOVES = {
    ("menu", "searching"), ("menu", "abandoned"), ("abandoned", "menu"),
    ("searching", "abandoned"),
    ("searching", "matched"), ("searching", "unmatched"), ("matched", "searching"),
    ("unmatched", "callback_due"), ("callback_due", "matched"), ("callback_due", "unmatched"),
    ("matched", "unmatched"), ("matched", "matched"), ("matched", "abandoned"),
}


@pytest.fixture
def request_in(database):
    """A request in a given state, in a session of its own."""
    with database.session() as session:
        neighbourhood_id = add_neighbourhood(session, "Segbroek", EXCHANGE).id

    def make(session, state: str, sid: str = "CAone") -> HelpRequest:
        request = HelpRequest(call_sid=sid, neighbourhood_id=neighbourhood_id, state=state,
                              language="nl", created_at=NOW)
        session.add(request)
        session.flush()
        return request
    return make


def test_the_table_allows_exactly_the_documented_moves():
    assert {(str(old), str(new)) for old, new in ALLOWED} == MOVES


def test_each_allowed_move_wins_once_and_the_caller_sees_the_new_state(database, request_in):
    with database.session() as session:
        for old, new in sorted(MOVES):
            request = request_in(session, old, f"CA{old}-{new}")
            assert transition(session, request, old, new, outcome="test") is True
            assert (request.state, request.outcome) == (new, "test")  # refreshed
            if old != new:  # a second, late change expecting the old state changes nothing
                assert transition(session, request.id, old, new, outcome="late") is False
                assert session.get(HelpRequest, request.id).outcome == "test"


def test_each_move_the_table_does_not_allow_is_refused_and_changes_nothing(database,
                                                                           request_in):
    with database.session() as session:
        requests = {state: request_in(session, state, f"CA{state}") for state in STATES}
        for old, new in ((old, new) for old in STATES for new in STATES
                         if (old, new) not in MOVES):
            with pytest.raises(ForbiddenTransition, match=f"from {old} to {new}"):
                transition(session, requests[old], old, new)
            allowed = [other for other, to in sorted(MOVES) if to == new]
            with pytest.raises(ForbiddenTransition):  # beside allowed ones, it still spoils them
                transition(session, requests[old].id, [*allowed, old], new)
        states = dict(session.execute(select(HelpRequest.call_sid, HelpRequest.state)).all())
    assert states == {f"CA{state}": state for state in STATES}


def test_any_of_several_expected_states_may_be_left(database, request_in):
    with database.session() as session:
        in_menu = request_in(session, "menu", "CAmenu")
        searching = request_in(session, "searching", "CAsearching")
        matched = request_in(session, "matched", "CAmatched")
        for request in (in_menu, searching):
            assert transition(session, request.id, ["menu", "searching"], "abandoned")
        assert not transition(session, matched.id, ["menu", "searching"], "abandoned")
        states = dict(session.execute(select(HelpRequest.call_sid, HelpRequest.state)).all())
    assert states == {"CAmenu": "abandoned", "CAsearching": "abandoned", "CAmatched": "matched"}


def test_further_conditions_must_hold_too(database, request_in):
    with database.session() as session:
        request = request_in(session, "searching")
        assert not transition(session, request, "searching", "matched",
                              where=[HelpRequest.outcome == "something else"])
        assert request.state == "searching"
        assert transition(session, request, "searching", "matched",
                          where=[HelpRequest.outcome.is_(None)], outcome="matched")
        assert (request.state, request.outcome) == ("matched", "matched")


def test_only_the_request_named_moves(database, request_in):
    with database.session() as session:
        request_in(session, "searching", "CAother")
        one = request_in(session, "searching", "CAone")
        assert transition(session, one.id, "searching", "unmatched")
        states = dict(session.execute(select(HelpRequest.call_sid, HelpRequest.state)).all())
    assert states == {"CAone": "unmatched", "CAother": "searching"}


def test_of_two_racing_sessions_exactly_one_wins(database, request_in):
    with database.session() as session:
        request_id = request_in(session, "searching").id
    with database.session() as first:
        first_won = transition(first, request_id, "searching", "matched", outcome="first")
    with database.session() as second:
        second_won = transition(second, request_id, "searching", "matched", outcome="second")
        assert (first_won, second_won) == (True, False)
        assert second.get(HelpRequest, request_id).outcome == "first"
