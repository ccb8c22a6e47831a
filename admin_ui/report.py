"""The monthly report page and its CSV export, limited to the neighbourhoods the user sees."""

from __future__ import annotations

from datetime import date

from flask import Response, render_template, request
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select

from admin_ui.auth import services, visible
from admin_ui.blueprint import blueprint
from admin_ui.language import selected_language
from bhc import report
from bhc.db import utcnow
from bhc.models import Category


def _month() -> str:
    return request.args.get("month", "").strip() or report.previous_month(utcnow())


def _bad_month(month: str) -> str:
    return _("“%(month)s” is not a month. Choose a month, or write it like 2026-10.",
             month=month)


def _scope() -> list[int] | None:
    scope = visible()
    return None if scope is None else sorted(scope)


def _category_labels(db, language: str) -> dict[str, str]:
    """A label per slug; where neighbourhoods renamed a category, the first one by id."""
    labels: dict[str, str] = {}
    for category in db.scalars(select(Category).order_by(Category.id)):
        labels.setdefault(category.slug, category.label(language))
    return labels


@blueprint.get("/report")
def monthly_report():
    month = _month()
    try:
        year, number = report.parse_month(month)
    except report.BadMonth:
        return render_template("admin/report.html", month=month, error=_bad_month(month),
                               data=None), 400
    with services().db.session() as db:
        data = report.monthly_report(db, month, _scope())
        labels = _category_labels(db, selected_language())
    return render_template("admin/report.html", month=month, error=None, data=data,
                           labels=labels, unmatched_keys=report.UNMATCHED_KEYS,
                           title=format_date(date(year, number, 1), "MMMM yyyy"))


@blueprint.get("/report.csv")
def monthly_report_csv():
    month = _month()
    try:
        report.parse_month(month)
    except report.BadMonth:
        return Response(_bad_month(month), status=400, mimetype="text/plain")
    with services().db.session() as db:
        data = report.monthly_report(db, month, _scope())
    return Response(report.to_csv(data), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="bhc-report-{data["month"]}.csv"'})
