"""The carrier's queues of our waits: ``request-<id>`` (the caller on hold, or for a call-back the
volunteer) and ``reconnect-<id>`` (who asked to be put through again).

``<Enqueue>`` creates a queue on demand, and queues persist until deleted ("Queue resource":
"inactive Queues should be deleted"). We learn a queue's sid from the wait URL's and the
action's ``QueueSid`` ("TwiML Voice: <Enqueue>", https://www.twilio.com/docs/voice/twiml/enqueue),
so a queue whose action never came is known too. The engine deletes a queue once its request or
reconnection is over and the last wait in it ended (its action came), or, without that news,
``GRACE`` after it ended; ``deleted_at`` records it, so it happens once, and a deletion the
carrier refused (a queue with someone in it, an outage) is asked again ``RETRY_AFTER`` later.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bhc.calls.models import (
    OPEN_STATES,
    CarrierQueue,
    HelpRequest,
    Reconnection,
    ReconnectionState,
)

GRACE = timedelta(minutes=10)
RETRY_AFTER = timedelta(minutes=5)
SID_LENGTH = CarrierQueue.sid.type.length


def seen(session: Session, queue_sid: str | None, name: str, now: datetime, *,
         request_id: int | None = None, reconnection_id: int | None = None) -> None:
    """A webhook of a wait in the queue named ``name`` brought its ``QueueSid``: remember it
    (once, however many webhooks bring it, and whichever process is first)."""
    if not queue_sid or len(queue_sid) > SID_LENGTH:
        return  # none, or not a sid (a queue's sid is 34 characters)
    if session.scalar(_queue_known_statement(), {"sid": queue_sid}) is not None:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(CarrierQueue).values(
        sid=queue_sid, name=name, request_id=request_id, reconnection_id=reconnection_id,
        seen_at=now).on_conflict_do_nothing(index_elements=["sid"]))


@cache
def _queue_known_statement():
    """Built once: every hold webhook of every caller on hold asks it."""
    return select(CarrierQueue.id).where(CarrierQueue.sid == bindparam("sid"))


def wait_ended(session: Session, queue_sid: str | None, name: str, now: datetime, *,
               request_id: int | None = None, reconnection_id: int | None = None) -> None:
    """Someone's wait in the queue is over (the ``<Enqueue>`` action, or a ``<Dial><Queue>``
    that took them, came)."""
    if not queue_sid or len(queue_sid) > SID_LENGTH:
        return
    seen(session, queue_sid, name, now, request_id=request_id, reconnection_id=reconnection_id)
    session.execute(
        update(CarrierQueue)
        .where(CarrierQueue.sid == queue_sid, CarrierQueue.wait_ended_at.is_(None))
        .values(wait_ended_at=now)
        .execution_options(synchronize_session=False))


def _over(now: datetime):
    """Queues whose request or reconnection is over, and either their last wait ended or they
    ended ``GRACE`` ago (a queue whose owner is gone counts as over since it was seen)."""
    request_over = and_(HelpRequest.id.is_not(None), HelpRequest.state.not_in(OPEN_STATES))
    request_ended = func.coalesce(HelpRequest.ended_at, HelpRequest.created_at)
    reconnection_over = and_(
        Reconnection.id.is_not(None),
        Reconnection.state.in_((ReconnectionState.CONNECTED, ReconnectionState.NOT_CONNECTED)))
    reconnection_ended = func.coalesce(Reconnection.ended_at, Reconnection.answered_at,
                                       Reconnection.requested_at)
    long_ago = now - GRACE
    return or_(
        and_(request_over, or_(CarrierQueue.wait_ended_at.is_not(None),
                               request_ended <= long_ago)),
        and_(reconnection_over, or_(CarrierQueue.wait_ended_at.is_not(None),
                                    reconnection_ended <= long_ago)),
        and_(HelpRequest.id.is_(None), Reconnection.id.is_(None), CarrierQueue.seen_at <= long_ago),
    )


def take_to_delete(session: Session, now: datetime) -> list[tuple[int, str]]:
    """Queues to delete now, as (id, sid), each taken by one engine only: its ``tried_at`` is
    set, so it is asked again only ``RETRY_AFTER`` later unless ``deleted`` says it is gone."""
    rows = session.execute(
        select(CarrierQueue.id, CarrierQueue.sid, CarrierQueue.tried_at)
        .outerjoin(HelpRequest, CarrierQueue.request_id == HelpRequest.id)
        .outerjoin(Reconnection, CarrierQueue.reconnection_id == Reconnection.id)
        .where(CarrierQueue.deleted_at.is_(None),
               or_(CarrierQueue.tried_at.is_(None), CarrierQueue.tried_at <= now - RETRY_AFTER),
               _over(now))
        .order_by(CarrierQueue.id)
    ).all()
    taken = []
    for queue_id, sid, tried_at in rows:
        same_try = (CarrierQueue.tried_at.is_(None) if tried_at is None
                    else CarrierQueue.tried_at == tried_at)
        if session.execute(
            update(CarrierQueue)
            .where(CarrierQueue.id == queue_id, CarrierQueue.deleted_at.is_(None), same_try)
            .values(tried_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount:
            taken.append((queue_id, sid))
    return taken


def deleted(session: Session, queue_id: int, now: datetime) -> None:
    """The carrier deleted the queue (or had no such queue any more)."""
    session.execute(
        update(CarrierQueue)
        .where(CarrierQueue.id == queue_id, CarrierQueue.deleted_at.is_(None))
        .values(deleted_at=now)
        .execution_options(synchronize_session=False))
