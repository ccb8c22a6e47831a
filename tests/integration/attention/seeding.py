"""Rows the attention tests start from: requests as they ended, their calls and follow-ups."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlalchemy import select

from bhc.models import CallLeg, FollowUp, HelpRequest, Match, Participant

_sids = itertools.count(1)


def person_id(session, phone: str) -> int:
    return session.scalar(select(Participant.id).where(Participant.phone == phone))


def ended_request(session, neighbourhood_id: int, caller_id: int | None, at: datetime,
                  state: str, outcome: str | None, *, chose: bool = True,
                  slug: str = "groceries") -> HelpRequest:
    """A request made at ``at`` that ended a minute later as ``state``/``outcome``."""
    request = HelpRequest(call_sid=f"CAatt{next(_sids):029d}", neighbourhood_id=neighbourhood_id,
                          caller_id=caller_id, category_slug=slug if chose else None,
                          state=state, outcome=outcome, created_at=at,
                          searching_since=at + timedelta(seconds=10) if chose else None,
                          ended_at=at + timedelta(minutes=1))
    session.add(request)
    session.flush()
    return request


def leg(session, request: HelpRequest, volunteer_id: int, at: datetime, outcome: str | None,
        *, answered: bool = False, answered_by: str | None = None,
        status: str = "completed") -> CallLeg:
    row = CallLeg(request_id=request.id, volunteer_id=volunteer_id, status=status,
                  outcome=outcome, placed_at=at, answered_by=answered_by,
                  answered_at=at + timedelta(seconds=5) if answered else None,
                  decided_at=at + timedelta(seconds=10) if answered else None,
                  ended_at=at + timedelta(seconds=20) if outcome else None)
    session.add(row)
    session.flush()
    return row


def matched_with_follow_up(session, neighbourhood_id: int, asker_id: int, helper_id: int,
                           at: datetime, helped: bool | None) -> tuple[HelpRequest, FollowUp]:
    """A match whose asker answered the follow-up the next day (``helped``)."""
    request = ended_request(session, neighbourhood_id, asker_id, at, "matched", "matched")
    accepted = leg(session, request, helper_id, at + timedelta(seconds=20), "accepted",
                   answered=True)
    match = Match(request_id=request.id, leg_id=accepted.id, helper_id=helper_id,
                  asker_id=asker_id, matched_at=at + timedelta(seconds=30),
                  time_to_match_s=20.0, volunteers_rung=1)
    session.add(match)
    session.flush()
    follow_up = FollowUp(match_id=match.id, side="asker", state="answered",
                         outcome="answered", helped=helped,
                         answered_at=at + timedelta(days=1))
    session.add(follow_up)
    session.add(FollowUp(match_id=match.id, side="helper", state="answered", outcome="answered",
                         could_help=True, answered_at=at + timedelta(days=1)))
    session.flush()
    return request, follow_up
