"""The audit log: one row per change made by a person, without full phone numbers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bhc.audit.models import AuditLog


def record(session: Session, *, user_id: int | None, action: str, object_type: str,
           object_id: int | None, summary: str, now: datetime) -> AuditLog:
    entry = AuditLog(at=now, user_id=user_id, action=action, object_type=object_type,
                     object_id=object_id, summary=summary[:500])
    session.add(entry)
    return entry
