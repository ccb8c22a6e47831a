"""Webhooks about calls rather than from a person's key: the verdicts of asynchronous machine
detection, and the numbers' voice fallback URL.

Twilio posts ``AnsweredBy`` to the ``AsyncAmdStatusCallback`` of a call once detection ends
("Answering Machine Detection"); a voicemail or a fax is hung up by the engine. The fallback
URL is fetched when the voice URL fails or takes longer than 15 s (error 11205, "Configure
your phone number's voice fallback URL"): it must work when little else does, so it reads
neither the database nor a recording.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from flask import request
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from bhc.app import current_exchange
from bhc.calls import callbacks, urls, volunteer
from bhc.db import utcnow
from bhc.followups import services as followups
from ivr import prompts
from ivr.blueprint import (
    answered_by,
    blueprint,
    follow_up_param,
    leg_param,
    request_param,
    twiml,
    wake_engine,
)
from ivr.signature import signed

log = logging.getLogger(__name__)


def _verdict_ending_call(record_verdict: Callable[[Session, int, str, datetime], bool],
                         ref_id: int) -> tuple[str, int]:
    """Record a machine verdict on a call the search waits for; the engine looks again when
    the verdict ended it."""
    with current_exchange().db.session() as session:
        ended = record_verdict(session, ref_id, answered_by(), utcnow())
    if ended:
        wake_engine()
    return "", 204


@blueprint.post(urls.VOLUNTEER_AMD)
@signed
def volunteer_machine_detected():
    return _verdict_ending_call(volunteer.machine_verdict, leg_param())


@blueprint.post(urls.RESIDENT_AMD)
@signed
def resident_machine_detected():
    return _verdict_ending_call(callbacks.machine_verdict, request_param())


@blueprint.post(urls.FOLLOWUP_AMD)
@signed
def follow_up_machine_detected():
    with current_exchange().db.session() as session:
        followups.machine_verdict(session, follow_up_param(), answered_by(), utcnow())
    wake_engine()
    return "", 204


@blueprint.post(urls.FALLBACK)
@signed
def voice_fallback():
    """The exchange could not answer a call in time: a short apology in the default language."""
    log.error("the carrier fell back on %s for a call (error %s at %s)", urls.FALLBACK,
              request.form.get("ErrorCode", "?"), request.form.get("ErrorUrl", "?"))
    language = current_exchange().config.ivr.default_language
    response = VoiceResponse()
    prompts.speak(response, language, "Sorry, because of a fault the neighbour help exchange "
                  "cannot take your call right now. Please call again later. Goodbye.")
    response.hangup()
    return twiml(response)
