"""What coordinators change about a neighbourhood: name, numbers, postcodes, quiet hours, menu.

The IVR reads the menu from the database on every call, so a change here is heard at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bhc.audit import services as audit
from bhc.db import utcnow
from bhc.neighbourhoods.models import ExchangeNumber, Neighbourhood
from bhc.phones import InvalidPhoneNumber, to_e164
from matching.availability import AvailabilityError, parse_time_range

MENU_KEYS = range(1, 10)


class SettingsError(ValueError):
    """A change cannot be made as asked; the subclass says which rule it breaks."""


class NameMissing(SettingsError):
    pass


class UnknownNeighbourhood(SettingsError):
    def __init__(self, name: str) -> None:
        super().__init__(f"there is no neighbourhood {name!r}")
        self.name = name


class NameTaken(SettingsError):
    pass


class BadHouseholds(SettingsError):
    pass


class NoNumbers(SettingsError):
    pass


class BadNumber(SettingsError):
    def __init__(self, number: str) -> None:
        super().__init__(f"{number!r} is not a valid phone number")
        self.number = number


class NumberTaken(SettingsError):
    def __init__(self, number: str) -> None:
        super().__init__(f"number {number} already belongs to another neighbourhood")
        self.number = number


class BadQuietHours(SettingsError):
    def __init__(self, text: str) -> None:
        super().__init__(f"{text!r} is not a time range like 21:00-08:00")
        self.text = text


class LabelMissing(SettingsError):
    def __init__(self, slug: str) -> None:
        super().__init__(f"category {slug} needs a Dutch label")
        self.slug = slug


class BadKey(SettingsError):
    def __init__(self, key: int) -> None:
        super().__init__(f"key {key} is not available for a category")
        self.key = key


class KeyTwice(SettingsError):
    def __init__(self, key: int) -> None:
        super().__init__(f"key {key} is used by two enabled categories")
        self.key = key


def update_neighbourhood(session: Session, neighbourhood: Neighbourhood, *, name: str,
                         households: int | None, postcodes: list[str], numbers: list[str],
                         quiet_hours: str | None) -> None:
    """Change the neighbourhood; numbers kept stay the same rows, dropped ones are removed.

    ``quiet_hours`` None follows the exchange's default, "" means none, else 'HH:MM-HH:MM'.
    """
    name = name.strip()
    if not name:
        raise NameMissing("a neighbourhood needs a name")
    other = session.scalar(select(Neighbourhood).where(
        func.lower(Neighbourhood.name) == name.lower(), Neighbourhood.id != neighbourhood.id))
    if other is not None:
        raise NameTaken(f"neighbourhood {name!r} already exists")
    if households is not None and households < 1:
        raise BadHouseholds("households must be a positive number")
    if quiet_hours is not None:
        quiet_hours = "".join(quiet_hours.split())
        if quiet_hours:
            _check_quiet_hours(quiet_hours)
    wanted: list[str] = []
    for text in numbers:
        try:
            number = to_e164(text.strip())
        except InvalidPhoneNumber:
            raise BadNumber(text.strip()) from None
        if number not in wanted:
            wanted.append(number)
    if not wanted:
        raise NoNumbers("a neighbourhood needs at least one exchange number")
    taken = session.scalar(select(ExchangeNumber.number).where(
        ExchangeNumber.number.in_(wanted), ExchangeNumber.neighbourhood_id != neighbourhood.id))
    if taken:
        raise NumberTaken(taken)
    neighbourhood.name = name
    neighbourhood.households = households
    neighbourhood.postcodes = ",".join(p.strip().upper() for p in postcodes if p.strip())
    neighbourhood.quiet_hours = quiet_hours
    for existing in list(neighbourhood.numbers):
        if existing.number not in wanted:
            neighbourhood.numbers.remove(existing)
            session.delete(existing)
    have = {n.number for n in neighbourhood.numbers}
    for number in wanted:
        if number not in have:
            neighbourhood.numbers.append(ExchangeNumber(number=number))
    session.flush()


def _check_quiet_hours(text: str) -> None:
    """A range with a start and an end that differ (an empty range would never be quiet)."""
    try:
        start, end = parse_time_range(text)
    except AvailabilityError:
        raise BadQuietHours(text) from None
    if start == end:
        raise BadQuietHours(text)


@dataclass(frozen=True)
class CategoryChange:
    category_id: int
    label_nl: str
    label_en: str
    key: int
    enabled: bool


def update_menu(session: Session, neighbourhood: Neighbourhood, changes: list[CategoryChange],
                reserved_keys: set[int]) -> None:
    """Relabel, renumber, enable or disable the neighbourhood's categories in one go.

    Keys are 1-9, not one of ``reserved_keys`` (e.g. the language key), and unique among the
    enabled categories; a disabled category keeps its key but is not offered.
    """
    categories = {c.id: c for c in neighbourhood.categories}
    used: set[int] = set()
    for change in changes:
        category = categories[change.category_id]
        if not change.label_nl.strip():
            raise LabelMissing(category.slug)
        if change.key not in MENU_KEYS or (change.enabled and change.key in reserved_keys):
            raise BadKey(change.key)
        if change.enabled:
            if change.key in used:
                raise KeyTwice(change.key)
            used.add(change.key)
    for change in changes:
        category = categories[change.category_id]
        labels = dict(category.labels)
        labels["nl"] = change.label_nl.strip()
        if change.label_en.strip():
            labels["en"] = change.label_en.strip()
        else:
            labels.pop("en", None)
        category.labels = labels
        category.key = change.key
        category.enabled = change.enabled
    session.flush()


def set_speech_input(session: Session, name: str, on: bool) -> Neighbourhood:
    """Turn speech input of the neighbourhood's menu on or off (the audit log says so)."""
    neighbourhood = session.scalar(select(Neighbourhood).where(
        func.lower(Neighbourhood.name) == name.strip().lower()))
    if neighbourhood is None:
        raise UnknownNeighbourhood(name)
    if neighbourhood.speech_input != on:
        neighbourhood.speech_input = on
        audit.record(session, user_id=None, action="update", object_type="neighbourhood",
                     object_id=neighbourhood.id,
                     summary=f"speech input {'on' if on else 'off'} (command line)", now=utcnow())
    return neighbourhood
