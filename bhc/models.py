"""The database model (SQLAlchemy 2.0 typed mappings). Timestamps are naive UTC."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
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
    # Web sign-ups with a verified phone number become participants without a coordinator.
    auto_approve: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
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
    __table_args__ = (
        Index("ix_help_requests_state", "state"),
        # The monthly report reads a month's requests from this index alone (index-only scans).
        Index("ix_help_requests_month", "created_at", "neighbourhood_id", "category_slug",
              "state", "outcome", "language", "id"),
        Index("ix_help_requests_caller_created", "caller_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhoods.id"), index=True)
    caller_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"))
    category_slug: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8), default="nl")
    state: Mapped[str] = mapped_column(String(20), default=RequestState.MENU)
    outcome: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime)  # indexed by ix_help_requests_month
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
        # The report's active helpers: has this volunteer answered a call in the month?
        Index("ix_call_legs_answered", "volunteer_id", "placed_at",
              sqlite_where=text("answered_at IS NOT NULL"),
              postgresql_where=text("answered_at IS NOT NULL")),
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
    # The report joins a month's requests to their matches and reads only these columns.
    __table_args__ = (Index("ix_matches_month_figures", "request_id", "time_to_match_s",
                            "volunteers_rung", "asker_id", "helper_id"),)

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


class RecordedPrompt(Base):
    """A coordinator's recording of one fixed caller message (catalogue msgid) in one language;
    the IVR plays it instead of speaking the text. Stored in the database so every web worker
    serves it."""

    __tablename__ = "recorded_prompts"
    __table_args__ = (UniqueConstraint("message_key", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_key: Mapped[str] = mapped_column(String(40))  # sha1 of the msgid: msgids are long
    language: Mapped[str] = mapped_column(String(8), index=True)
    audio: Mapped[bytes] = mapped_column(LargeBinary)
    content_type: Mapped[str] = mapped_column(String(40))
    token: Mapped[str] = mapped_column(String(32))  # in the public URL: unguessable; new per upload
    uploaded_at: Mapped[datetime] = mapped_column(DateTime)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))


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


class FollowUpState:
    DUE = "due"  # waiting for its time (due_at None: not yet timed by the engine)
    PLACING = "placing"  # claimed by the engine; the call is being placed
    CALLING = "calling"
    ANSWERED = "answered"  # at least the first question was answered
    UNREACHABLE = "unreachable"
    SKIPPED = "skipped"  # not to be called (opted out, erased, no consent, never available)


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


class SurveyWave(Base):
    """One round of the resident survey in one neighbourhood, named as in the CSV ("2026-03",
    "voormeting"); ``held_on`` is set when the name is a date, for ordering waves in time."""

    __tablename__ = "survey_waves"
    __table_args__ = (UniqueConstraint("neighbourhood_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhoods.id"))
    label: Mapped[str] = mapped_column(String(40))
    held_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class SurveyResponse(Base):
    """One respondent's answers in one wave. ``respondent`` is an opaque code, never a name.

    ``answers`` keeps the items as given; the five scale scores (the mean of a scale's answered
    items, reverse-keyed ones turned around) are computed at import so the report aggregates
    them in SQL. None where too few items of the scale were answered.
    """

    __tablename__ = "survey_responses"
    __table_args__ = (UniqueConstraint("wave_id", "respondent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("survey_waves.id", ondelete="CASCADE"))
    respondent: Mapped[str] = mapped_column(String(64))
    used_exchange: Mapped[str] = mapped_column(String(10))  # no, asker, helper or both
    knows_exchange: Mapped[bool | None] = mapped_column(Boolean)
    answers: Mapped[dict[str, int]] = mapped_column(JSON)
    cohesion: Mapped[float | None] = mapped_column(Float)
    solidarity: Mapped[float | None] = mapped_column(Float)
    liveability: Mapped[float | None] = mapped_column(Float)
    informal_care: Mapped[float | None] = mapped_column(Float)
    self_reliance: Mapped[float | None] = mapped_column(Float)


class SignUpState:
    PENDING_VERIFICATION = "pending_verification"
    VERIFIED = "verified"  # the phone number answered with the right code; awaits approval
    APPROVED = "approved"  # the participant exists
    REJECTED = "rejected"
    OPEN = (PENDING_VERIFICATION, VERIFIED)


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


class NeighbourhoodAdjacency(Base):
    """Two neighbourhoods that border each other, stored in both directions: with
    ``[matching] widen_to_adjacent`` a search that has run out of helpers in its own
    neighbourhood goes on with those of the adjacent ones."""

    __tablename__ = "adjacent_neighbourhoods"

    neighbourhood_id: Mapped[int] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="CASCADE"), primary_key=True)
    adjacent_id: Mapped[int] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="CASCADE"), primary_key=True)
