"""The web forms (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from admin_ui import texts
from bhc.people.models import ParticipantRole


class ButtonForm(FlaskForm):
    """A form that is only a button (opt out, resume, delete, sign out): the CSRF token."""


class LoginForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ParticipantForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    phone = StringField(_l("Phone number"), validators=[DataRequired(), Length(max=40)])
    postcode = StringField(_l("Postcode"), validators=[Optional(), Length(max=10)])
    house_number = StringField(_l("House number"), validators=[Optional(), Length(max=10)])
    neighbourhood = SelectField(_l("Neighbourhood"), validators=[DataRequired()])
    roles = SelectField(_l("Role"), choices=[
        SelectChoice(role, texts.ROLES[role]) for role in ParticipantRole])
    categories = CheckboxesField(_l("Helps with"))
    languages = StringField(_l("Languages (codes like nl;en)"), default="nl",
                            validators=[Length(max=40)])
    available = StringField(_l("Available (e.g. mo-fr 09:00-17:00; sa 10:00-12:00; empty "
                               "means any time)"), validators=[Length(max=400)])
    call_consent = BooleanField(_l("Agreed to be called by the exchange"))
    needs_more_time = BooleanField(_l("Needs more time to choose in the phone menus"))

    def as_row(self) -> dict[str, str]:
        """The CSV row form :func:`bhc.participants.parse_row` validates."""
        return {
            "name": self.name.data or "", "phone": self.phone.data or "",
            "postcode": self.postcode.data or "", "house_number": self.house_number.data or "",
            "neighbourhood": self.neighbourhood.data or "", "roles": self.roles.data or "",
            "categories": ";".join(self.categories.data or []),
            "languages": self.languages.data or "", "available": self.available.data or "",
            "call_consent": "yes" if self.call_consent.data else "no",
        }


class PauseForm(FlaskForm):
    until = DateField(_l("Paused until (called again from this date)"),
                      validators=[InputRequired()])


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired()])


class NeighbourhoodForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    households = IntegerField(_l("Households (for the reach figure)"),
                              validators=[Optional(), NumberRange(min=1)])
    postcodes = StringField(_l("Postcode areas, comma-separated"), validators=[Length(max=2000)])
    numbers = TextAreaField(_l("Exchange numbers, one per line"), validators=[DataRequired()])
    quiet = RadioField(_l("Quiet hours (no volunteer is called then)"), default="default",
                       choices=[SelectChoice("default", _l("The exchange's default")),
                                SelectChoice("none", _l("None: volunteers may be called at any "
                                                        "time")),
                                SelectChoice("custom", _l("Our own quiet hours:"))])
    quiet_range = StringField(_l("Own quiet hours, from-to (e.g. 21:00-08:00)"),
                              validators=[Length(max=20)])
    auto_approve = BooleanField(_l("Approve web sign-ups automatically once their phone number "
                                   "is confirmed"))
    speech_input = BooleanField(_l("Callers may also say what they need instead of pressing a "
                                   "key"))
    menu_by_demand = BooleanField(_l("Give the menu's keys to the most asked categories first"))

    def validate_quiet_range(self, field: StringField) -> None:
        if self.quiet.data == "custom" and not (field.data or "").strip():
            raise ValidationError(_l("Write the quiet hours like 21:00-08:00."))

    @property
    def quiet_hours(self) -> str | None:
        """The setting as stored: None for the default, "" for none, else the range."""
        return {"default": None, "none": ""}.get(self.quiet.data, self.quiet_range.data or "")

    @staticmethod
    def quiet_fields(setting: str | None) -> dict[str, str]:
        """The two fields that show a stored setting (the inverse of ``quiet_hours``)."""
        choice = "default" if setting is None else "custom" if setting else "none"
        return {"quiet": choice, "quiet_range": setting or ""}


class BlockForm(FlaskForm):
    number = StringField(_l("Phone number"), validators=[DataRequired(), Length(max=40)])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=200)])


class CategoryRowForm(Form):
    label_nl = StringField(_l("Dutch label"), validators=[DataRequired(), Length(max=100)])
    label_en = StringField(_l("English label"), validators=[Length(max=100)])
    key = IntegerField(_l("Key"), validators=[InputRequired(), NumberRange(min=1, max=9)])
    enabled = BooleanField(_l("Offered"))


class MenuForm(FlaskForm):
    categories = FieldList(FormField(CategoryRowForm))


class CloseItemForm(FlaskForm):
    """A coordinator phoned about an item that needed attention (or tried): a note, closed."""

    note = TextAreaField(_l("Note (what was said or done)"),
                         validators=[DataRequired(), Length(max=1000)])
    handled = SubmitField(_l("Close: handled"))
    not_reached = SubmitField(_l("Close: could not reach"))
