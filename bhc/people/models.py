"""Residents who take part, numbers the exchange refuses, and callers asking to sign up."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bhc.db import Base

if TYPE_CHECKING:
    from bhc.neighbourhoods.models import Neighbourhood


class ParticipantRole(StrEnum):
    """How a resident takes part, as the CSV and the sign-up page name it."""

    HELPER = "helper"
    ASKER = "asker"
    BOTH = "both"

    @property
    def flags(self) -> tuple[bool, bool]:
        """(is_helper, is_asker)."""
        return {"helper": (True, False), "asker": (False, True), "both": (True, True)}[self]

    @classmethod
    def of(cls, is_helper: bool, is_asker: bool) -> ParticipantRole:
        return next((role for role in cls if role.flags == (is_helper, is_asker)), cls.BOTH)


class Participant(Base):
    """A registered resident: helper, asker or both."""

    __tablename__ = "participants"
    __table_args__ = (Index("ix_participants_helpers", "neighbourhood_id", "is_helper"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    postcode: Mapped[str] = mapped_column(String(10), default="")
    house_number: Mapped[str] = mapped_column(String(10), default="")
    neighbourhood_id: Mapped[int | None] = mapped_column(ForeignKey("neighbourhoods.id"))
    is_helper: Mapped[bool] = mapped_column(Boolean, default=False)
    is_asker: Mapped[bool] = mapped_column(Boolean, default=True)
    languages: Mapped[str] = mapped_column(String(40), default="nl")
    availability: Mapped[str] = mapped_column(String(400), default="")
    call_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_at: Mapped[datetime | None] = mapped_column(DateTime)
    consent_source: Mapped[str] = mapped_column(String(40), default="")
    paused_until: Mapped[datetime | None] = mapped_column(DateTime)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    # Menus wait [ivr] more_time_gather_timeout_s for their key instead of gather_timeout_s.
    needs_more_time: Mapped[bool] = mapped_column(Boolean, default=False,
                                                  server_default=false())
    source: Mapped[str] = mapped_column(String(20), default="coordinator")
    created_at: Mapped[datetime] = mapped_column(DateTime)

    # Loaded when read: most loads of a participant (a caller recognised, a follow-up's
    # person, a volunteer's offer) never look at them, and each would cost a SELECT.
    categories: Mapped[list[ParticipantCategory]] = relationship(
        cascade="all, delete-orphan"
    )

    @property
    def language_list(self) -> list[str]:
        return [code.strip() for code in self.languages.split(";") if code.strip()]

    @property
    def category_slugs(self) -> set[str]:
        return {c.slug for c in self.categories}


class ParticipantCategory(Base):
    """A category a helper is willing to be called for (by slug, stable across menus)."""

    __tablename__ = "participant_categories"

    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    )
    slug: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class BlockedNumber(Base):
    """A number a coordinator blocked: its calls hear a short message and open no request."""

    __tablename__ = "blocked_numbers"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    blocked_at: Mapped[datetime] = mapped_column(DateTime)
    blocked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class RegistrationCallback(Base):
    """An unregistered caller asked by phone to be called back by a coordinator to sign up."""

    __tablename__ = "registration_callbacks"

    id: Mapped[int] = mapped_column(primary_key=True)
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhoods.id"), index=True)
    # The caller as the phone recorded them (for review): their page shows the full number.
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"))
    phone: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(8), default="nl")
    requested_at: Mapped[datetime] = mapped_column(DateTime)
    done_at: Mapped[datetime | None] = mapped_column(DateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    neighbourhood: Mapped[Neighbourhood] = relationship()
    participant: Mapped[Participant | None] = relationship()

