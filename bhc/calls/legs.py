"""Bookkeeping of a volunteer call's status, shared by the webhooks and the engine."""

from __future__ import annotations

from datetime import datetime

from bhc.calls.models import CallLeg, LegOutcome, LegStatus
from matching import policy

# Carrier statuses in the order a call passes through them; later ones never go back.
_PROGRESS = {LegStatus.PLACING: 0, LegStatus.QUEUED: 1, LegStatus.INITIATED: 2,
             LegStatus.RINGING: 3, LegStatus.IN_PROGRESS: 4}
TERMINAL = frozenset({LegStatus.COMPLETED, LegStatus.BUSY, LegStatus.NO_ANSWER, LegStatus.FAILED,
                      LegStatus.CANCELED})

_STATUS_OUTCOME = {
    LegStatus.BUSY: LegOutcome.BUSY,
    LegStatus.NO_ANSWER: LegOutcome.NO_ANSWER,
    LegStatus.FAILED: LegOutcome.FAILED,
    LegStatus.CANCELED: LegOutcome.CANCELED,
    LegStatus.COMPLETED: LegOutcome.NO_RESPONSE,  # answered but hung up without pressing a key
}
# How the matching core sees a decided leg; anything else counts as not answered.
_POLICY_OUTCOME = {
    LegOutcome.ACCEPTED: policy.LegOutcome.ACCEPTED,
    LegOutcome.DECLINED: policy.LegOutcome.DECLINED,
    LegOutcome.PAUSED: policy.LegOutcome.DECLINED,
    LegOutcome.OPTED_OUT: policy.LegOutcome.DECLINED,
    LegOutcome.WITHDRAWN: policy.LegOutcome.WITHDRAWN,
    LegOutcome.TAKEN: policy.LegOutcome.WITHDRAWN,
}


def advance_status(leg: CallLeg, status: str, now: datetime) -> bool:
    """Move the leg forward to ``status``; late or repeated callbacks change nothing.

    Returns whether anything changed, so retried callbacks stay idempotent.
    """
    if status not in _PROGRESS and status not in TERMINAL:
        return False
    if leg.first_news_at is None:
        leg.first_news_at = now
    if leg.status in TERMINAL:
        return False
    if status in _PROGRESS and _PROGRESS[status] <= _PROGRESS.get(leg.status, 0):
        return False
    leg.status = status
    if status == LegStatus.IN_PROGRESS and leg.answered_at is None:
        leg.answered_at = now
    if status in TERMINAL:
        leg.ended_at = now
        if leg.outcome is None:
            leg.outcome = _terminal_outcome(leg, status)
    return True


def is_machine(answered_by: str | None) -> bool:
    """Whether answering-machine detection said a machine (or a fax) picked up."""
    return (answered_by or "").startswith("machine") or answered_by == "fax"


def _terminal_outcome(leg: CallLeg, status: str) -> LegOutcome:
    if leg.stop_requested_at is not None:
        return LegOutcome.WITHDRAWN
    if status == LegStatus.COMPLETED and is_machine(leg.answered_by):
        return LegOutcome.MACHINE
    return _STATUS_OUTCOME[LegStatus(status)]


def policy_leg(leg: CallLeg) -> policy.Leg:
    """The matching core's view of a leg: live, or how it ended."""
    if leg.outcome is None:
        return policy.Leg(leg.volunteer_id or 0, None)
    return policy.Leg(leg.volunteer_id or 0,
                      _POLICY_OUTCOME.get(leg.outcome, policy.LegOutcome.NO_ANSWER))
