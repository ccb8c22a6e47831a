"""The monthly report (docs/architecture.md, "Report JSON"): per neighbourhood and in total,
what the exchange did for the requests made in one month, in Europe/Amsterdam.

Every count is aggregated in SQL with GROUP BY; only the month's match times (for the
percentiles) travel to Python. ``to_csv`` renders the report for sharing, with counts under 5
suppressed.
"""

from __future__ import annotations

import csv
import gc
import io
import math
import re
from collections import Counter, defaultdict
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum

from sqlalchemy import and_, case, func, literal, select, true, union_all
from sqlalchemy.orm import Session

from bhc.attention import report as attention_figures
from bhc.calls.candidates import Caps
from bhc.calls.models import CallLeg, HelpRequest, Match, RequestOutcome, RequestState
from bhc.config import Config
from bhc.db import utcnow
from bhc.followups import services as followups
from bhc.localtime import month_start_utc, to_local
from bhc.neighbourhoods.models import Neighbourhood
from bhc.neighbourhoods.scope import in_scope
from bhc.people.models import Participant
from bhc.reports import gaps as helper_gaps
from bhc.reports import languages as request_languages
from bhc.reports import network as network_figures
from bhc.reports import participation as participation_figures
from bhc.reports.match_people import MonthMatches
from bhc.reports.sharing import COUNTS, DERIVED_FROM, SMALL, WITHHELD, suppressed
from bhc.surveys import services as surveys


class UnmatchedKey(StrEnum):
    """Why requests that chose a category found no match, as the report groups them. The first
    three are the engine's own reasons; call-backs add theirs. OTHER catches outcomes this
    module does not know yet."""

    NO_CANDIDATES = RequestOutcome.NO_CANDIDATES.value
    ALL_DECLINED = RequestOutcome.ALL_DECLINED.value
    NO_ANSWER = RequestOutcome.NO_ANSWER.value
    CALLBACK_PENDING = "callback_pending"
    CALLBACK_EXPIRED = RequestOutcome.CALLBACK_EXPIRED.value
    CALLBACK_NOT_CONNECTED = "callback_not_connected"
    OTHER = "other"


UNMATCHED_KEYS = tuple(UnmatchedKey)
_UNMATCHED_OUTCOMES = {
    RequestOutcome.NO_CANDIDATES: UnmatchedKey.NO_CANDIDATES,
    RequestOutcome.ALL_DECLINED: UnmatchedKey.ALL_DECLINED,
    RequestOutcome.NO_ANSWER: UnmatchedKey.NO_ANSWER,
    RequestOutcome.CALLBACK_REQUESTED: UnmatchedKey.CALLBACK_PENDING,
    RequestOutcome.CALLBACK_EXPIRED: UnmatchedKey.CALLBACK_EXPIRED,
    RequestOutcome.CALLBACK_DECLINED: UnmatchedKey.CALLBACK_NOT_CONNECTED,
    RequestOutcome.CALLBACK_UNREACHABLE: UnmatchedKey.CALLBACK_NOT_CONNECTED,
    RequestOutcome.CALLBACK_UNANSWERED: UnmatchedKey.CALLBACK_NOT_CONNECTED,
    RequestOutcome.VOLUNTEER_LEFT: UnmatchedKey.CALLBACK_NOT_CONNECTED,
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
    return month_start_utc(year, number), month_start_utc(*following)


def previous_month(now: datetime) -> str:
    """The month before the one ``now`` (naive UTC) falls in, in Amsterdam."""
    local = to_local(now)
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


def monthly_report(session: Session, month: str, neighbourhood_ids: list[int] | None = None,
                   config: Config | None = None, now: datetime | None = None) -> dict:
    """The report of ``month`` ("YYYY-MM") for these neighbourhoods (None: all), by name.

    Figures follow docs/architecture.md, "Report JSON". Beyond the contract: ``in_progress``
    (requests still searching),
    ``repeat_contacts`` (pairs of the same asker and helper matched more than once in the month
    in one neighbourhood; the total sums them), unmatched reasons for call-backs,
    ``active_helpers`` and ``active_askers`` (participants who answered a call placed in the
    month, or made a request in it, counted with the neighbourhood they belong to), ``previous``
    (the month before's key figures), ``history`` (requests and matches of the last 12
    months), the network figures of
    ``bhc.network_figures``, ``survey`` (the resident survey waves held by the month's end,
    ``bhc.surveys.survey_summary``, with ``[survey] lonely_from``) and ``helper_gaps``
    (``bhc.reports.gaps``: where helpers are missing, for the 13 weeks up to the month's end
    with the helpers as they are at ``now``, under the quiet hours and caps of ``config``).
    Ratios are rounded to 4 decimals (reach to 6), times to 0.1 s, volunteers rung per match
    to 0.01.
    In "total", a resident in contact in several neighbourhoods counts once, and reach compares
    the residents of neighbourhoods with a household count with their summed households.
    """
    year, number = parse_month(month)
    start, end = month_bounds(month)
    config = config or Config()
    query = in_scope(select(Neighbourhood).order_by(Neighbourhood.name), Neighbourhood.id,
                     neighbourhood_ids)
    neighbourhoods = list(session.scalars(query))
    ids = [n.id for n in neighbourhoods]
    in_month = _requests_between(start, end, None if neighbourhood_ids is None else ids)

    figures: dict[int, dict] = defaultdict(_empty)  # tolerates a neighbourhood added meanwhile
    total = _empty()
    with_households = [n.id for n in neighbourhoods if n.households is not None]
    languages, matches = _add_month_figures(session, in_month, figures, total,
                                            with_households)
    _add_active_people(session, start, end, None if neighbourhood_ids is None else ids,
                       figures, total)

    rows = []
    for n in neighbourhoods:
        rows.append({"name": n.name, "households": n.households,
                     **_finish(figures[n.id], n.households)})
    known = [n.households for n in neighbourhoods if n.households is not None]
    households = sum(known) if known else None
    total_row = _finish(total, households, reach_residents=total.pop("residents_with_households"))
    followups.add_to_report(session, in_month, dict(zip(ids, rows)), total_row)
    network_figures.add_network_figures(session, in_month, matches, dict(zip(ids, rows)),
                                        total_row)
    participation_figures.add_to_report(session, start, end, dict(zip(ids, rows)), total_row)
    request_languages.add_to_report(languages, dict(zip(ids, rows)), total_row)
    attention_figures.add_to_report(session, start, end, dict(zip(ids, rows)), total_row,
                                    config.office.hours)
    return {"month": f"{year:04d}-{number:02d}",
            "total": {"households": households, **total_row}, "neighbourhoods": rows,
            "previous": _month_before(session, month, neighbourhoods, neighbourhood_ids),
            "history": _history(session, month, neighbourhoods, neighbourhood_ids,
                                figures, total),
            "survey": surveys.survey_summary(session, end, neighbourhood_ids,
                                             config.survey.lonely_from),
            "helper_gaps": helper_gaps.helper_gaps(
                session, neighbourhoods, *helper_gaps.quarter_bounds(end), now or utcnow(),
                config.matching.quiet_hours, Caps.of(config.matching))}


def _empty() -> dict:
    return {"requests": 0, "matches": 0, "abandoned": 0, "in_progress": 0, "rung": 0,
            "unmatched": dict.fromkeys(UNMATCHED_KEYS, 0), "times": [],
            "residents_in_contact": 0, "residents_with_households": 0,
            "repeat_contacts": 0, "by_category": {}, "active_helpers": 0, "active_askers": 0}


def _add_month_figures(session: Session, in_month, figures: dict, total: dict,
                       with_households: list[int]):
    """The figures of the month's requests and their matches. Requests are counted in SQL by
    neighbourhood, category, state, outcome and language, from the covering index without a
    join. The
    month's matches then travel once, as (neighbourhood, category, seconds, volunteers rung,
    asker, helper): the percentiles need every time anyway, and counting the distinct residents
    and pairs among them in sets measured faster than SQL's DISTINCT over the join on both
    databases (on SQLite 0.05 s against 0.4 s for a month of 130,000 matches; see
    benchmarks/report.py). Returns the requests by (neighbourhood, language) and the month's
    distinct (neighbourhood, asker, helper) of its matches, for the figure modules."""
    grouped = (HelpRequest.neighbourhood_id, HelpRequest.category_slug, HelpRequest.state,
               HelpRequest.outcome, HelpRequest.language)
    languages = Counter()
    for *group, language, count in session.execute(
            select(*grouped, func.count()).where(in_month).group_by(*grouped)):
        _add_requests(figures[group[0]], total, *group[1:], count)
        languages[group[0], language] += count

    with _collector_paused():
        rows = session.connection().execute(  # Core rows: the ORM's wrapping costs here
            select(HelpRequest.neighbourhood_id, HelpRequest.category_slug,
                   Match.time_to_match_s, Match.volunteers_rung, Match.asker_id,
                   Match.helper_id)
            .join(Match, Match.request_id == HelpRequest.id).where(in_month)).all()
        return languages, (_add_match_rows(tuple(zip(*rows)), figures, total, with_households)
                           if rows else MonthMatches.none())


@contextmanager
def _collector_paused():
    """Python's cycle collector runs over and over while a month of rows (tuples, which
    cannot form cycles) is made; pausing it halved the time these rows take to read."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _add_match_rows(columns: tuple, figures: dict, total: dict,
                    with_households: list[int]) -> MonthMatches:
    """Matches, volunteers rung, times, residents in contact and repeat contacts from the
    month's matches, column by column so that the counting runs in C (Counter, numpy).
    Returns the month's matches as arrays for the network figures."""
    neighbourhood, slug, seconds, rung, asker, helper = columns
    for (neighbourhood_id, category), matches in Counter(zip(neighbourhood, slug)).items():
        for target in (figures[neighbourhood_id], total):
            target["matches"] += matches
            target["by_category"].setdefault(category, {"requests": 0, "matches": 0})[
                "matches"] += matches
    times, rung_by = defaultdict(list), Counter()
    for neighbourhood_id, time, rung_here in zip(neighbourhood, seconds, rung):
        times[neighbourhood_id].append(time)
        rung_by[neighbourhood_id] += rung_here
    for neighbourhood_id, values in times.items():
        figures[neighbourhood_id]["times"] = values
        figures[neighbourhood_id]["rung"] = rung_by[neighbourhood_id]
    total["times"], total["rung"] = list(seconds), sum(rung)

    month = MonthMatches.of(neighbourhood, asker, helper)
    for neighbourhood_id, residents in month.residents_per_neighbourhood().items():
        figures[neighbourhood_id]["residents_in_contact"] = residents
    total["residents_in_contact"] = month.residents()
    total["residents_with_households"] = (
        total["residents_in_contact"] if set(with_households).issuperset(times)
        else month.residents(with_households))
    for neighbourhood_id, pairs in month.repeat_contacts_per_neighbourhood().items():
        figures[neighbourhood_id]["repeat_contacts"] = pairs
        total["repeat_contacts"] += pairs
    return month


def _add_requests(figures: dict, total: dict, slug: str, state: str, outcome: str | None,
                  requests: int) -> None:
    for target in (figures, total):
        target["requests"] += requests
        target["by_category"].setdefault(slug, {"requests": 0, "matches": 0})[
            "requests"] += requests
        if state == RequestState.ABANDONED:
            target["abandoned"] += requests
        elif state == RequestState.SEARCHING:
            target["in_progress"] += requests
        elif state in _UNMATCHED_STATES:
            key = (UnmatchedKey.CALLBACK_PENDING if state == RequestState.CALLBACK_DUE
                   else _UNMATCHED_OUTCOMES.get(outcome, UnmatchedKey.OTHER))
            target["unmatched"][key] += requests


def _add_active_people(session: Session, start: datetime, end: datetime, ids: list[int] | None,
                       figures: dict, total: dict) -> None:
    """Participants of each neighbourhood who answered a call placed in the month (active
    helpers) or made a request in it (active askers). An indexed EXISTS per participant keeps
    the cost with the number of participants, not of the month's calls."""
    answered = select(CallLeg.id).where(
        CallLeg.volunteer_id == Participant.id, CallLeg.placed_at >= start,
        CallLeg.placed_at < end, CallLeg.answered_at.is_not(None)).exists()
    asked = select(HelpRequest.id).where(
        HelpRequest.caller_id == Participant.id, HelpRequest.created_at >= start,
        HelpRequest.created_at < end, HelpRequest.category_slug.is_not(None)).exists()
    scope = true() if ids is None else Participant.neighbourhood_id.in_(ids or [-1])
    rows = session.execute(union_all(*(
        select(literal(kind), Participant.neighbourhood_id, func.count())
        .where(scope, active).group_by(Participant.neighbourhood_id)
        for kind, active in (("active_helpers", answered), ("active_askers", asked)))))
    for kind, neighbourhood_id, count in rows:
        total[kind] += count  # each participant belongs to one neighbourhood (or none)
        if neighbourhood_id is not None:
            figures[neighbourhood_id][kind] = count


def _requests_between(start: datetime, end: datetime, ids: list[int] | None):
    """Requests (a category was chosen) made in [start, end) in these neighbourhoods (None:
    all; then the time range alone lets the index serve)."""
    condition = and_(HelpRequest.created_at >= start, HelpRequest.created_at < end,
                     HelpRequest.category_slug.is_not(None))
    if ids is not None:
        condition = and_(condition, HelpRequest.neighbourhood_id.in_(ids or [-1]))
    return condition


PREVIOUS_FIELDS = ("requests", "matches", "match_rate", "median_time_to_match_s",
                   "residents_in_contact", "reach")
HISTORY_MONTHS = 12


def shift_month(month: str, by: int) -> str:
    """The month ``by`` months after (negative: before) ``month``."""
    year, number = parse_month(month)
    index = year * 12 + number - 1 + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _month_before(session: Session, month: str, neighbourhoods: list[Neighbourhood],
                    neighbourhood_ids: list[int] | None) -> dict:
    """The previous month's key figures, to compare with (month over month)."""
    previous = shift_month(month, -1)
    ids = None if neighbourhood_ids is None else [n.id for n in neighbourhoods]
    condition = _requests_between(*month_bounds(previous), ids)
    figures: dict[int, dict] = defaultdict(_empty)
    total = _empty()
    with_households = [n.id for n in neighbourhoods if n.households is not None]
    _add_month_figures(session, condition, figures, total, with_households)

    def key_figures(raw: dict, households: int | None, **kwargs) -> dict:
        finished = _finish(raw, households, **kwargs)
        return {field: finished[field] for field in PREVIOUS_FIELDS}

    known = [n.households for n in neighbourhoods if n.households is not None]
    return {"month": previous,
            "total": key_figures(total, sum(known) if known else None,
                                 reach_residents=total["residents_with_households"]),
            "neighbourhoods": [{"name": n.name, **key_figures(figures[n.id], n.households)}
                               for n in neighbourhoods]}


def _history(session: Session, month: str, neighbourhoods: list[Neighbourhood],
             neighbourhood_ids: list[int] | None, figures: dict, total: dict) -> dict:
    """Requests and matches of the last 12 months up to ``month``, oldest first. The 11
    earlier months come from one grouped query whose CASE puts each request in its Amsterdam
    month; the report month's own counts are already known."""
    months = [shift_month(month, by) for by in range(1 - HISTORY_MONTHS, 1)]
    starts = [month_bounds(m)[0] for m in months]
    ids = None if neighbourhood_ids is None else [n.id for n in neighbourhoods]
    bucket = case(*((HelpRequest.created_at < boundary, index)
                    for index, boundary in enumerate(starts[1:-1])), else_=len(starts) - 2)
    counts = {n.id: {"requests": [0] * len(months), "matches": [0] * len(months)}
              for n in neighbourhoods}
    summed = {"requests": [0] * len(months), "matches": [0] * len(months)}
    rows = session.execute(
        select(bucket.label("month"), HelpRequest.neighbourhood_id, func.count(HelpRequest.id),
               func.count(Match.id))
        .outerjoin(Match, Match.request_id == HelpRequest.id)
        .where(_requests_between(starts[0], starts[-1], ids))
        .group_by("month", HelpRequest.neighbourhood_id))
    for index, neighbourhood_id, requests, matches in rows:
        for target in (counts.get(neighbourhood_id), summed):
            if target is not None:
                target["requests"][index] += requests
                target["matches"][index] += matches
    for neighbourhood_id, target in counts.items():
        target["requests"][-1] = figures[neighbourhood_id]["requests"]
        target["matches"][-1] = figures[neighbourhood_id]["matches"]
    summed["requests"][-1], summed["matches"][-1] = total["requests"], total["matches"]
    return {"months": months, "total": summed,
            "neighbourhoods": [{"name": n.name, **counts[n.id]} for n in neighbourhoods]}


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
        "active_helpers": raw["active_helpers"],
        "active_askers": raw["active_askers"],
    }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def csv_columns(report: dict) -> list[str]:
    rows = [report["total"], *report["neighbourhoods"]]
    slugs = sorted({slug for row in rows for slug in row["by_category"]})
    languages = sorted({code for row in rows for code in row["requests_by_language"]})
    return (["neighbourhood", "households", "requests", "matches", "match_rate", "abandoned"]
            + [f"unmatched_{key}" for key in UNMATCHED_KEYS]
            + ["median_time_to_match_s", "p90_time_to_match_s", "volunteers_rung_per_match",
               "residents_in_contact", "reach", "in_progress", "repeat_contacts",
               "active_helpers", "active_askers"]
            + ["followups_answered", "help_given", "help_given_rate", "wants_contact_again"]
            + list(network_figures.FIELDS)
            + ["participants", "participants_per_1000_households"]
            + [f"signups_{channel}" for channel in participation_figures.CHANNELS]
            + [f"requests_in_{code}" for code in languages]
            + [*attention_figures.FIELDS, attention_figures.RATE]
            + [f"attention_{kind}" for kind in attention_figures.KINDS]
            + [f"previous_{field}" for field in PREVIOUS_FIELDS]
            + [f"{slug}_{field}" for slug in slugs for field in ("requests", "matches")])


def csv_row(row: dict, name: str) -> dict:
    """One neighbourhood (or the total) as a CSV row with small numbers suppressed."""
    out: dict = {"neighbourhood": name, "households": row["households"]}
    for field in COUNTS:
        out[field] = suppressed(row[field])
    for field, sources in DERIVED_FROM.items():
        small = any(0 < row[source] < SMALL for source in sources)
        out[field] = WITHHELD if small else row[field]
    for key, count in row["unmatched"].items():
        out[f"unmatched_{key}"] = suppressed(count)
    out["participants"] = suppressed(row["participants"])
    out["participants_per_1000_households"] = (WITHHELD if 0 < row["participants"] < SMALL
                                               else row["participants_per_1000_households"])
    for channel, count in row["signups"].items():
        out[f"signups_{channel}"] = suppressed(count)
    for code, count in row["requests_by_language"].items():
        out[f"requests_in_{code}"] = suppressed(count)
    for kind, count in row["attention_by_kind"].items():
        out[f"attention_{kind}"] = suppressed(count)
    for slug, counts in row["by_category"].items():
        out[f"{slug}_requests"] = suppressed(counts["requests"])
        out[f"{slug}_matches"] = suppressed(counts["matches"])
    return {key: "" if value is None else value for key, value in out.items()}


def to_csv(report: dict, total_label: str = "total") -> str:
    """One row per neighbourhood and a total row; counts under 5 (and what they'd reveal)
    suppressed as "<5". Categories a neighbourhood had no request in are 0."""
    columns = csv_columns(report)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, restval=0, lineterminator="\n")
    writer.writeheader()
    previous = report["previous"]
    for row, before in zip(report["neighbourhoods"], previous["neighbourhoods"], strict=True):
        writer.writerow({**csv_row(row, row["name"]), **_previous_columns(before)})
    writer.writerow({**csv_row(report["total"], total_label),
                     **_previous_columns(previous["total"])})
    return buffer.getvalue()


def _previous_columns(figures: dict) -> dict:
    """The previous month's key figures, suppressed by the same rules."""
    out = {}
    for field in PREVIOUS_FIELDS:
        sources = DERIVED_FROM.get(field, (field,))
        small = any(0 < figures[source] < SMALL for source in sources)
        out[f"previous_{field}"] = WITHHELD if small else figures[field]
    return {key: "" if value is None else value for key, value in out.items()}

