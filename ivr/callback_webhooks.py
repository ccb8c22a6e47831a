"""Webhooks of the resident the exchange phones back once a volunteer waits for them."""

from __future__ import annotations

from flask import request
from twilio.twiml.voice_response import VoiceResponse

from bhc.app import current_exchange
from bhc.calls import callbacks, urls
from bhc.calls.carrier import ENDED
from bhc.calls.legs import is_machine
from bhc.calls.models import RequestOutcome
from bhc.db import utcnow
from ivr import prompts
from ivr.blueprint import (
    blueprint,
    dial_answered,
    digits_pressed,
    hang_up,
    request_param,
    tries,
    twiml,
    url,
    wake_engine,
)
from ivr.signature import signed
from ivr.volunteer_webhooks import DIAL_QUEUE_TIMEOUT_S, OFFER_TRIES

# The volunteer who took the call-back is no longer waiting for the resident.
_NEIGHBOUR_GONE = ("We are sorry: the neighbour who could help is no longer available. Please "
                   "call the exchange again. Goodbye.")


def _resident_offer(view: callbacks.ResidentView, request_id: int, attempt: int,
                    response: VoiceResponse | None = None) -> VoiceResponse:
    response = response or VoiceResponse()
    action = url(urls.RESIDENT_CHOICE, request=request_id, **{"try": attempt})
    gather = prompts.one_key_gather(
        response, action=action,
        timeout_s=prompts.gather_timeout_s(None, more_time=view.more_time))
    if attempt == 1:
        prompts.say(gather, view.language, "Hello, this is the neighbour help exchange of "
                    "%(neighbourhood)s, calling you back about %(category)s. A neighbour can "
                    "help you now.", neighbourhood=view.neighbourhood, category=view.category)
    prompts.say(gather, view.language, "Press 1 to speak with them. Press 2 if you no longer "
                "need help.")
    return response


@blueprint.post(urls.RESIDENT_ANSWER)
@signed
def resident_answer():
    request_id = request_param()
    services = current_exchange()
    with services.db.session() as session:
        view = callbacks.resident_answered(session, request_id)
        if is_machine(request.form.get("AnsweredBy")):
            if callbacks.fail(session, request_id, RequestOutcome.CALLBACK_UNREACHABLE, utcnow()):
                wake_engine()
            return hang_up()
    if not view.ready:
        return twiml(prompts.spoken(view.language, _NEIGHBOUR_GONE))
    return twiml(_resident_offer(view, request_id, attempt=1))


@blueprint.post(urls.RESIDENT_CHOICE)
@signed
def resident_choice():
    request_id, attempt = request_param(), tries()
    services = current_exchange()
    digits = digits_pressed()
    with services.db.session() as session:
        view = callbacks.resident_answered(session, request_id)
        if not view.ready:
            return twiml(prompts.spoken(view.language, _NEIGHBOUR_GONE))
        if digits == "1" and callbacks.resident_connects(session, request_id):
            response = VoiceResponse()
            prompts.say(response, view.language, "A neighbour is on the line for you now.")
            dial = response.dial(timeout=DIAL_QUEUE_TIMEOUT_S, method="POST",
                                 action=url(urls.RESIDENT_AFTER_BRIDGE, request=request_id))
            dial.queue(view.queue_name)
            return twiml(response)
        if digits == "2" or attempt >= OFFER_TRIES:
            if callbacks.fail(session, request_id, RequestOutcome.CALLBACK_DECLINED
                              if digits == "2" else RequestOutcome.CALLBACK_UNANSWERED,
                              utcnow()):
                wake_engine()
            return twiml(prompts.spoken(view.language, "Thank you. We have cancelled your "
                                        "request. Goodbye."))
    return twiml(_resident_offer(view, request_id, attempt + 1,
                                 prompts.not_understood(view.language, digits)))


@blueprint.post(urls.RESIDENT_AFTER_BRIDGE)
@signed
def resident_after_bridge():
    """The resident's <Dial> into the waiting volunteer's queue ended."""
    with current_exchange().db.session() as session:
        view = callbacks.resident_answered(session, request_param())
    if dial_answered():
        return twiml(prompts.spoken(view.language, prompts.THANKS_FOR_CALLING))
    # The volunteer left the hold just before: nobody came out of the queue.
    return twiml(prompts.spoken(view.language, _NEIGHBOUR_GONE))


@blueprint.post(urls.RESIDENT_STATUS)
@signed
def resident_status():
    """The call to the resident ended: unanswered, busy or hung up before pressing 1 means no
    match after all; the volunteer on hold is then told."""
    request_id = request_param()
    services = current_exchange()
    if request.form.get("CallStatus") in ENDED:
        with services.db.session() as session:
            if callbacks.fail(session, request_id, RequestOutcome.CALLBACK_UNREACHABLE, utcnow()):
                wake_engine()
    return "", 204

