"""Webhooks of a registered participant's own details by phone: status, pause, resume."""

from __future__ import annotations

from flask import Response
from twilio.twiml.voice_response import VoiceResponse

from bhc.app import current_exchange
from bhc.calls import caller, urls
from bhc.calls.models import HelpRequest, RequestOutcome, RequestState
from bhc.db import utcnow
from bhc.neighbourhoods.office import spoken_date
from bhc.neighbourhoods.services import menu
from bhc.people import self_service
from ivr import prompts
from ivr.blueprint import blueprint, digits_pressed, form, tries, twiml, url
from ivr.caller_webhooks import MENU_TRIES, main_menu, office, to_coordinator
from ivr.signature import signed

PAUSE_WEEK, PAUSE_UNTIL_CALL, RESUME, MORE_TIME, REPEAT, BACK = "1", "2", "3", "4", "*", "#"


def _own_details(session, help_request: HelpRequest, attempt: int, with_status: bool,
                 response: VoiceResponse | None = None) -> VoiceResponse:
    response = response or VoiceResponse()
    status = self_service.status(help_request.caller, utcnow())
    labels = {c.slug: c.label(help_request.language)
              for c in menu(session, help_request.neighbourhood_id)}
    prompts.own_details_menu(
        response, language=help_request.language, status=status, with_status=with_status,
        category_labels=[labels.get(slug, slug) for slug in status.categories],
        action=url(urls.OWN_DETAILS_CHOICE, **{"try": attempt}),
        timeout_s=prompts.gather_timeout_s(help_request.caller),
    )
    return response


def _registered_caller_in_menu(session) -> HelpRequest | None:
    """The call's request while its caller may use this menu; None when that is over."""
    help_request = caller.request_for_call(session, form("CallSid"))
    if help_request.state != RequestState.MENU or not self_service.is_registered(
            help_request.caller):
        return None
    return help_request


@blueprint.post(urls.OWN_DETAILS)
@signed
def own_details():
    with current_exchange().db.session() as session:
        help_request = _registered_caller_in_menu(session)
        if help_request is None:
            return _goodbye(session)
        return twiml(_own_details(session, help_request, tries(), with_status=True))


@blueprint.post(urls.OWN_DETAILS_CHOICE)
@signed
def own_details_choice():
    attempt = tries()
    digits = digits_pressed()
    now = utcnow()
    with current_exchange().db.session() as session:
        help_request = _registered_caller_in_menu(session)
        if help_request is None:
            return _goodbye(session)
        language, participant = help_request.language, help_request.caller
        can_pause = self_service.status(participant, now).can_pause
        response = VoiceResponse()
        if digits == BACK:
            return twiml(main_menu(session, help_request, attempt=1, greeting=False))
        if digits == REPEAT:
            return twiml(_own_details(session, help_request, attempt, with_status=True))
        if digits == caller.COORDINATOR_KEY and office() is not None:
            asked = caller.choose(session, help_request, digits, now,
                                 current_exchange().config.ivr.english_key, office=office())
            if isinstance(asked, caller.ToCoordinator):
                return twiml(to_coordinator(session, help_request, asked, attempt=1))
        if can_pause and digits == PAUSE_WEEK:
            until = self_service.pause_for_a_week(session, participant, now)
            prompts.say(response, language, "You will not be called for a week, until %(date)s.",
                        date=spoken_date(until, language))
        elif can_pause and digits == PAUSE_UNTIL_CALL:
            self_service.pause_until_next_call(session, participant, now)
            prompts.say(response, language, "You will not be called until you call us again "
                        "and ask for it.")
        elif can_pause and digits == RESUME:
            self_service.resume(session, participant, now)
            prompts.say(response, language, "You will be called again when a neighbour asks "
                        "for help.")
        elif digits == MORE_TIME:
            more = not participant.needs_more_time
            self_service.set_more_time(session, participant, more, now)
            prompts.say(response, language, "From now on you have more time to choose." if more
                        else "From now on you have the usual time to choose.")
        elif attempt >= MENU_TRIES:
            caller.end_in_menu(session, help_request, now, outcome=RequestOutcome.NO_CHOICE)
            return twiml(prompts.spoken(language, prompts.THANKS_FOR_CALLING))
        else:
            prompts.say(response, language, "Sorry, that key is not in the menu." if digits
                        else "I did not hear a choice.")
            return twiml(_own_details(session, help_request, attempt + 1, with_status=False,
                                      response=response))
        return twiml(_own_details(session, help_request, 1, with_status=False,
                                  response=response))


def _goodbye(session) -> Response:
    help_request = caller.request_for_call(session, form("CallSid"))
    return twiml(prompts.spoken(help_request.language, prompts.THANKS_FOR_CALLING))
