"""Several engines on one PostgreSQL database: a search step is taken by one engine at a
time, and a volunteer is reserved by one search at a time."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select, text

from bhc.db import utcnow
from bhc.engines import claims, heartbeat
from bhc.models import CallLeg, HelpRequest, Participant
from tests.integration.engines.test_dispatcher import ask, legs
from tests.integration.test_webhooks import request_of


@pytest.fixture(autouse=True)
def postgres_only(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("several engine processes run on PostgreSQL only (SQLite runs one)")


def volunteer_ids(exchange, *phones: str) -> list[int]:
    with exchange.db.session() as session:
        return [session.scalar(select(Participant.id).where(Participant.phone == phone))
                for phone in phones]


def test_an_engine_skips_a_search_another_engine_is_stepping(phone, exchange, carrier):
    ask(phone)
    request_id = request_of(exchange).id
    with exchange.db.session() as other_engine:
        assert claims.claim_search(other_engine, request_id) is not None
        exchange.engine.tick()
        assert carrier.placed == [] and legs(exchange) == []
        with exchange.db.session() as third:
            assert claims.claim_search(third, request_id) is None
    exchange.engine.tick()
    assert len(carrier.placed) == 1


def test_engines_stepping_at_once_take_different_searches(phone, exchange, carrier):
    """While another engine steps the first caller's search, this engine's step takes the
    next one instead of losing a race for the first (issue 11: three engines woken by one
    burst shared nothing and raced for the same searches)."""
    second = "CA" + "2" * 32
    ask(phone)
    ask(phone, second)
    first_id, second_id = request_of(exchange).id, request_of(exchange, second).id
    with exchange.db.session() as other_engine:
        assert claims.claim_search(other_engine, first_id) is not None
        exchange.engine.tick()
        assert {leg.request_id for leg in legs(exchange)} == {second_id}
    exchange.engine.tick()
    assert {leg.request_id for leg in legs(exchange)} == {first_id, second_id}


def test_a_search_another_engine_served_since_the_list_was_read_costs_nothing(
        phone, exchange, carrier, monkeypatch):
    """The step's count of searches is read before another engine commits the wave of one of
    them: claiming skips that search in the claim itself, without reading it or its legs
    (each such lost race cost two statements per engine woken by a burst)."""
    with exchange.db.session() as session:  # ids no LIMIT or count in a statement equals
        session.execute(text("SELECT setval('help_requests_id_seq', 1000)"))
    ask(phone)
    exchange.engine.tick()  # the first caller's wave: "another engine" served it
    second = "CA" + "2" * 32
    ask(phone, second)
    first_id, second_id = request_of(exchange).id, request_of(exchange, second).id
    monkeypatch.setattr(exchange.engine, "_searches_to_advance", lambda _session: 2)
    about_first = []

    def watch(_conn, _cursor, statement, parameters, *_rest):
        values = parameters.values() if isinstance(parameters, dict) else parameters or ()
        if first_id in values:
            about_first.append(statement)

    event.listen(exchange.db.engine, "before_cursor_execute", watch)
    try:
        exchange.engine.tick()
    finally:
        event.remove(exchange.db.engine, "before_cursor_execute", watch)
    assert about_first == []
    assert second_id in {leg.request_id for leg in legs(exchange)}


def test_a_volunteer_another_engine_is_reserving_is_left_out_of_the_wave(
        phone, exchange, carrier):
    first, second = volunteer_ids(exchange, "+31612340001", "+31612340002")
    with exchange.db.session() as other_engine:
        assert claims.reserve_volunteers(other_engine, [first]) == {first}
        ask(phone)
        exchange.engine.tick()
    assert [leg.volunteer_id for leg in legs(exchange)] == [second]


def test_nobody_left_but_volunteers_being_reserved_waits_rather_than_gives_up(
        phone, exchange, carrier):
    both = volunteer_ids(exchange, "+31612340001", "+31612340002")
    with exchange.db.session() as other_engine:
        assert claims.reserve_volunteers(other_engine, both) == set(both)
        ask(phone)
        exchange.engine.tick()
        assert legs(exchange) == []
    assert request_of(exchange).state == "searching"
    exchange.engine.tick()
    assert len(legs(exchange)) == 1


def test_a_volunteer_rung_by_another_engine_since_the_candidate_query_is_not_reserved(
        phone, exchange):
    (first,) = volunteer_ids(exchange, "+31612340001")
    ask(phone)
    with exchange.db.session() as session:
        request = session.scalar(select(HelpRequest))
        session.add(CallLeg(request_id=request.id, volunteer_id=first, status="ringing",
                            placed_at=request.searching_since))
    with exchange.db.session() as session:
        assert claims.reserve_volunteers(session, [first]) == set()


def test_live_engines_share_the_poll_interval(exchange, monkeypatch):
    """Three live engines each poll once per three intervals: together they keep the
    interval, instead of three steps an interval for the same work. A wake-up is never put
    off, and one engine alone polls every interval."""
    with exchange.db.session() as session:
        for _ in range(3):
            heartbeat.register(session, utcnow())
    with exchange.db.session() as session:
        assert heartbeat.live_count(session, utcnow()) == 3
    engine = exchange.engine
    steps = []
    monkeypatch.setattr(engine, "_step", lambda: steps.append(engine._engines))
    engine._engines = 3
    engine.tick()
    engine.tick()  # a poll just after a step: another engine's poll comes first
    assert len(steps) == 1
    engine.request_step()
    engine.tick()
    assert len(steps) == 2, "a wake-up steps at once"
    engine._last_step_began -= exchange.config.matching.poll_interval_s * 2.5
    engine.tick()
    assert len(steps) == 3, "three intervals after its step, less half a tick, it polls"
    engine._engines = 1
    engine.tick()
    assert len(steps) == 4, "alone, it polls at every tick"
