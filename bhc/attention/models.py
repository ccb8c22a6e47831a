"""What needs a coordinator's attention: one row per resident or volunteer to phone."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bhc.db import Base

if TYPE_CHECKING:
    from bhc.calls.models import HelpRequest
    from bhc.neighbourhoods.models import Neighbourhood
    from bhc.people.models import Participant
    from bhc.users.models import User


class AttentionKind(StrEnum):
    """Why someone should be phoned; ``AttentionItem.ref_id`` names the row it came from."""

    UNMATCHED = "unmatched"  # a request ended without a match (ref: the request)
    ABANDONED = "abandoned"  # the caller hung up on hold, after the menu (ref: the request)
    CALLBACK_EXPIRED = "callback_expired"  # nobody took the call-back in time (ref: the request)
    NOT_HELPED = "not_helped"  # the asker's follow-up said they were not helped (ref: follow-up)
    SIGN_UP_CALLBACK = "sign_up_callback"  # an unregistered caller asked to be signed up
    STOPPED_BY_PHONE = "stopped_by_phone"  # a volunteer pressed 0 on an offer (ref: the call)
    CHECK_IN = "check_in"  # a volunteer answered none of their calls in 30 days (ref: a call)


class Resolution(StrEnum):
    """How a coordinator closed an item."""

    HANDLED = "handled"
    NOT_REACHED = "not_reached"  # "could not reach"


class AttentionItem(Base):
    """One person for a coordinator to phone, from the moment the need arose until closed.

    Raised by ``bhc.attention.services.sweep`` from what happened (a request that ended
    unmatched, a follow-up answer, ...), at most once per source row (``kind``, ``ref_id``).
    A coordinator closes it with a short note; open items are the list "needs attention".
    """

    __tablename__ = "attention_items"
    __table_args__ = (
        UniqueConstraint("kind", "ref_id"),
        Index("ix_attention_items_open", "closed_at", "neighbourhood_id"),
        Index("ix_attention_items_raised", "raised_at", "neighbourhood_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    ref_id: Mapped[int] = mapped_column(Integer)
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhoods.id"))
    # The resident or volunteer to phone (None: unknown number, or deleted since).
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("help_requests.id"))
    raised_at: Mapped[datetime] = mapped_column(DateTime)  # when the need arose
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolution: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(1000), default="")

    neighbourhood: Mapped[Neighbourhood] = relationship()
    participant: Mapped[Participant | None] = relationship()
    request: Mapped[HelpRequest | None] = relationship()
    closed_by: Mapped[User | None] = relationship()

    @property
    def is_open(self) -> bool:
        return self.closed_at is None
