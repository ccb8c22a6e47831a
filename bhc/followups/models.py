"""Follow-up calls after a match."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bhc.db import Base

if TYPE_CHECKING:
    from bhc.calls.models import Match


class FollowUpState(StrEnum):
    DUE = "due"  # waiting for its time (due_at None: not yet timed by the engine)
    PLACING = "placing"  # claimed by the engine; its call waits for its turn or is placed
    CALLING = "calling"
    ANSWERED = "answered"  # at least the first question was answered
    UNREACHABLE = "unreachable"
    SKIPPED = "skipped"  # not to be called (opted out, erased, no consent, never available)


class FollowUpSide(StrEnum):
    ASKER = "asker"
    HELPER = "helper"


class FollowUpOutcome(StrEnum):
    """Why a follow-up came to what it did: answered, not reached, or never to be placed."""

    ANSWERED = "answered"
    NO_KEY = "no_key"  # picked up, heard us, pressed nothing
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    FAILED = "failed"
    CANCELED = "canceled"
    MACHINE = "machine"
    CARRIER_ERROR = "carrier_error"
    INTERRUPTED = "interrupted"  # the engine placing it went away: never phoned again
    LOST = "lost"  # the call's status callbacks never came
    # Skipped:
    NO_NUMBER = "no_number"  # a withheld number, or anonymised after the retention period
    ERASED = "erased"
    OPTED_OUT = "opted_out"
    NO_CONSENT = "no_consent"
    NEVER_AVAILABLE = "never_available"


class FollowUp(Base):
    """A short call after a match asking one side (asker or helper) whether help was given.

    The asker answers ``helped`` and ``wants_contact_again``, the helper ``could_help``.
    ``outcome`` says why a call came to nothing or was skipped (busy, no_answer, opted_out, ...).
    """

    __tablename__ = "follow_ups"
    __table_args__ = (
        UniqueConstraint("match_id", "side"),
        Index("ix_follow_ups_state_due_at", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # A match undone (a call-back that did not connect) takes its follow-ups with it.
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"))
    side: Mapped[str] = mapped_column(String(10))  # "asker" or "helper"
    state: Mapped[str] = mapped_column(String(12), default=FollowUpState.DUE)
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    call_sid: Mapped[str | None] = mapped_column(String(64))
    last_called_at: Mapped[datetime | None] = mapped_column(DateTime)
    outcome: Mapped[str | None] = mapped_column(String(20))
    helped: Mapped[bool | None] = mapped_column(Boolean)
    wants_contact_again: Mapped[bool | None] = mapped_column(Boolean)
    could_help: Mapped[bool | None] = mapped_column(Boolean)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)

    match: Mapped[Match] = relationship()

