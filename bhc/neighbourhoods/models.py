"""Neighbourhoods, the numbers residents call, and their phone menus."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bhc.db import Base


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
    # The category menu also listens for speech (sent to the carrier's recogniser): off until
    # a coordinator turns it on.
    speech_input: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The menu's keys follow the most asked categories; off: keys stay as set.
    menu_by_demand: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(DateTime)

    numbers: Mapped[list[ExchangeNumber]] = relationship(back_populates="neighbourhood",
                                                         order_by="ExchangeNumber.id")
    categories: Mapped[list[Category]] = relationship(
        back_populates="neighbourhood", order_by="Category.key"
    )

    @property
    def exchange_number(self) -> str:
        """The number the exchange phones out from (its first); "" while it has none."""
        return self.numbers[0].number if self.numbers else ""


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


class NeighbourhoodAdjacency(Base):
    """Two neighbourhoods that border each other, stored in both directions: with
    ``[matching] widen_to_adjacent`` a search that has run out of helpers in its own
    neighbourhood goes on with those of the adjacent ones."""

    __tablename__ = "adjacent_neighbourhoods"

    neighbourhood_id: Mapped[int] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="CASCADE"), primary_key=True)
    adjacent_id: Mapped[int] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="CASCADE"), primary_key=True)

