"""Webhooks of a follow-up call: was the asker helped, could the volunteer help.

Each question is one key (1 yes, 2 no); a wrong key or silence repeats it at most twice, then a
kind goodbye. Answers are recorded by bhc.followups, once each, whatever the carrier retries.
"""

from __future__ import annotations

from dataclasses import replace

from flask import request
from twilio.twiml.voice_response import VoiceResponse

from bhc.app import current_exchange
from bhc.calls import urls
from bhc.calls.carrier import CallStatus
from bhc.db import utcnow
from bhc.followups import services as followups
from ivr import prompts
from ivr.blueprint import answered_by, blueprint, digits_pressed, follow_up_param, tries, twiml, url
from ivr.signature import signed

QUESTION_TRIES = 3  # the question, then twice again after a wrong key or silence
EARLY_STATUSES = (CallStatus.QUEUED, CallStatus.INITIATED, CallStatus.RINGING,
                  CallStatus.IN_PROGRESS)


def _introduce(node, view: followups.Conversation) -> None:
    if view.side == followups.ASKER:
        prompts.say(node, view.language, "Hello, this is the neighbour help exchange of "
                    "%(neighbourhood)s. You recently asked for help with %(category)s and were "
                    "put through to a neighbour.", neighbourhood=view.neighbourhood,
                    category=view.category)
    else:
        prompts.say(node, view.language, "Hello, this is the neighbour help exchange of "
                    "%(neighbourhood)s. You were recently put through to a neighbour who asked "
                    "for help with %(category)s.", neighbourhood=view.neighbourhood,
                    category=view.category)


def _ask(node, view: followups.Conversation) -> None:
    if view.question == followups.HELPED:
        prompts.say(node, view.language, "Press 1 if you were helped, press 2 if you were not.")
    elif view.question == followups.CONTACT_AGAIN:
        prompts.say(node, view.language, "Press 1 if you would like to be in touch with this "
                    "neighbour again, press 2 if not.")
    else:
        prompts.say(node, view.language, "Press 1 if you could help, press 2 if you could not.")


def _respond(view: followups.Conversation, follow_up_id: int, attempt: int,
             response: VoiceResponse | None = None, introduce: bool = False) -> VoiceResponse:
    response = response or VoiceResponse()
    if view.kind == followups.ASK:
        action = url(urls.FOLLOWUP_KEY, followup=follow_up_id, question=view.question,
                     **{"try": attempt})
        gather = prompts.one_key_gather(response, action=action,
                                        timeout_s=current_exchange().config.ivr.gather_timeout_s)
        if introduce:
            _introduce(gather, view)
        _ask(gather, view)
    elif view.kind == followups.DONE:
        prompts.spoken(view.language, "Thank you for your answers. Goodbye.", response)
    elif view.kind == followups.CLOSED:
        prompts.spoken(view.language, "Thank you for your time. Goodbye.", response)
    else:  # a machine, or a follow-up we do not know: leave no message
        response.hangup()
    return response


@blueprint.post(urls.FOLLOWUP_ANSWER)
@signed
def followup_answer():
    """The person picked up the follow-up call."""
    follow_up_id = follow_up_param()
    with current_exchange().db.session() as session:
        view = followups.answered(session, follow_up_id, answered_by())
    return twiml(_respond(view, follow_up_id, attempt=1, introduce=True))


@blueprint.post(urls.FOLLOWUP_KEY)
@signed
def followup_key():
    """A key for one question, or silence."""
    follow_up_id, attempt = follow_up_param(), tries()
    digits = digits_pressed()
    with current_exchange().db.session() as session:
        view = followups.record(session, follow_up_id, request.args.get("question", ""),
                                digits, utcnow())
    if view.kind != followups.INVALID:
        return twiml(_respond(view, follow_up_id, attempt=1))
    if attempt >= QUESTION_TRIES:
        return twiml(prompts.spoken(view.language, "Thank you for your time. Goodbye."))
    return twiml(_respond(replace(view, kind=followups.ASK), follow_up_id, attempt + 1,
                          prompts.not_understood(view.language, digits)))


@blueprint.post(urls.FOLLOWUP_STATUS)
@signed
def followup_status():
    """Progress of a follow-up call; only its end matters (tried again later if not reached)."""
    status = request.form.get("CallStatus", "")
    if status in EARLY_STATUSES:
        return "", 204
    with current_exchange().db.session() as session:
        followups.call_ended(session, follow_up_param(), status,
                             answered_by(), utcnow())
    return "", 204
