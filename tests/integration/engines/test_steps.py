"""What a running engine's step costs: every engine polls every second and is woken by
webhooks, and most steps find little."""

from __future__ import annotations

from tests.integration.engines.test_dispatcher import ask, legs
from tests.integration.followups.test_time_edges import statements_of


def a_running_step(exchange, monkeypatch) -> int:
    """The statements of a step as a running engine takes it between housekeeping rounds."""
    monkeypatch.setattr(exchange.engine, "_housekeeping_due", lambda: False)
    return statements_of(exchange.db, lambda _session: exchange.engine._step())


def test_a_step_that_finds_nothing_to_do_is_one_statement(exchange, monkeypatch):
    """Legs to stop, searches to advance and the rarer kinds of work are asked for together
    (they were three statements, and then the searches were listed one by one)."""
    assert a_running_step(exchange, monkeypatch) == 1
    assert legs(exchange) == []


def test_a_step_that_finds_a_search_queues_its_call_in_ten_statements(
        phone, exchange, carrier, monkeypatch):
    """What there is to do; the search claimed, its legs so far; the candidates, reserved
    (locked, then checked for live calls); the number to phone from (one SELECT, not the
    neighbourhood and then its numbers); the leg and its queued call; and the claim that
    finds no further search."""
    ask(phone)
    assert a_running_step(exchange, monkeypatch) == 10
    exchange.engine.dispatcher.run_inline()
    assert len(legs(exchange)) == 1 and len(carrier.placed) == 1
