"""Coordinators' recordings of what callers hear."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bhc.db import Base


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

