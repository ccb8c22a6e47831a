"""Public web sign-ups until they become participants."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bhc.db import Base

if TYPE_CHECKING:
    from bhc.neighbourhoods.models import Neighbourhood


class SignUpState(StrEnum):
    PENDING_VERIFICATION = "pending_verification"
    VERIFIED = "verified"  # the phone number answered with the right code; awaits approval
    APPROVED = "approved"  # the participant exists
    REJECTED = "rejected"


OPEN_SIGN_UPS = (SignUpState.PENDING_VERIFICATION, SignUpState.VERIFIED)  # not yet decided


class SignUp(Base):
    """A resident's sign-up on the public web page, until a coordinator (or the neighbourhood's
    auto-approval) turns it into a participant. The verification code itself is never stored:
    it is derived from ``code_nonce`` with the server's secret (see bhc.signups)."""

    __tablename__ = "sign_ups"
    __table_args__ = (Index("ix_sign_ups_phone_state", "phone", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(30), default=SignUpState.PENDING_VERIFICATION,
                                       index=True)
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhoods.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(20))
    postcode: Mapped[str] = mapped_column(String(10))
    house_number: Mapped[str] = mapped_column(String(10))
    is_helper: Mapped[bool] = mapped_column(Boolean, default=False)
    is_asker: Mapped[bool] = mapped_column(Boolean, default=False)
    categories: Mapped[str] = mapped_column(String(400), default="")  # slugs, ";"-separated
    languages: Mapped[str] = mapped_column(String(40), default="nl")
    availability: Mapped[str] = mapped_column(String(400), default="")
    language: Mapped[str] = mapped_column(String(8), default="nl")  # of the page and the call
    consent_at: Mapped[datetime] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    code_nonce: Mapped[str | None] = mapped_column(String(64))
    code_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    code_attempts: Mapped[int] = mapped_column(Integer, default=0)
    # A verification call is due while call_requested_at is set and call_sid empty; the engine
    # writes "placing" before it calls, then the carrier's id.
    call_requested_at: Mapped[datetime | None] = mapped_column(DateTime)
    call_sid: Mapped[str | None] = mapped_column(String(64))
    call_status: Mapped[str | None] = mapped_column(String(20))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"))

    neighbourhood: Mapped[Neighbourhood] = relationship()

    @property
    def category_slugs(self) -> list[str]:
        return [slug for slug in self.categories.split(";") if slug]


class SignUpAttempt(Base):
    """One sign-up form sent or verification call asked for, kept a day so the rate limits
    hold across all web workers. ``client`` is a keyed hash of the address, not the address."""

    __tablename__ = "sign_up_attempts"
    __table_args__ = (Index("ix_sign_up_attempts_kind_at", "kind", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # "submit" or "call"
    at: Mapped[datetime] = mapped_column(DateTime)
    client: Mapped[str] = mapped_column(String(64), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")

