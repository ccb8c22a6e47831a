"""Report figures of joining: participants per 1,000 households, and the month's newcomers by
the way they came in (the web sign-up page, the phone, or a coordinator)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bhc.people.models import Participant

CHANNELS = ("web", "phone", "coordinator")
# Participant.source as written by the code paths that create participants; the rest
# (coordinator, import, demo, ...) were entered by a coordinator.
_CHANNEL_OF_SOURCE = {"web": "web", "phone": "phone"}


def channel(source: str | None) -> str:
    return _CHANNEL_OF_SOURCE.get(source or "", "coordinator")


def add_to_report(session: Session, start: datetime, end: datetime, rows: dict[int, dict],
                  total: dict) -> None:
    """Add ``participants`` (registered at the month's end, not opted out),
    ``participants_per_1000_households`` and ``signups`` (participants created in the month, by
    channel) to each neighbourhood's row (by id; rows carry "households") and to the total,
    whose rate compares the neighbourhoods with a household count with their summed
    households."""
    ids = list(rows) or [-1]
    registered = dict(session.execute(
        select(Participant.neighbourhood_id, func.count())
        .where(Participant.neighbourhood_id.in_(ids), Participant.created_at < end,
               Participant.needs_review.is_(False), Participant.opted_out.is_(False))
        .group_by(Participant.neighbourhood_id)).all())
    joined = session.execute(
        select(Participant.neighbourhood_id, Participant.source, func.count())
        .where(Participant.neighbourhood_id.in_(ids), Participant.created_at >= start,
               Participant.created_at < end, Participant.needs_review.is_(False))
        .group_by(Participant.neighbourhood_id, Participant.source))
    signups = {neighbourhood_id: dict.fromkeys(CHANNELS, 0) for neighbourhood_id in rows}
    for neighbourhood_id, source, count in joined:
        signups[neighbourhood_id][channel(source)] += count

    total_signups = dict.fromkeys(CHANNELS, 0)
    counted, counted_households = 0, 0
    for neighbourhood_id, row in rows.items():
        participants = registered.get(neighbourhood_id, 0)
        row["participants"] = participants
        row["participants_per_1000_households"] = _per_1000(participants, row["households"])
        row["signups"] = signups[neighbourhood_id]
        for key, count in signups[neighbourhood_id].items():
            total_signups[key] += count
        if row["households"]:
            counted += participants
            counted_households += row["households"]
    total["participants"] = sum(registered.values())
    total["participants_per_1000_households"] = _per_1000(counted, counted_households)
    total["signups"] = total_signups


def _per_1000(participants: int, households: int | None) -> float | None:
    return round(participants * 1000 / households, 2) if households else None
