"""The caller's call to the coordinator's office (key 0) ended: a busy or unanswered office
gives the caller a word and the menu back, since without an action a <Dial> would just end
the call ("TwiML Voice: <Dial>")."""

from __future__ import annotations

from flask import request
from twilio.twiml.voice_response import VoiceResponse

from bhc.app import current_exchange
from bhc.calls import caller, urls
from bhc.calls.carrier import ENDED
from ivr import prompts
from ivr.blueprint import blueprint, dial_answered, form, tries, twiml
from ivr.caller_webhooks import main_menu
from ivr.signature import signed


@blueprint.post(urls.OFFICE_ENDED)
@signed
def office_ended():
    with current_exchange().db.session() as session:
        help_request = caller.request_for_call(session, form("CallSid"))
        language = help_request.language
        if dial_answered() or request.form.get("CallStatus") in ENDED:
            # Talked to the office, or hung up meanwhile (then nobody hears this).
            return twiml(prompts.spoken(language, prompts.THANKS_FOR_CALLING))
        caller.back_from_coordinator(session, help_request)
        response = VoiceResponse()
        prompts.say(response, language, "The coordinator cannot be reached right now.")
        return twiml(main_menu(session, help_request, attempt=tries(), greeting=False,
                               response=response))
