"""The engine processes running against this database, and the outbound calls they share."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bhc.db import Base


class EngineProcess(Base):
    """One ``bhc serve`` or ``bhc worker`` engine: registered at start, its heartbeat written
    after every step, marked stopped on a clean exit. A row whose heartbeat stopped without
    ``stopped_at`` is an engine that died (its work may be reclaimed by the others)."""

    __tablename__ = "engine_processes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, per process start
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    last_step_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    last_step_s: Mapped[float | None] = mapped_column(Float)  # how long that step took
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Written every second by the process, however long its steps take: the others reclaim
    # what it was placing only once this has gone quiet (``heartbeat.ENGINE_GONE_AFTER``).
    alive_at: Mapped[datetime | None] = mapped_column(DateTime)


class OutboundCall(Base):
    """A call waiting for its turn at the carrier (``claimed_by`` empty), or being placed by
    the engine that claimed it. Written in the same transaction as what it is for (``kind``
    and ``ref_id``: a leg, a call-back, a reconnection, a sign-up's code call, a follow-up), with
    what to dial;
    deleted in the transaction that records the carrier's answer, so the numbers it holds stay
    only while the call waits."""

    __tablename__ = "outbound_calls"
    __table_args__ = (
        UniqueConstraint("kind", "ref_id"),
        Index("ix_outbound_calls_turn", "claimed_by", "priority", "position", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    ref_id: Mapped[int] = mapped_column(Integer)
    priority: Mapped[int] = mapped_column(Integer)  # dispatcher.Priority: lower goes first
    position: Mapped[int] = mapped_column(Integer, default=0)  # its place in its wave
    # Not claimed before (seconds since the epoch): a wave's n-th call waits the n turns the
    # pace would make it wait anyway, so callers whose waves are still being decided can go
    # before the rest of an older caller's wave.
    not_before: Mapped[float] = mapped_column(Float)
    to_number: Mapped[str] = mapped_column(String(32))
    from_number: Mapped[str] = mapped_column(String(32))
    answer_url: Mapped[str] = mapped_column(String(500))
    status_url: Mapped[str] = mapped_column(String(500))
    detection_url: Mapped[str | None] = mapped_column(String(500))
    enqueued_at: Mapped[datetime] = mapped_column(DateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(32))  # an EngineProcess id
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)


class CarrierPace(Base):
    """The account's next free moment to create a call (one row): every engine process takes
    its turn from here, so together they keep within ``[twilio] calls_per_second``."""

    __tablename__ = "carrier_pace"

    id: Mapped[int] = mapped_column(primary_key=True)
    next_at: Mapped[float] = mapped_column(Float)  # seconds since the epoch, wall clock
