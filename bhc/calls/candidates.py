"""Which volunteers may be rung for a request right now, with their fairness facts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from bhc.calls.models import LIVE_LEG_STATUSES, CallLeg, HelpRequest
from bhc.config import MatchingConfig
from bhc.localtime import local_midnight_utc, to_local, week_start_utc
from bhc.neighbourhoods.models import Neighbourhood, NeighbourhoodAdjacency
from bhc.people.models import Participant, ParticipantCategory
from matching.availability import AvailabilityError, in_quiet_hours, is_available, parse_windows
from matching.policy import Candidate

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

    @classmethod
    def of(cls, matching: MatchingConfig) -> Caps:
        return cls(daily=matching.daily_cap, weekly=matching.weekly_cap)


def may_be_rung(now):
    """Helpers who consented to be called, did not stop and are not paused at ``now`` (a
    moment or a bound parameter): the standing rules, before availability, quiet hours, caps
    and the request's own."""
    return and_(
        Participant.is_helper.is_(True),
        Participant.call_consent.is_(True),
        Participant.opted_out.is_(False),
        or_(Participant.paused_until.is_(None), Participant.paused_until <= now),
    )


def cap_periods(local_now: datetime) -> tuple[datetime, datetime]:
    """Where the caps start counting, in naive UTC: today's and this week's (Monday's)
    midnight in Europe/Amsterdam."""
    return local_midnight_utc(local_now.date()), week_start_utc(local_now.date())


def eligible_volunteers(
    session: Session, request: HelpRequest, now: datetime, quiet_hours: str,
    caps: Caps = Caps(), widen: bool = False,
) -> list[Volunteer]:
    """Helpers of the request's neighbourhood who consented, cover the category, are not paused,
    are not the caller, are on no other live call, were not yet rung for this request, are under
    their daily and weekly caps, and whose availability (and the quiet hours, their
    neighbourhood's own if it has them) allow a call now; with their recent calls attached.
    With ``widen``, once the own neighbourhood has nobody left: those of the adjacent ones.

    One query whatever the size of the neighbourhood: its helpers (ix_participants_helpers)
    with their call legs of the last month (ix_call_legs_volunteer_placed), grouped, so caps,
    live calls, this request's own calls and the fairness facts are settled in the database.
    Availability windows and quiet hours are texts, checked here on those few rows; so the
    fairness order and its cut are left to the matching core rather than an SQL LIMIT.
    """
    local_now = to_local(now)
    day_start, week_start = cap_periods(local_now)
    window_start = now - FAIRNESS_WINDOW
    values = dict(
        neighbourhood_id=request.neighbourhood_id, slug=request.category_slug, now=now,
        request_id=request.id, caller_id=request.caller_id,  # no id yet: no calls of its own
        day_start=day_start, week_start=week_start, window_start=window_start,
        daily=caps.daily, weekly=caps.weekly,
        # Legs this far back decide everything: the caps, the fairness window, and live calls
        # and this request's own calls (hours old at most).
        since=min(week_start, window_start, request.created_at or window_start),
    )
    has_caller = request.caller_id is not None
    found = _available(session.execute(_statement(False, has_caller), values), local_now,
                       quiet_hours)
    if found or not widen:
        return found
    return _available(session.execute(_statement(True, has_caller), values), local_now,
                      quiet_hours)


def _query(adjacent: bool, has_caller: bool):
    """The query, its parameters bound at execution."""
    legs = func.count(CallLeg.id)
    if adjacent:
        where_they_live = Participant.neighbourhood_id.in_(
            select(NeighbourhoodAdjacency.adjacent_id)
            .where(NeighbourhoodAdjacency.neighbourhood_id == bindparam("neighbourhood_id")))
    else:
        where_they_live = Participant.neighbourhood_id == bindparam("neighbourhood_id")
    query = (
        select(
            Participant.id, Participant.phone, Participant.languages, Participant.availability,
            legs.filter(CallLeg.placed_at >= bindparam("window_start")),
            func.max(CallLeg.placed_at).filter(CallLeg.placed_at >= bindparam("window_start")),
            Neighbourhood.quiet_hours,
        )
        .join(Neighbourhood, Neighbourhood.id == Participant.neighbourhood_id)
        .join(ParticipantCategory, and_(ParticipantCategory.participant_id == Participant.id,
                                        ParticipantCategory.slug == bindparam("slug")))
        .outerjoin(CallLeg, and_(CallLeg.volunteer_id == Participant.id,
                                 CallLeg.placed_at >= bindparam("since")))
        .where(where_they_live, may_be_rung(bindparam("now")))
        .group_by(Participant.id, Neighbourhood.id)
        .having(
            legs.filter(CallLeg.placed_at >= bindparam("day_start")) < bindparam("daily"),
            legs.filter(CallLeg.placed_at >= bindparam("week_start")) < bindparam("weekly"),
            legs.filter(CallLeg.status.in_(LIVE_LEG_STATUSES)) == 0,
            legs.filter(CallLeg.request_id == bindparam("request_id")) == 0,
        )
        .order_by(Participant.id)
    )
    if has_caller:
        query = query.where(Participant.id != bindparam("caller_id"))
    return query


# Each of the four shapes built once: building the query costs about as much as running it.
# (Wrapped here rather than decorated, so that `make mutants` mutates the query too.)
_statement = lru_cache(maxsize=4)(_query)


def _available(rows, local_now: datetime, quiet_hours: str) -> list[Volunteer]:
    """Those whose availability and quiet hours (their neighbourhood's, else the default)
    allow a call now."""
    quiet_now: dict[str | None, bool] = {}
    available = []
    for volunteer_id, phone, languages, availability, recent, last, own_quiet in rows:
        if own_quiet not in quiet_now:
            quiet_now[own_quiet] = in_quiet_hours(
                quiet_hours if own_quiet is None else own_quiet, local_now.time())
        if quiet_now[own_quiet]:
            continue
        try:
            windows = _windows(availability)
        except AvailabilityError:
            continue  # unreadable availability: never ring at a time they did not agree to
        if is_available(windows, local_now):
            spoken = tuple(code.strip() for code in languages.split(";") if code.strip())
            available.append(Volunteer(volunteer_id, phone, spoken, recent, last))
    return available


def as_candidates(volunteers: list[Volunteer], language: str) -> list[Candidate]:
    """The matching core's view of eligible volunteers, for the fairness order."""
    return [
        Candidate(volunteer_id=v.id, recent_calls=v.recent_calls, last_asked_at=v.last_asked_at,
                  speaks_caller_language=language in v.languages)
        for v in volunteers
    ]
