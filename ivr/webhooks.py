"""Twilio webhooks: record what happened through the services, answer with TwiML, wake the engine.

No webhook places a call or waits on the carrier: they answer within milliseconds.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from flask import Blueprint, Response, abort, current_app, request
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from bhc import callbacks, calls, offers, urls
from bhc.calls import (
    BlockedCaller,
    Chosen,
    Closed,
    Invalid,
    LanguageSwitched,
    Repeat,
    ToCoordinator,
    TooManyRequests,
    UnknownCall,
    UnknownExchange,
)
from bhc.db import utcnow
from bhc.i18n import DEFAULT_LANGUAGE
from bhc.models import HelpRequest, RequestState
from bhc.neighbourhoods import menu
from bhc.office import Office, spoken_hours
from ivr import prompts
from ivr.signature import signed

log = logging.getLogger(__name__)
blueprint = Blueprint("ivr", __name__)

MENU_TRIES = 3  # the menu, then twice again after a wrong key or silence
NUMBER_TRIES = 2
OFFER_TRIES = 2


def twiml(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="text/xml")


def _services():
    return current_app.extensions["bhc"]


def _form(name: str) -> str:
    value = request.form.get(name)
    if value is None:
        abort(400, f"missing form field {name}")
    return value


def _try() -> int:
    try:
        return max(1, int(request.args.get("try", "1")))
    except ValueError:
        return 1


def _url(path: str, **query: object) -> str:
    return _services().urls.url(path, **query)


@blueprint.errorhandler(UnknownCall)
def _unknown_call(_error):
    return twiml(prompts.spoken(DEFAULT_LANGUAGE, "Thank you for calling the neighbour help "
                                "exchange. Goodbye."))


@blueprint.errorhandler(Exception)
def _unexpected(error):
    """Whatever broke (the database gone for a moment, a bug), the person on the line hears a
    short apology instead of the carrier's 'application error'."""
    if isinstance(error, HTTPException):
        return error
    log.exception("webhook %s failed", request.path)
    return twiml(prompts.spoken(DEFAULT_LANGUAGE, "Sorry, something went wrong on our side. "
                                "Please call again in a few minutes. Goodbye."))


# --- the resident who calls ---------------------------------------------------------------


@blueprint.post(urls.VOICE)
@signed
def voice():
    services = _services()
    with services.db.session() as session:
        try:
            help_request = calls.start_call(
                session, call_sid=_form("CallSid"), to=_form("To"),
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
        if calls.needs_callback_number(help_request):
            return twiml(_ask_number(help_request.language, attempt=1))
        return twiml(_menu(session, help_request, attempt=1, greeting=True))


def _ask_number(language: str, attempt: int,
                response: VoiceResponse | None = None) -> VoiceResponse:
    response = response or VoiceResponse()
    action = _url(urls.CALLER_NUMBER, **{"try": attempt})
    gather = response.gather(input="dtmf", timeout=10, finish_on_key="#", action=action,
                             method="POST")
    prompts.say(gather, language, "Your number is hidden. Please key in your phone number, "
                "followed by the hash key, so that we can call you back if needed.")
    response.redirect(action, method="POST")
    return response


def _menu(session, help_request: HelpRequest, attempt: int, greeting: bool,
          response: VoiceResponse | None = None) -> VoiceResponse:
    response = response or VoiceResponse()
    categories = menu(session, help_request.neighbourhood_id)
    if not categories:
        return prompts.spoken(help_request.language, "Sorry, the exchange is not taking "
                              "requests right now. Goodbye.")
    config = _services().config.ivr
    prompts.category_menu(
        response,
        language=help_request.language,
        neighbourhood=help_request.neighbourhood.name,
        categories=categories,
        action=_url(urls.MENU, **{"try": attempt}),
        language_key=config.english_key,
        timeout_s=config.gather_timeout_s,
        greeting=greeting,
        offers_coordinator=_office() is not None,
    )
    return response


@blueprint.post(urls.CALLER_NUMBER)
@signed
def caller_number():
    attempt = _try()
    with _services().db.session() as session:
        help_request = calls.request_for_call(session, _form("CallSid"))
        language = help_request.language
        if calls.set_callback_number(session, help_request, request.form.get("Digits", ""),
                                     utcnow()):
            return twiml(_menu(session, help_request, attempt=1, greeting=True))
        response = VoiceResponse()
        prompts.say(response, language, "That number was not recognised.")
        if attempt >= NUMBER_TRIES:
            prompts.say(response, language, "We will continue without your number.")
            return twiml(_menu(session, help_request, attempt=1, greeting=True,
                               response=response))
        return twiml(_ask_number(language, attempt + 1, response))


@blueprint.post(urls.MENU)
@signed
def menu_choice():
    services = _services()
    attempt = _try()
    digits = request.form.get("Digits", "")
    with services.db.session() as session:
        help_request = calls.request_for_call(session, _form("CallSid"))
        language = help_request.language
        now = utcnow()
        result = (
            calls.choose(session, help_request, digits, now, services.config.ivr.english_key,
                         services.config.ivr.default_language, office=_office())
            if digits else Invalid()
        )
        if isinstance(result, Chosen):
            response = _hold_in_queue(help_request, result.category.label(language))
            services.wake()
            return twiml(response)
        if isinstance(result, (LanguageSwitched, Repeat)):
            return twiml(_menu(session, help_request, attempt, greeting=False))
        if isinstance(result, ToCoordinator):
            return twiml(_to_coordinator(session, help_request, result, attempt))
        if isinstance(result, Closed):
            return twiml(prompts.spoken(language, "Thank you for calling the neighbour help "
                                        "exchange. Goodbye."))
        response = VoiceResponse()
        if attempt >= MENU_TRIES:
            calls.end_in_menu(session, help_request, now, outcome="no_choice")
            return twiml(prompts.spoken(language, "We could not get your choice. Please call "
                                        "again later. Goodbye."))
        prompts.say(response, language, "Sorry, that key is not in the menu." if digits
                    else "I did not hear a choice.")
        return twiml(_menu(session, help_request, attempt + 1, greeting=False,
                           response=response))


def _office() -> Office | None:
    office = _services().config.office
    return Office(office.coordinator_phone, office.hours) if office.coordinator_phone else None


def _to_coordinator(session, help_request: HelpRequest, office: ToCoordinator,
                    attempt: int) -> VoiceResponse:
    """Put the caller through to the coordinator, or tell them when the office is staffed."""
    response = VoiceResponse()
    language = help_request.language
    if office.open:
        prompts.say(response, language, "One moment please, you are being put through to the "
                    "coordinator.")
        exchange_number = help_request.neighbourhood.numbers[0].number
        response.dial(office.phone, caller_id=exchange_number)
        return response
    prompts.say(response, language, "The coordinator can be reached %(hours)s.",
                hours=spoken_hours(office.hours, language))
    return _menu(session, help_request, attempt, greeting=False, response=response)


def _hold_in_queue(help_request: HelpRequest, category: str) -> VoiceResponse:
    response = VoiceResponse()
    prompts.say(response, help_request.language, "You asked for help with %(category)s. We are "
                "now calling neighbours who may be able to help. Please stay on the line.",
                category=category)
    response.enqueue(
        help_request.queue_name,
        wait_url=_url(urls.HOLD),
        wait_url_method="POST",
        action=_url(urls.QUEUE_ENDED),
        method="POST",
    )
    return response


@blueprint.post(urls.HOLD)
@signed
def hold():
    """Hold music of sorts: a short message now and then; leave the queue once it is over."""
    with _services().db.session() as session:
        help_request = calls.request_for_call(session, _form("CallSid"))
        response = VoiceResponse()
        if help_request.state in (RequestState.UNMATCHED, RequestState.ABANDONED):
            response.leave()
        elif help_request.state == RequestState.MATCHED:
            response.pause(length=1)  # the volunteer's call is about to bridge
        else:
            response.pause(length=_services().config.ivr.hold_message_every_s)
            prompts.say(response, help_request.language,
                        "We are still looking for a neighbour. Please stay on the line.")
        return twiml(response)


@blueprint.post(urls.QUEUE_ENDED)
@signed
def queue_ended():
    services = _services()
    result = request.form.get("QueueResult", "")
    with services.db.session() as session:
        help_request = calls.request_for_call(session, _form("CallSid"))
        language = help_request.language
        if result == "bridged":
            return twiml(prompts.spoken(language, "Thank you for calling the neighbour help "
                                        "exchange. Goodbye."))
        if result == "hangup" or help_request.state in (RequestState.MENU,
                                                        RequestState.SEARCHING):
            calls.caller_left(session, help_request, utcnow())
            services.wake()
            if result == "hangup":
                return twiml(VoiceResponse())
        return twiml(_unmatched(help_request))


def _unmatched(help_request: HelpRequest) -> VoiceResponse:
    """Nobody could help now: say so kindly, and offer a call-back when we have a number."""
    language = help_request.language
    response = VoiceResponse()
    if help_request.outcome == "no_candidates":
        prompts.say(response, language, "We are sorry: right now there is no neighbour "
                    "available for this.")
    else:
        prompts.say(response, language, "We are sorry: no neighbour could take your request "
                    "right now.")
    if callbacks.can_offer(help_request):
        gather = response.gather(input="dtmf", num_digits=1, action=_url(urls.CALLBACK_CHOICE),
                                 method="POST", timeout=_services().config.ivr.gather_timeout_s)
        prompts.say(gather, language, "Press 1 if you would like us to call you back as soon "
                    "as a neighbour can help.")
    return prompts.spoken(language, "Please try again later. Goodbye.", response)


@blueprint.post(urls.CALLBACK_CHOICE)
@signed
def callback_choice():
    services = _services()
    with services.db.session() as session:
        help_request = calls.request_for_call(session, _form("CallSid"))
        language = help_request.language
        if request.form.get("Digits", "").strip() == "1" and callbacks.request_callback(
                session, help_request, utcnow(), services.config.callback.give_up_after_h):
            services.wake()
            return twiml(prompts.spoken(language, "We will call you back on this number as soon "
                                        "as a neighbour can help. Goodbye."))
    return twiml(prompts.spoken(language, "Thank you for calling the neighbour help exchange. "
                                "Goodbye."))


@blueprint.post(urls.UNMATCHED)
@signed
def unmatched():
    with _services().db.session() as session:
        return twiml(_unmatched(calls.request_for_call(session, _form("CallSid"))))


@blueprint.post(urls.CONNECTING)
@signed
def connecting():
    """Played to the waiting caller just before the volunteer is bridged in."""
    with _services().db.session() as session:
        help_request = session.get(HelpRequest, request.args.get("request", type=int) or 0)
        language = help_request.language if help_request else DEFAULT_LANGUAGE
    response = VoiceResponse()
    prompts.say(response, language, "A neighbour is on the line for you now.")
    return twiml(response)


@blueprint.post(urls.CALLER_STATUS)
@signed
def caller_status():
    """Status callback of the inbound call: a hang-up in the menu or on hold ends the request."""
    services = _services()
    if request.form.get("CallStatus") in ("completed", "busy", "failed", "no-answer", "canceled"):
        with services.db.session() as session:
            try:
                help_request = calls.request_for_call(session, _form("CallSid"))
            except UnknownCall:
                return "", 204
            if calls.caller_left(session, help_request, utcnow()):
                services.wake()
    return "", 204


# --- the volunteer who is rung ---------------------------------------------------------------


def _leg_id() -> int:
    leg_id = request.args.get("leg", type=int)
    if leg_id is None:
        abort(400, "missing leg")
    return leg_id


def _offer_response(view: offers.OfferView, leg_id: int, attempt: int,
                    response: VoiceResponse | None = None) -> VoiceResponse:
    response = response or VoiceResponse()
    if view.kind == offers.OFFER:
        prompts.volunteer_offer(
            response, language=view.language, neighbourhood=view.neighbourhood,
            category=view.category, action=_url(urls.OFFER_ANSWER, leg=leg_id, **{"try": attempt}),
            timeout_s=_services().config.ivr.gather_timeout_s, introduce=attempt == 1,
        )
    elif view.kind == offers.ACCEPTED:
        prompts.say(response, view.language,
                    "Thank you! You are now connected with your neighbour.")
        dial = response.dial(action=_url(urls.AFTER_BRIDGE, leg=leg_id), method="POST")
        dial.queue(view.queue_name, url=_url(urls.CONNECTING, request=view.request_id),
                   method="POST")
    elif view.kind == offers.ACCEPTED_CALLBACK:
        prompts.say(response, view.language, "Thank you! We are now phoning your neighbour. "
                    "Please stay on the line: you will be connected.")
        response.enqueue(view.queue_name, wait_url=_url(urls.VOLUNTEER_HOLD, leg=leg_id),
                         wait_url_method="POST", action=_url(urls.AFTER_BRIDGE, leg=leg_id),
                         method="POST")
    elif view.kind == offers.DECLINED:
        prompts.spoken(view.language, "Thank you. We will ask another neighbour. Goodbye.",
                       response)
    elif view.kind == offers.PAUSED:
        prompts.spoken(view.language, "You will not be called for a week. Thank you, and "
                       "goodbye.", response)
    elif view.kind == offers.STOPPED:
        prompts.spoken(view.language, "You will not be called any more. To take part again, "
                       "please contact the coordinator. Goodbye.", response)
    elif view.kind == offers.TAKEN:
        prompts.spoken(view.language, "Another neighbour has just taken this request. Thank you "
                       "for your willingness. Goodbye.", response)
    elif view.kind == offers.WITHDRAWN:
        prompts.spoken(view.language, "The neighbour who asked for help is no longer on the "
                       "line. Thank you. Goodbye.", response)
    else:  # a machine, or a leg we do not know: leave no message
        response.hangup()
    return response


@blueprint.post(urls.OFFER)
@signed
def volunteer_offer():
    leg_id = _leg_id()
    services = _services()
    with services.db.session() as session:
        view = offers.offer(session, leg_id, request.form.get("AnsweredBy", ""), utcnow())
    if view.kind != offers.OFFER:
        services.wake()
    return twiml(_offer_response(view, leg_id, attempt=1))


@blueprint.post(urls.OFFER_ANSWER)
@signed
def volunteer_answer():
    leg_id, attempt = _leg_id(), _try()
    services = _services()
    digits = request.form.get("Digits", "")
    with services.db.session() as session:
        if digits:
            view = offers.press(session, leg_id, digits, utcnow())
        else:
            view = offers.offer(session, leg_id, "", utcnow())
        if view.kind in (offers.OFFER, offers.INVALID):
            response = VoiceResponse()
            if attempt >= OFFER_TRIES:
                offers.no_key(session, leg_id, utcnow())
                services.wake()
                return twiml(prompts.spoken(view.language, "We will ask another neighbour. "
                                            "Goodbye."))
            prompts.say(response, view.language, "That key does not work here." if digits
                        else "I did not hear a key.")
            view = replace(view, kind=offers.OFFER)
            return twiml(_offer_response(view, leg_id, attempt + 1, response))
    services.wake()
    return twiml(_offer_response(view, leg_id, attempt))


@blueprint.post(urls.CLOSED)
@signed
def volunteer_closed():
    """The engine moved an answered volunteer here: the request was taken or withdrawn."""
    leg_id = _leg_id()
    with _services().db.session() as session:
        view = offers.closed(session, leg_id)
    return twiml(_offer_response(view, leg_id, attempt=1))


@blueprint.post(urls.AFTER_BRIDGE)
@signed
def after_bridge():
    """After the volunteer's <Dial> (or, for a call-back, their wait on hold) ends."""
    leg_id = _leg_id()
    services = _services()
    with services.db.session() as session:
        view = offers.closed(session, leg_id)
        if request.form.get("QueueResult") == "hangup":
            # The volunteer hung up while we were phoning the resident back.
            if callbacks.fail(session, view.request_id, "volunteer_left", utcnow()):
                services.wake()
            return twiml(VoiceResponse())
    if (request.form.get("DialCallStatus") in ("completed", "answered")
            or request.form.get("QueueResult") == "bridged"):
        return twiml(prompts.spoken(view.language, "Your call has ended. Thank you for helping "
                                    "your neighbour. Goodbye."))
    # The caller left just before the bridge: the volunteer hears that, as when withdrawn.
    return twiml(_offer_response(replace(view, kind=offers.WITHDRAWN), leg_id, attempt=1))


@blueprint.post(urls.VOLUNTEER_HOLD)
@signed
def volunteer_hold():
    """A volunteer on hold while the exchange phones the resident back."""
    leg_id = _leg_id()
    with _services().db.session() as session:
        view = offers.closed(session, leg_id)
        waiting = session.get(HelpRequest, view.request_id)
        response = VoiceResponse()
        if waiting is None or waiting.state != RequestState.MATCHED:
            response.leave()
            return twiml(response)
    response.pause(length=_services().config.ivr.hold_message_every_s // 2 or 1)
    prompts.say(response, view.language, "We are still phoning your neighbour. Please stay on "
                "the line.")
    return twiml(response)


# --- the resident phoned back ----------------------------------------------------------------


def _request_id() -> int:
    request_id = request.args.get("request", type=int)
    if request_id is None:
        abort(400, "missing request")
    return request_id


def _resident_offer(view: callbacks.ResidentView, request_id: int, attempt: int,
                    response: VoiceResponse | None = None) -> VoiceResponse:
    response = response or VoiceResponse()
    action = _url(urls.RESIDENT_CHOICE, request=request_id, **{"try": attempt})
    gather = response.gather(input="dtmf", num_digits=1, action=action, method="POST",
                             timeout=_services().config.ivr.gather_timeout_s)
    if attempt == 1:
        prompts.say(gather, view.language, "Hello, this is the neighbour help exchange of "
                    "%(neighbourhood)s, calling you back about %(category)s. A neighbour can "
                    "help you now.", neighbourhood=view.neighbourhood, category=view.category)
    prompts.say(gather, view.language, "Press 1 to speak with them. Press 2 if you no longer "
                "need help.")
    response.redirect(action, method="POST")
    return response


@blueprint.post(urls.RESIDENT_ANSWER)
@signed
def resident_answer():
    request_id = _request_id()
    services = _services()
    with services.db.session() as session:
        view = callbacks.resident_answered(session, request_id)
        if request.form.get("AnsweredBy", "").startswith("machine"):
            if callbacks.fail(session, request_id, "callback_unreachable", utcnow()):
                services.wake()
            response = VoiceResponse()
            response.hangup()
            return twiml(response)
    if not view.ready:
        return twiml(prompts.spoken(view.language, "We are sorry: the neighbour who could help "
                                    "is no longer available. Please call the exchange again. "
                                    "Goodbye."))
    return twiml(_resident_offer(view, request_id, attempt=1))


@blueprint.post(urls.RESIDENT_CHOICE)
@signed
def resident_choice():
    request_id, attempt = _request_id(), _try()
    services = _services()
    digits = request.form.get("Digits", "").strip()
    with services.db.session() as session:
        view = callbacks.resident_answered(session, request_id)
        if not view.ready:
            return twiml(prompts.spoken(view.language, "We are sorry: the neighbour who could "
                                        "help is no longer available. Please call the exchange "
                                        "again. Goodbye."))
        if digits == "1" and callbacks.resident_connects(session, request_id):
            response = VoiceResponse()
            prompts.say(response, view.language, "A neighbour is on the line for you now.")
            dial = response.dial()
            dial.queue(view.queue_name)
            prompts.spoken(view.language, "Thank you for calling the neighbour help exchange. "
                           "Goodbye.", response)
            return twiml(response)
        if digits == "2" or attempt >= OFFER_TRIES:
            if callbacks.fail(session, request_id, "callback_declined" if digits == "2"
                              else "callback_unanswered", utcnow()):
                services.wake()
            return twiml(prompts.spoken(view.language, "Thank you. We have cancelled your "
                                        "request. Goodbye."))
    response = VoiceResponse()
    prompts.say(response, view.language, "That key does not work here." if digits
                else "I did not hear a key.")
    return twiml(_resident_offer(view, request_id, attempt + 1, response))


@blueprint.post(urls.RESIDENT_STATUS)
@signed
def resident_status():
    """The call to the resident ended: unanswered, busy or hung up before pressing 1 means no
    match after all; the volunteer on hold is then told."""
    request_id = _request_id()
    services = _services()
    if request.form.get("CallStatus") in ("completed", "busy", "failed", "no-answer", "canceled"):
        with services.db.session() as session:
            if callbacks.fail(session, request_id, "callback_unreachable", utcnow()):
                services.wake()
    return "", 204


@blueprint.post(urls.VOLUNTEER_STATUS)
@signed
def volunteer_status():
    leg_id = _leg_id()
    services = _services()
    with services.db.session() as session:
        ended = offers.status_changed(session, leg_id, _form("CallStatus"),
                                      request.form.get("AnsweredBy", ""), utcnow())
    if ended:
        services.wake()
    return "", 204
