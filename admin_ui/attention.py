"""Needs attention: the list of residents and volunteers to phone, each item with its
timeline, the number in full for a coordinator of its neighbourhood (audited), and a note to
close it with. The menu shows how many are open."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from admin_ui.auth import (
    chosen_neighbourhood,
    visible,
    visible_neighbourhoods,
    visible_row,
)
from admin_ui.blueprint import blueprint
from admin_ui.forms import CloseItemForm
from admin_ui.language import selected_language
from admin_ui.requests import labels_per_neighbourhood
from bhc.app import current_exchange
from bhc.attention import services as attention
from bhc.attention.models import AttentionItem, AttentionKind, Resolution
from bhc.calls import request_log
from bhc.db import utcnow
from bhc.followups import services as followups
from bhc.neighbourhoods.office import within_a_working_day

SHOWN = 200  # items on the page; the oldest open ones first


def attention_count() -> int:
    """For the menu on every page: open items the signed-in user may see."""
    if not current_user.is_authenticated:
        return 0
    with current_exchange().db.session() as session:
        return attention.open_count(session, visible())


blueprint.add_app_template_global(attention_count, "attention_count")


def _overdue(item: AttentionItem, now) -> bool:
    """Open for longer than a working day of office hours."""
    hours = current_exchange().config.office.hours
    return item.is_open and not within_a_working_day(hours, item.raised_at, now)


@blueprint.get("/attention")
def attention_list():
    closed = request.args.get("show") == "closed"
    chosen = chosen_neighbourhood()
    now = utcnow()
    with current_exchange().db.session() as session:
        attention.sweep(session, now)  # never behind the engine's own sweep
    with current_exchange().db.session() as session:
        rows = [(item, attention.contact(session, item))
                for item in attention.items(session, visible(), closed=closed,
                                            neighbourhood_id=chosen, limit=SHOWN)]
        return render_template("admin/attention.html", rows=rows, closed=closed, chosen=chosen,
                               more=not closed and len(rows) == SHOWN,
                               neighbourhoods=visible_neighbourhoods(session), now=now,
                               overdue=_overdue)




def _render_item(session, item: AttentionItem, form: CloseItemForm, status: int = 200):
    now = utcnow()
    who = attention.contact(session, item)
    full_number = bool(who.phone) and attention.may_see_number(
        item, current_user.neighbourhood_ids)
    if full_number:
        attention.number_viewed(session, item, who.phone, current_user.id, now)
    help_request = item.request
    return render_template(
        "admin/attention_item.html", item=item, who=who, full_number=full_number,
        help_request=help_request,
        events=request_log.timeline(session, help_request) if help_request else [],
        follow_ups=(followups.for_request(session, help_request.id)
                    if help_request and item.kind == AttentionKind.NOT_HELPED else []),
        calls=attention.volunteer_calls(session, item, now),
        history=attention.history(session, item), form=form, overdue=_overdue(item, now),
        categories=labels_per_neighbourhood(session, selected_language())), status


@blueprint.get("/attention/<int:item_id>")
def attention_item(item_id: int):
    with current_exchange().db.session() as session:
        return _render_item(session, visible_row(session, AttentionItem, item_id),
                            CloseItemForm(formdata=None))


@blueprint.post("/attention/<int:item_id>/close")
def attention_close(item_id: int):
    form = CloseItemForm()
    with current_exchange().db.session() as session:
        item = visible_row(session, AttentionItem, item_id)
        if not form.validate_on_submit():
            flash(_("Write a short note before closing."), "error")
            return _render_item(session, item, form, 400)
        resolution = Resolution.NOT_REACHED if form.not_reached.data else Resolution.HANDLED
        try:
            attention.close(session, item, user_id=current_user.id, resolution=resolution,
                            note=form.note.data, now=utcnow())
        except attention.AlreadyClosed:
            flash(_("Someone else closed this item already."), "info")
            return redirect(url_for("admin.attention_item", item_id=item_id))
    flash(_("Closed. Thank you for phoning."), "success")
    return redirect(url_for("admin.attention_list"))
