"""Where helpers are missing: per neighbourhood and category a week grid (day x hour, Europe/
Amsterdam) of the helpers who may be rung then, beside the share of the last quarter's
requests made then that found nobody (``no_candidates`` or ``no_answer``).

A helper counts in an hour when the engine's rules let it ring them for at least half of it:
a helper of the neighbourhood who consented, did not stop and is not paused now
(``bhc.calls.candidates.may_be_rung``), covering the category, whose availability allows those
minutes outside the quiet hours (``matching.availability.weekly_minutes``). Caps limit what
they can take: each helper at most the daily cap on each day they are available and the
weekly cap in the week, summed as the category's calls a week. An hour is quiet when the
quiet hours leave less than half of it. A gap is a run of hours of one day, outside quiet
hours, in which nobody of the category can be rung: that is where to recruit. The largest gaps
are those where most requests went unhelped, then where most requests were made, then the
longest.

The grid's arithmetic is pure (``category_grid``, ``find_gaps``, ``largest``); the two
queries around it read the helpers grouped by availability (so the work follows the number of
distinct availability texts, not of helpers) and the quarter's requests.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bhc.calls.candidates import Caps, may_be_rung
from bhc.calls.models import HelpRequest, RequestOutcome
from bhc.localtime import local_date, local_midnight_utc, to_local
from bhc.neighbourhoods.models import Neighbourhood
from bhc.people.models import Participant, ParticipantCategory
from matching.availability import AvailabilityError, parse_windows, weekly_minutes

DAYS, HOURS = 7, 24
HALF_HOUR = 30  # minutes of an hour someone must be callable in to count for it
QUARTER = timedelta(weeks=13)  # "the last quarter": 13 whole weeks, each hour of the week 13 times
UNHELPED = (RequestOutcome.NO_CANDIDATES.value, RequestOutcome.NO_ANSWER.value)
LARGEST = 3

Week = tuple[tuple[int, ...], ...]  # [day][hour], day 0 = Monday


@lru_cache(maxsize=4096)
def callable_minutes(availability: str, quiet_hours: str) -> Week | None:
    """Minutes per day and hour someone with this availability may be rung; None when the
    availability cannot be read (the engine never rings them then)."""
    try:
        windows = parse_windows(availability)
    except AvailabilityError:
        return None
    return weekly_minutes(windows, quiet_hours)


def calls_a_week(minutes: Week, caps: Caps) -> int:
    """The most calls the caps let one helper take in a week: the daily cap on each day they
    may be rung at all, and no more than the weekly cap."""
    return min(caps.weekly, caps.daily * sum(1 for day in minutes if any(day)))


@dataclass(frozen=True)
class HelperGroup:
    """Helpers of one neighbourhood and category who share an availability text."""

    availability: str
    count: int


@dataclass(frozen=True)
class Gap:
    """Hours [start, end) of one day in which nobody of the category can be rung."""

    category: str
    day: int
    start: int
    end: int
    requests: int
    unhelped: int

    @property
    def hours(self) -> int:
        return self.end - self.start

    def as_dict(self) -> dict:
        return {"category": self.category, "day": self.day, "from": f"{self.start:02d}:00",
                "to": f"{self.end:02d}:00", "hours": self.hours, "requests": self.requests,
                "unhelped": self.unhelped}


def _grid(value=0) -> list[list]:
    return [[value] * HOURS for _ in range(DAYS)]


def quiet_cells(quiet_hours: str) -> list[list[bool]]:
    """Hours the quiet hours leave less than half of: nobody is rung then."""
    anytime = weekly_minutes((), quiet_hours)
    return [[minutes < HALF_HOUR for minutes in day] for day in anytime]


def category_grid(groups: list[HelperGroup], quiet_hours: str, caps: Caps,
                  requests: list[list[int]], unhelped: list[list[int]]) -> dict:
    """One category's week: helpers per hour (None in quiet hours), the requests made and
    those that found nobody per hour, the helpers and the calls a week their caps allow."""
    quiet = quiet_cells(quiet_hours)
    helpers = _grid()
    total = capacity = 0
    for group in groups:
        minutes = callable_minutes(group.availability, quiet_hours)
        if minutes is None:
            continue
        total += group.count
        capacity += group.count * calls_a_week(minutes, caps)
        for day in range(DAYS):
            for hour in range(HOURS):
                if minutes[day][hour] >= HALF_HOUR:
                    helpers[day][hour] += group.count
    return {"helpers": total, "calls_a_week": capacity,
            "helpers_by_hour": [[None if quiet[day][hour] else helpers[day][hour]
                                 for hour in range(HOURS)] for day in range(DAYS)],
            "requests_by_hour": requests, "unhelped_by_hour": unhelped}


def find_gaps(slug: str, grid: dict) -> list[Gap]:
    """Every run of hours of a day, outside quiet hours, without a helper of the category."""
    found = []
    for day, hours in enumerate(grid["helpers_by_hour"]):
        start = None
        for hour in range(HOURS + 1):
            empty = hour < HOURS and hours[hour] == 0
            if empty and start is None:
                start = hour
            elif not empty and start is not None:
                found.append(Gap(slug, day, start, hour,
                                 sum(grid["requests_by_hour"][day][start:hour]),
                                 sum(grid["unhelped_by_hour"][day][start:hour])))
                start = None
    return found


def largest(gaps: list[Gap], order: list[str], count: int = LARGEST) -> list[Gap]:
    """The gaps where most requests went unhelped, then most were made, then the longest; ties
    in menu order, then day and hour."""
    return sorted(gaps, key=lambda g: (-g.unhelped, -g.requests, -g.hours,
                                       order.index(g.category), g.day, g.start))[:count]


def quarter_bounds(end: datetime) -> tuple[datetime, datetime]:
    """The 13 weeks up to ``end`` (naive UTC, a local midnight), from a local midnight."""
    return local_midnight_utc(local_date(end) - QUARTER), end


def quarter_to_today(now: datetime) -> tuple[datetime, datetime]:
    """The 13 weeks up to and including today (Amsterdam)."""
    return quarter_bounds(local_midnight_utc(local_date(now) + timedelta(days=1)))


def helper_gaps(session: Session, neighbourhoods: list[Neighbourhood], start: datetime,
                end: datetime, now: datetime, default_quiet_hours: str,
                caps: Caps) -> dict:
    """The grids of these neighbourhoods for the requests made in [start, end), with the
    helpers who may be rung as of ``now``; see the module's docstring. Times are Amsterdam's;
    ``from`` and ``to`` are the first and last day of the quarter."""
    ids = [n.id for n in neighbourhoods]
    helpers = _helper_groups(session, ids, now)
    requests, unhelped = _requests_by_hour(session, ids, start, end)
    rows = []
    for neighbourhood in neighbourhoods:
        quiet = (default_quiet_hours if neighbourhood.quiet_hours is None
                 else neighbourhood.quiet_hours)
        menu = [c.slug for c in neighbourhood.categories if c.enabled]
        categories, gaps = {}, []
        for slug in menu:
            key = (neighbourhood.id, slug)
            grid = category_grid(helpers.get(key, []), quiet, caps,
                                 requests.get(key) or _grid(), unhelped.get(key) or _grid())
            categories[slug] = grid
            gaps += find_gaps(slug, grid)
        rows.append({"name": neighbourhood.name, "quiet_hours": quiet,
                     "categories": categories,
                     "largest_gaps": [gap.as_dict() for gap in largest(gaps, menu)]})
    last_day = local_date(end - timedelta(microseconds=1))
    return {"from": local_date(start).isoformat(), "to": last_day.isoformat(),
            "neighbourhoods": rows}


def _helper_groups(session: Session, ids: list[int], now: datetime
                   ) -> dict[tuple[int, str], list[HelperGroup]]:
    """Helpers who may be rung, counted per neighbourhood, category and availability."""
    rows = session.execute(
        select(Participant.neighbourhood_id, ParticipantCategory.slug, Participant.availability,
               func.count())
        .join(ParticipantCategory, ParticipantCategory.participant_id == Participant.id)
        .where(Participant.neighbourhood_id.in_(ids or [-1]), may_be_rung(now))
        .group_by(Participant.neighbourhood_id, ParticipantCategory.slug,
                  Participant.availability))
    groups: dict[tuple[int, str], list[HelperGroup]] = defaultdict(list)
    for neighbourhood_id, slug, availability, count in rows:
        groups[neighbourhood_id, slug].append(HelperGroup(availability, count))
    return groups


def _utc_hour(session: Session):
    """A request's UTC hour as text, "2026-10-05 14", on either database: SQLite stores the
    moment as ISO text, PostgreSQL formats it."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(HelpRequest.created_at, "YYYY-MM-DD HH24")
    return func.substr(HelpRequest.created_at, 1, 13)


def _requests_by_hour(session: Session, ids: list[int], start: datetime, end: datetime):
    """Requests made in [start, end) and those that found nobody, per neighbourhood and
    category, by Amsterdam weekday and hour. SQL counts them per UTC hour (Amsterdam's offset
    is whole hours; the local hour is a matter of time zones the two databases answer
    differently), and each of the quarter's hours is then turned local once."""
    hour = _utc_hour(session)
    found_nobody = case((HelpRequest.outcome.in_(UNHELPED), 1), else_=0)
    rows = session.execute(
        select(HelpRequest.neighbourhood_id, HelpRequest.category_slug, hour, found_nobody,
               func.count())
        .where(HelpRequest.created_at >= start, HelpRequest.created_at < end,
               HelpRequest.category_slug.is_not(None),
               HelpRequest.neighbourhood_id.in_(ids or [-1]))
        .group_by(HelpRequest.neighbourhood_id, HelpRequest.category_slug, hour, found_nobody))
    requests: dict[tuple[int, str], list[list[int]]] = {}
    unhelped: dict[tuple[int, str], list[list[int]]] = {}
    local_hours: dict[str, tuple[int, int]] = {}
    for neighbourhood_id, slug, utc_hour, nobody, count in rows:
        if utc_hour not in local_hours:
            local = to_local(datetime.strptime(utc_hour, "%Y-%m-%d %H"))
            local_hours[utc_hour] = local.weekday(), local.hour
        day, local_hour = local_hours[utc_hour]
        key = (neighbourhood_id, slug)
        if key not in requests:
            requests[key], unhelped[key] = _grid(), _grid()
        requests[key][day][local_hour] += count
        if nobody:
            unhelped[key][day][local_hour] += count
    return requests, unhelped
