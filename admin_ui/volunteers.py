"""Volunteers' own figures: a sortable list (rung, answered, accepted, declined, no answer,
already taken, last rung, calls this week and today against the caps), and the same figures on
each participant's page."""

from __future__ import annotations

import math
from datetime import timedelta

from flask import render_template, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_ui.auth import (
    chosen_neighbourhood,
    visible,
    visible_neighbourhoods,
)
from admin_ui.blueprint import blueprint
from bhc.app import current_exchange
from bhc.attention.models import AttentionItem, AttentionKind
from bhc.calls import volunteer_figures
from bhc.calls.candidates import Caps
from bhc.db import utcnow

PERIODS = (7, 30, 90, 365)  # days the counts look back
DEFAULT_PERIOD = 30
PER_PAGE = 100


def caps() -> Caps:
    matching = current_exchange().config.matching
    return Caps(daily=matching.daily_cap, weekly=matching.weekly_cap)


def _checking_in(session: Session, participant_ids) -> set[int]:
    """Of these volunteers, those with an open friendly check-in on the attention list."""
    return set(session.scalars(select(AttentionItem.participant_id).where(
        AttentionItem.kind == AttentionKind.CHECK_IN, AttentionItem.closed_at.is_(None),
        AttentionItem.participant_id.in_(list(participant_ids) or [-1]))))


def participant_figures(session: Session, participant_id: int) -> dict:
    """For a participant's page: their figures of the last 30 days and their caps."""
    now = utcnow()
    rows = volunteer_figures.figures(session, now, now - timedelta(days=DEFAULT_PERIOD),
                                     participant_id=participant_id)
    return {"figures": rows[0] if rows else None, "caps": caps(), "days": DEFAULT_PERIOD,
            "check_in": bool(_checking_in(session, [participant_id]))}


@blueprint.get("/volunteers")
def volunteers():
    days = request.args.get("days", DEFAULT_PERIOD, type=int)
    if days not in PERIODS:
        days = DEFAULT_PERIOD
    sort = request.args.get("sort", "name")
    if sort not in volunteer_figures.COLUMNS:
        sort = "name"
    descending = request.args.get("order") == "desc"
    chosen = chosen_neighbourhood()
    now = utcnow()
    with current_exchange().db.session() as session:
        rows = volunteer_figures.sorted_by(
            volunteer_figures.figures(session, now, now - timedelta(days=days),
                                      visible=visible(), neighbourhood_id=chosen),
            sort, descending)
        pages = max(1, math.ceil(len(rows) / PER_PAGE))
        number = min(max(1, request.args.get("page", 1, type=int)), pages)
        shown = rows[(number - 1) * PER_PAGE:number * PER_PAGE]
        neighbourhoods = visible_neighbourhoods(session)
        return render_template(
            "admin/volunteers.html", rows=shown, total=len(rows), days=days, periods=PERIODS,
            sort=sort, descending=descending, chosen=chosen, caps=caps(),
            page={"number": number, "pages": pages},
            neighbourhoods=neighbourhoods, names={n.id: n.name for n in neighbourhoods},
            check_ins=_checking_in(session, [r.participant_id for r in shown]))
