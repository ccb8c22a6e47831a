"""People who sign in to the coordinators' web UI."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Column, DateTime, ForeignKey, Index, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bhc.db import Base

if TYPE_CHECKING:
    from bhc.neighbourhoods.models import Neighbourhood


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"


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

