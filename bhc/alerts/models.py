"""Incidents the office is told about by e-mail, one row (and so one mail) each."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bhc.db import Base


class AlertKind(StrEnum):
    ENGINE_STALE = "engine_stale"  # no engine finished a step for [alerts] engine_after_s
    UNMATCHED = "unmatched"  # a request ended without a match


class Alert(Base):
    """One incident. ``key`` makes it one: the request's id, or when the engines were last
    heard of, which every process that notices the same outage computes alike, so the unique
    constraint lets exactly one of them record it."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("kind", "key", name="uq_alerts_kind_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("help_requests.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)  # a process took it to mail
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    error: Mapped[str | None] = mapped_column(String(200))
