"""The kinds of outbound call and what each records at the dispatcher's moments: a leg to a
volunteer, the call-back to a resident, the call to the neighbour of a match someone asked to
be put through to again, the call reading a sign-up's code, a follow-up."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, case, select, update
from sqlalchemy.orm import Session, joinedload

from bhc.calls import callbacks, reconnections
from bhc.calls.models import OPEN_STATES, CallLeg, LegOutcome, LegStatus, RequestOutcome
from bhc.engines.dispatcher import Kind
from bhc.followups import services as followups
from bhc.signups import services as signups

LEG, CALL_BACK, RECONNECTION = "leg", "call_back", "reconnection"
SIGN_UP_CODE, FOLLOW_UP = "sign_up_code", "follow_up"


class _Placement:
    """What the kinds share: the engine's clock, and an interrupted placing that counts as a
    failed one unless the kind says otherwise."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock

    def failed(self, session: Session, call_id: int, error: str) -> None:
        raise NotImplementedError

    def interrupted(self, session: Session, call_id: int) -> None:
        self.failed(session, call_id, "interrupted")


class Legs(_Placement):
    """A volunteer's call for a request. Its row is written before the call is queued, so a
    volunteer is never rung twice for one request, whatever crashes."""

    def at_turn(self, session: Session, leg_id: int) -> bool | None:
        # The turn's transaction holds the account's pace, which every engine waits for: the
        # leg is locked without waiting (queueing behind a webhook or a step that holds it cost
        # every dispatcher a second and more on PostgreSQL), and its request comes in the same
        # round trip.
        leg = session.scalars(_leg_at_turn(), {"leg_id": leg_id}).first()
        if leg is None:
            exists = session.scalar(select(CallLeg.id).where(CallLeg.id == leg_id))
            return None if exists is not None else False
        if leg.status != LegStatus.PLACING:
            return False
        if leg.stop_requested_at is not None or leg.request.state not in OPEN_STATES:
            session.delete(leg)  # never rung: it did not happen (nor counts to their caps)
            return False
        leg.placed_at = self.clock()
        return True

    def placed(self, session: Session, leg_id: int, sid: str) -> bool:
        # One statement: a status callback may already have moved the leg on (even ended it)
        # between the REST answer and here, and must not be undone; and the stop mark comes
        # back with the write, so a stop asked for meanwhile is seen here or sees the sid.
        return session.execute(
            update(CallLeg).where(CallLeg.id == leg_id)
            .values(sid=sid, status=case((CallLeg.status == LegStatus.PLACING, LegStatus.QUEUED),
                                         else_=CallLeg.status))
            .returning(CallLeg.stop_requested_at)
            .execution_options(synchronize_session=False)
        ).scalar() is not None

    def failed(self, session: Session, leg_id: int, error: str) -> None:
        session.execute(
            update(CallLeg).where(CallLeg.id == leg_id, CallLeg.status == LegStatus.PLACING)
            .values(status=LegStatus.FAILED, outcome=LegOutcome.FAILED, error=error,
                    ended_at=self.clock())
        )

    def interrupted(self, session: Session, leg_id: int) -> None:
        """Over for the request (its search moves on, and a late answer hears so), but the
        volunteer's phone may ring: the call's status callbacks (which name the leg) end it,
        or the engine's lost-leg expiry does; until then the volunteer counts as on a call.
        A leg already withdrawn (its request matched meanwhile) keeps its outcome but is marked
        too: its call may have rung all the same, with no sid to stop it by."""
        undecided = CallLeg.outcome.is_(None)
        session.execute(
            update(CallLeg).where(CallLeg.id == leg_id)
            .values(outcome=case((undecided, LegOutcome.FAILED), else_=CallLeg.outcome),
                    decided_at=case((undecided, self.clock()), else_=CallLeg.decided_at),
                    error="interrupted: the engine placing it stopped")
        )


@cache
def _leg_at_turn():
    """Built once: the turn's transaction holds the pace that every engine waits for, and
    building the statement's loader option each time was a good part of its CPU."""
    return (select(CallLeg).where(CallLeg.id == bindparam("leg_id"))
            .options(joinedload(CallLeg.request, innerjoin=True))
            .with_for_update(skip_locked=True, of=CallLeg)
            .execution_options(populate_existing=True))


class CallBacks(_Placement):
    """The call to a resident whose call-back a volunteer took, waiting on hold."""

    def at_turn(self, session: Session, request_id: int) -> bool:
        return callbacks.resident_call_due(session, request_id)

    def placed(self, session: Session, request_id: int, sid: str) -> bool:
        callbacks.resident_call_placed(session, request_id, sid)
        return False

    def failed(self, session: Session, request_id: int, error: str) -> None:
        callbacks.fail(session, request_id, RequestOutcome.CALLBACK_UNREACHABLE, self.clock())


class Reconnections(_Placement):
    """The call to the neighbour of a match, while the one who asked waits on hold."""

    def at_turn(self, session: Session, reconnection_id: int) -> bool:
        return reconnections.turn_came(session, reconnection_id, self.clock())

    def placed(self, session: Session, reconnection_id: int, sid: str) -> bool:
        reconnections.placed(session, reconnection_id, sid)
        return False

    def failed(self, session: Session, reconnection_id: int, error: str) -> None:
        reconnections.placing_failed(session, reconnection_id, self.clock())


class SignUpCodes(_Placement):
    """The call that reads a web sign-up its code (the page offers to call again)."""

    def at_turn(self, session: Session, sign_up_id: int) -> bool:
        return signups.call_still_due(session, sign_up_id)

    def placed(self, session: Session, sign_up_id: int, sid: str) -> bool:
        signups.call_placed(session, sign_up_id, sid)
        return False

    def failed(self, session: Session, sign_up_id: int, error: str) -> None:
        signups.call_placed(session, sign_up_id, None)


class FollowUps(_Placement):
    """The call after a match asking whether help was given."""

    def at_turn(self, session: Session, follow_up_id: int) -> bool:
        return followups.turn_came(session, follow_up_id, self.clock())

    def placed(self, session: Session, follow_up_id: int, sid: str) -> bool:
        followups.placed(session, follow_up_id, sid)
        return False

    def failed(self, session: Session, follow_up_id: int, error: str) -> None:
        followups.placing_failed(session, follow_up_id, self.clock())

    def interrupted(self, session: Session, follow_up_id: int) -> None:
        followups.placing_interrupted(session, follow_up_id)


def kinds(clock: Callable[[], datetime]) -> dict[str, Kind]:
    return {LEG: Legs(clock), CALL_BACK: CallBacks(clock), RECONNECTION: Reconnections(clock),
            SIGN_UP_CODE: SignUpCodes(clock), FOLLOW_UP: FollowUps(clock)}
