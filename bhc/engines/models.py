"""The engine processes running against this database, as each of them reports itself."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, Integer, String
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
