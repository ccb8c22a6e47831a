"""Which volunteers may be rung for a request right now, with their fairness facts."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, or_, select
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
    recent_calls: int = 0
    last_asked_at: datetime | None = None


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
    neighbourhood's own if it has them) allow a call now; with their recent calls attached.

    Two queries whatever the size of the neighbourhood: the helpers who pass the filters (the
    few live and already-asked volunteers are excluded through small sets, not per-row
    subqueries), then one grouped pass over their recent call legs for caps and fairness.
    """
    local_now = now.replace(tzinfo=ZoneInfo("UTC")).astimezone(LOCAL)
    neighbourhood_quiet = session.get(Neighbourhood, request.neighbourhood_id).quiet_hours
    if in_quiet_hours(quiet_hours if neighbourhood_quiet is None else neighbourhood_quiet,
                      local_now.time()):
        return []
    on_live_call = select(CallLeg.volunteer_id).where(
        CallLeg.status.in_(LIVE_LEG_STATUSES), CallLeg.volunteer_id.is_not(None))
    asked_for_this = select(CallLeg.volunteer_id).where(
        CallLeg.request_id == request.id, CallLeg.volunteer_id.is_not(None))
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
        Participant.id.not_in(on_live_call),
        Participant.id.not_in(asked_for_this),
    ).order_by(Participant.id)
    if request.caller_id is not None:
        query = query.where(Participant.id != request.caller_id)
    available = []
    for volunteer_id, phone, languages, availability in session.execute(query):
        try:
            windows = _windows(availability)
        except AvailabilityError:
            continue  # unreadable availability: never ring at a time they did not agree to
        if is_available(windows, local_now):
            spoken = tuple(code.strip() for code in languages.split(";") if code.strip())
            available.append(Volunteer(volunteer_id, phone, spoken))
    return _under_caps(session, available, local_now, now, caps)


def _under_caps(session: Session, volunteers: list[Volunteer], local_now: datetime,
                now: datetime, caps: Caps) -> list[Volunteer]:
    """Count each volunteer's calls today, this week and in the fairness window, in one pass."""
    if not volunteers:
        return []
    day_start = _local_midnight_utc(local_now)
    week_start = _local_midnight_utc(local_now - timedelta(days=local_now.weekday()))
    window_start = now - FAIRNESS_WINDOW
    rows = session.execute(
        select(
            CallLeg.volunteer_id,
            func.count().filter(CallLeg.placed_at >= day_start),
            func.count().filter(CallLeg.placed_at >= week_start),
            func.count().filter(CallLeg.placed_at >= window_start),
            func.max(CallLeg.placed_at),
        )
        .where(CallLeg.volunteer_id.in_([v.id for v in volunteers]),
               CallLeg.placed_at >= min(week_start, window_start))
        .group_by(CallLeg.volunteer_id)
    )
    stats = {volunteer_id: rest for volunteer_id, *rest in rows}
    kept = []
    for volunteer in volunteers:
        today, week, recent, last = stats.get(volunteer.id, (0, 0, 0, None))
        if today < caps.daily and week < caps.weekly:
            kept.append(replace(volunteer, recent_calls=recent, last_asked_at=last))
    return kept


def as_candidates(volunteers: list[Volunteer], language: str) -> list[Candidate]:
    """The matching core's view of eligible volunteers, for the fairness order."""
    return [
        Candidate(volunteer_id=v.id, recent_calls=v.recent_calls, last_asked_at=v.last_asked_at,
                  speaks_caller_language=language in v.languages)
        for v in volunteers
    ]
