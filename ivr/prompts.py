"""TwiML for what callers and volunteers hear, built with VoiceResponse from the catalogues."""

from __future__ import annotations

from twilio.twiml.voice_response import Gather, VoiceResponse

from bhc.i18n import available_languages, catalogue
from bhc.models import Category


def say(node: VoiceResponse | Gather, language: str, msgid: str, **values: object) -> None:
    cat = catalogue(language)
    node.say(cat.text(msgid, **values), language=cat.speech_language)


def spoken(language: str, msgid: str, response: VoiceResponse | None = None,
           **values: object) -> VoiceResponse:
    """Say one message and hang up (appended to ``response`` if given)."""
    response = response or VoiceResponse()
    say(response, language, msgid, **values)
    response.hangup()
    return response


def category_menu(
    response: VoiceResponse,
    *,
    language: str,
    neighbourhood: str,
    categories: list[Category],
    action: str,
    language_key: str,
    timeout_s: int,
    greeting: bool,
    offers_coordinator: bool = False,
) -> None:
    """Greeting (first time only), one key per category, the coordinator, the language key,
    and how to hear it all again.

    The offer of another language is spoken in that language, so those who need it understand it.
    """
    gather = response.gather(input="dtmf", num_digits=1, timeout=timeout_s, action=action,
                             method="POST")
    if greeting:
        say(gather, language, "Welcome to the neighbour help exchange of %(neighbourhood)s.",
            neighbourhood=neighbourhood)
    for category in categories:
        say(gather, language, "Press %(key)s for %(category)s.", key=category.key,
            category=category.label(language))
    if offers_coordinator:
        say(gather, language, "Press 0 to speak to the coordinator.")
    say(gather, language, "Press star to hear this again.")
    for other in available_languages():
        if other != language:
            say(gather, other, "For English, press %(key)s.", key=language_key)
            break
    response.redirect(action, method="POST")


def volunteer_offer(response: VoiceResponse, *, language: str, neighbourhood: str,
                    category: str, action: str, timeout_s: int, introduce: bool) -> None:
    gather = response.gather(input="dtmf", num_digits=1, timeout=timeout_s, action=action,
                             method="POST")
    if introduce:
        say(gather, language, "Hello, this is the neighbour help exchange of %(neighbourhood)s. "
            "A neighbour asks for help with %(category)s.", neighbourhood=neighbourhood,
            category=category)
    say(gather, language, "Press 1 to speak with them now. Press 2 if you cannot help this time.")
    say(gather, language, "Press 9 to pause calls for a week. Press 0 to stop being called.")
    response.redirect(action, method="POST")
