"""Webhooks of the volunteer who is rung: the offer, their key, and the end of their call."""

from __future__ import annotations

from dataclasses import replace

from flask import request
from twilio.twiml.voice_response import VoiceResponse

from bhc.app import current_exchange
from bhc.calls import callbacks, queues, urls, volunteer
from bhc.calls.carrier import CallStatus
from bhc.calls.models import HelpRequest, RequestOutcome, RequestState
from bhc.calls.volunteer import OfferKind
from bhc.db import utcnow
from ivr import prompts
from ivr.blueprint import (
    answered_by,
    blueprint,
    dial_answered,
    form,
    hang_up,
    leg_param,
    tries,
    twiml,
    url,
    wake_engine,
)
from ivr.signature import signed

OFFER_TRIES = 2
EARLY_STATUSES = (CallStatus.QUEUED, CallStatus.INITIATED, CallStatus.RINGING)
# "If the queue is empty, Dial will wait until the next person joins the queue or until the
# <Dial> timeout" (<Queue> noun; 30 s by default, 5 at least): the caller waits in the queue
# already, so an empty queue means they just left, and the volunteer should hear so soon.
DIAL_QUEUE_TIMEOUT_S = 5


def _offer_response(view: volunteer.OfferView, leg_id: int, attempt: int,
                    response: VoiceResponse | None = None) -> VoiceResponse:
    response = response or VoiceResponse()
    if view.kind == OfferKind.OFFER:
        prompts.volunteer_offer(
            response, language=view.language, neighbourhood=view.neighbourhood,
            category=view.category, action=url(urls.OFFER_ANSWER, leg=leg_id, **{"try": attempt}),
            timeout_s=prompts.gather_timeout_s(None, more_time=view.more_time),
            introduce=attempt == 1,
        )
    elif view.kind == OfferKind.ACCEPTED:
        prompts.say(response, view.language,
                    "Thank you! Connecting you now.")
        dial = response.dial(action=url(urls.AFTER_BRIDGE, leg=leg_id), method="POST",
                             timeout=DIAL_QUEUE_TIMEOUT_S)
        dial.queue(view.queue_name, url=url(urls.CONNECTING, request=view.request_id),
                   method="POST")
    elif view.kind == OfferKind.ACCEPTED_CALLBACK:
        prompts.say(response, view.language, "Thank you! We are now phoning your neighbour. "
                    "Please stay on the line: you will be connected.")
        response.enqueue(view.queue_name, wait_url=url(urls.VOLUNTEER_HOLD, leg=leg_id),
                         wait_url_method="POST", action=url(urls.AFTER_BRIDGE, leg=leg_id),
                         method="POST")
    elif view.kind == OfferKind.DECLINED:
        prompts.spoken(view.language, "Thank you. We will ask another neighbour. Goodbye.",
                       response)
    elif view.kind == OfferKind.PAUSED:
        prompts.spoken(view.language, "You will not be called for a week. Thank you, and "
                       "goodbye.", response)
    elif view.kind == OfferKind.STOPPED:
        prompts.spoken(view.language, "You will not be called any more. To take part again, "
                       "please contact the coordinator. Goodbye.", response)
    elif view.kind == OfferKind.TAKEN:
        prompts.spoken(view.language, "Another neighbour has just taken this request. Thank you "
                       "for your willingness. Goodbye.", response)
    elif view.kind == OfferKind.CALLER_LEFT:
        prompts.spoken(view.language, "We are sorry: your neighbour has just hung up, before we "
                       "could put you through. Thank you for wanting to help. Goodbye.",
                       response)
    elif view.kind == OfferKind.WITHDRAWN:
        prompts.spoken(view.language, "The neighbour who asked for help is no longer on the "
                       "line. Thank you. Goodbye.", response)
    else:  # a machine, or a leg we do not know: leave no message
        response.hangup()
    return response


@blueprint.post(urls.OFFER)
@signed
def volunteer_offer():
    leg_id = leg_param()
    services = current_exchange()
    with services.db.session() as session:
        view = volunteer.offer(session, leg_id, answered_by(), utcnow())
    if view.kind != OfferKind.OFFER:
        wake_engine()
    return twiml(_offer_response(view, leg_id, attempt=1))


@blueprint.post(urls.OFFER_ANSWER)
@signed
def volunteer_answer():
    leg_id, attempt = leg_param(), tries()
    services = current_exchange()
    digits = request.form.get("Digits", "")
    with services.db.session() as session:
        if digits:
            view = volunteer.press(session, leg_id, digits, utcnow())
        else:
            view = volunteer.offer(session, leg_id, "", utcnow())
        if view.kind in (OfferKind.OFFER, OfferKind.INVALID):
            if attempt >= OFFER_TRIES:
                volunteer.no_key(session, leg_id, utcnow())
                wake_engine()
                return twiml(prompts.spoken(view.language, "We will ask another neighbour. "
                                            "Goodbye."))
            view = replace(view, kind=OfferKind.OFFER)
            return twiml(_offer_response(view, leg_id, attempt + 1,
                                         prompts.not_understood(view.language, digits)))
    wake_engine()
    return twiml(_offer_response(view, leg_id, attempt))


@blueprint.post(urls.CLOSED)
@signed
def volunteer_closed():
    """The engine moved an answered volunteer here: the request was taken or withdrawn."""
    leg_id = leg_param()
    with current_exchange().db.session() as session:
        view = volunteer.closed(session, leg_id)
    return twiml(_offer_response(view, leg_id, attempt=1))


@blueprint.post(urls.AFTER_BRIDGE)
@signed
def after_bridge():
    """After the volunteer's <Dial> (or, for a call-back, their wait on hold) ends."""
    leg_id = leg_param()
    services = current_exchange()
    with services.db.session() as session:
        view = volunteer.closed(session, leg_id)
        if view.request_id:  # the queue they dialled, or waited in for a call-back
            queues.wait_ended(session, request.form.get("QueueSid"), view.queue_name, utcnow(),
                              request_id=view.request_id)
        if request.form.get("QueueResult") == "hangup":
            # The volunteer hung up while we were phoning the resident back.
            if callbacks.fail(session, view.request_id, RequestOutcome.VOLUNTEER_LEFT, utcnow()):
                wake_engine()
            return hang_up()  # nobody is on the line any more
        if request.form.get("DialCallStatus") and not dial_answered():
            # Nobody in the queue to bridge with: the caller has just left it.
            view = volunteer.bridge_failed(session, leg_id, utcnow())
            wake_engine()
            return twiml(_offer_response(view, leg_id, attempt=1))
    if dial_answered() or request.form.get("QueueResult") == "bridged":
        return twiml(prompts.spoken(view.language, "Your call has ended. Thank you for helping "
                                    "your neighbour. Goodbye."))
    # A call-back's wait that came to nothing: the volunteer hears that, as when withdrawn.
    return twiml(_offer_response(replace(view, kind=OfferKind.WITHDRAWN), leg_id, attempt=1))


@blueprint.post(urls.VOLUNTEER_HOLD)
@signed
def volunteer_hold():
    """A volunteer on hold while the exchange phones the resident back."""
    leg_id = leg_param()
    with current_exchange().db.session() as session:
        view = volunteer.closed(session, leg_id)
        if view.request_id:
            queues.seen(session, request.form.get("QueueSid"), view.queue_name, utcnow(),
                        request_id=view.request_id)
        waiting = session.get(HelpRequest, view.request_id)
        response = VoiceResponse()
        if waiting is None or waiting.state != RequestState.MATCHED:
            response.leave()
            return twiml(response)
    response.pause(length=current_exchange().config.ivr.hold_message_every_s // 2 or 1)
    prompts.say(response, view.language, "We are still phoning your neighbour. Please stay on "
                "the line.")
    return twiml(response)



@blueprint.post(urls.VOLUNTEER_STATUS)
@signed
def volunteer_status():
    """Progress of a volunteer's call. Answered and ended matter to the search; of the earlier
    events only the first counts, once: the call left the carrier's calls-per-second queue, and
    its ring time starts (one small UPDATE that writes nothing for a repeated event)."""
    leg_id = leg_param()
    services = current_exchange()
    if form("CallStatus") in EARLY_STATUSES:
        if form("CallStatus") != CallStatus.QUEUED:
            with services.db.session() as session:
                volunteer.first_news(session, leg_id, utcnow())
        return "", 204
    with services.db.session() as session:
        ended = volunteer.status_changed(session, leg_id, form("CallStatus"),
                                      answered_by(), utcnow())
    if ended:
        wake_engine()
    return "", 204

