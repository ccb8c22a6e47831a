"""The database model (SQLAlchemy 2.0 typed mappings). Timestamps are naive UTC."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class RequestState:
    MENU = "menu"
    SEARCHING = "searching"
    MATCHED = "matched"
    UNMATCHED = "unmatched"
    ABANDONED = "abandoned"
    CALLBACK_DUE = "callback_due"  # unmatched, and the caller asked to be called back


LIVE_LEG_STATUSES = ("placing", "queued", "initiated", "ringing", "in-progress")


class Neighbourhood(Base):
    __tablename__ = "neighbourhoods"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    households: Mapped[int | None] = mapped_column(Integer)
    postcodes: Mapped[str] = mapped_column(String(2000), default="")
    # Overrides [matching] quiet_hours for this neighbourhood; None means the configured default.
    quiet_hours: Mapped[str | None] = mapped_column(String(11))
    created_at: Mapped[datetime] = mapped_column(DateTime)

    numbers: Mapped[list[ExchangeNumber]] = relationship(back_populates="neighbourhood")
    categories: Mapped[list[Category]] = relationship(
        back_populates="neighbourhood", order_by="Category.key"
    )


class ExchangeNumber(Base):
    """A phone number residents call; it selects the neighbourhood."""

    __tablename__ = "exchange_numbers"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhoods.id"))

    neighbourhood: Mapped[Neighbourhood] = relationship(back_populates="numbers")


class Category(Base):
    """One entry of a neighbourhood's phone menu; ``key`` is the digit that chooses it."""

    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("neighbourhood_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhoods.id"), index=True)
    slug: Mapped[str] = mapped_column(String(40))
    key: Mapped[int] = mapped_column(Integer)
    labels: Mapped[dict[str, str]] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)

    neighbourhood: Mapped[Neighbourhood] = relationship(back_populates="categories")

    def label(self, language: str) -> str:
        return self.labels.get(language) or self.labels.get("nl") or self.slug


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
    source: Mapped[str] = mapped_column(String(20), default="coordinator")
    created_at: Mapped[datetime] = mapped_column(DateTime)

    categories: Mapped[list[ParticipantCategory]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
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


class HelpRequest(Base):
    """One inbound call asking for help, from menu to match or its end."""

    __tablename__ = "help_requests"
    __table_args__ = (Index("ix_help_requests_state", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhoods.id"), index=True)
    caller_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"))
    category_slug: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8), default="nl")
    state: Mapped[str] = mapped_column(String(20), default=RequestState.MENU)
    outcome: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    searching_since: Mapped[datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Callbacks: searched for in rounds until callback_until; the resident is phoned once a
    # volunteer has pressed 1 and waits on hold.
    callback_until: Mapped[datetime | None] = mapped_column(DateTime)
    round_started_at: Mapped[datetime | None] = mapped_column(DateTime)
    next_round_at: Mapped[datetime | None] = mapped_column(DateTime)
    callback_call_sid: Mapped[str | None] = mapped_column(String(64))

    neighbourhood: Mapped[Neighbourhood] = relationship()
    caller: Mapped[Participant | None] = relationship()
    legs: Mapped[list[CallLeg]] = relationship(back_populates="request", order_by="CallLeg.id")

    @property
    def queue_name(self) -> str:
        return f"request-{self.id}"


class CallLeg(Base):
    """One outbound call to a volunteer for a request."""

    __tablename__ = "call_legs"
    __table_args__ = (
        Index("ix_call_legs_volunteer_placed", "volunteer_id", "placed_at"),
        Index("ix_call_legs_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("help_requests.id"), index=True)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"))
    sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="placing")
    answered_by: Mapped[str | None] = mapped_column(String(20))
    key_pressed: Mapped[str | None] = mapped_column(String(4))
    outcome: Mapped[str | None] = mapped_column(String(20))
    placed_at: Mapped[datetime] = mapped_column(DateTime)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    stop_requested_at: Mapped[datetime | None] = mapped_column(DateTime)
    error: Mapped[str | None] = mapped_column(String(200))

    request: Mapped[HelpRequest] = relationship(back_populates="legs")
    volunteer: Mapped[Participant | None] = relationship()


class Match(Base):
    """A volunteer pressed 1: the two residents were put through to each other."""

    __tablename__ = "matches"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("help_requests.id"), unique=True)
    leg_id: Mapped[int] = mapped_column(ForeignKey("call_legs.id"), unique=True)
    helper_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"))
    asker_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"))
    matched_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    time_to_match_s: Mapped[float] = mapped_column(Float)
    volunteers_rung: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)


class Role:
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    ALL = (ADMIN, COORDINATOR)


user_neighbourhoods = Table(
    "user_neighbourhoods",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("neighbourhood_id", ForeignKey("neighbourhoods.id", ondelete="CASCADE"),
           primary_key=True),
)


class User(Base):
    """Someone who signs in to the coordinators' web UI: an admin, or a coordinator of some
    neighbourhoods."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default=Role.COORDINATOR)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)

    neighbourhoods: Mapped[list[Neighbourhood]] = relationship(
        secondary=user_neighbourhoods, lazy="selectin", order_by="Neighbourhood.name"
    )


class LoginFailure(Base):
    """A failed sign-in, kept briefly so repeated guessing is throttled across all web workers."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_email_at", "email", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    at: Mapped[datetime] = mapped_column(DateTime)


class AuditLog(Base):
    """Who changed what in the web UI or the CLI; summaries never hold full phone numbers."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(String(500), default="")

    user: Mapped[User | None] = relationship()


class BlockedNumber(Base):
    """A number a coordinator blocked: its calls hear a short message and open no request."""

    __tablename__ = "blocked_numbers"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    blocked_at: Mapped[datetime] = mapped_column(DateTime)
    blocked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
