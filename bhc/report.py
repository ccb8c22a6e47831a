"""The monthly report (DESIGN §3 "Report JSON"): per neighbourhood and in total, what the exchange
did for the requests made in one month, in Europe/Amsterdam.

Every count is aggregated in SQL with GROUP BY; only the month's match times (for the
percentiles) travel to Python. ``to_csv`` renders the report for sharing, with counts under 5
suppressed.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections import defaultdict
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, distinct, func, literal, select, union, union_all
from sqlalchemy.orm import Session

from bhc.models import HelpRequest, Match, Neighbourhood, RequestState

LOCAL = ZoneInfo("Europe/Amsterdam")
SMALL = 5  # counts under this are shown as "<5" in exports meant for sharing

# Why requests that chose a category found no match. The first three are the engine's own
# reasons; call-backs add theirs. "other" catches outcomes this module does not know yet.
UNMATCHED_KEYS = ("no_candidates", "all_declined", "no_answer", "callback_pending",
                  "callback_expired", "callback_not_connected", "other")
_UNMATCHED_OUTCOMES = {
    "no_candidates": "no_candidates",
    "all_declined": "all_declined",
    "no_answer": "no_answer",
    "callback_requested": "callback_pending",
    "callback_expired": "callback_expired",
    "callback_declined": "callback_not_connected",
    "callback_unreachable": "callback_not_connected",
    "callback_unanswered": "callback_not_connected",
    "volunteer_left": "callback_not_connected",
}
_UNMATCHED_STATES = (RequestState.UNMATCHED, RequestState.CALLBACK_DUE)


class BadMonth(ValueError):
    """The month is not written as YYYY-MM."""


def parse_month(text: str) -> tuple[int, int]:
    found = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if not found or not 1 <= int(found[2]) <= 12 or int(found[1]) < 1:
        raise BadMonth(f"month {text!r} is not a month like 2026-11")
    return int(found[1]), int(found[2])


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The month's first and the next month's first moment in Amsterdam, as naive UTC."""
    year, number = parse_month(month)
    following = (year + 1, 1) if number == 12 else (year, number + 1)
    return _utc(year, number), _utc(*following)


def _utc(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=LOCAL).astimezone(UTC).replace(tzinfo=None)


def previous_month(now: datetime) -> str:
    """The month before the one ``now`` (naive UTC) falls in, in Amsterdam."""
    local = now.replace(tzinfo=UTC).astimezone(LOCAL)
    year, month = (local.year - 1, 12) if local.month == 1 else (local.year, local.month - 1)
    return f"{year:04d}-{month:02d}"


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default, PostgreSQL's
    ``percentile_cont``): the value at position ``fraction * (n - 1)`` of the sorted list,
    so the median of an even count is the mean of the middle two. None for an empty list."""
    if not sorted_values:
        return None
    position = fraction * (len(sorted_values) - 1)
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def monthly_report(session: Session, month: str,
                   neighbourhood_ids: list[int] | None = None) -> dict:
    """The report of ``month`` ("YYYY-MM") for these neighbourhoods (None: all), by name.

    Figures follow DESIGN §3. Beyond the contract: ``in_progress`` (requests still searching),
    ``repeat_contacts`` (pairs of the same asker and helper matched more than once in the month
    in one neighbourhood; the total sums them) and unmatched reasons for call-backs. Ratios are
    rounded to 4 decimals (reach to 6), times to 0.1 s, volunteers rung per match to 0.01.
    In "total", a resident in contact in several neighbourhoods counts once, and reach compares
    the residents of neighbourhoods with a household count with their summed households.
    """
    year, number = parse_month(month)
    start, end = month_bounds(month)
    query = select(Neighbourhood).order_by(Neighbourhood.name)
    if neighbourhood_ids is not None:
        query = query.where(Neighbourhood.id.in_(neighbourhood_ids or [-1]))
    neighbourhoods = list(session.scalars(query))
    ids = [n.id for n in neighbourhoods]
    in_month = and_(HelpRequest.created_at >= start, HelpRequest.created_at < end,
                    HelpRequest.category_slug.is_not(None))
    if neighbourhood_ids is not None:  # for all, the month's range alone lets the index serve
        in_month = and_(in_month, HelpRequest.neighbourhood_id.in_(ids or [-1]))

    figures: dict[int, dict] = defaultdict(_empty)  # tolerates a neighbourhood added meanwhile
    total = _empty()
    _add_counts(session, in_month, figures, total)
    _add_times(session, in_month, figures, total)
    with_households = [n.id for n in neighbourhoods if n.households is not None]
    _add_residents(session, in_month, figures, total, with_households)
    _add_repeat_contacts(session, in_month, figures, total)

    rows = []
    for n in neighbourhoods:
        rows.append({"name": n.name, "households": n.households,
                     **_finish(figures[n.id], n.households)})
    known = [n.households for n in neighbourhoods if n.households is not None]
    households = sum(known) if known else None
    total_row = _finish(total, households, reach_residents=total.pop("residents_with_households"))
    return {"month": f"{year:04d}-{number:02d}",
            "total": {"households": households, **total_row}, "neighbourhoods": rows}


def _empty() -> dict:
    return {"requests": 0, "matches": 0, "abandoned": 0, "in_progress": 0, "rung": 0,
            "unmatched": dict.fromkeys(UNMATCHED_KEYS, 0), "times": [],
            "residents_in_contact": 0, "residents_with_households": 0,
            "repeat_contacts": 0, "by_category": {}}


def _add_counts(session: Session, in_month, figures: dict, total: dict) -> None:
    """One scan of the month's requests, grouped by neighbourhood, category, state, outcome."""
    rows = session.execute(
        select(HelpRequest.neighbourhood_id, HelpRequest.category_slug, HelpRequest.state,
               HelpRequest.outcome, func.count(HelpRequest.id), func.count(Match.id),
               func.coalesce(func.sum(Match.volunteers_rung), 0))
        .outerjoin(Match, Match.request_id == HelpRequest.id)
        .where(in_month)
        .group_by(HelpRequest.neighbourhood_id, HelpRequest.category_slug, HelpRequest.state,
                  HelpRequest.outcome)
    )
    for neighbourhood_id, slug, state, outcome, requests, matches, rung in rows:
        for target in (figures[neighbourhood_id], total):
            target["requests"] += requests
            target["matches"] += matches
            target["rung"] += rung
            category = target["by_category"].setdefault(slug, {"requests": 0, "matches": 0})
            category["requests"] += requests
            category["matches"] += matches
            if state == RequestState.ABANDONED:
                target["abandoned"] += requests
            elif state == RequestState.SEARCHING:
                target["in_progress"] += requests
            elif state in _UNMATCHED_STATES:
                key = ("callback_pending" if state == RequestState.CALLBACK_DUE
                       else _UNMATCHED_OUTCOMES.get(outcome, "other"))
                target["unmatched"][key] += requests


def _add_times(session: Session, in_month, figures: dict, total: dict) -> None:
    """The month's times to match with their neighbourhood, for percentiles in Python."""
    rows = session.execute(
        select(HelpRequest.neighbourhood_id, Match.time_to_match_s)
        .join(Match, Match.request_id == HelpRequest.id)
        .where(in_month)
    )
    for neighbourhood_id, seconds in rows:
        figures[neighbourhood_id]["times"].append(seconds)
        total["times"].append(seconds)


_ALL, _WITH_HOUSEHOLDS = -1, -2  # rows of the residents query for the total


def _add_residents(session: Session, in_month, figures: dict, total: dict,
                   with_households: list[int]) -> None:
    """Distinct askers and helpers of matches per neighbourhood, and overall (each resident
    once), in one statement over the same set of (neighbourhood, resident)."""
    people = union(*(
        select(HelpRequest.neighbourhood_id.label("neighbourhood_id"), person.label("person"))
        .select_from(HelpRequest).join(Match, Match.request_id == HelpRequest.id)
        .where(in_month, person.is_not(None))
        for person in (Match.asker_id, Match.helper_id)
    )).cte("people")
    counted = func.count(distinct(people.c.person))
    rows = session.execute(union_all(
        select(people.c.neighbourhood_id, func.count()).group_by(people.c.neighbourhood_id),
        select(literal(_ALL), counted),
        select(literal(_WITH_HOUSEHOLDS), counted)
        .where(people.c.neighbourhood_id.in_(with_households or [-1])),
    ))
    for neighbourhood_id, residents in rows:
        if neighbourhood_id == _ALL:
            total["residents_in_contact"] = residents
        elif neighbourhood_id == _WITH_HOUSEHOLDS:
            total["residents_with_households"] = residents
        else:
            figures[neighbourhood_id]["residents_in_contact"] = residents


def _add_repeat_contacts(session: Session, in_month, figures: dict, total: dict) -> None:
    """Pairs of the same asker and helper matched more than once in a neighbourhood."""
    pairs = (select(HelpRequest.neighbourhood_id)
             .select_from(HelpRequest).join(Match, Match.request_id == HelpRequest.id)
             .where(in_month, Match.asker_id.is_not(None), Match.helper_id.is_not(None))
             .group_by(HelpRequest.neighbourhood_id, Match.asker_id, Match.helper_id)
             .having(func.count(Match.id) > 1)
             .subquery())
    for neighbourhood_id, count in session.execute(
            select(pairs.c.neighbourhood_id, func.count()).group_by(pairs.c.neighbourhood_id)):
        figures[neighbourhood_id]["repeat_contacts"] = count
        total["repeat_contacts"] += count


def _finish(raw: dict, households: int | None, reach_residents: int | None = None) -> dict:
    """Raw sums into the report's fields, in the contract's order."""
    requests, matches = raw["requests"], raw["matches"]
    times = sorted(raw["times"])
    residents = raw["residents_in_contact"]
    if reach_residents is None:
        reach_residents = residents
    return {
        "requests": requests,
        "matches": matches,
        "match_rate": round(matches / requests, 4) if requests else None,
        "abandoned": raw["abandoned"],
        "unmatched": raw["unmatched"],
        "median_time_to_match_s": _round(percentile(times, 0.5), 1),
        "p90_time_to_match_s": _round(percentile(times, 0.9), 1),
        "volunteers_rung_per_match": round(raw["rung"] / matches, 2) if matches else None,
        "residents_in_contact": residents,
        "reach": round(reach_residents / households, 6) if households else None,
        "by_category": dict(sorted(raw["by_category"].items())),
        "in_progress": raw["in_progress"],
        "repeat_contacts": raw["repeat_contacts"],
    }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


# The CSV for sharing: the counts that could point at a few residents are shown as "<5", and
# so are the figures derived from them.
_COUNTS = ("requests", "matches", "abandoned", "in_progress", "residents_in_contact",
           "repeat_contacts")
_DERIVED_FROM = {"match_rate": ("requests", "matches"),
                 "median_time_to_match_s": ("matches",), "p90_time_to_match_s": ("matches",),
                 "volunteers_rung_per_match": ("matches",), "reach": ("residents_in_contact",)}


def csv_columns(report: dict) -> list[str]:
    slugs = sorted({slug for row in [report["total"], *report["neighbourhoods"]]
                    for slug in row["by_category"]})
    return (["neighbourhood", "households", "requests", "matches", "match_rate", "abandoned"]
            + [f"unmatched_{key}" for key in UNMATCHED_KEYS]
            + ["median_time_to_match_s", "p90_time_to_match_s", "volunteers_rung_per_match",
               "residents_in_contact", "reach", "in_progress", "repeat_contacts"]
            + [f"{slug}_{field}" for slug in slugs for field in ("requests", "matches")])


def _suppressed(count: int) -> int | str:
    return "<5" if 0 < count < SMALL else count


def csv_row(row: dict, name: str) -> dict:
    """One neighbourhood (or the total) as a CSV row with small numbers suppressed."""
    out: dict = {"neighbourhood": name, "households": row["households"]}
    for field in _COUNTS:
        out[field] = _suppressed(row[field])
    for field, sources in _DERIVED_FROM.items():
        small = any(0 < row[source] < SMALL for source in sources)
        out[field] = "<5" if small else row[field]
    for key, count in row["unmatched"].items():
        out[f"unmatched_{key}"] = _suppressed(count)
    for slug, counts in row["by_category"].items():
        out[f"{slug}_requests"] = _suppressed(counts["requests"])
        out[f"{slug}_matches"] = _suppressed(counts["matches"])
    return {key: "" if value is None else value for key, value in out.items()}


def to_csv(report: dict, total_label: str = "total") -> str:
    """One row per neighbourhood and a total row; counts under 5 (and what they'd reveal)
    suppressed as "<5". Categories a neighbourhood had no request in are 0."""
    columns = csv_columns(report)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, restval=0, lineterminator="\n")
    writer.writeheader()
    for row in report["neighbourhoods"]:
        writer.writerow(csv_row(row, row["name"]))
    writer.writerow(csv_row(report["total"], total_label))
    return buffer.getvalue()

