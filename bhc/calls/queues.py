"""The carrier's queue of each request (``request-<id>``): the caller waits in it, and for a
call-back the volunteer. Queues persist until deleted ("Queue resource": "inactive Queues
should be deleted"), so the engine deletes a request's queue once the request is over and the
last wait in it has ended, which is when its ``QueueSid`` reaches us (the ``<Enqueue>`` action).
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bhc.calls.models import OPEN_STATES, HelpRequest


def wait_ended(session: Session, request: HelpRequest, queue_sid: str | None) -> None:
    """Someone's wait in the request's queue is over (the ``<Enqueue>`` action came)."""
    if queue_sid and request.queue_sid != queue_sid:
        request.queue_sid = queue_sid


def take_finished(session: Session) -> list[str]:
    """Queues of requests that are over, each taken by one engine only."""
    rows = session.execute(
        select(HelpRequest.id, HelpRequest.queue_sid)
        .where(HelpRequest.queue_sid.is_not(None), HelpRequest.state.not_in(OPEN_STATES))
    ).all()
    taken = []
    for request_id, queue_sid in rows:
        if session.execute(
            update(HelpRequest)
            .where(HelpRequest.id == request_id, HelpRequest.queue_sid == queue_sid)
            .values(queue_sid=None)
            .execution_options(synchronize_session=False)
        ).rowcount:
            taken.append(queue_sid)
    return taken
