"""The participants as coordinators keep them: find, add or edit, pause, opt out, delete."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from bhc.calls.models import CallLeg, HelpRequest, Match
from bhc.localtime import local_date, local_midnight_utc
from bhc.neighbourhoods.models import Category, Neighbourhood
from bhc.neighbourhoods.scope import in_scope
from bhc.people.models import Participant, ParticipantRole
from bhc.people.participants import parse_row, save
from bhc.phones import InvalidPhoneNumber, to_e164

PER_PAGE = 25


class PhoneTaken(ValueError):
    """Another participant already has this phone number."""


class PauseNotInFuture(ValueError):
    """A pause must end on a later day than today."""


@dataclass(frozen=True)
class Page:
    items: list[Participant]
    number: int
    pages: int
    total: int


def search(session: Session, *, text: str = "", visible: set[int] | None = None,
           neighbourhood_id: int | None = None, page: int = 1,
           per_page: int = PER_PAGE) -> Page:
    """Participants by name, postcode or the last digits of their phone, sorted by name.

    ``visible`` limits the result to those neighbourhoods (None: all, for admins).
    """
    query = in_scope(select(Participant), Participant.neighbourhood_id, visible)
    if neighbourhood_id is not None:
        query = query.where(Participant.neighbourhood_id == neighbourhood_id)
    text = text.strip()
    if text:
        matches = [Participant.name.ilike(f"%{_escape(text)}%", escape="\\"),
                   Participant.postcode.like(f"{_escape(text.upper().replace(' ', ''))}%",
                                             escape="\\")]
        digits = "".join(ch for ch in text if ch.isdigit())
        if digits and len(digits) == len(text.replace(" ", "").replace("-", "")):
            matches.append(Participant.phone.endswith(digits))
        query = query.where(or_(*matches))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    items = list(session.scalars(
        query.order_by(Participant.name, Participant.id).offset((page - 1) * per_page)
        .limit(per_page)
    ))
    return Page(items=items, number=page, pages=pages, total=total)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def as_row(participant: Participant, neighbourhood_name: str) -> dict[str, str]:
    """The participant in the CSV row form that :func:`bhc.participants.parse_row` reads."""
    roles = ParticipantRole.of(participant.is_helper, participant.is_asker)
    return {
        "name": participant.name, "phone": participant.phone, "postcode": participant.postcode,
        "house_number": participant.house_number, "neighbourhood": neighbourhood_name,
        "roles": roles, "categories": ";".join(sorted(participant.category_slugs)),
        "languages": participant.languages, "available": participant.availability,
        "call_consent": "yes" if participant.call_consent else "no",
    }


def save_row(session: Session, row: dict[str, str], now: datetime, *,
             participant: Participant | None = None, visible: set[int] | None = None,
             source: str = "coordinator") -> Participant:
    """Add (``participant`` None) or edit one participant from a CSV-style row.

    Validation is that of the CSV import (raises RowError); only ``visible`` neighbourhoods
    are accepted. A phone number that belongs to someone else raises PhoneTaken.
    """
    neighbourhoods = {n.name.lower(): n for n in session.scalars(select(Neighbourhood))
                      if visible is None or n.id in visible}
    slugs_of: dict[int, set[str]] = {n.id: set() for n in neighbourhoods.values()}
    for neighbourhood_id, slug in session.execute(select(Category.neighbourhood_id,
                                                         Category.slug)):
        slugs_of.setdefault(neighbourhood_id, set()).add(slug)
    data = parse_row(row, neighbourhoods, slugs_of)
    holder = session.scalar(select(Participant).where(Participant.phone == data.phone))
    if holder is not None and holder is not participant:
        raise PhoneTaken(data.phone)
    if participant is not None:
        participant.phone = data.phone
        session.flush()
    save(session, data, now, source)
    session.flush()
    return session.scalar(select(Participant).where(Participant.phone == data.phone))


def pause(participant: Participant, until: date, now: datetime) -> None:
    """Not rung until the start of ``until`` (Europe/Amsterdam), which must be after today."""
    if until <= local_date(now):
        raise PauseNotInFuture(until.isoformat())
    participant.paused_until = local_midnight_utc(until)


def resume(participant: Participant) -> None:
    participant.paused_until = None


def is_paused(participant: Participant, now: datetime) -> bool:
    return participant.paused_until is not None and participant.paused_until > now


def set_opted_out(participant: Participant, opted_out: bool) -> None:
    """An opted-out participant is never rung, whatever else their record says."""
    participant.opted_out = opted_out


def delete(session: Session, participant: Participant) -> None:
    """Remove the participant; their past requests and calls stay, without them."""
    session.execute(update(HelpRequest).where(HelpRequest.caller_id == participant.id)
                    .values(caller_id=None))
    session.execute(update(CallLeg).where(CallLeg.volunteer_id == participant.id)
                    .values(volunteer_id=None))
    session.execute(update(Match).where(Match.helper_id == participant.id).values(helper_id=None))
    session.execute(update(Match).where(Match.asker_id == participant.id).values(asker_id=None))
    session.delete(participant)
    session.flush()


def rows_outside(session: Session, text: str, visible: set[int]) -> list[tuple[int, str]]:
    """Lines of a participant CSV that would touch neighbourhoods outside ``visible``.

    Each comes with what is outside: ``"neighbourhood"`` (the row names one) or
    ``"participant"`` (its phone number belongs to someone there).
    """
    names = {n.name.lower(): n.id for n in session.scalars(select(Neighbourhood))}
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    outside: list[tuple[int, str]] = []
    for row in reader:
        neighbourhood_id = names.get((row.get("neighbourhood") or "").strip().lower())
        if neighbourhood_id is not None and neighbourhood_id not in visible:
            outside.append((reader.line_num, "neighbourhood"))
            continue
        try:
            phone = to_e164((row.get("phone") or "").strip())
        except InvalidPhoneNumber:
            continue
        holder = session.execute(select(Participant.neighbourhood_id)
                                 .where(Participant.phone == phone)).first()
        if holder is not None and holder[0] not in visible:
            outside.append((reader.line_num, "participant"))
    return outside
