"""Help requests, the calls to volunteers they lead to, and matches."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bhc.calls.carrier import CallStatus
from bhc.db import Base
from matching.policy import UnmatchedReason

if TYPE_CHECKING:
    from bhc.neighbourhoods.models import Category, Neighbourhood
    from bhc.people.models import Participant


class RequestState(StrEnum):
    """Where a request is; ``bhc.calls.transitions`` says which way it may move."""

    MENU = "menu"
    SEARCHING = "searching"
    MATCHED = "matched"
    UNMATCHED = "unmatched"
    ABANDONED = "abandoned"
    CALLBACK_DUE = "callback_due"  # unmatched, and the caller asked to be called back


OPEN_STATES = (RequestState.SEARCHING, RequestState.CALLBACK_DUE)  # a search is going on


class RequestOutcome(StrEnum):
    """Why a request is where it is (the report's reasons and the request log read these)."""

    MATCHED = "matched"  # for a call-back: a volunteer waits while the resident is phoned
    CALLED_BACK = "called_back"  # the call-back's resident pressed 1: connected
    NO_CANDIDATES = UnmatchedReason.NO_CANDIDATES.value
    ALL_DECLINED = UnmatchedReason.ALL_DECLINED.value
    NO_ANSWER = UnmatchedReason.NO_ANSWER.value
    CALLER_HUNG_UP = "caller_hung_up"
    HUNG_UP_IN_MENU = "hung_up_in_menu"
    NO_CHOICE = "no_choice"
    TO_COORDINATOR = "to_coordinator"
    CALLBACK_REQUESTED = "callback_requested"
    CALLBACK_EXPIRED = "callback_expired"
    CALLBACK_DECLINED = "callback_declined"
    CALLBACK_UNREACHABLE = "callback_unreachable"
    CALLBACK_UNANSWERED = "callback_unanswered"
    VOLUNTEER_LEFT = "volunteer_left"
    # The caller's wait in the queue failed twice at the carrier (QueueResult error or
    # system-error): the exchange could not put them through and said sorry.
    WAIT_FAILED = "wait_failed"
    # The call was used to be put through again to the neighbour of an earlier match.
    RECONNECTED = "reconnected"


class LegStatus(StrEnum):
    """Where a volunteer's call is: ``placing`` until the carrier took it, then the carrier's
    own status (``CallStatus``)."""

    PLACING = "placing"
    QUEUED = CallStatus.QUEUED.value
    INITIATED = CallStatus.INITIATED.value
    RINGING = CallStatus.RINGING.value
    IN_PROGRESS = CallStatus.IN_PROGRESS.value
    COMPLETED = CallStatus.COMPLETED.value
    BUSY = CallStatus.BUSY.value
    NO_ANSWER = CallStatus.NO_ANSWER.value
    FAILED = CallStatus.FAILED.value
    CANCELED = CallStatus.CANCELED.value


LIVE_LEG_STATUSES = (LegStatus.PLACING, LegStatus.QUEUED, LegStatus.INITIATED, LegStatus.RINGING,
                     LegStatus.IN_PROGRESS)


class LegOutcome(StrEnum):
    """How a volunteer's call ended for the request (None while it is undecided)."""

    ACCEPTED = "accepted"
    DECLINED = "declined"
    PAUSED = "paused"  # pressed 9: paused for a week, and declined this one
    OPTED_OUT = "opted_out"  # pressed 0: stopped being called
    TAKEN = "taken"  # pressed 1 just after another volunteer
    WITHDRAWN = "withdrawn"  # stopped by the engine: taken by another, caller gone, search over
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    NO_RESPONSE = "no_response"  # answered but pressed no key
    MACHINE = "machine"
    FAILED = "failed"
    CANCELED = "canceled"
    LEFT_BEFORE_BRIDGE = "left_before_bridge"  # pressed 1, then hung up before the bridge


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
    # The caller's own call ended (its status callback): with the winner's <Dial> that found
    # nobody in the queue, the caller hung up before the bridge (``caller.call_ended``).
    caller_ended_at: Mapped[datetime | None] = mapped_column(DateTime)

    neighbourhood: Mapped[Neighbourhood] = relationship()
    caller: Mapped[Participant | None] = relationship()
    legs: Mapped[list[CallLeg]] = relationship(back_populates="request", order_by="CallLeg.id")
    # The menu entry chosen, for its label; by slug, not a foreign key: a request keeps its
    # slug when a coordinator removes the entry.
    category: Mapped[Category | None] = relationship(
        primaryjoin="and_(foreign(HelpRequest.neighbourhood_id) == Category.neighbourhood_id, "
                    "foreign(HelpRequest.category_slug) == Category.slug)",
        viewonly=True, uselist=False)

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
    status: Mapped[str] = mapped_column(String(20), default=LegStatus.PLACING)
    answered_by: Mapped[str | None] = mapped_column(String(20))
    key_pressed: Mapped[str | None] = mapped_column(String(4))
    outcome: Mapped[str | None] = mapped_column(String(20))
    placed_at: Mapped[datetime] = mapped_column(DateTime)
    # The carrier's first status callback: the call left the account's calls-per-second queue
    # and is being dialled. Its ring time counts from here, not from placed_at.
    first_news_at: Mapped[datetime | None] = mapped_column(DateTime)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    stop_requested_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The volunteer pressed 1, but their <Dial><Queue> found nobody to bridge with.
    bridge_failed_at: Mapped[datetime | None] = mapped_column(DateTime)
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



class ReconnectionState(StrEnum):
    """Where a request to be put through again to the neighbour of a match is."""

    DUE = "due"  # the one who asked waits on hold; the engine is to phone the other side
    PLACING = "placing"  # the engine claimed it and is placing the call
    CALLING = "calling"  # the other side is being rung, or hears the question
    CONNECTED = "connected"  # the other side pressed 1: bridged
    NOT_CONNECTED = "not_connected"  # ``outcome`` says why


class ReconnectionOutcome(StrEnum):
    """Why a reconnection ended as it did (the report and the request log read these)."""

    CONNECTED = "connected"
    DECLINED = "declined"  # the other side pressed 2
    NO_KEY = "no_key"  # the other side heard the question twice without a key
    UNREACHABLE = "unreachable"  # no answer, busy, voicemail, failed
    NOT_NOW = "not_now"  # quiet hours, a pause, outside their hours: not phoned at all
    STOPPED = "stopped"  # opted out, no call consent or erased: not phoned at all
    ASKER_LEFT = "asker_left"  # the one who asked hung up before the bridge
    CARRIER_ERROR = "carrier_error"


class Reconnection(Base):
    """Someone phoned in again soon after a match and asked to be put through to the same
    neighbour: they wait on hold while the exchange phones the other side, whose 1 bridges
    them. No number is read out or shown: the exchange is in between."""

    __tablename__ = "reconnections"

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"),
                                          index=True)
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"))
    call_sid: Mapped[str | None] = mapped_column(String(64))  # the asking side's own call
    language: Mapped[str] = mapped_column(String(8), default="nl")
    state: Mapped[str] = mapped_column(String(20), default=ReconnectionState.DUE)
    outcome: Mapped[str | None] = mapped_column(String(20))
    other_call_sid: Mapped[str | None] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(DateTime)
    placed_at: Mapped[datetime | None] = mapped_column(DateTime)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    stop_requested_at: Mapped[datetime | None] = mapped_column(DateTime)

    match: Mapped[Match] = relationship()

    @property
    def queue_name(self) -> str:
        return f"reconnect-{self.id}"


class CarrierQueue(Base):
    """A queue at the carrier that a wait of ours made (``<Enqueue>`` creates one on demand),
    known by the ``QueueSid`` its webhooks bring; queues persist until deleted, so the engine
    deletes each once its request or reconnection is over (``bhc.calls.queues``)."""

    __tablename__ = "carrier_queues"
    # The engine looks for queues to delete now and then: only the few not deleted yet.
    __table_args__ = (Index("ix_carrier_queues_not_deleted", "id",
                            sqlite_where=text("deleted_at IS NULL"),
                            postgresql_where=text("deleted_at IS NULL")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sid: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("help_requests.id", ondelete="SET NULL"))
    reconnection_id: Mapped[int | None] = mapped_column(
        ForeignKey("reconnections.id", ondelete="SET NULL"))
    seen_at: Mapped[datetime] = mapped_column(DateTime)
    wait_ended_at: Mapped[datetime | None] = mapped_column(DateTime)  # the <Enqueue> action
    tried_at: Mapped[datetime | None] = mapped_column(DateTime)  # the latest deletion asked
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)


class CallToEnd(Base):
    """A call a webhook wants ended (an answering machine took it); webhooks never call the
    carrier themselves, so the engine hangs it up and deletes the row."""

    __tablename__ = "calls_to_end"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    reason: Mapped[str] = mapped_column(String(40))
    requested_at: Mapped[datetime] = mapped_column(DateTime)
