"""Which volunteers may be rung for a request right now, with their fairness facts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from bhc.models import (
    LIVE_LEG_STATUSES,
    CallLeg,
    HelpRequest,
    Neighbourhood,
    Participant,
    ParticipantCategory,
)
from matching.availability import AvailabilityError, in_quiet_hours, is_available, parse_windows
from matching.policy import Candidate

LOCAL = ZoneInfo("Europe/Amsterdam")
FAIRNESS_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Volunteer:
    """The few facts of a helper the engine needs to ring them."""

    id: int
    phone: str
    languages: tuple[str, ...]


@lru_cache(maxsize=4096)
def _windows(availability: str):
    """Parsed availability, cached: many volunteers share the same few texts."""
    return parse_windows(availability)


@dataclass(frozen=True)
class Caps:
    """How often one volunteer may be rung: per calendar day and per week (Europe/Amsterdam)."""

    daily: int = 3
    weekly: int = 10


def _local_midnight_utc(local_day: datetime) -> datetime:
    midnight = local_day.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def eligible_volunteers(
    session: Session, request: HelpRequest, now: datetime, quiet_hours: str,
    caps: Caps = Caps(),
) -> list[Volunteer]:
    """Helpers of the request's neighbourhood who consented, cover the category, are not paused,
    are not the caller, are on no other live call, were not yet rung for this request, are under
    their daily and weekly caps, and whose availability (and the quiet hours, the
    neighbourhood's own if it has them) allow a call now."""
    local_now = now.replace(tzinfo=ZoneInfo("UTC")).astimezone(LOCAL)
    neighbourhood_quiet = session.get(Neighbourhood, request.neighbourhood_id).quiet_hours
    if in_quiet_hours(quiet_hours if neighbourhood_quiet is None else neighbourhood_quiet,
                      local_now.time()):
        return []
    day_start = _local_midnight_utc(local_now)
    week_start = _local_midnight_utc(local_now - timedelta(days=local_now.weekday()))

    def calls_since(start: datetime):
        return (select(func.count()).where(CallLeg.volunteer_id == Participant.id,
                                           CallLeg.placed_at >= start)
                .correlate(Participant).scalar_subquery())

    on_live_call = exists().where(
        CallLeg.volunteer_id == Participant.id, CallLeg.status.in_(LIVE_LEG_STATUSES)
    )
    asked_for_this = exists().where(
        CallLeg.volunteer_id == Participant.id, CallLeg.request_id == request.id
    )
    covers_category = exists().where(
        ParticipantCategory.participant_id == Participant.id,
        ParticipantCategory.slug == request.category_slug,
    )
    query = select(
        Participant.id, Participant.phone, Participant.languages, Participant.availability
    ).where(
        Participant.neighbourhood_id == request.neighbourhood_id,
        Participant.is_helper.is_(True),
        Participant.call_consent.is_(True),
        Participant.opted_out.is_(False),
        or_(Participant.paused_until.is_(None), Participant.paused_until <= now),
        covers_category,
        ~on_live_call,
        ~asked_for_this,
        calls_since(day_start) < caps.daily,
        calls_since(week_start) < caps.weekly,
    ).order_by(Participant.id)
    if request.caller_id is not None:
        query = query.where(Participant.id != request.caller_id)
    volunteers = []
    for volunteer_id, phone, languages, availability in session.execute(query):
        try:
            windows = _windows(availability)
        except AvailabilityError:
            continue  # unreadable availability: never ring at a time they did not agree to
        if is_available(windows, local_now):
            spoken = tuple(code.strip() for code in languages.split(";") if code.strip())
            volunteers.append(Volunteer(volunteer_id, phone, spoken))
    return volunteers


def with_fairness_facts(
    session: Session, volunteers: list[Volunteer], language: str, now: datetime
) -> list[Candidate]:
    """Attach recent call counts and last-asked times, for the fairness order."""
    ids = [v.id for v in volunteers]
    stats: dict[int, tuple[int, datetime | None]] = {}
    if ids:
        rows = session.execute(
            select(CallLeg.volunteer_id, func.count(), func.max(CallLeg.placed_at))
            .where(and_(CallLeg.volunteer_id.in_(ids), CallLeg.placed_at >= now - FAIRNESS_WINDOW))
            .group_by(CallLeg.volunteer_id)
        )
        stats = {volunteer_id: (count, last) for volunteer_id, count, last in rows}
    return [
        Candidate(
            volunteer_id=v.id,
            recent_calls=stats.get(v.id, (0, None))[0],
            last_asked_at=stats.get(v.id, (0, None))[1],
            speaks_caller_language=language in v.languages,
        )
        for v in volunteers
    ]
