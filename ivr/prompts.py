"""TwiML for what callers and volunteers hear, built with VoiceResponse from the catalogues.

Every message goes through ``say``: it plays the coordinators' recording of the message in that
language where one exists, and otherwise speaks the text with the language's configured voice.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from flask import has_app_context
from twilio.twiml.voice_response import Gather, VoiceResponse

from bhc.app import current_exchange
from bhc.calls import spoken_choice, urls
from bhc.calls.caller import MenuKeys
from bhc.i18n import catalogue
from bhc.neighbourhoods.models import Category
from bhc.neighbourhoods.office import spoken_date
from bhc.people.models import Participant
from bhc.people.self_service import Status
from bhc.prompts import recordings

# What the key of the caller's own details does, by who is calling (see bhc.self_service).
OWN_DETAILS = "Press %(key)s for your own details."
RESUME = "You are not being called at the moment. Press %(key)s to be called again."
SIGN_UP = "Press %(key)s if you would like a coordinator to call you back to sign up."
# How a call ends that went as it should (or whose caller has gone already).
THANKS_FOR_CALLING = "Thank you for calling the neighbour help exchange. Goodbye."


def say(node: VoiceResponse | Gather, language: str, msgid: str, **values: object) -> None:
    """One message: its recording if there is one (fixed messages only), else the text."""
    exchange = current_exchange() if has_app_context() else None
    if exchange is not None and not values:
        recording = recordings.index(exchange.db).of(language).get(
            recordings.message_key(msgid))
        if recording is not None:
            node.play(exchange.urls.url(f"{urls.AUDIO}/{recording.file_name}"))
            return
    speak(node, language, msgid, **values)


def not_understood(language: str, digits: str) -> VoiceResponse:
    """A response that starts a question asked again: the key pressed does nothing here, or
    none came."""
    response = VoiceResponse()
    say(response, language, "That key does not work here." if digits else "I did not hear a key.")
    return response


def speak(node: VoiceResponse | Gather, language: str, msgid: str, **values: object) -> None:
    """One message spoken with the language's voice, never a recording (no database), at the
    language's speaking rate where the voice takes SSML."""
    exchange = current_exchange() if has_app_context() else None
    text = catalogue(language).text(msgid, **values)
    speech = {"language": speech_language(language)}
    rate = 100
    if exchange is not None:
        ivr = exchange.config.ivr
        if ivr.voices.get(language):
            speech["voice"] = ivr.voices[language]
            rate = ivr.rate_for(language) if takes_ssml(ivr.voices[language]) else 100
    if rate == 100:
        node.say(text, **speech)
    else:
        node.say(**speech).prosody(text, rate=f"{rate}%")


def speech_language(language: str) -> str:
    """The BCP-47 tag a language is spoken and heard in (Say and Gather ``language``)."""
    exchange = current_exchange() if has_app_context() else None
    configured = exchange.config.ivr.speech_languages.get(language) if exchange else None
    return configured or catalogue(language).speech_language


def takes_ssml(voice: str) -> bool:
    """Whether Twilio reads SSML such as <prosody rate> for this voice: only its Amazon Polly
    and Google voices do. "Basic voices do not support SSML, so <prosody> is not available",
    and unsupported SSML can make the <Say> fail (Twilio, error 13513 "Say: Invalid rate
    value"; "TwiML Voice: <Say>", https://www.twilio.com/docs/voice/twiml/say). Without a
    configured voice the account's default speaks, which may be a Basic one: no SSML then."""
    return voice.startswith(("Polly.", "Google."))


def spoken(language: str, msgid: str, response: VoiceResponse | None = None,
           hang_up: bool = True, **values: object) -> VoiceResponse:
    """Say one message and hang up (appended to ``response`` if given); without hang_up, for
    TwiML after which the carrier goes on (a <Queue> url before the bridge)."""
    response = response or VoiceResponse()
    say(response, language, msgid, **values)
    if hang_up:
        response.hangup()
    return response


def _key_name(language: str, key: str) -> str:
    return catalogue(language).text("hash") if key == "#" else key


# Seconds of silence after speech that end what the caller says. A number rather than
# "auto": Twilio refuses "auto" with its default speech model (warning 13335).
SPEECH_TIMEOUT_S = 2


def one_key_gather(response: VoiceResponse, *, action: str, timeout_s: int,
                   keys: Collection[str] = (), listen: Listening | None = None) -> Gather:
    """A question answered with one key, the prompts to go inside the returned Gather; silence
    fetches the same action without a key (the webhook counts the tries)."""
    # With # among the keys, it must be a key and not "done" (finishOnKey="" switches that off).
    extra = {"finish_on_key": ""} if "#" in keys else {}
    if listen is not None:
        # "TwiML Voice: <Gather>" (https://www.twilio.com/docs/voice/twiml/gather): input
        # "dtmf speech" takes keys or words; the action then gets Digits, or SpeechResult and
        # Confidence; language is the BCP-47 tag of what the caller speaks (default en-US);
        # hints are "words, phrases" the caller is likely to say; speechTimeout the silence
        # that ends the speech (default: timeout).
        extra.update(input="dtmf speech", language=listen.language, hints=listen.hints,
                     speech_timeout=SPEECH_TIMEOUT_S)
    else:
        extra["input"] = "dtmf"
    gather = response.gather(num_digits=1, timeout=timeout_s, action=action, method="POST",
                             **extra)
    response.redirect(action, method="POST")  # after the Gather, whatever goes inside it
    return gather


@dataclass(frozen=True)
class Listening:
    """A menu that also listens for speech: in which language, and for which words."""

    language: str
    hints: str

    @classmethod
    def for_menu(cls, categories: list[Category], language: str) -> Listening:
        return cls(speech_language(language), spoken_choice.hints(categories, language))


def category_menu(
    response: VoiceResponse,
    *,
    language: str,
    neighbourhood: str,
    categories: list[Category],
    keys: MenuKeys,
    action: str,
    timeout_s: int,
    greeting: bool,
    offers_coordinator: bool = False,
    own_details: str | None = None,
    listen: bool = False,
) -> None:
    """Greeting (first time only), one key per category, the coordinator, the caller's own
    details (``own_details`` is one of OWN_DETAILS, RESUME, SIGN_UP), how to hear it all
    again, and a key per other language.

    Keys come before what they do. The offer of another language is spoken in that language,
    so those who need it understand it.
    """
    used = {key for key, _ in keys.languages} | {keys.own_details or ""}
    gather = one_key_gather(response, action=action, timeout_s=timeout_s, keys=used,
                            listen=Listening.for_menu(categories, language) if listen else None)
    if greeting:
        say(gather, language, "Welcome to the neighbour help exchange of %(neighbourhood)s.",
            neighbourhood=neighbourhood)
    if listen:
        say(gather, language, "You can also say what you need help with.")
    for category in categories:
        say(gather, language, "Press %(key)s for %(category)s.", key=category.key,
            category=category.label(language))
    if offers_coordinator:
        say(gather, language, "Press 0 to speak to the coordinator.")
    if own_details is not None and keys.own_details is not None:
        say(gather, language, own_details, key=_key_name(language, keys.own_details))
    say(gather, language, "Press star to hear this again.")
    for key, other in keys.languages:
        say(gather, other, "Press %(key)s for this language.", key=_key_name(other, key))


def confirm_spoken_choice(response: VoiceResponse, *, language: str, category: str,
                          action: str, timeout_s: int, listen: Listening) -> None:
    """One sentence to confirm what the caller said: 1 confirms, or they say it again."""
    gather = one_key_gather(response, action=action, timeout_s=timeout_s, listen=listen)
    say(gather, language, "You would like help with %(category)s. Press 1 if that is right, "
        "or say it again.", category=category)


def reconnect_offer(response: VoiceResponse, *, language: str, action: str,
                    timeout_s: int) -> None:
    """Before the menu, to who was matched a short while ago: 1 puts them through to that
    neighbour again, 2 or silence is the menu."""
    gather = one_key_gather(response, action=action, timeout_s=timeout_s)
    say(gather, language, "Would you like to be put through again to the neighbour you spoke "
        "to today? Press 1. For the menu, press 2.")


def gather_timeout_s(participant: Participant | None, *, more_time: bool = False) -> int:
    """How long a menu waits for this person's key: longer for who asked for more time."""
    ivr = current_exchange().config.ivr
    if more_time or (participant is not None and participant.needs_more_time):
        return max(ivr.more_time_gather_timeout_s, ivr.gather_timeout_s)
    return ivr.gather_timeout_s


def own_details_menu(response: VoiceResponse, *, language: str, status: Status,
                     with_status: bool, category_labels: list[str], action: str,
                     timeout_s: int) -> None:
    """The caller's status (when ``with_status``), then what they can do: pause or resume
    (helpers who take part), more or the usual time to choose, hear it again, go back to the
    main menu."""
    gather = one_key_gather(response, action=action, timeout_s=timeout_s, keys={"#"})
    if with_status:
        _status(gather, language, status, category_labels)
    if status.can_pause:
        say(gather, language, "Press 1 to pause calls for a week.")
        say(gather, language, "Press 2 to pause calls until you call again.")
        if status.paused_until is not None:
            say(gather, language, "Press 3 to be called again.")
    if status.more_time:
        say(gather, language, "Press 4 to have the usual time to choose again.")
    else:
        say(gather, language, "Press 4 if you would like more time to choose.")
    say(gather, language, "Press star to hear this again.")
    say(gather, language, "Press hash to go back to the menu.")


def _status(node: Gather, language: str, status: Status, category_labels: list[str]) -> None:
    if status.helper and status.asker:
        say(node, language, "You are registered as a helper and as someone who asks for help.")
    elif status.helper:
        say(node, language, "You are registered as a helper.")
    else:
        say(node, language, "You are registered as someone who asks for help.")
    if status.helper and category_labels:
        *first, last = category_labels
        joined = f"{', '.join(first)}{catalogue(language).text(' and ')}{last}" if first else last
        say(node, language, "You help with %(categories)s.", categories=joined)
    if status.more_time:
        say(node, language, "You have more time to choose in the menus.")
    if status.opted_out:
        say(node, language, "You have asked not to be called any more. To take part again, "
            "please contact the coordinator.")
    elif not status.helper:
        return
    elif status.paused_until_call:
        say(node, language, "You are not being called until you ask for it again.")
    elif status.paused_until is not None:
        say(node, language, "You are not being called until %(date)s.",
            date=spoken_date(status.paused_until, language))
    else:
        say(node, language, "You can be called when a neighbour asks for help.")


def volunteer_offer(response: VoiceResponse, *, language: str, neighbourhood: str,
                    category: str, action: str, timeout_s: int, introduce: bool) -> None:
    gather = one_key_gather(response, action=action, timeout_s=timeout_s)
    if introduce:
        say(gather, language, "Hello, this is the neighbour help exchange of %(neighbourhood)s. "
            "A neighbour asks for help with %(category)s.", neighbourhood=neighbourhood,
            category=category)
    say(gather, language, "Press 1 to speak with them now. Press 2 if you cannot help this time.")
    say(gather, language, "Press 9 to pause calls for a week. Press 0 to stop being called.")
