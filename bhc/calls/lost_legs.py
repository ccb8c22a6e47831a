"""Volunteer calls whose news never came (a lost status callback, a crash) must not block a
search or a volunteer for ever.

A call's ring time counts from the carrier's first news of it (``first_news_at``: its first
status callback), not from the REST request: Twilio holds calls beyond the account's calls per
second in a queue and starts them at that rate ("Call resource", "Calls Per Second"), so at a
burst a call may wait long before it rings, without any callback. A call without any news is
taken for lost only once the longest search it can belong to is over as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from bhc.calls.models import LIVE_LEG_STATUSES, CallLeg, LegOutcome, LegStatus

# How long past the ring timeout a ringing leg without further news counts as lost.
LOST_LEG_GRACE = timedelta(seconds=30)
# How long an answered volunteer may take to press a key before we move on.
DECISION_LIMIT = timedelta(seconds=90)


@dataclass(frozen=True)
class Limits:
    ring: timedelta  # ring timeout + grace, from the first news
    no_news: timedelta  # from the REST request, for a call the carrier never told us about
    decision: timedelta = DECISION_LIMIT

    @classmethod
    def of(cls, ring_timeout_s: int, max_wait_s: int) -> Limits:
        ring = timedelta(seconds=ring_timeout_s) + LOST_LEG_GRACE
        return cls(ring=ring, no_news=timedelta(seconds=max_wait_s) + ring)


def expire(session: Session, now: datetime, limits: Limits,
           *where: ColumnElement[bool]) -> list[tuple[str, bool]]:
    """Give the lost legs an outcome, and end those never answered (``where``: further
    conditions on the legs); returns (sid, answered) of the calls still to end.

    A leg that already has an outcome but was never answered (its engine died placing it:
    over for the request, the phone perhaps ringing) is ended the same way, so its volunteer
    is free again."""
    unanswered = CallLeg.answered_at.is_(None)
    legs = session.scalars(
        select(CallLeg).where(
            CallLeg.status.in_(LIVE_LEG_STATUSES),
            or_(and_(unanswered, CallLeg.first_news_at < now - limits.ring),
                and_(unanswered, CallLeg.first_news_at.is_(None),
                     CallLeg.placed_at < now - limits.no_news),
                and_(CallLeg.outcome.is_(None), CallLeg.answered_at < now - limits.decision)),
            *where,
        ).with_for_update(skip_locked=True, of=CallLeg)
    ).all()
    to_end = []
    for leg in legs:
        answered = leg.answered_at is not None
        if answered:
            leg.outcome, leg.error = LegOutcome.NO_RESPONSE, "no key within the decision limit"
        else:
            if leg.outcome is None:
                leg.outcome = LegOutcome.NO_ANSWER
                leg.error = ("no status from the carrier" if leg.first_news_at
                             else "no news from the carrier at all")
            leg.status, leg.ended_at = LegStatus.FAILED, now
        if leg.sid:
            to_end.append((leg.sid, answered))
    return to_end
