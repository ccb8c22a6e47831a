"""Neighbourhoods, their exchange numbers and their phone menus."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from bhc.calls.models import HelpRequest
from bhc.db import utcnow
from bhc.i18n import available_languages, catalogue
from bhc.localtime import local_midnight_utc, to_local
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


def exchange_number_of(session: Session, neighbourhood_id: int) -> str:
    """The number the exchange phones out from for a neighbourhood, as
    ``Neighbourhood.exchange_number`` (its first), in one statement without loading the
    neighbourhood: every wave of calls asks it."""
    return session.scalar(
        select(ExchangeNumber.number).where(ExchangeNumber.neighbourhood_id == neighbourhood_id)
        .order_by(ExchangeNumber.id).limit(1)
    ) or ""


# A menu in the order of demand counts the requests of this many days before the call's day.
DEMAND_DAYS = 90


def menu(session: Session, neighbourhood_id: int,
         as_of: datetime | None = None) -> list[Category]:
    """The enabled categories in key order: what the caller hears.

    With the neighbourhood's ``menu_by_demand`` on, its keys go to the most asked categories
    first (see ``_by_demand``); ``as_of`` is when the call began (default now).
    """
    rows = session.execute(_menu_statement(), {"neighbourhood_id": neighbourhood_id}).all()
    categories = [category for category, _ in rows]
    by_demand = bool(rows) and rows[0].menu_by_demand
    if not by_demand or len(categories) < 2:
        return categories
    return _by_demand(session, neighbourhood_id, categories, as_of or utcnow())


@cache
def _menu_statement():
    """The enabled categories with their neighbourhood's menu_by_demand: one round trip where
    a webhook has not loaded the neighbourhood (the key pressed in the menu)."""
    return (select(Category, Neighbourhood.menu_by_demand)
            .join(Neighbourhood, Category.neighbourhood_id == Neighbourhood.id)
            .where(Category.neighbourhood_id == bindparam("neighbourhood_id"),
                   Category.enabled.is_(True))
            .order_by(Category.key))


def _by_demand(session: Session, neighbourhood_id: int, categories: list[Category],
               as_of: datetime) -> list[Category]:
    """The same keys, given out in the order of the requests of the DEMAND_DAYS before the
    call's (Amsterdam) day, ties in key order. Counting only whole days keeps the keys the
    same all day, between the prompt and the key pressed, whichever process serves them.

    The categories returned are copies that no session holds: their keys are the menu's of
    the day, never written to the database.
    """
    day = local_midnight_utc(to_local(as_of).date())
    counts = dict(session.execute(
        select(HelpRequest.category_slug, func.count())
        .where(HelpRequest.neighbourhood_id == neighbourhood_id,
               HelpRequest.created_at >= day - timedelta(days=DEMAND_DAYS),
               HelpRequest.created_at < day, HelpRequest.category_slug.is_not(None))
        .group_by(HelpRequest.category_slug)).all())
    ordered = sorted(categories, key=lambda c: (-counts.get(c.slug, 0), c.key))
    keys = sorted(c.key for c in categories)
    return [Category(id=c.id, neighbourhood_id=c.neighbourhood_id, slug=c.slug, key=key,
                     labels=c.labels, enabled=c.enabled) for c, key in zip(ordered, keys)]
