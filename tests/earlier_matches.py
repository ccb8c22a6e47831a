"""Matches made the day before, with their follow-up calls due: what an exchange has waiting
for the engine besides its callers. Shared by the e2e tests and benchmarks/load.py (which puts
the repository's root on its path); it needs a database session and nothing of pytest.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bhc.calls.models import LegOutcome, LegStatus, RequestOutcome, RequestState
from bhc.followups.models import FollowUp, FollowUpState
from bhc.models import CallLeg, HelpRequest, Match, Participant


def add_yesterdays_match(session, neighbourhood_id: int, asker: str, helper: str, call_sid: str,
                         now: datetime, follow_ups_due_at: datetime) -> Match:
    """A transport request of a day before ``now`` by ``asker`` that ``helper`` accepted (both
    saved participants, by phone), and both sides' follow-ups due at ``follow_ups_due_at``."""
    session.flush()
    ids = dict(session.execute(select(Participant.phone, Participant.id)
                               .where(Participant.phone.in_((asker, helper)))).all())
    request = HelpRequest(call_sid=call_sid, neighbourhood_id=neighbourhood_id,
                          caller_id=ids[asker], category_slug="transport",
                          state=RequestState.MATCHED, outcome=RequestOutcome.MATCHED,
                          created_at=now - timedelta(days=1))
    session.add(request)
    session.flush()
    leg = CallLeg(request_id=request.id, volunteer_id=ids[helper], status=LegStatus.COMPLETED,
                  outcome=LegOutcome.ACCEPTED, placed_at=request.created_at,
                  ended_at=request.created_at)
    session.add(leg)
    session.flush()
    match = Match(request_id=request.id, leg_id=leg.id, helper_id=ids[helper],
                  asker_id=ids[asker], matched_at=request.created_at,
                  time_to_match_s=10, volunteers_rung=1)
    session.add(match)
    session.flush()
    session.add_all(FollowUp(match_id=match.id, side=side, state=FollowUpState.DUE,
                             due_at=follow_ups_due_at) for side in ("asker", "helper"))
    return match
