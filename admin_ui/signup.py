"""The public sign-up page at /meedoen: no login, Dutch unless the reader chose English.

The page only records: the verification call is placed by the engine, which this page wakes
after its transaction commits. Refusals (spam, limits, a known number) are told politely and
never say what is stored about a number.
"""

from __future__ import annotations

import logging
import time

import phonenumbers
from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as cookie_session  # the browser's; `session` is the database's
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from admin_ui.forms import ButtonForm
from admin_ui.language import selected_language
from admin_ui.signup_forms import CodeForm, SignUpForm
from bhc.app import current_exchange
from bhc.db import utcnow
from bhc.neighbourhoods.models import Category
from bhc.phones import mask
from bhc.signups import services as signups
from bhc.signups.models import SignUpState

log = logging.getLogger(__name__)
blueprint = Blueprint("signup", __name__, url_prefix="/meedoen", template_folder="templates")

SESSION_SIGN_UP = "sign_up_id"
SESSION_FORM_SHOWN = "sign_up_form_shown_at"


def _secret() -> str:
    return signups.secret_of(current_exchange().config)


def coordinator_contact() -> dict[str, str]:
    """The office's phone (written the Dutch way) and email, where configured."""
    office = current_exchange().config.office
    contact = {}
    if office.coordinator_phone:
        number = phonenumbers.parse(office.coordinator_phone, "NL")
        contact["phone"] = phonenumbers.format_number(number,
                                                      phonenumbers.PhoneNumberFormat.NATIONAL)
        contact["tel"] = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if office.email:
        contact["email"] = office.email
    return contact


def _category_choices(session, language: str) -> list[tuple[str, str]]:
    """Every category some neighbourhood offers, by menu key; a resident's neighbourhood is
    known only once the postcode is, so the service keeps those it offers."""
    labels: dict[str, str] = {}
    for category in session.scalars(select(Category).where(Category.enabled.is_(True))
                               .order_by(Category.key, Category.id)):
        labels.setdefault(category.slug, category.label(language))
    return list(labels.items())


def _form_page(form: SignUpForm, status: int = 200, notice: str | None = None,
               outside: str | None = None):
    return render_template("admin/signup.html", form=form, notice=notice, outside=outside,
                           contact=coordinator_contact()), status


def _refusal(exc: signups.SignUpRefused) -> str:
    """What the resident reads when a sign-up is refused; polite, and without details."""
    if isinstance(exc, signups.LooksLikeSpam):
        return _("Sorry, we could not take your sign-up. Please wait a moment and try again.")
    if isinstance(exc, signups.TooManySignUps):
        return _("Many sign-ups have come from this connection in the last hour. Please try "
                 "again later.")
    if isinstance(exc, signups.AlreadyKnown):
        return _("This phone number is already known to the neighbour help exchange. If you "
                 "would like to change something, please contact the coordinator.")
    if isinstance(exc, signups.TooManyCalls):
        return _("We have called this number several times in the last hour. Please try again "
                 "in an hour.")
    if isinstance(exc, signups.CallTooSoon):
        return _("We called this number less than a minute ago. Please wait %(seconds)s "
                 "seconds and try again.", seconds=exc.wait_s)
    return _("Sorry, we could not take your sign-up. Please try again later.")


@blueprint.route("", methods=["GET", "POST"])
def start():
    language = selected_language()
    form = SignUpForm()
    with current_exchange().db.session() as session:
        form.categories.choices = _category_choices(session, language)
    if request.method == "GET":
        cookie_session[SESSION_FORM_SHOWN] = time.time()
        return _form_page(form)
    if not form.validate_on_submit():
        return _form_page(form, 400)
    shown_at = cookie_session.get(SESSION_FORM_SHOWN)
    now = utcnow()
    try:
        signups.check_not_spam(form.website.data or "",
                               time.time() - shown_at if shown_at else None)
        with current_exchange().db.session() as session:
            client = signups.client_key(_secret(), request.remote_addr or "")
            signups.count_submission(session, client, now)
        with current_exchange().db.session() as session:
            sign_up_id = signups.submit(session, form.sign_up_data(language), now).id
    except signups.OutsideNeighbourhoods as exc:
        form.postcode.errors = [*form.postcode.errors, _("There is no neighbour help exchange "
                                                         "for this postcode yet.")]
        return _form_page(form, 200, outside=exc.postcode[:4] + " " + exc.postcode[4:])
    except signups.SignUpRefused as exc:
        log.info("sign-up refused: %s", exc.__class__.__name__)
        cookie_session[SESSION_FORM_SHOWN] = time.time()
        return _form_page(form, 200, notice=_refusal(exc))
    current_exchange().wake()
    cookie_session[SESSION_SIGN_UP] = sign_up_id
    return redirect(url_for("signup.code"))


def _current_sign_up(session):
    try:
        return signups.open_sign_up(session, cookie_session.get(SESSION_SIGN_UP))
    except signups.NoSuchSignUp:
        return None


@blueprint.route("/code", methods=["GET", "POST"])
def code():
    form = CodeForm()
    with current_exchange().db.session() as session:
        sign_up = _current_sign_up(session)
        if sign_up is None:
            return redirect(url_for("signup.start"))
        if form.validate_on_submit():
            try:
                sign_up = signups.verify(session, sign_up.id, form.code.data, _secret(), utcnow())
            except signups.WrongCode as exc:
                form.code.errors = [_("This code is not right. You can try %(count)s more "
                                      "times.", count=exc.attempts_left)]
            except signups.CodeExpired:
                form.code.errors = [_("This code has expired. Ask us to call you again for a "
                                      "new code.")]
            except signups.TooManyWrongCodes:
                form.code.errors = [_("Too many wrong codes. Ask us to call you again for a "
                                      "new code.")]
        if sign_up.state != SignUpState.PENDING_VERIFICATION:
            return redirect(url_for("signup.done"))
        page = render_template("admin/signup_code.html", form=form, button=ButtonForm(),
                               phone=mask(sign_up.phone), call_status=sign_up.call_status,
                               contact=coordinator_contact())
    return page, 400 if form.errors else 200


@blueprint.post("/opnieuw-bellen")
def call_again():
    if not ButtonForm().validate_on_submit():
        return redirect(url_for("signup.code"))
    with current_exchange().db.session() as session:
        sign_up = _current_sign_up(session)
        if sign_up is None:
            return redirect(url_for("signup.start"))
        try:
            signups.request_call(session, sign_up, utcnow())
        except signups.SignUpRefused as exc:
            flash(_refusal(exc), "error")
            return redirect(url_for("signup.code"))
    current_exchange().wake()
    flash(_("We are calling you again now."), "success")
    return redirect(url_for("signup.code"))


@blueprint.get("/bedankt")
def done():
    with current_exchange().db.session() as session:
        sign_up = _current_sign_up(session)
        if sign_up is None or sign_up.state == SignUpState.PENDING_VERIFICATION:
            return redirect(url_for("signup.start"))
        return render_template("admin/signup_done.html", state=sign_up.state,
                               neighbourhood=sign_up.neighbourhood.name,
                               contact=coordinator_contact())


@blueprint.errorhandler(CSRFError)
def _expired_form(_error):
    cookie_session[SESSION_FORM_SHOWN] = time.time()
    return render_template("admin/signup_error.html", message=_(
        "The form had expired. Please fill it in again; we are sorry for the trouble.")), 400


@blueprint.errorhandler(Exception)
def _unexpected(error):
    if isinstance(error, HTTPException):
        return error
    log.exception("sign-up page %s failed", request.path)
    return render_template("admin/signup_error.html", message=_(
        "Something went wrong on our side. Please try again later.")), 500
