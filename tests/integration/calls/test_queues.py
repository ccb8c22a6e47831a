"""The carrier's queues of our waits are deleted once what they were for is over: a request's
queue even when its <Enqueue> action never came, a reconnection's queue, each once, and one the
carrier failed to delete is asked again later without the engine stumbling."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bhc.calls import queues
from bhc.calls.carrier import CarrierError
from bhc.models import CarrierQueue, HelpRequest, Reconnection
from tests.integration.calls.test_reconnections import (
    AGAIN,
    a_match,
    press_1_after_the_offer,
    reconnection,
)
from tests.integration.test_webhooks import CALL, search_started

QUEUE = "QU" + "3" * 32


@pytest.fixture
def config(config):
    """Reconnections are offered (the shared tests switch the offer off)."""
    return config.replace(matching={"reconnect_hours": 24})


def hold_then_hang_up_without_the_action(phone, exchange, carrier):
    """On hold, the wait URL brings the queue's sid; the caller hangs up and only their status
    callback comes."""
    search_started(phone, exchange, carrier)
    phone.post("/ivr/caller/hold", CallSid=CALL, QueueSid=QUEUE, QueuePosition="1")
    phone.post("/ivr/caller/hold", CallSid=CALL, QueueSid=QUEUE, QueuePosition="1")
    phone.post("/ivr/caller/status", CallSid=CALL, CallStatus="completed")


def earlier(exchange, model, column: str, by: timedelta) -> None:
    """Move ``column`` of every row of ``model`` back ``by`` (in Python: SQLite has no datetime
    arithmetic)."""
    with exchange.db.session() as session:
        for row in session.scalars(select(model)):
            setattr(row, column, getattr(row, column) - by)


def ended_long_ago(exchange) -> None:
    earlier(exchange, HelpRequest, "ended_at", queues.GRACE + timedelta(seconds=1))


def test_a_queue_whose_action_never_came_is_deleted_a_while_after_the_request_ended(
        phone, exchange, carrier):
    hold_then_hang_up_without_the_action(phone, exchange, carrier)
    exchange.engine.tick()
    assert carrier.deleted_queues == [], "someone may still be leaving it"
    ended_long_ago(exchange)
    exchange.engine.tick()
    exchange.engine.tick()
    assert carrier.deleted_queues == [QUEUE]
    with exchange.db.session() as session:
        assert session.scalar(select(CarrierQueue.deleted_at)) is not None


def test_a_queue_the_carrier_failed_to_delete_is_tried_again_later(phone, exchange, carrier,
                                                                    monkeypatch):
    hold_then_hang_up_without_the_action(phone, exchange, carrier)
    ended_long_ago(exchange)
    deleted = carrier.delete_queue

    def outage(queue_sid):
        raise CarrierError("HTTP 503 from carrier")

    monkeypatch.setattr(carrier, "delete_queue", outage)
    exchange.engine.tick()  # logged, not raised
    exchange.engine.tick()
    monkeypatch.setattr(carrier, "delete_queue", deleted)
    exchange.engine.tick()
    assert carrier.deleted_queues == [], "not asked again at once"
    with exchange.db.session() as session:
        assert session.scalar(select(CarrierQueue.deleted_at)) is None
    earlier(exchange, CarrierQueue, "tried_at", queues.RETRY_AFTER)
    exchange.engine.tick()
    exchange.engine.tick()
    assert carrier.deleted_queues == [QUEUE]


def test_the_queue_of_a_search_still_going_is_kept(phone, exchange, carrier):
    search_started(phone, exchange, carrier)
    phone.post("/ivr/caller/hold", CallSid=CALL, QueueSid=QUEUE)
    earlier(exchange, CarrierQueue, "seen_at", queues.GRACE * 10)
    exchange.engine.tick()
    assert carrier.deleted_queues == []


def test_a_reconnections_queue_is_deleted_once_its_wait_is_over(phone, exchange, carrier):
    press_1_after_the_offer(phone, a_match(exchange))
    row = reconnection(exchange)
    phone.post(f"/ivr/reconnect/hold?reconnection={row.id}", CallSid=AGAIN, QueueSid=QUEUE)
    exchange.engine.tick()
    assert carrier.deleted_queues == []
    phone.post(f"/ivr/reconnect/waited?reconnection={row.id}", CallSid=AGAIN,
               QueueResult="hangup", QueueSid=QUEUE)
    exchange.engine.tick()
    exchange.engine.tick()
    assert carrier.deleted_queues == [QUEUE]
    with exchange.db.session() as session:
        queue = session.scalars(select(CarrierQueue)).one()
        assert (queue.name, queue.reconnection_id) == (f"reconnect-{row.id}", row.id)


def test_a_reconnections_queue_without_its_action_goes_too(phone, exchange, carrier):
    press_1_after_the_offer(phone, a_match(exchange))
    row = reconnection(exchange)
    phone.post(f"/ivr/reconnect/hold?reconnection={row.id}", CallSid=AGAIN, QueueSid=QUEUE)
    exchange.engine.tick()
    phone.post(f"/ivr/reconnect/status?reconnection={row.id}",
               CallSid=carrier.placed[-1]["sid"], CallStatus="no-answer")
    exchange.engine.tick()
    assert carrier.deleted_queues == []
    earlier(exchange, Reconnection, "ended_at", queues.GRACE + timedelta(seconds=1))
    exchange.engine.tick()
    assert carrier.deleted_queues == [QUEUE]
