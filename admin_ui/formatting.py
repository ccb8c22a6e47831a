"""Template filters: times in Europe/Amsterdam in the reader's language, masked phones."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import get_day_names
from flask import Flask
from flask_babel import (
    format_date,
    format_datetime,
    format_decimal,
    format_percent,
    format_time,
    get_locale,
)
from flask_babel import gettext as _

from admin_ui import texts
from bhc.phones import mask


def local_datetime(moment: datetime | None) -> str:
    """Naive UTC from the database, shown in Europe/Amsterdam."""
    return format_datetime(moment, "d MMM yyyy HH:mm") if moment else ""


def local_time(moment: datetime | None) -> str:
    return format_time(moment, "HH:mm:ss") if moment else ""


def local_day(moment: datetime | None) -> str:
    return format_date(moment, "d MMMM yyyy") if moment else ""


def figure(value: float | str | None, kind: str = "number") -> str:
    """A report figure in the reader's language; a dash where there is none (no requests);
    a figure withheld from a shared export ("<5") as it is."""
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    if kind == "rate":
        return format_percent(value, "#,##0%")
    if kind == "reach":
        return format_percent(value, "#,##0.00%")
    if kind == "seconds":
        return texts.seconds(format_decimal(value, "#,##0"))
    return format_decimal(value, "#,##0.##")


def duration(seconds: float | None) -> str:
    """How long something took or has lasted: '0,4 s', '45 s', '3 min 5 s', '2 h 10 min'."""
    if seconds is None:
        return "–"
    if seconds < 60:
        return texts.seconds(format_decimal(seconds, "#,##0.#" if seconds < 10 else "#,##0"))
    whole = int(seconds)
    if whole < 3600:
        return _("%(minutes)s min %(seconds)s s", minutes=whole // 60, seconds=whole % 60)
    return _("%(hours)s h %(minutes)s min", hours=whole // 3600, minutes=whole % 3600 // 60)


def iso_day(text: str) -> str:
    """A day written 2026-10-31 (as the report's JSON has it) in the reader's language."""
    return local_day(date.fromisoformat(text))


def day_name(day: int) -> str:
    """A weekday (0 = Monday) in the reader's language, e.g. "maandag"."""
    return get_day_names("wide", locale=get_locale() or "nl")[day]


def register_filters(app: Flask) -> None:
    app.jinja_env.filters.update(local_datetime=local_datetime, local_time=local_time,
                                 local_day=local_day, iso_day=iso_day, masked=mask,
                                 figure=figure, duration=duration)
    app.jinja_env.globals.update(
        state_label=texts.state, request_outcome_label=texts.request_outcome,
        leg_outcome_label=texts.leg_outcome, role_label=lambda code: str(texts.ROLES[code]),
        audit_actor=texts.audit_actor, audit_action=texts.audit_action,
        audit_object=texts.audit_object, unmatched_label=texts.unmatched_reason,
        attention_kind_label=texts.attention_kind, resolution_label=texts.resolution,
        attention_advice=texts.attention_advice,
        current_language=lambda: str(get_locale() or "nl"), day_name=day_name,
    )
