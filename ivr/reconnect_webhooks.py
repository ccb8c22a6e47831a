"""Webhooks of a reconnection: the caller who asked to be put through again to the neighbour
of a match (their key after the offer, their wait on hold), and that neighbour, whom the
engine phones (the question, their key, their call's end). No TwiML here names a number."""

from __future__ import annotations

from flask import request
from twilio.twiml.voice_response import VoiceResponse

from bhc.app import current_exchange
from bhc.calls import caller, queues, reconnections, urls
from bhc.calls.carrier import ENDED
from bhc.calls.models import Reconnection, ReconnectionOutcome, ReconnectionState
from bhc.calls.reconnections import Heard, OtherSide
from bhc.db import utcnow
from ivr import prompts
from ivr.blueprint import (
    answered_by,
    blueprint,
    dial_answered,
    digits_pressed,
    form,
    language_of,
    match_param,
    reconnection_param,
    tries,
    twiml,
    url,
    wake_engine,
)
from ivr.caller_webhooks import main_menu
from ivr.signature import signed
from ivr.volunteer_webhooks import OFFER_TRIES

# How often the one on hold hears that we are still phoning (at most): the wait is one ring.
HOLD_PAUSE_S = 5
# How long the neighbour's <Dial><Queue> waits for the one who asked: "<Dial> ... timeout"
# (https://www.twilio.com/docs/voice/twiml/dial#timeout, 30 s by default); they wait already,
# so an empty queue means they just left.
DIAL_TIMEOUT_S = 10


def _refusal(outcome: str | None) -> str:
    """What the one who asked hears when their neighbour is not put through, kindly."""
    if outcome in (ReconnectionOutcome.NOT_NOW, ReconnectionOutcome.STOPPED):
        return "We are sorry: your neighbour cannot be called at this time."
    return "We are sorry: your neighbour cannot come to the phone right now."


@blueprint.post(urls.RECONNECT_CHOICE)
@signed
def reconnect_choice():
    """The key after the offer: 1 waits on hold while we phone the neighbour; 2, another key
    or silence is the menu."""
    services = current_exchange()
    match_id, digits = match_param(), digits_pressed()
    with services.db.session() as session:
        help_request = caller.request_for_call(session, form("CallSid"))
        language = help_request.language
        row = (reconnections.ask(session, help_request, match_id, utcnow(),
                                 services.config.matching.quiet_hours)
               if digits == "1" else None)
        if row is None:
            return twiml(main_menu(session, help_request, attempt=1, greeting=True))
        response = VoiceResponse()
        if row.state == ReconnectionState.NOT_CONNECTED:
            prompts.say(response, language, _refusal(row.outcome))
            return twiml(main_menu(session, help_request, attempt=1, greeting=True,
                                   response=response))
        prompts.say(response, language, "One moment please: we are phoning your neighbour. "
                    "Please stay on the line.")
        response.enqueue(row.queue_name,
                         wait_url=url(urls.RECONNECT_HOLD, reconnection=row.id),
                         wait_url_method="POST",
                         action=url(urls.RECONNECT_WAITED, reconnection=row.id), method="POST")
    wake_engine()
    return twiml(response)


@blueprint.post(urls.RECONNECT_HOLD)
@signed
def reconnect_hold():
    """The wait URL while the neighbour is phoned: leave the queue once that came to nothing."""
    with current_exchange().db.session() as session:
        row = session.get(Reconnection, reconnection_param())
        if row is not None:  # the wait URL brings the queue's sid (see bhc.calls.queues)
            queues.seen(session, request.form.get("QueueSid"), row.queue_name, utcnow(),
                        reconnection_id=row.id)
        response = VoiceResponse()
        if row is None or row.state == ReconnectionState.NOT_CONNECTED:
            response.leave()
            return twiml(response)
        if row.state == ReconnectionState.CONNECTED:
            response.pause(length=1)  # the neighbour's <Dial> is about to bridge
            return twiml(response)
        language = row.language
    response.pause(length=min(HOLD_PAUSE_S, current_exchange().config.ivr.hold_message_every_s))
    prompts.say(response, language, "We are still phoning your neighbour. Please stay on the "
                "line.")
    return twiml(response)


@blueprint.post(urls.RECONNECT_WAITED)
@signed
def reconnect_waited():
    """The <Enqueue> action: after the talk a goodbye; a hang-up stops the call to the
    neighbour; otherwise they were not put through: say so, and the menu."""
    reconnection_id, result = reconnection_param(), request.form.get("QueueResult", "")
    now = utcnow()
    with current_exchange().db.session() as session:
        help_request = caller.request_for_call(session, form("CallSid"))
        language = help_request.language
        waited = session.get(Reconnection, reconnection_id)
        if waited is not None:
            queues.wait_ended(session, request.form.get("QueueSid"), waited.queue_name, now,
                              reconnection_id=waited.id)
        if result == "bridged":
            return twiml(prompts.spoken(language, prompts.THANKS_FOR_CALLING))
        if result == "hangup":
            if reconnections.asker_left(session, reconnection_id, now):
                wake_engine()
            return twiml(VoiceResponse())
        reconnections.interrupted(session, reconnection_id, now)
        row = session.get(Reconnection, reconnection_id)
        response = VoiceResponse()
        prompts.say(response, language, _refusal(row.outcome if row else None))
        return twiml(main_menu(session, help_request, attempt=1, greeting=True,
                               response=response))


@blueprint.post(urls.RECONNECT_CONNECTING)
@signed
def reconnect_connecting():
    """Played to the one who asked as the neighbour is bridged in (the <Queue> url)."""
    return twiml(prompts.spoken(language_of(Reconnection, "reconnection"),
                                "Your neighbour is on the line now.", hang_up=False))


def _to_other(view: OtherSide, reconnection_id: int, attempt: int,
              response: VoiceResponse | None = None) -> VoiceResponse:
    """What the neighbour the engine phoned hears next."""
    response = response or VoiceResponse()
    language = view.language
    if view.kind == Heard.ASK:
        action = url(urls.RECONNECT_KEY, reconnection=reconnection_id, **{"try": attempt})
        gather = prompts.one_key_gather(
            response, action=action,
            timeout_s=prompts.gather_timeout_s(None, more_time=view.more_time))
        if attempt == 1:
            prompts.say(gather, language, "Hello, this is the neighbour help exchange of "
                        "%(neighbourhood)s.", neighbourhood=view.neighbourhood)
        prompts.say(gather, language, "The neighbour you spoke to today about %(category)s "
                    "would like to speak to you again. Press 1 to be put through.",
                    category=view.category)
        prompts.say(gather, language, "Press 2 if it does not suit you now.")
    elif view.kind == Heard.CONNECT:
        prompts.say(response, language, "Thank you! Connecting you now.")
        dial = response.dial(action=url(urls.RECONNECT_AFTER, reconnection=reconnection_id),
                             method="POST", timeout=DIAL_TIMEOUT_S)
        dial.queue(view.queue_name,
                   url=url(urls.RECONNECT_CONNECTING, reconnection=reconnection_id),
                   method="POST")
    elif view.kind == Heard.DECLINED:
        prompts.spoken(language, "Thank you. We will let your neighbour know. Goodbye.",
                       response)
    elif view.kind == Heard.GONE:
        prompts.spoken(language, "Your neighbour is no longer on the line. Thank you. "
                       "Goodbye.", response)
    else:  # a machine: leave no message
        response.hangup()
    return response


@blueprint.post(urls.RECONNECT_ANSWER)
@signed
def reconnect_answer():
    reconnection_id = reconnection_param()
    with current_exchange().db.session() as session:
        view = reconnections.other_answered(session, reconnection_id,
                                            answered_by(), utcnow())
    return twiml(_to_other(view, reconnection_id, attempt=1))


@blueprint.post(urls.RECONNECT_KEY)
@signed
def reconnect_key():
    reconnection_id, attempt = reconnection_param(), tries()
    digits = digits_pressed()
    now = utcnow()
    with current_exchange().db.session() as session:
        view = reconnections.other_pressed(session, reconnection_id, digits, now)
        if view.kind != Heard.ASK:
            return twiml(_to_other(view, reconnection_id, attempt))
        if attempt >= OFFER_TRIES:
            reconnections.other_gave_no_key(session, reconnection_id, now)
            return twiml(prompts.spoken(view.language, "Thank you. We will let your neighbour "
                                        "know. Goodbye."))
    return twiml(_to_other(view, reconnection_id, attempt + 1,
                           prompts.not_understood(view.language, digits)))


@blueprint.post(urls.RECONNECT_AFTER)
@signed
def reconnect_after():
    """The neighbour's <Dial> ended: after the talk, or the one who asked had just left."""
    with current_exchange().db.session() as session:
        language = reconnections.other_side(session, reconnection_param()).language
    if dial_answered():
        return twiml(prompts.spoken(language, "Your call has ended. Goodbye."))
    return twiml(prompts.spoken(language, "Your neighbour is no longer on the line. Thank you. "
                                "Goodbye."))


@blueprint.post(urls.RECONNECT_STATUS)
@signed
def reconnect_status():
    """The call to the neighbour ended: not reached, or they hung up before pressing 1."""
    if request.form.get("CallStatus") in ENDED:
        with current_exchange().db.session() as session:
            reconnections.other_call_ended(session, reconnection_param(), utcnow())
    return "", 204
