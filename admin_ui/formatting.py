"""Template filters: times in Europe/Amsterdam in the reader's language, masked phones."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask_babel import format_date, format_datetime, format_time, get_locale

from admin_ui import texts
from bhc.phones import mask


def local_datetime(moment: datetime | None) -> str:
    """Naive UTC from the database, shown in Europe/Amsterdam."""
    return format_datetime(moment, "d MMM yyyy HH:mm") if moment else ""


def local_time(moment: datetime | None) -> str:
    return format_time(moment, "HH:mm:ss") if moment else ""


def local_day(moment: datetime | None) -> str:
    return format_date(moment, "d MMMM yyyy") if moment else ""


def register_filters(app: Flask) -> None:
    app.jinja_env.filters.update(local_datetime=local_datetime, local_time=local_time,
                                 local_day=local_day, masked=mask)
    app.jinja_env.globals.update(
        state_label=texts.state, request_outcome_label=texts.request_outcome,
        leg_outcome_label=texts.leg_outcome, role_label=lambda code: str(texts.ROLES[code]),
        audit_actor=texts.audit_actor, audit_action=texts.audit_action,
        audit_object=texts.audit_object,
        current_language=lambda: str(get_locale() or "nl"),
    )
