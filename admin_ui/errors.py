"""Friendly, translated error pages under /admin; other paths keep Flask's plain answers.
"""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from admin_ui.auth import AdminsOnly
from admin_ui.blueprint import blueprint

log = logging.getLogger(__name__)


def _is_admin_page() -> bool:
    return request.path == "/admin" or request.path.startswith("/admin/")


def _page(error: HTTPException):
    if not _is_admin_page():
        return error
    messages = {
        400: _("The form could not be used. Please go back, reload the page and try again."),
        403: _("You may not see this page: it belongs to a neighbourhood you do not "
               "coordinate."),
        404: _("This page does not exist (any more)."),
        405: _("This page cannot be used that way."),
        500: _("Something went wrong on our side. Please try again; if it keeps happening, "
               "tell the administrator."),
    }
    if isinstance(error, AdminsOnly):
        messages[403] = _("Only administrators may see this page.")
    code = error.code or 500
    return render_template("admin/error.html", code=code,
                           message=messages.get(code, error.description)), code


def _csrf(error: CSRFError):
    if not _is_admin_page():
        return error
    log.info("refused a form without a valid CSRF token: %s", error.description)
    return render_template("admin/error.html", code=400, message=_(
        "The form had expired or was not sent from this site. Please reload the page and try "
        "again.")), 400


@blueprint.errorhandler(Exception)
def _unexpected(error: Exception):
    if isinstance(error, HTTPException):
        return _page(error)
    log.exception("unexpected error on %s", request.path)
    return _page(InternalServerError())


def register(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf)
    for code in (400, 403, 404, 405):
        app.register_error_handler(code, _page)

