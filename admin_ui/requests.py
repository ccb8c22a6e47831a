"""The dashboard (what happens now, today's requests) and the request log with each
request's call legs."""

from __future__ import annotations

from flask import render_template, request
from sqlalchemy import select

from admin_ui.auth import (
    chosen_neighbourhood,
    visible,
    visible_neighbourhoods,
    visible_row,
)
from admin_ui.blueprint import blueprint
from admin_ui.language import selected_language
from admin_ui.now import now_context
from bhc.app import current_exchange
from bhc.calls import request_log
from bhc.calls.models import HelpRequest
from bhc.db import utcnow
from bhc.followups import services as followups
from bhc.neighbourhoods.models import Category


def labels_per_neighbourhood(session, language: str) -> dict[tuple[int, str], str]:
    """Each neighbourhood's label of each category slug."""
    return {(c.neighbourhood_id, c.slug): c.label(language)
            for c in session.scalars(select(Category))}


@blueprint.get("/")
def dashboard():
    now = utcnow()
    with current_exchange().db.session() as session:
        requests = request_log.today(session, now, visible())
        return render_template("admin/dashboard.html", requests=requests,
                               refresh=request_log.any_searching(requests),
                               categories=labels_per_neighbourhood(session, selected_language()),
                               **now_context(session, now))


@blueprint.get("/requests")
def request_history():
    with current_exchange().db.session() as session:
        chosen = chosen_neighbourhood()
        page = request_log.history(session, visible(), neighbourhood_id=chosen,
                                   page=request.args.get("page", 1, type=int))
        return render_template("admin/requests.html", page=page, chosen=chosen,
                               neighbourhoods=visible_neighbourhoods(session),
                               categories=labels_per_neighbourhood(session, selected_language()))


@blueprint.get("/requests/<int:request_id>")
def request_detail(request_id: int):
    with current_exchange().db.session() as session:
        help_request = visible_row(session, HelpRequest, request_id)
        return render_template("admin/request_detail.html", help_request=help_request,
                               events=request_log.timeline(session, help_request),
                               follow_ups=followups.for_request(session, help_request.id),
                               categories=labels_per_neighbourhood(session, selected_language()))
