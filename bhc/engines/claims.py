"""Which engine acts on what, when several run against one PostgreSQL database.

A search step is claimed by locking the request's row, and each volunteer it is about to ring
by locking theirs, both with ``SKIP LOCKED`` for the step's transaction: another engine skips
what one is working on instead of waiting for it, and an engine that dies releases its locks at
once (PostgreSQL ends the transaction when its connection closes), so nothing needs
reclaiming. Row locks rather than advisory locks, because they are per schema (exchanges that
share a database in schemas of their own never contend) and the lock and the rows it guards
are the same thing; rather than leases, because a lease outlives a dead engine.

SQLite runs one engine process, where these locks are no-ops and the queries alone hold.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bhc.calls.models import LIVE_LEG_STATUSES, CallLeg, HelpRequest
from bhc.people.models import Participant


def claim_search(session: Session, request_id: int) -> HelpRequest | None:
    """The request, locked for this step; None when another engine is stepping it right now
    (or it is gone). ``FOR NO KEY UPDATE``: the legs this step inserts refer to it, and other
    work (a webhook's status update of a leg) never waits for it."""
    return session.scalars(
        select(HelpRequest).where(HelpRequest.id == request_id)
        .with_for_update(skip_locked=True, key_share=True)
        .execution_options(populate_existing=True)
    ).first()


def reserve_volunteers(session: Session, volunteer_ids: Iterable[int]) -> set[int]:
    """Those of the chosen volunteers this step may ring: locked for it (another engine's
    step reserving one makes this one skip them), and on no live call as committed by now
    (a leg another engine committed since the candidate query counts)."""
    ids = list(volunteer_ids)
    locked = set(session.scalars(
        select(Participant.id).where(Participant.id.in_(ids))
        .with_for_update(skip_locked=True, key_share=True)
    ))
    busy = set(session.scalars(
        select(CallLeg.volunteer_id).where(CallLeg.volunteer_id.in_(locked),
                                           CallLeg.status.in_(LIVE_LEG_STATUSES))
    )) if locked else set()
    return locked - busy


def claim_next_search(session: Session, to_advance, after_id: int) -> HelpRequest | None:
    """The first request after ``after_id`` that ``to_advance`` selects and no other engine
    is stepping, locked for this step as by ``claim_search``; None when there is none. Engines
    stepping at once thus take different searches, each skipping what another has locked."""
    return session.scalars(
        select(HelpRequest).where(HelpRequest.id > after_id, to_advance)
        .order_by(HelpRequest.id).limit(1)
        .with_for_update(skip_locked=True, key_share=True, of=HelpRequest)
        .execution_options(populate_existing=True)
    ).first()
