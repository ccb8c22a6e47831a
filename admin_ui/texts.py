"""What coordinators read for the core's codes and exceptions, in their language."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from bhc.attention import services as attention
from bhc.attention.models import AttentionKind, Resolution
from bhc.audit.models import AuditLog
from bhc.calls.models import LegOutcome, RequestOutcome, RequestState
from bhc.neighbourhoods import settings
from bhc.people import blocking, self_service
from bhc.people.models import ParticipantRole
from bhc.reports.monthly import UnmatchedKey

# One text per member of each enum of the core (tests/admin/test_translations.py checks that
# none is missing, in Dutch and in English).
STATES = {
    RequestState.MENU: _l("in the menu"),
    RequestState.SEARCHING: _l("searching"),
    RequestState.MATCHED: _l("matched"),
    RequestState.UNMATCHED: _l("no match"),
    RequestState.ABANDONED: _l("abandoned"),
    RequestState.CALLBACK_DUE: _l("waiting for a call-back"),
}

REQUEST_OUTCOMES = {
    RequestOutcome.MATCHED: _l("a volunteer accepted"),
    RequestOutcome.NO_CANDIDATES: _l("no volunteer available"),
    RequestOutcome.ALL_DECLINED: _l("every volunteer rung declined"),
    RequestOutcome.NO_ANSWER: _l("volunteers did not answer"),
    RequestOutcome.CALLER_HUNG_UP: _l("the caller hung up while waiting"),
    RequestOutcome.HUNG_UP_IN_MENU: _l("the caller hung up in the menu"),
    RequestOutcome.NO_CHOICE: _l("the caller chose no category"),
    RequestOutcome.TO_COORDINATOR: _l("the caller asked for the coordinator"),
    RequestOutcome.CALLBACK_REQUESTED: _l("the caller asked to be called back"),
    RequestOutcome.CALLED_BACK: _l("called back and connected"),
    RequestOutcome.CALLBACK_EXPIRED: _l("no volunteer before the call-back expired"),
    RequestOutcome.CALLBACK_DECLINED: _l("called back, but no longer needed help"),
    RequestOutcome.CALLBACK_UNREACHABLE: _l("called back, but could not be reached"),
    RequestOutcome.CALLBACK_UNANSWERED: _l("called back, but pressed no key"),
    RequestOutcome.VOLUNTEER_LEFT: _l("the volunteer hung up before the call-back"),
    RequestOutcome.WAIT_FAILED: _l("the exchange could not put the caller through (a fault "
                                   "at the carrier)"),
    RequestOutcome.RECONNECTED: _l("put through again to the neighbour of an earlier match"),
}

LEG_OUTCOMES = {
    LegOutcome.ACCEPTED: _l("accepted (pressed 1)"),
    LegOutcome.DECLINED: _l("declined (pressed 2)"),
    LegOutcome.BUSY: _l("busy"),
    LegOutcome.NO_ANSWER: _l("no answer"),
    LegOutcome.NO_RESPONSE: _l("answered but pressed no key"),
    LegOutcome.MACHINE: _l("voicemail"),
    LegOutcome.FAILED: _l("call failed"),
    LegOutcome.CANCELED: _l("call cancelled"),
    LegOutcome.WITHDRAWN: _l("stopped: the search ended"),
    LegOutcome.TAKEN: _l("heard the request was already taken"),
    LegOutcome.LEFT_BEFORE_BRIDGE: _l("pressed 1 but hung up before being connected"),
    LegOutcome.PAUSED: _l("paused for a week (pressed 9)"),
    LegOutcome.OPTED_OUT: _l("stopped being called (pressed 0)"),
}

# The report's reasons why requests found no match.
UNMATCHED_REASONS = {
    UnmatchedKey.NO_CANDIDATES: REQUEST_OUTCOMES[RequestOutcome.NO_CANDIDATES],
    UnmatchedKey.ALL_DECLINED: REQUEST_OUTCOMES[RequestOutcome.ALL_DECLINED],
    UnmatchedKey.NO_ANSWER: REQUEST_OUTCOMES[RequestOutcome.NO_ANSWER],
    UnmatchedKey.CALLBACK_PENDING: STATES[RequestState.CALLBACK_DUE],
    UnmatchedKey.CALLBACK_EXPIRED: REQUEST_OUTCOMES[RequestOutcome.CALLBACK_EXPIRED],
    UnmatchedKey.CALLBACK_NOT_CONNECTED: _l("called back, but not connected"),
    UnmatchedKey.OTHER: _l("another reason"),
}

# Why someone is on the list "needs attention".
ATTENTION_KINDS = {
    AttentionKind.UNMATCHED: _l("No match"),
    AttentionKind.ABANDONED: _l("Hung up while waiting"),
    AttentionKind.CALLBACK_EXPIRED: _l("Call-back expired"),
    AttentionKind.NOT_HELPED: _l("Not helped, said the follow-up"),
    AttentionKind.SIGN_UP_CALLBACK: _l("Wants to sign up"),
    AttentionKind.STOPPED_BY_PHONE: _l("Volunteer stopped by phone"),
    AttentionKind.CHECK_IN: _l("Volunteer never answers: a friendly check-in"),
}
# What a coordinator can say to do for each kind.
ATTENTION_ADVICE = {
    AttentionKind.UNMATCHED: _l("Nobody could help this resident. Phone them: perhaps a "
                                "coordinator or another neighbour can still help."),
    AttentionKind.ABANDONED: _l("The resident chose what they needed, then hung up while "
                                "waiting for a volunteer. Phone to ask whether they still "
                                "need help."),
    AttentionKind.CALLBACK_EXPIRED: _l("The resident asked to be called back, but no volunteer "
                                       "took it before the call-back expired."),
    AttentionKind.NOT_HELPED: _l("After the match the resident said by phone that they were "
                                 "not helped. Ask what went wrong."),
    AttentionKind.SIGN_UP_CALLBACK: _l("This caller is not registered yet and asked by phone "
                                       "to be called back to sign up."),
    AttentionKind.STOPPED_BY_PHONE: _l("This volunteer pressed 0 during a call offer and is "
                                       "no longer called. A short call to thank them, or to "
                                       "hear why, is welcome."),
    AttentionKind.CHECK_IN: _l("This volunteer was rung several times in the last 30 days and "
                               "answered none of the calls. A friendly check-in: are they "
                               "still available, is their number right?"),
}
# ... and, on an item about how its request ended, for that outcome instead where it tells
# more than the kind (a volunteer's item may point at such a request too: not for theirs).
OUTCOME_KINDS = {
    RequestOutcome.WAIT_FAILED: _l("Wait broken off by the carrier"),
}
OUTCOME_ADVICE = {
    RequestOutcome.WAIT_FAILED: _l("The resident chose what they needed, but a fault at the "
                                   "carrier broke off their wait and the exchange could not put "
                                   "them through. Phone to ask whether they still need help."),
}
RESOLUTIONS = {Resolution.HANDLED: _l("handled"), Resolution.NOT_REACHED: _l("could not reach")}

ROLES = {ParticipantRole.HELPER: _l("helper"), ParticipantRole.ASKER: _l("asker"),
         ParticipantRole.BOTH: _l("helper and asker")}

AUDIT_ACTIONS = {
    "create": _l("added"),
    "update": _l("changed"),
    "update_menu": _l("changed the phone menu"),
    "delete": _l("deleted"),
    "import": _l("imported a CSV file"),
    "pause": _l("paused"),
    "resume": _l("ended the pause"),
    "opt_out": _l("opted out"),
    "opt_in": _l("takes part again"),
    "block": _l("blocked a number"),
    "unblock": _l("unblocked a number"),
    "approve_sign_up": _l("approved a web sign-up"),
    "reject_sign_up": _l("rejected a web sign-up"),
    "auto_approve_sign_up": _l("approved a web sign-up (the neighbourhood approves them "
                               "automatically)"),
    # Written by bhc.offers when a volunteer presses 9 or 0 during a call offer.
    "paused by phone for a week": _l("paused for a week (pressed 9 during a call offer)"),
    "stopped being called, by phone": _l("stopped being called (pressed 0 during a call "
                                         "offer)"),
}
BY_PHONE_ACTIONS = {"paused by phone for a week", "stopped being called, by phone",
                    *self_service.BY_PHONE_ACTIONS}
# Written by bhc.self_service (the caller's own details by phone) and bhc.prompts_store.
AUDIT_ACTIONS.update({
    self_service.PAUSED_FOR_A_WEEK: _l("paused for a week (own details menu)"),
    self_service.PAUSED_UNTIL_NEXT_CALL: _l("paused until they call again (own details menu)"),
    self_service.RESUMED: _l("ended the pause (own details menu)"),
    self_service.SIGN_UP_CALLBACK_ASKED: _l("asked to be called back to sign up"),
    self_service.SIGN_UP_CALLBACK_DONE: _l("called back to sign up"),
    "upload": _l("uploaded"),
    attention.NUMBER_VIEWED: _l("saw the full phone number"),
    attention.CLOSED: _l("closed an item that needed attention"),
})

AUDIT_OBJECTS = {
    "participant": _l("participant"),
    "neighbourhood": _l("neighbourhood"),
    "user": _l("user"),
    "blocked_number": _l("blocked number"),
    "survey": _l("resident survey"),
    "sign_up": _l("web sign-up"),
    "recorded_prompt": _l("recorded prompt"),
    "registration_callback": _l("sign-up call-back"),
    "attention_item": _l("needs attention"),
}

# parse_row names the bad field first; the form shows a sentence on that field.
ROW_FIELDS = {
    "name": _l("Please fill in a name."),
    "phone": _l("This is not a valid phone number."),
    "neighbourhood": _l("Choose a neighbourhood."),
    "roles": _l("Choose helper, asker or both."),
    "unknown": _l("A chosen category does not exist in this neighbourhood."),
    "languages": _l("Use language codes like nl;en."),
    "available": _l("Write availability like mo-fr 09:00-17:00; sa 10:00-12:00."),
    "call_consent": _l("Call consent must be yes or no."),
}


def row_error_field(reason: str) -> str | None:
    """The form field a parse_row reason is about ('unknown' means the categories)."""
    first = reason.split(" ", 1)[0].rstrip(":")
    return first if first in ROW_FIELDS else None


def row_error(reason: str) -> str:
    """A CSV row's reason for a coordinator: the sentence for its field, then the detail."""
    field = row_error_field(reason)
    return f"{ROW_FIELDS[field]} ({reason})" if field else reason


def state(code: str) -> str:
    return str(STATES.get(code, code))


def request_outcome(code: str | None) -> str:
    return str(REQUEST_OUTCOMES.get(code, code)) if code else ""


def leg_outcome(code: str | None) -> str:
    return str(LEG_OUTCOMES.get(code, code)) if code else ""


def unmatched_reason(code: str) -> str:
    return str(UNMATCHED_REASONS.get(code, code))


def _for_outcome(table: dict, code: str, outcome: str | None):
    """The outcome's text in ``table``, on items of the request kinds only."""
    return table.get(outcome) if code in attention.REQUEST_KINDS else None


def attention_kind(code: str, outcome: str | None = None) -> str:
    """Why an item is on the list: for its request's outcome where that says more, else its
    kind's."""
    return str(_for_outcome(OUTCOME_KINDS, code, outcome) or ATTENTION_KINDS.get(code, code))


def attention_advice(code: str, outcome: str | None = None) -> str:
    """What to do about an item: for its request's outcome where that says more, else its
    kind's."""
    return str(_for_outcome(OUTCOME_ADVICE, code, outcome) or ATTENTION_ADVICE.get(code, ""))


def resolution(code: str | None) -> str:
    return str(RESOLUTIONS.get(code, code)) if code else ""


def seconds(amount: str) -> str:
    """A duration in seconds, the number already formatted."""
    return _("%(amount)s s", amount=amount)


def audit_action(code: str) -> str:
    return str(AUDIT_ACTIONS.get(code, code))


def audit_object(code: str) -> str:
    return str(AUDIT_OBJECTS.get(code, code))


def audit_actor(entry: AuditLog) -> str:
    """Who made the change: the user, the volunteer on the phone, or the command line."""
    if entry.user is not None:
        return entry.user.name or entry.user.email
    if entry.action in BY_PHONE_ACTIONS:
        return _("by phone")
    if entry.action == "auto_approve_sign_up":
        return _("automatically")
    return _("command line or a removed user")


def quiet_hours(setting: str | None, default: str) -> str:
    """A neighbourhood's quiet hours as coordinators read them."""
    if setting is None:
        return _("the exchange's default (%(hours)s)", hours=quiet_range(default))
    return quiet_range(setting)


def quiet_range(text: str) -> str:
    return text or _("none")


def blocking_error(exc: blocking.BlockingError) -> str:
    if isinstance(exc, blocking.BadNumber):
        return _("%(number)s is not a valid phone number. Write it like 06 12345678 or "
                 "+31 70 1234567.", number=exc.text)
    if isinstance(exc, blocking.AlreadyBlocked):
        return _("This number is already blocked.")
    if isinstance(exc, blocking.NotBlocked):
        return _("This number is no longer blocked.")
    return str(exc)


def settings_error(exc: settings.SettingsError) -> str:
    if isinstance(exc, settings.NameMissing):
        return _("A neighbourhood needs a name.")
    if isinstance(exc, settings.NameTaken):
        return _("Another neighbourhood already has this name.")
    if isinstance(exc, settings.BadHouseholds):
        return _("The number of households must be positive.")
    if isinstance(exc, settings.NoNumbers):
        return _("A neighbourhood needs at least one exchange number.")
    if isinstance(exc, settings.BadNumber):
        return _("%(number)s is not a valid phone number.", number=exc.number)
    if isinstance(exc, settings.NumberTaken):
        return _("%(number)s already belongs to another neighbourhood.", number=exc.number)
    if isinstance(exc, settings.BadQuietHours):
        return _("“%(text)s” cannot be used as quiet hours: write a start time and a "
                 "different end time, like 21:00-08:00.", text=exc.text)
    if isinstance(exc, settings.LabelMissing):
        return _("Category %(slug)s needs a Dutch label.", slug=exc.slug)
    if isinstance(exc, settings.BadKey):
        return _("Key %(key)s cannot be used for a category.", key=exc.key)
    if isinstance(exc, settings.KeyTwice):
        return _("Key %(key)s is used by two enabled categories.", key=exc.key)
    return str(exc)
