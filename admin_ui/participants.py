"""Participant pages: list and search, add, edit, pause, opt out, delete, import a CSV."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from wtforms.fields.choices import SelectChoice

from admin_ui import texts
from admin_ui.auth import (
    chosen_neighbourhood,
    visible,
    visible_neighbourhoods,
    visible_row,
)
from admin_ui.blueprint import blueprint
from admin_ui.forms import ButtonForm, ImportForm, ParticipantForm, PauseForm
from admin_ui.language import selected_language
from admin_ui.volunteers import participant_figures
from bhc.app import current_exchange
from bhc.attention import services as attention
from bhc.audit import services as audit
from bhc.audit.models import AuditLog
from bhc.db import utcnow
from bhc.neighbourhoods.models import Category, Neighbourhood
from bhc.people import blocking, roster
from bhc.people.models import Participant
from bhc.people.participants import RowError, import_csv
from bhc.phones import mask


def _audit(session: Session, action: str, participant: Participant, summary: str = "") -> None:
    text = f"{participant.name} ({mask(participant.phone)})"
    audit.record(session, user_id=current_user.id, action=action, object_type="participant",
                 object_id=participant.id, summary=f"{text} {summary}".strip(), now=utcnow())


def _history(session: Session, participant: Participant, limit: int = 10) -> list[AuditLog]:
    """The latest changes to the participant, by coordinators or by the volunteer's phone."""
    return list(session.scalars(
        select(AuditLog).options(selectinload(AuditLog.user))
        .where(AuditLog.object_type == "participant", AuditLog.object_id == participant.id)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit)))


def _fill_choices(session: Session, form: ParticipantForm, language: str) -> None:
    neighbourhoods = visible_neighbourhoods(session)
    form.neighbourhood.choices = [SelectChoice(n.name) for n in neighbourhoods]
    labels: dict[str, str] = {}
    ids = [n.id for n in neighbourhoods]
    for category in session.scalars(select(Category)
                                    .where(Category.neighbourhood_id.in_(ids or [-1]))
                                    .order_by(Category.key)):
        labels.setdefault(category.slug, category.label(language))
    form.categories.choices = [SelectChoice(slug, label) for slug, label in labels.items()]


def _save(session: Session, form: ParticipantForm, participant: Participant | None):
    """Validate with the CSV rules and save; on a bad field the form shows why."""
    try:
        return roster.save_row(session, form.as_row(), utcnow(), participant=participant,
                               visible=visible())
    except RowError as exc:
        field = texts.row_error_field(str(exc))
        target = getattr(form, "categories" if field == "unknown" else field or "name")
        target.errors = [*target.errors, str(texts.ROW_FIELDS[field]) if field else str(exc)]
    except roster.PhoneTaken:
        form.phone.errors = [*form.phone.errors,
                             _("Another participant already has this phone number.")]
    flash(_("The participant was not saved: please correct the marked fields."), "error")
    return None


@blueprint.get("/participants")
def participants():
    with current_exchange().db.session() as session:
        neighbourhoods = visible_neighbourhoods(session)
        chosen = chosen_neighbourhood()
        page = roster.search(session, text=request.args.get("q", ""), visible=visible(),
                             neighbourhood_id=chosen, page=request.args.get("page", 1, type=int))
        return render_template("admin/participants.html", page=page,
                               neighbourhoods=neighbourhoods, chosen=chosen,
                               q=request.args.get("q", ""), now=utcnow(),
                               is_paused=roster.is_paused)


@blueprint.route("/participants/new", methods=["GET", "POST"])
def participant_new():
    form = ParticipantForm()
    with current_exchange().db.session() as session:
        _fill_choices(session, form, selected_language())
        if form.validate_on_submit():
            participant = _save(session, form, None)
            if participant is not None:
                participant.needs_more_time = form.needs_more_time.data
                _audit(session, "create", participant)
                flash(_("%(name)s was added.", name=participant.name), "success")
                return redirect(url_for("admin.participant_edit", participant_id=participant.id))
        elif form.errors:
            flash(_("The participant was not saved: please correct the marked fields."), "error")
        return render_template("admin/participant_form.html", form=form, participant=None)


@blueprint.route("/participants/<int:participant_id>", methods=["GET", "POST"])
def participant_edit(participant_id: int):
    with current_exchange().db.session() as session:
        participant = visible_row(session, Participant, participant_id)
        neighbourhood = (session.get(Neighbourhood, participant.neighbourhood_id)
                         if participant.neighbourhood_id else None)
        row = roster.as_row(participant, neighbourhood.name if neighbourhood else "")
        form = ParticipantForm(data={**row, "categories": sorted(participant.category_slugs),
                                     "call_consent": participant.call_consent,
                                     "needs_more_time": participant.needs_more_time})
        _fill_choices(session, form, selected_language())
        if form.validate_on_submit():
            if _save(session, form, participant) is not None:
                participant.needs_more_time = form.needs_more_time.data
                _audit(session, "update", participant)
                flash(_("The changes were saved."), "success")
                return redirect(url_for("admin.participant_edit", participant_id=participant_id))
        elif form.errors:
            flash(_("The participant was not saved: please correct the marked fields."), "error")
        return render_template("admin/participant_form.html", form=form, participant=participant,
                               pause_form=PauseForm(formdata=None), button=ButtonForm(),
                               now=utcnow(), is_paused=roster.is_paused,
                               history=_history(session, participant),
                               volunteer=participant_figures(session, participant.id),
                               attention_items=attention.for_participant(session, participant.id),
                               blocked=blocking.is_blocked(session, participant.phone))


@blueprint.post("/participants/<int:participant_id>/pause")
def participant_pause(participant_id: int):
    form = PauseForm()
    with current_exchange().db.session() as session:
        participant = visible_row(session, Participant, participant_id)
        if not form.validate_on_submit():
            flash(_("Please give the date from which the participant may be called again."),
                  "error")
        else:
            try:
                roster.pause(participant, form.until.data, utcnow())
            except roster.PauseNotInFuture:
                flash(_("The pause must end after today."), "error")
            else:
                _audit(session, "pause", participant, f"until {form.until.data.isoformat()}")
                flash(_("%(name)s is paused.", name=participant.name), "success")
    return redirect(url_for("admin.participant_edit", participant_id=participant_id))


def _button_action(participant_id: int, action: str, change, message: str):
    if not ButtonForm().validate_on_submit():
        abort(400)
    with current_exchange().db.session() as session:
        participant = visible_row(session, Participant, participant_id)
        change(participant)
        _audit(session, action, participant)
        flash(message % {"name": participant.name}, "success")
    return redirect(url_for("admin.participant_edit", participant_id=participant_id))


@blueprint.post("/participants/<int:participant_id>/resume")
def participant_resume(participant_id: int):
    return _button_action(participant_id, "resume", roster.resume,
                          _("%(name)s may be called again."))


@blueprint.post("/participants/<int:participant_id>/opt-out")
def participant_opt_out(participant_id: int):
    return _button_action(participant_id, "opt_out",
                          lambda p: roster.set_opted_out(p, True),
                          _("%(name)s has opted out and will not be called."))


@blueprint.post("/participants/<int:participant_id>/opt-in")
def participant_opt_in(participant_id: int):
    return _button_action(participant_id, "opt_in",
                          lambda p: roster.set_opted_out(p, False),
                          _("%(name)s takes part again."))


@blueprint.route("/participants/<int:participant_id>/delete", methods=["GET", "POST"])
def participant_delete(participant_id: int):
    form = ButtonForm()
    with current_exchange().db.session() as session:
        participant = visible_row(session, Participant, participant_id)
        if form.validate_on_submit():
            name = participant.name
            _audit(session, "delete", participant)
            roster.delete(session, participant)
            flash(_("%(name)s was deleted.", name=name), "success")
            return redirect(url_for("admin.participants"))
        return render_template("admin/participant_delete.html", participant=participant,
                               form=form)


@blueprint.route("/participants/import", methods=["GET", "POST"])
def participant_import():
    form = ImportForm()
    result = outside = None
    if form.validate_on_submit():
        try:
            text = form.file.data.read().decode("utf-8")
        except UnicodeDecodeError:
            flash(_("The file is not UTF-8 text. Save it as CSV UTF-8 and try again."), "error")
            return render_template("admin/participant_import.html", form=form)
        with current_exchange().db.session() as session:
            scope = visible()
            outside = roster.rows_outside(session, text, scope) if scope is not None else []
            if outside:
                flash(_("Nothing was imported: some rows are about neighbourhoods you do not "
                        "coordinate."), "error")
            else:
                result = import_csv(session, text, utcnow(), source="coordinator")
                audit.record(session, user_id=current_user.id, action="import",
                             object_type="participant", object_id=None,
                             summary=f"{result.created} created, {result.updated} updated, "
                                     f"{len(result.errors)} rows with errors", now=utcnow())
    return render_template("admin/participant_import.html", form=form, result=result,
                           outside=outside, row_error=texts.row_error)
