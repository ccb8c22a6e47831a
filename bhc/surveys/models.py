"""Resident survey waves and their answers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bhc.db import Base


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

    ``answers`` keeps the items as given (loneliness items as ja, min of meer or nee); the five
    scale scores (the mean of a scale's answered items, reverse-keyed ones turned around) and
    the De Jong Gierveld loneliness scores (``bhc.surveys.loneliness``: total 0-6, emotional and
    social 0-3) are computed at import so the report aggregates them in SQL. None where too
    few items of the scale were answered.
    """

    __tablename__ = "survey_responses"
    __table_args__ = (UniqueConstraint("wave_id", "respondent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("survey_waves.id", ondelete="CASCADE"))
    respondent: Mapped[str] = mapped_column(String(64))
    used_exchange: Mapped[str] = mapped_column(String(10))  # no, asker, helper or both
    knows_exchange: Mapped[bool | None] = mapped_column(Boolean)
    answers: Mapped[dict[str, int | str]] = mapped_column(JSON)
    cohesion: Mapped[float | None] = mapped_column(Float)
    solidarity: Mapped[float | None] = mapped_column(Float)
    liveability: Mapped[float | None] = mapped_column(Float)
    informal_care: Mapped[float | None] = mapped_column(Float)
    self_reliance: Mapped[float | None] = mapped_column(Float)
    loneliness: Mapped[int | None] = mapped_column(Integer)
    loneliness_emotional: Mapped[int | None] = mapped_column(Integer)
    loneliness_social: Mapped[int | None] = mapped_column(Integer)
