"""Neighbourhoods, their exchange numbers and their phone menus."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bhc.db import utcnow
from bhc.i18n import available_languages, catalogue
from bhc.neighbourhoods.models import Category, ExchangeNumber, Neighbourhood
from bhc.phones import to_e164

# (key, slug, English source label); the spoken labels come from the message catalogues.
DEFAULT_CATEGORIES = (
    (1, "groceries", "groceries"),
    (2, "odd-jobs", "odd job or garden"),
    (3, "transport", "transport"),
    (4, "babysitting", "babysitting"),
    (5, "chat", "a chat"),
    (6, "dog-walking", "walking the dog"),
    (7, "helpdesk", "computer helpdesk"),
)


class NeighbourhoodError(ValueError):
    """A neighbourhood cannot be created as asked; the message says why."""


def add_neighbourhood(
    session: Session,
    name: str,
    phone: str,
    postcodes: list[str] | None = None,
    households: int | None = None,
) -> Neighbourhood:
    """Create a neighbourhood with its exchange number and the default menu."""
    name = name.strip()
    if not name:
        raise NeighbourhoodError("a neighbourhood needs a name")
    number = to_e164(phone)
    if session.scalar(select(Neighbourhood).where(Neighbourhood.name == name)):
        raise NeighbourhoodError(f"neighbourhood {name!r} already exists")
    if session.scalar(select(ExchangeNumber).where(ExchangeNumber.number == number)):
        raise NeighbourhoodError(f"number {number} already belongs to a neighbourhood")
    if households is not None and households < 1:
        raise NeighbourhoodError("households must be a positive number")
    neighbourhood = Neighbourhood(
        name=name,
        households=households,
        postcodes=",".join(p.strip() for p in postcodes or [] if p.strip()),
        created_at=utcnow(),
    )
    session.add(neighbourhood)
    session.add(ExchangeNumber(number=number, neighbourhood=neighbourhood))
    languages = available_languages()
    for key, slug, source in DEFAULT_CATEGORIES:
        labels = {code: catalogue(code).text(source) for code in languages}
        session.add(Category(neighbourhood=neighbourhood, slug=slug, key=key, labels=labels,
                             enabled=True))
    session.flush()
    return neighbourhood


def by_exchange_number(session: Session, number: str) -> Neighbourhood | None:
    return session.scalar(
        select(Neighbourhood).join(ExchangeNumber).where(ExchangeNumber.number == number)
    )


def menu(session: Session, neighbourhood_id: int) -> list[Category]:
    """The enabled categories in key order: what the caller hears."""
    return list(
        session.scalars(
            select(Category)
            .where(Category.neighbourhood_id == neighbourhood_id, Category.enabled.is_(True))
            .order_by(Category.key)
        )
    )
