"""Recorded prompts: admins upload, hear and delete recordings of what callers hear.

Prompts are the same for every neighbourhood of the exchange, so only admins manage them. Only
fixed messages can be recorded; messages naming a category, key or date are always spoken.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select

from admin_ui.auth import ensure_admin
from admin_ui.blueprint import blueprint
from admin_ui.forms import ButtonForm
from bhc.app import current_exchange
from bhc.db import utcnow
from bhc.i18n import available_languages, catalogue
from bhc.prompts import recordings
from bhc.prompts.models import RecordedPrompt


class RecordingForm(FlaskForm):
    audio = FileField(validators=[FileRequired()])


def _bad_audio(reason: str) -> str:
    return {
        "empty": _("The file is empty."),
        "too_large": _("The file is larger than %(megabytes)s MB.",
                       megabytes=recordings.MAX_BYTES // (1024 * 1024)),
    }.get(reason, _("This is not an MP3 or WAV file."))


def _checked(key: str, language: str) -> str:
    """The message of ``key``; 404 for an unknown message or language."""
    if language not in available_languages():
        abort(404)
    try:
        return recordings.message_for(key)
    except recordings.UnknownMessage:
        abort(404)


@blueprint.get("/prompts")
def recorded_prompts():
    ensure_admin()
    languages = available_languages()
    messages = [(recordings.message_key(msgid),
                 {code: catalogue(code).text(msgid) for code in languages})
                for msgid in recordings.recordable_messages()]
    with current_exchange().db.session() as session:
        saved = recordings.listing(session)
    return render_template("admin/prompts.html", languages=languages, messages=messages,
                           recordings=saved, form=RecordingForm(),
                           max_megabytes=recordings.MAX_BYTES // (1024 * 1024))


@blueprint.post("/prompts/<key>/<language>")
def upload_prompt(key: str, language: str):
    ensure_admin()
    _checked(key, language)
    form = RecordingForm()
    if not form.validate_on_submit():
        flash(_("Nothing was uploaded: please choose an MP3 or WAV file."), "error")
        return redirect(url_for("admin.recorded_prompts"))
    data = form.audio.data.read(recordings.MAX_BYTES + 1)
    try:
        with current_exchange().db.session() as session:
            recordings.save(session, key=key, language=language, data=data,
                               user_id=current_user.id, now=utcnow())
    except recordings.BadAudio as exc:
        flash(_("Nothing was uploaded: %(reason)s", reason=_bad_audio(exc.reason)), "error")
    else:
        recordings.index(current_exchange().db).forget()
        flash(_("The recording is uploaded: callers hear it from now on."), "success")
    return redirect(url_for("admin.recorded_prompts", _anchor=f"m-{key}"))


@blueprint.post("/prompts/<key>/<language>/delete")
def delete_prompt(key: str, language: str):
    ensure_admin()
    _checked(key, language)
    if ButtonForm().validate_on_submit():
        with current_exchange().db.session() as session:
            prompt = session.scalar(select(RecordedPrompt).where(
                RecordedPrompt.message_key == key, RecordedPrompt.language == language))
            if prompt is not None:
                recordings.delete(session, prompt, user_id=current_user.id, now=utcnow())
        recordings.index(current_exchange().db).forget()
        flash(_("The recording is deleted: callers hear the spoken text again."), "success")
    return redirect(url_for("admin.recorded_prompts", _anchor=f"m-{key}"))
