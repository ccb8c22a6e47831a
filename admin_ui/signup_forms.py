"""The forms of the public sign-up page (Flask-WTF, so each carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, StringField, TelField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from admin_ui.forms import CheckboxesField
from bhc.people.models import ParticipantRole
from bhc.phones import InvalidPhoneNumber, to_e164
from bhc.signups import services as signups

# Each language in its own name: the reader looks for theirs.
LANGUAGES = (("nl", "Nederlands"), ("en", "English"))
DAY_PART_LABELS = {
    "weekday-morning": _l("Weekday mornings (9:00-12:00)"),
    "weekday-afternoon": _l("Weekday afternoons (12:00-17:00)"),
    "weekday-evening": _l("Weekday evenings (17:00-21:00)"),
    "weekend-morning": _l("Weekend mornings (9:00-12:00)"),
    "weekend-afternoon": _l("Weekend afternoons (12:00-17:00)"),
    "weekend-evening": _l("Weekend evenings (17:00-21:00)"),
}


class SignUpForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[
        DataRequired(_l("Please fill in your name.")), Length(max=200)])
    phone = TelField(_l("Phone number"), validators=[
        DataRequired(_l("Please fill in your phone number.")), Length(max=40)],
        description=_l("Mobile or landline, for example 06 12345678 or 070 123 4567. We call "
                       "this number to read you a code."))
    postcode = StringField(_l("Postcode"), validators=[
        DataRequired(_l("Please fill in your postcode.")), Length(max=10)],
        description=_l("For example 2551 AB."))
    house_number = StringField(_l("House number"), validators=[
        DataRequired(_l("Please fill in your house number.")), Length(max=10)],
        description=_l("With any addition, for example 12a."))
    role = RadioField(_l("I would like to"), choices=[
        SelectChoice(ParticipantRole.HELPER, _l("help neighbours")),
        SelectChoice(ParticipantRole.ASKER, _l("ask neighbours for help now and then")),
        SelectChoice(ParticipantRole.BOTH, _l("both: help and ask for help"))],
        validators=[InputRequired(_l("Choose how you would like to take part."))])
    categories = CheckboxesField(_l("I can help with"), description=_l(
        "For helpers: choose at least one. We only call you for these."))
    day_parts = CheckboxesField(_l("When may we call you? (optional)"), choices=[
        SelectChoice(code, label) for code, label in DAY_PART_LABELS.items()],
        description=_l("Tick nothing if any time between 9:00 and 21:00 is fine."))
    languages = CheckboxesField(_l("Languages you speak"), choices=[
        SelectChoice(code, name) for code, name in LANGUAGES], default=["nl"])
    consent = BooleanField(_l("I agree that the neighbour help exchange phones me on this "
                              "number: to confirm this sign-up and about help between "
                              "neighbours."),
                           validators=[DataRequired(_l("We can only call you with your "
                                                       "consent. Please tick the box."))])
    # A honeypot: hidden from people, filled in by scripts that fill in every field.
    website = StringField(_l("Leave this field empty"))

    def validate_phone(self, field: TelField) -> None:
        try:
            to_e164(field.data or "")
        except InvalidPhoneNumber:
            raise ValidationError(_l("This is not a phone number we can call. Write it like "
                                     "06 12345678 or 070 123 4567.")) from None

    def validate_postcode(self, field: StringField) -> None:
        try:
            signups.normalise_postcode(field.data or "")
        except signups.BadPostcode:
            raise ValidationError(_l("Write the postcode like 2551 AB.")) from None

    def validate_categories(self, field: CheckboxesField) -> None:
        if self.role.data in (ParticipantRole.HELPER, ParticipantRole.BOTH) and not field.data:
            raise ValidationError(_l("Choose at least one kind of help you can give."))

    def validate_languages(self, field: CheckboxesField) -> None:
        if not field.data:
            raise ValidationError(_l("Choose at least one language."))

    def sign_up_data(self, language: str) -> signups.SignUpData:
        is_helper, is_asker = ParticipantRole(self.role.data).flags
        return signups.SignUpData(
            name=self.name.data, phone=self.phone.data, postcode=self.postcode.data,
            house_number=self.house_number.data, is_helper=is_helper, is_asker=is_asker,
            categories=frozenset(self.categories.data or ()),
            languages=tuple(self.languages.data or ()), day_parts=tuple(self.day_parts.data or ()),
            language=language)


class CodeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(_l("Please type the code you "
                                                               "heard."))],
                       description=_l("The six digits you hear on the phone."))
