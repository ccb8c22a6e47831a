"""The monthly report's figures of "needs attention": the items raised in the month, how they
were closed, and how many within a working day of office hours."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bhc.attention.models import AttentionItem, AttentionKind, Resolution
from bhc.neighbourhoods.office import within_a_working_day

FIELDS = ("attention_items", "attention_handled", "attention_not_reached", "attention_open",
          "attention_within_a_working_day")
RATE = "attention_within_a_working_day_rate"
KINDS = tuple(kind.value for kind in AttentionKind)


def add_to_report(session: Session, start: datetime, end: datetime, rows: dict[int, dict],
                  total: dict, office_hours: str) -> None:
    """Add to each neighbourhood's row (by id) and to the total, for items raised in
    [start, end): ``attention_items``; ``attention_handled`` and ``attention_not_reached``
    (closed as handled, or as "could not reach"); ``attention_open``;
    ``attention_within_a_working_day`` (closed either way within one working day of office
    hours after being raised, ``bhc.neighbourhoods.office``) with its share of all items,
    ``attention_within_a_working_day_rate``; and ``attention_by_kind``."""
    counts: dict[int, dict] = defaultdict(_empty)
    summed = _empty()
    for neighbourhood_id, kind, raised_at, closed_at, resolution in session.execute(
            select(AttentionItem.neighbourhood_id, AttentionItem.kind, AttentionItem.raised_at,
                   AttentionItem.closed_at, AttentionItem.resolution)
            .where(AttentionItem.raised_at >= start, AttentionItem.raised_at < end,
                   AttentionItem.neighbourhood_id.in_(list(rows) or [-1]))):
        if closed_at is None:
            field = "attention_open"
        elif resolution == Resolution.NOT_REACHED:
            field = "attention_not_reached"
        else:
            field = "attention_handled"
        in_time = (closed_at is not None
                   and within_a_working_day(office_hours, raised_at, closed_at))
        for target in (counts[neighbourhood_id], summed):
            target["attention_items"] += 1
            target[field] += 1
            target["attention_within_a_working_day"] += in_time
            target["attention_by_kind"][kind] = target["attention_by_kind"].get(kind, 0) + 1
    for neighbourhood_id, row in rows.items():
        row.update(_finished(counts[neighbourhood_id]))
    total.update(_finished(summed))


def _empty() -> dict:
    return {**dict.fromkeys(FIELDS, 0), "attention_by_kind": dict.fromkeys(KINDS, 0)}


def _finished(figures: dict) -> dict:
    items = figures["attention_items"]
    within = figures["attention_within_a_working_day"]
    return {**figures, RATE: round(within / items, 4) if items else None}
