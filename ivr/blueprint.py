"""The IVR blueprint and what every webhook shares: TwiML out, form fields in, error handling.

Webhooks record what happened through the services in bhc, answer with TwiML and wake the
engine; none places a call or waits on the carrier, so they answer within milliseconds.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, g, request
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from bhc.app import current_exchange
from bhc.calls import urls
from bhc.calls.caller import UnknownCall
from bhc.calls.carrier import CallStatus
from bhc.i18n import DEFAULT_LANGUAGE
from ivr import prompts

log = logging.getLogger(__name__)
blueprint = Blueprint("ivr", __name__)
# How long a caller on hold waits in silence before we try again when a webhook failed.
OUTAGE_HOLD_PAUSE_S = 5


def twiml(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="text/xml")


def form(name: str) -> str:
    value = request.form.get(name)
    if value is None:
        abort(400, f"missing form field {name}")
    return value


def digits_pressed() -> str:
    """The key pressed for a <Gather>, "" for none (silence)."""
    return request.form.get("Digits", "").strip()


def answered_by() -> str:
    """Who answered an outbound call, as answering machine detection says ("" without it)."""
    return request.form.get("AnsweredBy", "")


def tries() -> int:
    try:
        return max(1, int(request.args.get("try", "1")))
    except ValueError:
        return 1


def dial_answered() -> bool:
    """Whether the <Dial> whose action this is reached the other side (its DialCallStatus)."""
    return request.form.get("DialCallStatus") in (CallStatus.COMPLETED, "answered")


def hang_up() -> Response:
    """TwiML that ends the call without a word: nobody (or a machine) is on the line."""
    response = VoiceResponse()
    response.hangup()
    return twiml(response)


def _queue_time_s() -> int:
    """How long the caller has waited in the queue, as the carrier reports it."""
    try:
        return int(request.form.get("QueueTime", "0"))
    except ValueError:
        return 0


def language_of(model: type, query_name: str) -> str:
    """The language of the row the url's query names (a <Queue> url's request or
    reconnection), the default once that row is gone."""
    with current_exchange().db.session() as session:
        row = session.get(model, request.args.get(query_name, type=int) or 0)
        return row.language if row else DEFAULT_LANGUAGE


def url(path: str, **query: object) -> str:
    return current_exchange().urls.url(path, **query)


def wake_engine() -> None:
    """Ask the engine to look again once this webhook's transaction is committed."""
    g.wake_engine = True


@blueprint.after_request
def _wake_after_commit(response: Response) -> Response:
    if g.pop("wake_engine", False):
        current_exchange().wake()
    return response


def _query_id(name: str) -> int:
    value = request.args.get(name, type=int)
    if value is None:
        abort(400, f"missing {name}")
    return value


def leg_param() -> int:
    return _query_id("leg")


def request_param() -> int:
    return _query_id("request")


def reconnection_param() -> int:
    return _query_id("reconnection")


def match_param() -> int:
    return _query_id("match")


def follow_up_param() -> int:
    return _query_id("followup")


@blueprint.errorhandler(UnknownCall)
def _unknown_call(_error):
    return twiml(prompts.spoken(DEFAULT_LANGUAGE, prompts.THANKS_FOR_CALLING))


@blueprint.errorhandler(Exception)
def _unexpected(error):
    """Whatever broke (the database gone for a moment, a bug), the person on the line hears a
    short apology instead of the carrier's 'application error'."""
    if isinstance(error, HTTPException):
        return error
    log.exception("webhook %s failed", request.path)
    max_wait_s = current_exchange().config.matching.max_wait_s
    if request.path == urls.HOLD and _queue_time_s() < max_wait_s:
        # A caller on hold stays in the queue through a short blip: the carrier fetches the
        # hold webhook again after the pause, and the search goes on once the database is back.
        response = VoiceResponse()
        response.pause(length=OUTAGE_HOLD_PAUSE_S)
        return twiml(response)
    return twiml(prompts.spoken(DEFAULT_LANGUAGE, "Sorry, something went wrong on our side. "
                                "Please call again in a few minutes. Goodbye."))

