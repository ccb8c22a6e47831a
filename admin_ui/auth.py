"""Signing in and out, the language switch, and who may see which neighbourhood."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as cookie_session  # the browser's; `session` is the database's
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import Forbidden

from admin_ui.blueprint import blueprint
from admin_ui.forms import ButtonForm, LoginForm
from admin_ui.language import LANGUAGES
from bhc.app import current_exchange
from bhc.db import utcnow
from bhc.neighbourhoods.models import Neighbourhood
from bhc.neighbourhoods.scope import in_scope
from bhc.users import services as users
from bhc.users.models import Role, User

PUBLIC_ENDPOINTS = {"admin.login", "admin.static", "admin.language"}

Row = TypeVar("Row")

login_manager = LoginManager()
login_manager.login_view = "admin.login"
login_manager.login_message = _l("Please sign in to see this page.")
login_manager.login_message_category = "info"


@dataclass(frozen=True)
class SignedIn(UserMixin):
    """The signed-in user as the pages need them: no database session attached."""

    id: int
    email: str
    name: str
    role: str
    neighbourhood_ids: frozenset[int]

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class AdminsOnly(Forbidden):
    """A page only admins may see."""


@login_manager.user_loader
def _load_user(user_id: str) -> SignedIn | None:
    with current_exchange().db.session() as session:
        user = session.get(User, int(user_id))
        if user is None:
            return None
        return SignedIn(user.id, user.email, user.name, user.role,
                        frozenset(n.id for n in user.neighbourhoods))


def visible() -> set[int] | None:
    """Neighbourhood ids the signed-in user may see; None means all (an admin)."""
    if current_user.is_admin:
        return None
    return set(current_user.neighbourhood_ids)


def visible_list() -> list[int] | None:
    """visible() in order, as the report and survey services take it; None means all."""
    scope = visible()
    return None if scope is None else sorted(scope)


def visible_neighbourhoods(session: Session) -> list[Neighbourhood]:
    """The neighbourhoods the signed-in user may see, by name."""
    query = in_scope(select(Neighbourhood).order_by(Neighbourhood.name), Neighbourhood.id,
                     visible())
    return list(session.scalars(query))


def ensure_visible(neighbourhood_id: int | None) -> None:
    """403 when the object belongs to a neighbourhood the user may not see."""
    if current_user.is_admin:
        return
    if neighbourhood_id is None or neighbourhood_id not in current_user.neighbourhood_ids:
        abort(403)


def visible_row(session: Session, model: type[Row], row_id: int) -> Row:
    """The row a page is about: 404 when there is none, 403 when it belongs to a neighbourhood
    the user may not see."""
    row = session.get(model, row_id)
    if row is None:
        abort(404)
    ensure_visible(row.id if model is Neighbourhood else row.neighbourhood_id)
    return row


def chosen_neighbourhood() -> int | None:
    """The neighbourhood a list is narrowed to (?neighbourhood=), once the user may see it."""
    chosen = request.args.get("neighbourhood", type=int)
    if chosen is not None:
        ensure_visible(chosen)
    return chosen


def ensure_admin() -> None:
    if not current_user.is_admin:
        raise AdminsOnly()


@blueprint.before_request
def _require_login():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    if time.time() - cookie_session.get("signed_in_at", 0) > lifetime:
        logout_user()
        cookie_session.pop("signed_in_at", None)
        flash(_("Your session has expired. Please sign in again."), "info")
        return redirect(url_for("admin.login", next=request.full_path))
    return None


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("admin.dashboard")


def _fresh_session() -> None:
    """A new session at each sign-in and sign-out (no fixation), keeping the chosen language."""
    language = cookie_session.get("language")
    cookie_session.clear()
    if language:
        cookie_session["language"] = language


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        config = current_exchange().config.admin
        with current_exchange().db.session() as session:
            try:
                user = users.authenticate(
                    session, form.email.data, form.password.data, utcnow(),
                    max_failures=config.max_login_failures,
                    window=timedelta(minutes=config.login_lockout_minutes))
            except users.LoginThrottled:
                user = None
                flash(_("Too many failed attempts for this email address. Please wait "
                        "%(minutes)s minutes and try again.",
                        minutes=config.login_lockout_minutes), "error")
            else:
                if user is None:
                    flash(_("Email address or password is wrong."), "error")
            user_id = user.id if user else None
        if user_id is not None:
            _fresh_session()
            cookie_session.permanent = True
            cookie_session["signed_in_at"] = time.time()
            login_user(_load_user(str(user_id)))
            return redirect(_safe_next(request.args.get("next")))
    return render_template("admin/login.html", form=form)


@blueprint.post("/logout")
def logout():
    if ButtonForm().validate_on_submit():
        logout_user()
        _fresh_session()
        flash(_("You are signed out."), "info")
    return redirect(url_for("admin.login"))


@blueprint.get("/language/<code>")
def language(code: str):
    """Switch the language of the pages for this browser session."""
    if code in LANGUAGES:
        cookie_session["language"] = code
    return redirect(_safe_next(request.args.get("next")))
