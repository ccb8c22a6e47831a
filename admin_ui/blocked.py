"""Blocked numbers: the list, blocking a number and lifting a block.

Numbers belong to no neighbourhood, so every coordinator may block and unblock any of them.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_ui import texts
from admin_ui.auth import visible_row
from admin_ui.blueprint import blueprint
from admin_ui.forms import BlockForm, ButtonForm
from bhc.app import current_exchange
from bhc.db import utcnow
from bhc.people import blocking
from bhc.people.models import BlockedNumber, Participant
from bhc.users.models import User


def _blockers(session: Session, numbers: list[BlockedNumber]) -> dict[int, User]:
    """Who blocked each number, by user id (a removed user is missing)."""
    ids = {n.blocked_by_id for n in numbers if n.blocked_by_id is not None}
    return {user.id: user for user in session.scalars(select(User).where(User.id.in_(ids or {-1})))}


def _prefilled(session: Session) -> dict[str, str]:
    """'Block this number' on a participant's page opens the form with their number."""
    participant_id = request.args.get("participant", type=int)
    if participant_id is None:
        return {}
    return {"number": visible_row(session, Participant, participant_id).phone}


@blueprint.route("/blocked", methods=["GET", "POST"])
def blocked():
    with current_exchange().db.session() as session:
        form = BlockForm(data=_prefilled(session))
        if form.validate_on_submit():
            try:
                blocking.block_number(session, form.number.data, reason=form.reason.data,
                                      user_id=current_user.id, now=utcnow())
            except blocking.BlockingError as exc:
                flash(texts.blocking_error(exc), "error")
            else:
                flash(_("The number is blocked: its calls hear a short message and open no "
                        "request."), "success")
                return redirect(url_for("admin.blocked"))
        elif form.errors:
            flash(_("Nothing was blocked: please fill in the number and a reason."), "error")
        numbers = blocking.blocked_numbers(session)
        return render_template("admin/blocked.html", form=form, numbers=numbers,
                               blockers=_blockers(session, numbers))


@blueprint.route("/blocked/<int:blocked_id>/unblock", methods=["GET", "POST"])
def unblock(blocked_id: int):
    form = ButtonForm()
    with current_exchange().db.session() as session:
        entry = session.get(BlockedNumber, blocked_id)
        if form.validate_on_submit():
            try:
                blocking.unblock_number(session, blocked_id, user_id=current_user.id, now=utcnow())
            except blocking.BlockingError as exc:
                flash(texts.blocking_error(exc), "error")
            else:
                flash(_("The block is lifted: calls from this number are answered again."),
                      "success")
            return redirect(url_for("admin.blocked"))
        if entry is None:
            abort(404)
        return render_template("admin/unblock.html", entry=entry, form=form)
