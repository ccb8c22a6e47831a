"""The call that reads a web sign-up's verification code aloud, so landlines can sign up too."""

from __future__ import annotations

from flask import abort, request
from twilio.twiml.voice_response import VoiceResponse

from bhc.app import current_exchange
from bhc.calls import urls
from bhc.calls.carrier import ENDED
from bhc.db import utcnow
from bhc.signups import services as signups
from ivr import prompts
from ivr.blueprint import blueprint, tries, twiml, url
from ivr.signature import signed

# How often a resident may press * to hear the code again in one call.
MAX_REPEATS = 5


def _sign_up_param() -> int:
    value = request.args.get("signup", type=int)
    if value is None:
        abort(400, "missing signup")
    return value


def _read_code(response: VoiceResponse, language: str, code: str, sign_up_id: int,
               attempt: int) -> VoiceResponse:
    """The code twice, digit by digit, then * to hear it again; silence ends the call."""
    digits = ", ".join(code)
    again = url(urls.VERIFY_CALL, signup=sign_up_id, **{"try": attempt + 1})
    gather = response.gather(input="dtmf", num_digits=1, action=again, method="POST",
                             timeout=current_exchange().config.ivr.gather_timeout_s)
    if attempt == 1:
        prompts.say(gather, language, "Hello, this is the neighbour help exchange with the code "
                    "for your sign-up on our website.")
    prompts.say(gather, language, "Your code is: %(digits)s.", digits=digits)
    gather.pause(length=1)
    prompts.say(gather, language, "Once more, your code is: %(digits)s.", digits=digits)
    prompts.say(gather, language, "Press star to hear the code again.")
    return prompts.spoken(language, "Please type the code on the web page. Goodbye.", response)


@blueprint.post(urls.VERIFY_CALL)
@signed
def verification_code():
    sign_up_id, attempt = _sign_up_param(), tries()
    with current_exchange().db.session() as session:
        language, code = signups.spoken_code(session, sign_up_id, signups.secret_of(
            current_exchange().config), utcnow())
    if code is None:
        return twiml(prompts.spoken(language, "This code is no longer needed: your sign-up has "
                                    "been confirmed, or the code has expired. Goodbye."))
    pressed = request.form.get("Digits", "")
    if attempt > 1 and (pressed != "*" or attempt > MAX_REPEATS + 1):
        return twiml(prompts.spoken(language, "Please type the code on the web page. Goodbye."))
    return twiml(_read_code(VoiceResponse(), language, code, sign_up_id, attempt))


@blueprint.post(urls.VERIFY_STATUS)
@signed
def verification_status():
    """How the call ended, so the page can say the number was busy or did not answer."""
    status = request.form.get("CallStatus", "")
    if status in ENDED:
        with current_exchange().db.session() as session:
            signups.call_ended(session, _sign_up_param(), request.form.get("CallSid", ""),
                               status)
    return "", 204
