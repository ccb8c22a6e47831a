"""The monthly report page, its charts and its CSV and PDF exports, limited to the
neighbourhoods the user sees. The PDF is for sharing: counts under 5 withheld, as in the CSV."""

from __future__ import annotations

from datetime import date

from flask import Flask, Response, render_template, request
from flask_babel import Babel, force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import select

from admin_ui.auth import visible_list, visible_neighbourhoods
from admin_ui.blueprint import blueprint
from admin_ui.language import DEFAULT_LANGUAGE, selected_language
from bhc.app import current_exchange
from bhc.db import utcnow
from bhc.neighbourhoods.models import Category
from bhc.reports import charts as report_charts
from bhc.reports import monthly as report
from bhc.reports import pdf as report_pdf
from bhc.reports import sharing


def chosen_month() -> str:
    """The month asked for (?month=, as typed), by default the last whole month."""
    return request.args.get("month", "").strip() or report.previous_month(utcnow())


def _bad_month(month: str) -> str:
    return _("“%(month)s” is not a month. Choose a month, or write it like 2026-10.",
             month=month)


def _report(session, month: str) -> dict:
    """The month's report of the neighbourhoods the user sees, under the exchange's config."""
    return report.monthly_report(session, month, visible_list(), current_exchange().config)


def category_labels(session, language: str) -> dict[str, str]:
    """A label per slug; where neighbourhoods renamed a category, the first one by id."""
    labels: dict[str, str] = {}
    for category in session.scalars(select(Category).order_by(Category.id)):
        labels.setdefault(category.slug, category.label(language))
    return labels


def _month_title(month: str, pattern: str = "MMMM yyyy") -> str:
    year, number = report.parse_month(month)
    return format_date(date(year, number, 1), pattern)


def _chartable(values: list) -> list[float | None]:
    """Withheld figures ("<5") are not drawn."""
    return [value if isinstance(value, int | float) else None for value in values]


def _charts(data: dict, trend_name: str | None) -> dict:
    """The page's charts in the reader's language: this month per neighbourhood, and the
    last twelve months of the total or of one neighbourhood."""
    charts = {}
    rows = data["neighbourhoods"]
    if any(row["requests"] for row in rows):
        charts["neighbourhoods"] = report_charts.bar_chart(
            "chart-neighbourhoods",
            _("Requests and matches per neighbourhood, %(month)s",
              month=_month_title(data["month"])),
            [row["name"] for row in rows],
            [(_("Requests"), _chartable([row["requests"] for row in rows])),
             (_("Matches"), _chartable([row["matches"] for row in rows]))],
            _("Count"))
    history = data["history"]
    series = next((row for row in history["neighbourhoods"] if row["name"] == trend_name),
                  history["total"])
    charts["trend_name"] = trend_name if series is not history["total"] else None
    charts["trend_months"] = [_month_title(month, "MMM yyyy") for month in history["months"]]
    charts["trend_series"] = series
    charts["trend"] = report_charts.line_chart(
        "chart-trend",
        _("Requests and matches over the last twelve months: %(scope)s",
          scope=charts["trend_name"] or _("all neighbourhoods together")),
        charts["trend_months"],
        [(_("Requests"), _chartable(series["requests"])),
         (_("Matches"), _chartable(series["matches"]))],
        _("Count"))
    return charts


def _render(template: str, data: dict, labels: dict, trend_name: str | None = None,
            **context) -> str:
    return render_template(template, month=data["month"], error=None, data=data,
                           labels=labels, unmatched_keys=report.UNMATCHED_KEYS,
                           title=_month_title(data["month"]),
                           previous_title=_month_title(data["previous"]["month"]),
                           charts=_charts(data, trend_name), **context)


@blueprint.get("/report")
def monthly_report():
    month = chosen_month()
    try:
        report.parse_month(month)
    except report.BadMonth:
        return render_template("admin/report.html", month=month, error=_bad_month(month),
                               data=None), 400
    with current_exchange().db.session() as session:
        data = _report(session, month)
        labels = category_labels(session, selected_language())
        gap_pages = {n.name: n.id for n in visible_neighbourhoods(session)}
    return _render("admin/report.html", data, labels, request.args.get("trend") or None,
                   shared=False, gap_pages=gap_pages)


def refuse_bad_month(month: str) -> Response | None:
    """A download of a month not written as YYYY-MM gets a plain 400 saying so."""
    try:
        report.parse_month(month)
    except report.BadMonth:
        return Response(_bad_month(month), status=400, mimetype="text/plain")
    return None


def attachment(body: str | bytes, mimetype: str, filename: str) -> Response:
    """A download: the browser saves it under ``filename`` rather than showing it."""
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@blueprint.get("/report.csv")
def monthly_report_csv():
    month = chosen_month()
    if refused := refuse_bad_month(month):
        return refused
    with current_exchange().db.session() as session:
        data = _report(session, month)
    return attachment(report.to_csv(data), "text/csv", f"bhc-report-{data['month']}.csv")


@blueprint.get("/report.pdf")
def monthly_report_pdf():
    month = chosen_month()
    if refused := refuse_bad_month(month):
        return refused
    with current_exchange().db.session() as session:
        data = _report(session, month)
        labels = category_labels(session, selected_language())
    return attachment(shared_pdf(data, labels), "application/pdf",
                      f"bhc-report-{data['month']}.pdf")


def shared_pdf(data: dict, labels: dict[str, str]) -> bytes:
    """The report as a PDF to share, in the current language; needs a request context."""
    html = _render("admin/report_pdf.html", sharing.for_sharing(data), labels,
                   shared=True)
    return report_pdf.html_to_pdf(html)


def pdf_outside_the_web(data: dict, labels: dict[str, str],
                        language: str = DEFAULT_LANGUAGE) -> bytes:
    """The same PDF for the command line: a bare app that knows only the templates, the
    texts and the filters."""
    from admin_ui import TRANSLATIONS
    from admin_ui.formatting import register_filters

    app = Flask(__name__)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    Babel(app, default_locale=DEFAULT_LANGUAGE, default_timezone="Europe/Amsterdam",
          locale_selector=lambda: language)
    register_filters(app)
    app.register_blueprint(blueprint)
    with app.test_request_context(), force_locale(language):
        return shared_pdf(data, labels)
