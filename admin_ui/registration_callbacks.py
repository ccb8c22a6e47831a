"""Sign-up call-backs on the dashboard: unregistered callers who asked by phone to be called
back by a coordinator to sign up, and the button that marks one done."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from admin_ui.auth import visible, visible_row
from admin_ui.blueprint import blueprint
from admin_ui.forms import ButtonForm
from bhc.app import current_exchange
from bhc.db import utcnow
from bhc.people import self_service
from bhc.people.models import RegistrationCallback


def _open_callbacks() -> list[RegistrationCallback]:
    with current_exchange().db.session() as session:
        callbacks = self_service.open_sign_up_callbacks(session, visible())
        for callback in callbacks:
            _ = callback.neighbourhood.name  # loaded for the template, after the session
        return callbacks


@blueprint.context_processor
def _sign_up_callbacks():
    """Lazily, so only the page that shows them (the dashboard) queries them."""
    return {"open_sign_up_callbacks": _open_callbacks}


@blueprint.post("/sign-up-callbacks/<int:callback_id>/done")
def sign_up_callback_done(callback_id: int):
    if ButtonForm().validate_on_submit():
        with current_exchange().db.session() as session:
            callback = visible_row(session, RegistrationCallback, callback_id)
            if self_service.sign_up_callback_done(session, callback, current_user.id, utcnow()):
                flash(_("Marked as called back."), "success")
    return redirect(url_for("admin.dashboard"))
