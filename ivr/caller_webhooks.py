"""Webhooks of the resident who phones in: greeting, menu, hold, and how the search ended."""

from __future__ import annotations

import logging

from flask import request
from twilio.twiml.voice_response import VoiceResponse

from bhc.app import current_exchange
from bhc.calls import callbacks, caller, queues, reconnections, urls, volunteer
from bhc.calls.caller import (
    BlockedCaller,
    Chosen,
    Closed,
    Invalid,
    LanguageSwitched,
    OwnDetails,
    Repeat,
    Resumed,
    SignUpAsked,
    ToCoordinator,
    TooManyRequests,
    UnknownCall,
    UnknownExchange,
)
from bhc.calls.carrier import ENDED
from bhc.calls.models import HelpRequest, RequestOutcome, RequestState
from bhc.db import utcnow
from bhc.neighbourhoods.models import Category
from bhc.neighbourhoods.office import Office, spoken_hours
from bhc.neighbourhoods.services import menu
from bhc.people import self_service
from ivr import prompts
from ivr.blueprint import (
    blueprint,
    digits_pressed,
    form,
    language_of,
    tries,
    twiml,
    url,
    wake_engine,
)
from ivr.signature import signed

log = logging.getLogger(__name__)

MENU_TRIES = 3  # the menu, then twice again after a wrong key or silence
NUMBER_TRIES = 2


@blueprint.post(urls.VOICE)
@signed
def voice():
    services = current_exchange()
    with services.db.session() as session:
        try:
            help_request = caller.start_call(
                session, call_sid=form("CallSid"), to=form("To"),
                from_=request.form.get("From", ""), now=utcnow(),
                default_language=services.config.ivr.default_language,
                max_per_hour=services.config.ivr.max_requests_per_hour,
            )
        except BlockedCaller:
            return twiml(prompts.spoken(services.config.ivr.default_language,
                                        "This number cannot use the neighbour help exchange. "
                                        "Please contact the coordinator. Goodbye."))
        except TooManyRequests:
            return twiml(prompts.spoken(services.config.ivr.default_language,
                                        "You have already called several times this hour. "
                                        "Please try again a little later. Goodbye."))
        except UnknownExchange:
            log.info("call to a number that is no exchange")
            return twiml(prompts.spoken(services.config.ivr.default_language,
                                        "This number is not in use for neighbour help. Goodbye."))
        if caller.needs_callback_number(help_request):
            return twiml(_ask_number(help_request.language, attempt=1))
        return twiml(_offer_or_menu(session, help_request))


def _offer_or_menu(session, help_request: HelpRequest) -> VoiceResponse:
    """Who was matched a short while ago first hears the offer to be put through again."""
    hours = current_exchange().config.matching.reconnect_hours
    match = reconnections.offer_for(session, help_request, utcnow(), hours)
    if match is None:
        return main_menu(session, help_request, attempt=1, greeting=True)
    response = VoiceResponse()
    prompts.reconnect_offer(response, language=help_request.language,
                            action=url(urls.RECONNECT_CHOICE, match=match.id),
                            timeout_s=prompts.gather_timeout_s(help_request.caller))
    return response


def _ask_number(language: str, attempt: int,
                response: VoiceResponse | None = None) -> VoiceResponse:
    response = response or VoiceResponse()
    action = url(urls.CALLER_NUMBER, **{"try": attempt})
    gather = response.gather(input="dtmf", timeout=10, finish_on_key="#", action=action,
                             method="POST")
    prompts.say(gather, language, "Your number is hidden. Please key in your phone number, "
                "followed by the hash key, so that we can call you back if needed.")
    response.redirect(action, method="POST")
    return response


def main_menu(session, help_request: HelpRequest, attempt: int, greeting: bool,
              response: VoiceResponse | None = None) -> VoiceResponse:
    response = response or VoiceResponse()
    categories = menu(session, help_request.neighbourhood_id, as_of=help_request.created_at)
    if not categories:
        return prompts.spoken(help_request.language, "Sorry, the exchange is not taking "
                              "requests right now. Goodbye.")
    config = current_exchange().config.ivr
    prompts.category_menu(
        response,
        language=help_request.language,
        neighbourhood=help_request.neighbourhood.name,
        categories=categories,
        keys=caller.keys_for(help_request, categories, config.english_key),
        action=url(urls.MENU, **{"try": attempt}),
        timeout_s=prompts.gather_timeout_s(help_request.caller),
        greeting=greeting,
        offers_coordinator=office() is not None,
        own_details=_own_details_offer(help_request),
        listen=caller.listens_for_speech(help_request),
    )
    return response


def _own_details_offer(help_request: HelpRequest) -> str | None:
    """What the caller's own-details key offers them (None: their number is unknown)."""
    participant = help_request.caller
    if participant is None:
        return None
    if not self_service.is_registered(participant):
        return prompts.SIGN_UP
    return prompts.RESUME if self_service.waits_to_resume(participant) else prompts.OWN_DETAILS


@blueprint.post(urls.CALLER_NUMBER)
@signed
def caller_number():
    attempt = tries()
    with current_exchange().db.session() as session:
        help_request = caller.request_for_call(session, form("CallSid"))
        language = help_request.language
        if caller.set_callback_number(session, help_request, request.form.get("Digits", ""),
                                     utcnow()):
            return twiml(_offer_or_menu(session, help_request))
        response = VoiceResponse()
        prompts.say(response, language, "That number was not recognised.")
        if attempt >= NUMBER_TRIES:
            prompts.say(response, language, "We will continue without your number.")
            return twiml(main_menu(session, help_request, attempt=1, greeting=True,
                               response=response))
        return twiml(_ask_number(language, attempt + 1, response))


@blueprint.post(urls.MENU)
@signed
def menu_choice():
    services = current_exchange()
    attempt = tries()
    digits = request.form.get("Digits", "")
    with services.db.session() as session:
        help_request = caller.request_for_call(session, form("CallSid"))
        language = help_request.language
        now = utcnow()
        if not digits and request.form.get("SpeechResult") is not None:
            spoken = _spoken_category(session, help_request)
            if spoken is not None:
                return twiml(_confirm_spoken(session, help_request, spoken, attempt))
        result = (
            caller.choose(session, help_request, digits, now, services.config.ivr.english_key,
                         office=office())
            if digits else Invalid()
        )
        if isinstance(result, Chosen):
            response = _hold_in_queue(help_request, result.category.label(language))
            wake_engine()
            return twiml(response)
        if isinstance(result, (LanguageSwitched, Repeat)):
            return twiml(main_menu(session, help_request, attempt, greeting=False))
        if isinstance(result, OwnDetails):
            response = VoiceResponse()
            response.redirect(url(urls.OWN_DETAILS), method="POST")
            return twiml(response)
        if isinstance(result, (Resumed, SignUpAsked)):
            response = VoiceResponse()
            if isinstance(result, SignUpAsked):
                prompts.say(response, language, "Thank you. A coordinator will call you back "
                            "to sign you up.")
            else:
                prompts.say(response, language, "You will be called again when a neighbour "
                            "asks for help.")
            return twiml(main_menu(session, help_request, attempt, greeting=False,
                                   response=response))
        if isinstance(result, ToCoordinator):
            return twiml(to_coordinator(session, help_request, result, attempt))
        if isinstance(result, Closed):
            return twiml(prompts.spoken(language, prompts.THANKS_FOR_CALLING))
        response = VoiceResponse()
        if attempt >= MENU_TRIES:
            caller.end_in_menu(session, help_request, now, outcome=RequestOutcome.NO_CHOICE)
            return twiml(prompts.spoken(language, "We could not get your choice. Please call "
                                        "again later. Goodbye."))
        prompts.say(response, language, _not_understood(digits))
        return twiml(main_menu(session, help_request, attempt + 1, greeting=False,
                           response=response))


def _not_understood(digits: str) -> str:
    if digits:
        return "Sorry, that key is not in the menu."
    if request.form.get("SpeechResult") is not None:
        return "Sorry, I did not understand that."
    return "I did not hear a choice."


def _spoken_category(session, help_request: HelpRequest) -> Category | None:
    """What the caller said, as a category. Twilio posts SpeechResult and Confidence (0.0 to
    1.0) to the action ("TwiML Voice: <Gather>", speech results); a missing Confidence counts
    as sure, as the caller confirms with a key anyway."""
    try:
        confidence = float(request.form.get("Confidence") or 1.0)
    except ValueError:
        confidence = 0.0
    return caller.spoken_category(session, help_request, request.form.get("SpeechResult", ""),
                                  confidence, current_exchange().config.ivr.speech_min_confidence)


def _confirm_spoken(session, help_request: HelpRequest, category: Category,
                    attempt: int) -> VoiceResponse:
    response = VoiceResponse()
    language = help_request.language
    categories = menu(session, help_request.neighbourhood_id, as_of=help_request.created_at)
    prompts.confirm_spoken_choice(
        response, language=language, category=category.label(language),
        action=url(urls.MENU_CONFIRM, category=category.slug, **{"try": attempt}),
        timeout_s=prompts.gather_timeout_s(help_request.caller),
        listen=prompts.Listening.for_menu(categories, language))
    return response


@blueprint.post(urls.MENU_CONFIRM)
@signed
def menu_confirm():
    """The caller heard the category they said: 1 starts the search; saying it again is heard
    again; anything else (or silence) is the menu once more."""
    attempt = tries()
    digits = digits_pressed()
    with current_exchange().db.session() as session:
        help_request = caller.request_for_call(session, form("CallSid"))
        language = help_request.language
        if digits == "1":
            result = caller.choose_spoken(session, help_request,
                                          request.args.get("category", ""), utcnow())
            if isinstance(result, Chosen):
                wake_engine()
                return twiml(_hold_in_queue(help_request, result.category.label(language)))
            if isinstance(result, Closed):
                return twiml(prompts.spoken(language, prompts.THANKS_FOR_CALLING))
        elif not digits and request.form.get("SpeechResult") is not None:
            spoken = _spoken_category(session, help_request)
            if spoken is not None:
                return twiml(_confirm_spoken(session, help_request, spoken, attempt))
        if attempt >= MENU_TRIES:
            caller.end_in_menu(session, help_request, utcnow(), outcome=RequestOutcome.NO_CHOICE)
            return twiml(prompts.spoken(language, "We could not get your choice. Please call "
                                        "again later. Goodbye."))
        response = VoiceResponse()
        if not digits:  # another key: not what they said, so simply the menu again
            prompts.say(response, language, _not_understood(digits))
        return twiml(main_menu(session, help_request, attempt + 1, greeting=False,
                               response=response))


def office() -> Office | None:
    """The coordinator's office, when a phone number for it is configured."""
    settings = current_exchange().config.office
    return (Office(settings.coordinator_phone, settings.hours) if settings.coordinator_phone
            else None)


def to_coordinator(session, help_request: HelpRequest, asked: ToCoordinator,
                   attempt: int) -> VoiceResponse:
    """Put the caller through to the coordinator, or tell them when the office is staffed."""
    response = VoiceResponse()
    language = help_request.language
    if asked.open:
        prompts.say(response, language, "One moment please, you are being put through to the "
                    "coordinator.")
        # With an action, whatever the office's phone does the caller hears something after.
        response.dial(asked.phone, caller_id=help_request.neighbourhood.exchange_number,
                      timeout=current_exchange().config.matching.ring_timeout_s,
                      action=url(urls.OFFICE_ENDED, **{"try": attempt}), method="POST")
        return response
    prompts.say(response, language, "The coordinator can be reached %(hours)s.",
                hours=spoken_hours(asked.hours, language))
    return main_menu(session, help_request, attempt, greeting=False, response=response)


def _hold_in_queue(help_request: HelpRequest, category: str | None,
                   retried: str | None = None) -> VoiceResponse:
    """Into the request's queue; ``category`` None puts a caller back after a wait that failed
    at ``retried`` (caller.failed_wait_tag)."""
    response = VoiceResponse()
    if category is None:
        prompts.say(response, help_request.language,
                    "We are still looking for a neighbour. Please stay on the line.")
    else:
        prompts.say(response, help_request.language, "You asked for help with %(category)s. "
                    "We are now calling neighbours who may be able to help. Please stay on the "
                    "line.", category=category)
    response.enqueue(
        help_request.queue_name,
        wait_url=url(urls.HOLD),
        wait_url_method="POST",
        action=url(urls.QUEUE_ENDED, **({"retried": retried} if retried else {})),
        method="POST",
    )
    return response


@blueprint.post(urls.HOLD)
@signed
def hold():
    """Hold music of sorts: a short message now and then; leave the queue once it is over.

    A volunteer who pressed 1 but hung up before the bridge leaves the caller here: then the
    search goes on instead of the caller waiting for ever.
    """
    reopened = False
    with current_exchange().db.session() as session:
        help_request = caller.request_for_call(session, form("CallSid"))
        _queue_seen(session, help_request)
        response = VoiceResponse()
        if help_request.state in (RequestState.UNMATCHED, RequestState.ABANDONED):
            response.leave()
            return twiml(response)
        if help_request.state == RequestState.MATCHED:
            reopened = volunteer.reopen_if_winner_left(session, help_request, utcnow())
            if not reopened:
                response.pause(length=1)  # the volunteer's call is about to bridge
                return twiml(response)
        language = help_request.language
    if reopened:
        wake_engine()
    response.pause(length=current_exchange().config.ivr.hold_message_every_s)
    prompts.say(response, language,
                "We are still looking for a neighbour. Please stay on the line.")
    return twiml(response)


def _queue_seen(session, help_request: HelpRequest) -> None:
    """The wait URL brings the queue's sid ("TwiML Voice: <Enqueue>", waitUrl parameters), so
    the engine can delete the queue even if the action never comes."""
    queues.seen(session, request.form.get("QueueSid"), help_request.queue_name, utcnow(),
                request_id=help_request.id)


# QueueResults that say the wait failed, not the caller ("TwiML Voice: <Enqueue>": error is an
# invalid <Enqueue> or a failing waitUrl, system-error a failure at the carrier).
FAILED_WAITS = ("error", "system-error")


@blueprint.post(urls.QUEUE_ENDED)
@signed
def queue_ended():
    services = current_exchange()
    result = request.form.get("QueueResult", "")
    with services.db.session() as session:
        help_request = caller.request_for_call(session, form("CallSid"))
        language = help_request.language
        on_hold = (help_request.state == RequestState.SEARCHING
                   or (help_request.state == RequestState.MATCHED
                       and help_request.callback_until is None))
        if result in FAILED_WAITS and on_hold:
            failed_at = caller.failed_wait_tag(session, help_request)
            if request.args.get("retried") != failed_at:
                log.warning("request %s: the wait in its queue failed (%s, %s); back on hold",
                            help_request.id, result, failed_at)
                return twiml(_hold_in_queue(help_request, None, retried=failed_at))
            log.error("request %s: the wait in its queue failed twice (%s)", help_request.id,
                      result)
        queues.wait_ended(session, request.form.get("QueueSid"), help_request.queue_name,
                          utcnow(), request_id=help_request.id)
        if result in FAILED_WAITS and on_hold:
            # The apology ends the call: the search, or a match made meanwhile, ends with it.
            caller.wait_failed(session, help_request, utcnow())
            wake_engine()
            return twiml(prompts.spoken(language, "Sorry, something went wrong on our side. "
                                        "Please call again in a few minutes. Goodbye."))
        if result == "bridged":
            return twiml(prompts.spoken(language, prompts.THANKS_FOR_CALLING))
        hung_up = result in caller.HUNG_UP_WAITING
        if hung_up or help_request.state in (RequestState.MENU, RequestState.SEARCHING):
            caller.caller_left(session, help_request, utcnow(), before_bridge=hung_up)
            wake_engine()
            if hung_up:
                return twiml(VoiceResponse())
        return twiml(_unmatched(help_request))


def _unmatched(help_request: HelpRequest) -> VoiceResponse:
    """Nobody could help now: say so kindly, and offer a call-back when we have a number."""
    language = help_request.language
    response = VoiceResponse()
    if help_request.outcome == RequestOutcome.NO_CANDIDATES:
        prompts.say(response, language, "We are sorry: right now there is no neighbour "
                    "available for this.")
    else:
        prompts.say(response, language, "We are sorry: no neighbour could take your request "
                    "right now.")
    if callbacks.can_offer(help_request):
        gather = response.gather(input="dtmf", num_digits=1, action=url(urls.CALLBACK_CHOICE),
                                 method="POST",
                                 timeout=prompts.gather_timeout_s(help_request.caller))
        prompts.say(gather, language, "Press 1 if you would like us to call you back as soon "
                    "as a neighbour can help.")
        prompts.say(gather, language, "Press star to hear this again.")
    return prompts.spoken(language, "Please try again later. Goodbye.", response)


@blueprint.post(urls.CALLBACK_CHOICE)
@signed
def callback_choice():
    services = current_exchange()
    with services.db.session() as session:
        help_request = caller.request_for_call(session, form("CallSid"))
        language = help_request.language
        digits = digits_pressed()
        if digits == caller.REPEAT_KEY:
            return twiml(_unmatched(help_request))
        if digits == "1" and callbacks.request_callback(
                session, help_request, utcnow(), services.config.callback.give_up_after_h):
            wake_engine()
            return twiml(prompts.spoken(language, "We will call you back on this number as soon "
                                        "as a neighbour can help. Goodbye."))
    return twiml(prompts.spoken(language, prompts.THANKS_FOR_CALLING))


@blueprint.post(urls.UNMATCHED)
@signed
def unmatched():
    with current_exchange().db.session() as session:
        help_request = caller.request_for_call(session, form("CallSid"))
        if help_request.state == RequestState.CALLBACK_DUE:
            # The engine's redirect came after the caller, out of the queue already, asked to
            # be called back: a REST redirect interrupts whatever the call was doing.
            return twiml(prompts.spoken(help_request.language, "We will call you back on this "
                                        "number as soon as a neighbour can help. Goodbye."))
        return twiml(_unmatched(help_request))


@blueprint.post(urls.CONNECTING)
@signed
def connecting():
    """Played to the waiting caller just before the volunteer is bridged in."""
    return twiml(prompts.spoken(language_of(HelpRequest, "request"),
                                "A neighbour is on the line for you now.", hang_up=False))


@blueprint.post(urls.CALLER_STATUS)
@signed
def caller_status():
    """Status callback of the inbound call: a hang-up in the menu or on hold ends the request."""
    services = current_exchange()
    if request.form.get("CallStatus") in ENDED:
        with services.db.session() as session:
            try:
                help_request = caller.request_for_call(session, form("CallSid"))
            except UnknownCall:
                return "", 204
            if caller.call_ended(session, help_request, utcnow()):
                wake_engine()
    return "", 204
