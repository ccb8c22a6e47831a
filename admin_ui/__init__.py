"""The coordinators' web UI: a blueprint at /admin, server-rendered, usable without JavaScript.

``init_app`` wires what the pages need into the app: Flask-Login, CSRF protection on every
form (the Twilio webhooks, which carry signatures instead, are exempt) and Flask-Babel.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask, redirect
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

from admin_ui import (  # noqa: F401 (routes)
    attention,
    audit_log,
    auth,
    blocked,
    engines,
    errors,
    neighbourhoods,
    participants,
    prompts,
    registration_callbacks,
    report,
    requests,
    signups,
    surveys,
    volunteers,
)
from admin_ui.blueprint import blueprint
from admin_ui.formatting import register_filters
from admin_ui.language import DEFAULT_LANGUAGE, selected_language
from bhc.config import Config

log = logging.getLogger(__name__)
TRANSLATIONS = Path(__file__).parent / "translations"

csrf = CSRFProtect()


def init_app(app: Flask, config: Config, exempt: tuple[str, ...] = ()) -> None:
    """Register the admin pages and the extensions they rely on."""
    secret_key = config.admin.secret_key
    if not secret_key:
        secret_key = secrets.token_hex(32)
        log.warning("admin.secret_key is not set: using a random one, which changes at every "
                    "start (signing all coordinators out) and differs between web workers; "
                    "set it in the config")
    app.secret_key = secret_key
    app.config.update(
        PERMANENT_SESSION_LIFETIME=timedelta(hours=config.admin.session_hours),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.server.public_url.startswith("https://"),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session, which expires
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS),
    )
    Babel(app, default_locale=DEFAULT_LANGUAGE, default_timezone="Europe/Amsterdam",
          locale_selector=selected_language)
    csrf.init_app(app)
    for name in exempt:
        csrf.exempt(app.blueprints[name])
    auth.login_manager.init_app(app)
    register_filters(app)
    errors.register(app)
    app.register_blueprint(blueprint)

    @app.get("/")
    def root():
        return redirect("/admin/")
