"""Resident surveys: upload a wave's CSV (coordinators for their own neighbourhoods), see the
waves imported, and download the survey part of the report for sharing."""

from __future__ import annotations

from flask import flash, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from admin_ui.auth import visible, visible_list
from admin_ui.blueprint import blueprint
from admin_ui.forms import ImportForm
from admin_ui.report import attachment, chosen_month, refuse_bad_month
from bhc.app import current_exchange
from bhc.audit import services as audit
from bhc.db import utcnow
from bhc.reports import monthly as report
from bhc.surveys import loneliness
from bhc.surveys import services as surveys

# bhc.surveys.MESSAGES for coordinators; the values are filled in by name.
PROBLEMS = {
    "empty_file": _l("The file is empty."),
    "missing_columns": _l("Columns are missing: %(columns)s."),
    "unknown_columns": _l("Unknown columns: %(columns)s. Question columns are named like "
                          "cohesion_1, up to the number of questions set for the scale."),
    "duplicate_columns": _l("These columns appear twice: %(columns)s."),
    "too_many_values": _l("This line has more values than there are columns."),
    "wave_empty": _l("The wave is empty."),
    "wave_too_long": _l("The wave “%(value)s” is longer than 40 characters."),
    "neighbourhood_unknown": _l("The neighbourhood “%(value)s” does not exist."),
    "neighbourhood_not_yours": _l("“%(value)s” is a neighbourhood you do not coordinate."),
    "respondent_empty": _l("The respondent code is empty."),
    "respondent_too_long": _l("The respondent code “%(value)s” is longer than 64 characters."),
    "respondent_personal": _l("The respondent code “%(value)s” looks like an email address or "
                              "phone number. Use a code that does not identify the person."),
    "used_exchange_bad": _l("used_exchange “%(value)s” must be no, asker, helper or both."),
    "knows_exchange_bad": _l("knows_exchange “%(value)s” must be yes, no or empty."),
    "used_but_unknown": _l("used_exchange is “%(value)s”, but knows_exchange is no."),
    "item_bad": _l("%(column)s “%(value)s” must be a whole number from 1 to 5, or empty."),
    "loneliness_bad": _l("%(column)s “%(value)s” must be ja, min of meer or nee (or yes, more "
                         "or less, no), or empty."),
    "no_scores": _l("No scale has at least half of its questions answered."),
    "duplicate": _l("Respondent “%(value)s” of this wave and neighbourhood is also on line "
                    "%(line)s."),
}


def problem_text(problem: surveys.Problem) -> str:
    template = PROBLEMS.get(problem.code)
    return str(template) % problem.params if template is not None else str(problem)


@blueprint.route("/surveys", methods=["GET", "POST"])
def survey_waves():
    form = ImportForm()
    result = None
    if form.validate_on_submit():
        try:
            text = form.file.data.read().decode("utf-8")
        except UnicodeDecodeError:
            flash(_("The file is not UTF-8 text. Save it as CSV UTF-8 and try again."), "error")
            text = None
        if text is not None:
            try:
                with current_exchange().db.session() as session:
                    result = surveys.import_survey(session, text, current_exchange().config.survey,
                                                   utcnow(), visible())
                    audit.record(session, user_id=current_user.id, action="import",
                                 object_type="survey", object_id=None,
                                 summary=f"{form.file.data.filename}: {result.imported} "
                                         f"imported, {len(result.errors)} rows with errors",
                                 now=utcnow())
            except surveys.SurveyFileError as exc:
                flash(_("Nothing was imported: %(reason)s", reason=problem_text(exc.problem)),
                      "error")
    with current_exchange().db.session() as session:
        waves = surveys.list_waves(session, visible())
    return render_template("admin/surveys.html", form=form, result=result, waves=waves,
                           items=current_exchange().config.survey.items(),
                           loneliness_items=loneliness.WORDING,
                           problem_text=problem_text)


@blueprint.get("/report-survey.csv")
def survey_csv():
    """The survey part of the report as CSV for sharing: groups under 5 hidden."""
    month = chosen_month()
    if refused := refuse_bad_month(month):
        return refused
    _start, end = report.month_bounds(month)
    with current_exchange().db.session() as session:
        data = surveys.survey_summary(session, end, visible_list(),
                                      current_exchange().config.survey.lonely_from)
    return attachment(surveys.to_csv(data), "text/csv", f"bhc-survey-{month}.csv")
