"""Neighbourhood pages: the list, their settings, their phone menu and where helpers are
missing."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from admin_ui import texts
from admin_ui.auth import visible_neighbourhoods, visible_row
from admin_ui.blueprint import blueprint
from admin_ui.formatting import day_name
from admin_ui.forms import MenuForm, NeighbourhoodForm
from admin_ui.language import selected_language
from bhc.app import current_exchange
from bhc.audit import services as audit
from bhc.calls.candidates import Caps
from bhc.db import utcnow
from bhc.neighbourhoods import settings as exchange_settings
from bhc.neighbourhoods.models import Neighbourhood
from bhc.reports import gaps


def _audit(session: Session, action: str, neighbourhood: Neighbourhood, summary: str) -> None:
    audit.record(session, user_id=current_user.id, action=action, object_type="neighbourhood",
                 object_id=neighbourhood.id, summary=summary, now=utcnow())


def _default_quiet_hours() -> str:
    return current_exchange().config.matching.quiet_hours


def _quiet_summary(setting: str | None) -> str:
    """Quiet hours as the (English) audit log states them."""
    return "default" if setting is None else setting or "none"


@blueprint.get("/neighbourhoods")
def neighbourhoods():
    with current_exchange().db.session() as session:
        return render_template("admin/neighbourhoods.html",
                               neighbourhoods=visible_neighbourhoods(session),
                               quiet_hours=texts.quiet_hours,
                               default_quiet_hours=_default_quiet_hours())


@blueprint.route("/neighbourhoods/<int:neighbourhood_id>", methods=["GET", "POST"])
def neighbourhood_edit(neighbourhood_id: int):
    with current_exchange().db.session() as session:
        neighbourhood = visible_row(session, Neighbourhood, neighbourhood_id)
        form = NeighbourhoodForm(data={
            "name": neighbourhood.name, "households": neighbourhood.households,
            "postcodes": neighbourhood.postcodes.replace(",", ", "),
            "numbers": "\n".join(n.number for n in neighbourhood.numbers),
            **NeighbourhoodForm.quiet_fields(neighbourhood.quiet_hours),
            "auto_approve": neighbourhood.auto_approve,
            "speech_input": neighbourhood.speech_input,
            "menu_by_demand": neighbourhood.menu_by_demand,
        })
        if form.validate_on_submit():
            quiet_before = neighbourhood.quiet_hours
            try:
                exchange_settings.update_neighbourhood(
                    session, neighbourhood, name=form.name.data, households=form.households.data,
                    postcodes=form.postcodes.data.split(","),
                    numbers=form.numbers.data.splitlines(), quiet_hours=form.quiet_hours)
            except exchange_settings.SettingsError as exc:
                flash(texts.settings_error(exc), "error")
            else:
                summary = f"settings of {neighbourhood.name}"
                if neighbourhood.auto_approve != form.auto_approve.data:
                    neighbourhood.auto_approve = form.auto_approve.data
                    switched = "on" if neighbourhood.auto_approve else "off"
                    summary += f"; auto-approve sign-ups {switched}"
                for setting, label in (("speech_input", "speech input"),
                                       ("menu_by_demand", "menu keys by demand")):
                    wanted = getattr(form, setting).data
                    if getattr(neighbourhood, setting) != wanted:
                        setattr(neighbourhood, setting, wanted)
                        summary += f"; {label} {'on' if wanted else 'off'}"
                if neighbourhood.quiet_hours != quiet_before:
                    summary += (f"; quiet hours {_quiet_summary(quiet_before)} -> "
                                f"{_quiet_summary(neighbourhood.quiet_hours)}")
                _audit(session, "update", neighbourhood, summary)
                flash(_("The changes were saved."), "success")
                return redirect(url_for("admin.neighbourhood_edit",
                                        neighbourhood_id=neighbourhood_id))
        elif form.errors:
            flash(_("Nothing was saved: please correct the marked fields."), "error")
        return render_template("admin/neighbourhood_form.html", form=form,
                               neighbourhood=neighbourhood,
                               default_quiet_hours=texts.quiet_range(_default_quiet_hours()))


@blueprint.route("/neighbourhoods/<int:neighbourhood_id>/menu", methods=["GET", "POST"])
def neighbourhood_menu(neighbourhood_id: int):
    with current_exchange().db.session() as session:
        neighbourhood = visible_row(session, Neighbourhood, neighbourhood_id)
        categories = list(neighbourhood.categories)
        form = MenuForm(data={"categories": [
            {"label_nl": c.labels.get("nl", ""), "label_en": c.labels.get("en", ""),
             "key": c.key, "enabled": c.enabled} for c in categories]})
        if form.validate_on_submit() and len(form.categories.entries) == len(categories):
            changes = [
                exchange_settings.CategoryChange(
                    category_id=category.id, label_nl=row.label_nl.data,
                    label_en=row.label_en.data or "", key=row.key.data,
                    enabled=row.enabled.data)
                for category, row in zip(categories, form.categories.entries)
            ]
            language_key = current_exchange().config.ivr.english_key
            reserved = {int(language_key)} if language_key.isdigit() else set()
            try:
                exchange_settings.update_menu(session, neighbourhood, changes, reserved)
            except exchange_settings.SettingsError as exc:
                flash(texts.settings_error(exc), "error")
            else:
                _audit(session, "update_menu", neighbourhood, "; ".join(
                    f"{c.key} {c.slug} {c.labels.get('nl', '')}"
                    f"{'' if c.enabled else ' (off)'}" for c in categories))
                flash(_("The menu was saved. Callers hear it from the next call on."), "success")
                return redirect(url_for("admin.neighbourhood_menu",
                                        neighbourhood_id=neighbourhood_id))
        elif form.errors:
            flash(_("Nothing was saved: please correct the marked fields."), "error")
        return render_template("admin/neighbourhood_menu.html", form=form,
                               neighbourhood=neighbourhood,
                               rows=list(zip(categories, form.categories.entries)))


@blueprint.get("/neighbourhoods/<int:neighbourhood_id>/gaps")
def neighbourhood_gaps(neighbourhood_id: int):
    """The week grid of helpers per category beside the last 13 weeks' unhelped requests."""
    exchange = current_exchange()
    caps = Caps.of(exchange.config.matching)
    now = utcnow()
    with exchange.db.session() as session:
        neighbourhood = visible_row(session, Neighbourhood, neighbourhood_id)
        data = gaps.helper_gaps(session, [neighbourhood], *gaps.quarter_to_today(now), now,
                                _default_quiet_hours(), caps)
        language = selected_language()
        labels = {c.slug: c.label(language) for c in neighbourhood.categories}
        return render_template("admin/neighbourhood_gaps.html", neighbourhood=neighbourhood,
                               data=data, place=data["neighbourhoods"][0], labels=labels,
                               caps=caps, days=[day_name(day) for day in range(7)])
