"""Bookkeeping of a volunteer call's status, shared by the webhooks and the engine."""

from __future__ import annotations

from datetime import datetime

from bhc.calls.models import CallLeg
from matching.policy import Leg, LegOutcome

# Carrier statuses in the order a call passes through them; later ones never go back.
_PROGRESS = {"placing": 0, "queued": 1, "initiated": 2, "ringing": 3, "in-progress": 4}
TERMINAL = {"completed", "busy", "no-answer", "failed", "canceled"}

_STATUS_OUTCOME = {
    "busy": "busy",
    "no-answer": "no_answer",
    "failed": "failed",
    "canceled": "canceled",
    "completed": "no_response",  # answered but hung up without pressing a key
}


def advance_status(leg: CallLeg, status: str, now: datetime) -> bool:
    """Move the leg forward to ``status``; late or repeated callbacks change nothing.

    Returns whether anything changed, so retried callbacks stay idempotent.
    """
    if status not in _PROGRESS and status not in TERMINAL:
        return False
    if leg.status in TERMINAL:
        return False
    if status in _PROGRESS and _PROGRESS[status] <= _PROGRESS.get(leg.status, 0):
        return False
    leg.status = status
    if status == "in-progress" and leg.answered_at is None:
        leg.answered_at = now
    if status in TERMINAL:
        leg.ended_at = now
        if leg.outcome is None:
            leg.outcome = _terminal_outcome(leg, status)
    return True


def _terminal_outcome(leg: CallLeg, status: str) -> str:
    if leg.stop_requested_at is not None:
        return "withdrawn"
    if status == "completed" and (leg.answered_by or "").startswith("machine"):
        return "machine"
    return _STATUS_OUTCOME[status]


def policy_leg(leg: CallLeg) -> Leg:
    """The matching core's view of a leg: live, or how it ended."""
    if leg.outcome is None:
        return Leg(leg.volunteer_id or 0, None)
    if leg.outcome == "accepted":
        return Leg(leg.volunteer_id or 0, LegOutcome.ACCEPTED)
    if leg.outcome in ("declined", "paused", "opted_out"):
        return Leg(leg.volunteer_id or 0, LegOutcome.DECLINED)
    if leg.outcome in ("withdrawn", "taken"):
        return Leg(leg.volunteer_id or 0, LegOutcome.WITHDRAWN)
    return Leg(leg.volunteer_id or 0, LegOutcome.NO_ANSWER)
