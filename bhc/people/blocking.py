"""Numbers the exchange refuses: their calls hear a short message and open no request.

Coordinators block and unblock them; every change is audited with the number masked.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bhc.audit import services as audit
from bhc.people.models import BlockedNumber
from bhc.phones import InvalidPhoneNumber, mask, to_e164


class BlockingError(ValueError):
    """A number cannot be blocked or unblocked as asked; the subclass says why."""


class BadNumber(BlockingError):
    def __init__(self, text: str) -> None:
        super().__init__(f"{text!r} is not a valid phone number")
        self.text = text


class AlreadyBlocked(BlockingError):
    def __init__(self, number: str) -> None:
        super().__init__(f"{mask(number)} is already blocked")
        self.number = number


class NotBlocked(BlockingError, LookupError):
    """The block was lifted already (or never existed)."""


def blocked_numbers(session: Session) -> list[BlockedNumber]:
    """Every blocked number, the most recently blocked first."""
    return list(session.scalars(select(BlockedNumber).order_by(BlockedNumber.blocked_at.desc(),
                                                              BlockedNumber.id.desc())))


def is_blocked(session: Session, number: str) -> bool:
    found = session.scalar(select(BlockedNumber.id).where(BlockedNumber.number == number))
    return found is not None


def block_number(session: Session, text: str, *, reason: str, user_id: int | None,
                 now: datetime) -> BlockedNumber:
    """Block a number written in any common notation (region NL); raises BadNumber or
    AlreadyBlocked."""
    try:
        number = to_e164(text.strip())
    except InvalidPhoneNumber:
        raise BadNumber(text.strip()) from None
    if is_blocked(session, number):
        raise AlreadyBlocked(number)
    blocked = BlockedNumber(number=number, reason=reason.strip(), blocked_at=now,
                            blocked_by_id=user_id)
    try:
        with session.begin_nested():  # another coordinator may block it at the same moment
            session.add(blocked)
    except IntegrityError:
        raise AlreadyBlocked(number) from None
    audit.record(session, user_id=user_id, action="block", object_type="blocked_number",
                 object_id=blocked.id, summary=f"{mask(number)}: {blocked.reason}", now=now)
    return blocked


def unblock_number(session: Session, blocked_id: int, *, user_id: int | None,
                   now: datetime) -> None:
    """Lift a block so the number's calls are answered again; raises NotBlocked."""
    blocked = session.get(BlockedNumber, blocked_id)
    if blocked is None:
        raise NotBlocked(blocked_id)
    session.delete(blocked)
    session.flush()
    audit.record(session, user_id=user_id, action="unblock", object_type="blocked_number",
                 object_id=blocked_id, summary=f"{mask(blocked.number)}: {blocked.reason}",
                 now=now)
