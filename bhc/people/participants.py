"""Registering participants, one by one or from the CSV format of docs/architecture.md
("Participant CSV")."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bhc.neighbourhoods.models import Category, Neighbourhood
from bhc.people.models import Participant, ParticipantCategory, ParticipantRole
from bhc.phones import InvalidPhoneNumber, to_e164
from matching.availability import AvailabilityError, parse_windows

COLUMNS = ("name", "phone", "postcode", "house_number", "neighbourhood", "roles", "categories",
           "languages", "available", "call_consent")


class RowError(ValueError):
    """One CSV row cannot be imported; the message says why."""


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class ParticipantData:
    name: str
    phone: str
    postcode: str
    house_number: str
    neighbourhood_id: int
    is_helper: bool
    is_asker: bool
    categories: frozenset[str]
    languages: str
    availability: str
    call_consent: bool


def _known_slugs(session: Session, neighbourhood_id: int) -> set[str]:
    return set(session.scalars(select(Category.slug).where(
        Category.neighbourhood_id == neighbourhood_id)))


def parse_row(row: dict[str, str], neighbourhoods: dict[str, Neighbourhood],
              slugs_of: dict[int, set[str]]) -> ParticipantData:
    """Validate one CSV row; raises RowError naming the first bad field."""
    value = {key: (row.get(key) or "").strip() for key in COLUMNS}
    if not value["name"]:
        raise RowError("name is empty")
    try:
        phone = to_e164(value["phone"])
    except InvalidPhoneNumber:
        raise RowError(f"phone {value['phone']!r} is not a valid phone number") from None
    neighbourhood = neighbourhoods.get(value["neighbourhood"].lower())
    if neighbourhood is None:
        raise RowError(f"neighbourhood {value['neighbourhood']!r} does not exist")
    roles = value["roles"].lower()
    if roles not in tuple(ParticipantRole):
        raise RowError(f"roles {value['roles']!r} must be helper, asker or both")
    categories = frozenset(s.strip().lower() for s in value["categories"].split(";") if s.strip())
    unknown = categories - slugs_of[neighbourhood.id]
    if unknown:
        raise RowError(f"unknown categories: {', '.join(sorted(unknown))}")
    languages = [code.strip().lower() for code in value["languages"].split(";") if code.strip()]
    if any(len(code) != 2 or not code.isalpha() for code in languages):
        raise RowError(f"languages {value['languages']!r} should be codes like nl;en")
    try:
        parse_windows(value["available"])
    except AvailabilityError as exc:
        raise RowError(f"available: {exc}") from None
    consent = value["call_consent"].lower()
    if consent not in ("yes", "no"):
        raise RowError(f"call_consent {value['call_consent']!r} must be yes or no")
    is_helper, is_asker = ParticipantRole(roles).flags
    return ParticipantData(
        name=value["name"], phone=phone, postcode=value["postcode"].upper().replace(" ", ""),
        house_number=value["house_number"], neighbourhood_id=neighbourhood.id,
        is_helper=is_helper, is_asker=is_asker, categories=categories,
        languages=";".join(languages or ["nl"]), availability=value["available"],
        call_consent=consent == "yes",
    )


def save(session: Session, data: ParticipantData, now: datetime, source: str) -> bool:
    """Create or update the participant with this phone number; True when created."""
    participant = session.scalar(select(Participant).where(Participant.phone == data.phone))
    created = participant is None
    if created:
        participant = Participant(phone=data.phone, created_at=now, source=source)
        session.add(participant)
    if data.call_consent and not participant.call_consent:
        participant.consent_at, participant.consent_source = now, source
    for name in ("name", "postcode", "house_number", "neighbourhood_id", "is_helper", "is_asker",
                 "languages", "availability", "call_consent"):
        setattr(participant, name, getattr(data, name))
    participant.needs_review = False
    # Keep rows that stay, so the unit of work never inserts a key it has yet to delete.
    kept = [c for c in participant.categories if c.slug in data.categories]
    new = sorted(data.categories - {c.slug for c in kept})
    participant.categories = kept + [ParticipantCategory(slug=slug) for slug in new]
    return created


def import_csv(session: Session, text: str, now: datetime, source: str = "import") -> ImportResult:
    """Import every good row, report every bad one by its line number; re-import updates,
    but never takes a category away (that is done on the participant's page)."""
    result = ImportResult()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        result.errors.append((1, f"missing columns: {', '.join(missing)}"))
        return result
    neighbourhoods = {n.name.lower(): n for n in session.scalars(select(Neighbourhood))}
    slugs_of = {n.id: _known_slugs(session, n.id) for n in neighbourhoods.values()}
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        try:
            data = parse_row(row, neighbourhoods, slugs_of)
            if data.phone in seen:
                raise RowError(f"phone number also on line {seen[data.phone]}")
        except RowError as exc:
            result.errors.append((line, str(exc)))
            continue
        seen[data.phone] = line
        known = session.scalar(select(Participant).where(Participant.phone == data.phone))
        if known is not None:  # categories given since (page, sign-up) stay; the row's are added
            data = replace(data, categories=data.categories | known.category_slugs)
        with session.begin_nested():
            if save(session, data, now, source):
                result.created += 1
            else:
                result.updated += 1
    return result
