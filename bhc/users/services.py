"""People who sign in to the web UI: creating them, checking passwords, throttling guesses."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bhc.neighbourhoods.models import Neighbourhood
from bhc.users.models import LoginFailure, Role, User

MIN_PASSWORD_LENGTH = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()
# Verified against when the email is unknown, so a wrong email takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not anybody's password")


class UserError(ValueError):
    """A user cannot be created as asked; the message says why."""


class InvalidEmail(UserError):
    pass


class EmailTaken(UserError):
    pass


class UnknownRole(UserError):
    pass


class WeakPassword(UserError):
    pass


class UnknownNeighbourhood(UserError):
    pass


class NoNeighbourhoods(UserError):
    pass


class LoginThrottled(Exception):
    """Too many failed sign-ins for this email address lately."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(session: Session, *, email: str, name: str, role: str, password: str,
                neighbourhood_names: list[str], now: datetime) -> User:
    """A new user; a coordinator needs at least one neighbourhood, an admin sees all."""
    email = normalise_email(email)
    if not _EMAIL.match(email):
        raise InvalidEmail(f"{email!r} is not an email address")
    if role not in tuple(Role):
        raise UnknownRole(f"role must be one of {', '.join(Role)}, not {role!r}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(select(User).where(User.email == email)):
        raise EmailTaken(f"a user with email {email} already exists")
    neighbourhoods = []
    for wanted in neighbourhood_names:
        found = session.scalar(
            select(Neighbourhood).where(func.lower(Neighbourhood.name) == wanted.strip().lower())
        )
        if found is None:
            raise UnknownNeighbourhood(f"neighbourhood {wanted!r} does not exist")
        neighbourhoods.append(found)
    if role == Role.COORDINATOR and not neighbourhoods:
        raise NoNeighbourhoods("a coordinator needs at least one neighbourhood")
    user = User(email=email, name=name.strip(), role=role, password_hash=_hasher.hash(password),
                created_at=now, neighbourhoods=neighbourhoods)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str, now: datetime, *,
                 max_failures: int, window: timedelta) -> User | None:
    """The user whose password this is, or None (and the failure is counted).

    Raises LoginThrottled once ``max_failures`` failures for the email fall within ``window``;
    failures are kept in the database so every web worker sees the same count.
    """
    email = normalise_email(email)
    session.execute(delete(LoginFailure).where(LoginFailure.at < now - window))
    failures = session.scalar(
        select(func.count()).select_from(LoginFailure).where(LoginFailure.email == email)
    )
    if failures >= max_failures:
        raise LoginThrottled(email)
    user = session.scalar(select(User).where(User.email == email))
    if not _password_matches(user.password_hash if user else _DUMMY_HASH, password) or not user:
        session.add(LoginFailure(email=email, at=now))
        return None
    session.execute(delete(LoginFailure).where(LoginFailure.email == email))
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = now
    return user


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
