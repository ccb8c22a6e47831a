"""Coordinators' page of web sign-ups: approve or reject those with a verified number."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from admin_ui.auth import visible, visible_row
from admin_ui.blueprint import blueprint
from admin_ui.forms import ButtonForm
from admin_ui.language import selected_language
from bhc.app import current_exchange
from bhc.db import utcnow
from bhc.neighbourhoods.models import Category
from bhc.signups import services as signups
from bhc.signups.models import SignUp, SignUpState


def awaiting_sign_ups() -> int:
    """For the dashboard: verified sign-ups the signed-in user may approve."""
    with current_exchange().db.session() as session:
        return signups.awaiting_approval(session, visible())


blueprint.add_app_template_global(awaiting_sign_ups, "awaiting_sign_ups")


def _labels(session) -> dict[tuple[int, str], str]:
    language = selected_language()
    return {(c.neighbourhood_id, c.slug): c.label(language)
            for c in session.scalars(select(Category))}


@blueprint.get("/sign-ups")
def sign_ups():
    with current_exchange().db.session() as session:
        rows = signups.open_sign_ups(session, visible())
        return render_template(
            "admin/signups.html", button=ButtonForm(), categories=_labels(session),
            verified=[s for s in rows if s.state == SignUpState.VERIFIED],
            pending=[s for s in rows if s.state == SignUpState.PENDING_VERIFICATION])


def _decide(sign_up_id: int, approve: bool):
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        with current_exchange().db.session() as session:
            sign_up = visible_row(session, SignUp, sign_up_id)
            name = sign_up.name
            if approve:
                signups.approve(session, sign_up_id, current_user.id, utcnow())
            else:
                signups.reject(session, sign_up_id, current_user.id, utcnow())
    except signups.NotAwaitingApproval:
        flash(_("This sign-up was already handled."), "error")
    except signups.AlreadyKnown:
        flash(_("This phone number already belongs to a participant. Reject the sign-up and "
                "change the participant instead."), "error")
    else:
        flash(_("%(name)s now takes part.", name=name) if approve
              else _("The sign-up of %(name)s was rejected.", name=name), "success")
    return redirect(url_for("admin.sign_ups"))


@blueprint.post("/sign-ups/<int:sign_up_id>/approve")
def approve_sign_up(sign_up_id: int):
    return _decide(sign_up_id, approve=True)


@blueprint.post("/sign-ups/<int:sign_up_id>/reject")
def reject_sign_up(sign_up_id: int):
    return _decide(sign_up_id, approve=False)
