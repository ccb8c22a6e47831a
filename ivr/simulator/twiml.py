"""TwiML interpreter for one call: loads documents, dispatches verbs, and runs Say, Play, Pause,
Gather, Redirect, Hangup, Reject and Leave (Enqueue and Dial live in bridging.py)."""

from __future__ import annotations

import logging
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Union
from urllib.parse import urljoin, urlsplit

from . import tts
from .errors import AppError, CallOver, CallStateError, LeaveQueue, Redirected
from .webhooks import call_params, parse_twiml

if TYPE_CHECKING:
    from .call import Call

logger = logging.getLogger(__name__)

MAIN, WAIT, ANNOUNCE = (
    "main",
    "wait",
    "announce",
)  # where a document runs: the call itself, a queue's waitUrl,
_ALLOWED = {  # or a Queue url= announcement to the dequeued caller
    MAIN: {"Say", "Play", "Pause", "Gather", "Redirect", "Hangup", "Reject", "Enqueue", "Dial"},
    WAIT: {"Say", "Play", "Pause", "Gather", "Redirect", "Leave", "Hangup"},
    ANNOUNCE: {"Say", "Play", "Pause", "Redirect"},  # <Queue> url: "Play, Say, Pause, and Redirect"
}
SAY_S_PER_WORD = 0.05
PLAY_S = 1.0
SPEECH_S_PER_WORD = 0.5  # how long the caller takes to say a phrase (docs silent)
AUTO_SPEECH_TIMEOUT_S = 1.0  # speechTimeout="auto": silence that ends an utterance (docs silent)
LOOP_ZERO_LIMIT = 1000  # loop="0" repeats "until either the call is hung up or 1,000 iterations"
# Twilio's own message when the app's TwiML cannot be fetched or run and no fallback helps:
# "a pre-recorded message is played back to the caller indicating that an error has occurred"
# (blog "A Hidden Gem: Fallback URLs"); the docs do not give its words, these are the usual ones.
APPLICATION_ERROR_MESSAGE = "We are sorry, an application error has occurred. Goodbye."


@dataclass
class Fetch:
    """A TwiML document to request from the app, with extra parameters (Digits, ...)."""

    url: str
    method: str = "POST"
    params: dict = field(default_factory=dict)


@dataclass
class Inline:
    """TwiML handed over directly (REST Twiml=); relative URLs resolve against base_url."""

    twiml: str
    base_url: str | None = None


Source = Union[Fetch, Inline]


@dataclass
class Document:
    """A parsed <Response> and the URL it came from (the base for relative URLs)."""

    root: ET.Element
    url: str | None

    def resolve(self, ref: str | None) -> str | None:
        """An absolute URL for `ref`. TwiML given inline (REST Twiml=) has no base URL: "the
        action URLs for <Record>, <Gather>, and <Pay> must be absolute" (<Gather> page), so a
        relative one there is an application error (11100 Invalid URL format).
        """
        ref = (ref or "").strip()
        if not ref:
            return None
        if self.url:
            return urljoin(self.url, ref)
        if not urlsplit(ref).scheme:
            raise AppError(f"relative URL {ref!r} in TwiML given inline", 11100)
        return ref


# --- running documents ----------------------------------------------------------------------


def run_script(call: Call, first: Source, fallback: Fetch | None = None) -> None:
    """Run the call's TwiML from `first` on, following jumps and REST redirects, until the call
    should hang up.

    When TwiML cannot be fetched or run, the fallback URL (the number's VoiceFallbackUrl, or the
    call's FallbackUrl) is requested with ErrorCode and ErrorUrl: "If Twilio is unable to retrieve
    or execute TwiML from your web server, a request is immediately made to the number's Fallback
    URL" ("Availability and Reliability", Fallback URLs). Without one, or when it fails too, the
    caller hears Twilio's application-error message and the call ends.
    """
    source = first
    while True:
        try:
            run_chain(call, source, MAIN)
            return
        except Redirected as redirect:
            source = redirect.target
        except AppError as exc:
            logger.info("call %s: application error %s: %s", call.sid, exc.code, exc)
            call.net.notify(call, exc.code, str(exc), "error")
            call.log(
                "system",
                f"Er is een toepassingsfout opgetreden / An application error has occurred "
                f"({exc.code}: {exc})",
            )
            if fallback is not None and exc.url != fallback.url:
                params = {"ErrorCode": str(exc.code), "ErrorUrl": exc.url or ""}
                source = Fetch(fallback.url, fallback.method, params)
                continue
            try:
                _application_error(call)
                return
            except Redirected as redirect:
                source = redirect.target


def _application_error(call: Call) -> None:
    """Twilio's own spoken message, then the call is over."""
    if call.direction == "inbound" and call.status == "ringing":
        call.mark_answered()
    call.log("say", APPLICATION_ERROR_MESSAGE, "en-US", voice="man")
    call.pause(SAY_S_PER_WORD * len(APPLICATION_ERROR_MESSAGE.split()))
    call.hang_up("app")


def run_chain(call: Call, source: Source | None, mode: str) -> None:
    """Run a document and every document it jumps to (Redirect, Gather action ...) until one simply
    ends.
    """
    while source is not None:
        source = run_document(call, load(call, source), mode)


def load(call: Call, source: Source) -> Document:
    """Fetch (signed) or parse the TwiML of `source`."""
    if isinstance(source, Inline):
        doc = Document(parse_twiml(source.twiml.encode("utf-8")), source.base_url)
    else:
        params = call_params(call, call.net.account_sid)
        params.update(source.params)
        doc = Document(call.net.webhooks.fetch_twiml(source.url, source.method, params), source.url)
        call.last_url = source.url
    call.check()
    return doc


def run_document(call: Call, doc: Document, mode: str) -> Source | None:
    """Execute one document's verbs; return where to jump next, or None when it ran to its end."""
    handlers = _handlers()
    for element in doc.root:
        if not isinstance(element.tag, str):
            continue  # comments / processing instructions
        if element.tag not in _ALLOWED[mode]:
            logger.warning("call %s: <%s> ignored in %s TwiML", call.sid, element.tag, mode)
            call.log("system", f"<{element.tag}> genegeerd / ignored: not simulated here")
            continue
        if (
            mode == MAIN
            and element.tag != "Reject"
            and call.direction == "inbound"
            and call.status == "ringing"
        ):
            call.mark_answered()
        jump = handlers[element.tag](call, element, doc, mode)
        if jump is not None:
            return jump
    return None


def _handlers() -> dict[str, Callable]:
    from . import bridging  # late import: bridging runs nested documents through this module

    return {
        "Say": _as_verb(say),
        "Play": _as_verb(play),
        "Pause": _as_verb(pause),
        "Gather": gather,
        "Redirect": redirect,
        "Hangup": hangup,
        "Reject": reject,
        "Leave": leave,
        "Enqueue": bridging.enqueue,
        "Dial": bridging.dial,
    }


def _as_verb(prompt: Callable) -> Callable:
    def verb(call: Call, element: ET.Element, doc: Document, mode: str) -> None:
        prompt(call, element)

    return verb


# --- prompts (Say, Play, Pause); each returns True when `until` (barge-in) cut it short -----------


def say(call: Call, element: ET.Element, until: Callable[[], bool] | None = None) -> bool:
    """Speak the text (~0.05 simulated seconds per word, SSML rate and breaks applied) in the
    voice and language that tts resolves; a <Say> Twilio would refuse is not heard at all.
    The transcript keeps the spoken words without tags, the voice, and whether SSML was used.
    """
    try:
        voice = tts.resolve_voice(
            element.get("voice"), element.get("language"), call.net.default_voices
        )
        speech, warnings = tts.speech_of(element, voice)
    except tts.SayFailed as failed:
        call.net.notify(call, failed.code, str(failed), "warning")
        call.log("system", f"<Say> niet uitgesproken / not spoken: {failed} ({failed.code})")
        return False
    for code, message in warnings:
        call.net.notify(call, code, message, "warning")
    seconds = SAY_S_PER_WORD * max(1, speech.words) / speech.rate + speech.extra_s
    for index, finite in _loops(element):
        if finite or index == 0:
            call.log("say", speech.text, voice.language, voice=voice.name, ssml=speech.ssml)
        if call.pause(seconds, until):
            return True
    return False


def play(call: Call, element: ET.Element, until: Callable[[], bool] | None = None) -> bool:
    """Play an audio URL (we only note it and let a second of simulated time pass)."""
    url = (element.text or "").strip()
    for index, finite in _loops(element):
        if finite or index == 0:
            call.log("play", url)
        if call.pause(PLAY_S, until):
            return True
    return False


def pause(call: Call, element: ET.Element, until: Callable[[], bool] | None = None) -> bool:
    """Silence for length seconds (default 1)."""
    length = number(element.get("length"), 1.0)
    call.log("pause", f"{length:g} s")
    return call.pause(length, until)


PROMPTS = {"Say": say, "Play": play, "Pause": pause}


def _loops(element: ET.Element):
    """Yield (index, finite) for each repetition; loop="0" repeats until interrupted (or 1,000
    times, as the <Say> page says).
    """
    count = int(number(element.get("loop"), 1))
    if count <= 0:
        return ((index, False) for index in range(LOOP_ZERO_LIMIT))
    return ((index, True) for index in range(count))


# --- other verbs -------------------------------------------------------------------------


def gather(call: Call, element: ET.Element, doc: Document, mode: str) -> Source | None:
    """Collect DTMF digits and/or speech (with barge-in on nested prompts); post them to action,
    or fall through when nothing came.

    "<Gather>" page: input is dtmf (default), speech or "dtmf speech"; the action gets Digits
    when keys were pressed, or SpeechResult and Confidence for speech; speechTimeout (a number
    or auto) defaults to the timeout value; language defaults to en-US. With input="dtmf" the
    caller's words are not heard.
    """
    num_digits = int(number(element.get("numDigits"), 0))
    timeout = number(element.get("timeout"), 5.0)
    finish_key = element.get("finishOnKey", "#")
    action = doc.resolve(element.get("action")) or doc.url
    inputs = set((element.get("input") or "dtmf").lower().split())
    dtmf, speech = "dtmf" in inputs, "speech" in inputs
    if not (dtmf or speech):
        dtmf = True  # an invalid input value: the docs are silent; keys still work
    raw_speech_timeout = (element.get("speechTimeout") or "").strip().lower()
    speech_timeout = (
        AUTO_SPEECH_TIMEOUT_S
        if raw_speech_timeout == "auto"
        else number(raw_speech_timeout, timeout)
    )
    _begin_gather(call, dtmf, speech, element)

    def input_arrived() -> bool:
        return (dtmf and call.has_digits()) or (speech and bool(call.speech))

    try:
        for child in element:
            prompt = PROMPTS.get(child.tag) if isinstance(child.tag, str) else None
            if prompt is not None and prompt(call, child, until=input_arrived):
                break
        kind, value, key = _collect_input(
            call, dtmf, speech, num_digits, timeout, speech_timeout, finish_key
        )
    finally:
        with call.net.lock:
            call.waiting_for_digits = call.listening_for_speech = False
            call.speech.clear()
    if kind == "speech":
        text, confidence = value
        call.log("gather", f"verstaan / recognised: {text} ({confidence:.2f})")
        params = {"SpeechResult": text, "Confidence": str(round(confidence, 8))}
        return Fetch(action, method_of(element), params) if action else None
    if value:
        call.log("gather", f"ingetoetst / entered: {value}")
        return (
            Fetch(action, method_of(element), {"Digits": value, "FinishedOnKey": key})
            if action
            else None
        )
    call.log("gather", "geen invoer / no input")
    if action and element.get("actionOnEmptyResult", "").lower() == "true":
        return Fetch(action, method_of(element), {"Digits": "", "FinishedOnKey": key})
    return None


def _begin_gather(call: Call, dtmf: bool, speech: bool, element: ET.Element) -> None:
    """Mark the call as listening; an automatic phone presses or speaks on its first Gather."""
    with call.net.lock:
        call.waiting_for_digits = dtmf
        call.listening_for_speech = speech
        call.speech.clear()
        call.gathers_started += 1
        first = call.gathers_started == 1
    if speech:
        call.log(
            "gather",
            "luistert / listening" + (" en wacht op toetsen / and keys" if dtmf else ""),
            element.get("language") or "en-US",
            hints=element.get("hints"),
        )
    else:
        call.log("gather", "wacht op toetsen / waiting for keys")
    if first and call.is_outbound:
        behaviour = call.net.behaviour(call.to)
        if behaviour.press and dtmf:
            call.schedule(behaviour.press_delay_s, lambda: _auto_press(call, behaviour.press))
        elif behaviour.speak and speech:
            call.schedule(
                behaviour.press_delay_s,
                lambda: _auto_speak(call, behaviour.speak, behaviour.speak_confidence),
            )


def _auto_press(call: Call, digits: str) -> None:
    try:
        call.press(digits)
    except CallStateError:
        pass


def _auto_speak(call: Call, text: str, confidence: float) -> None:
    try:
        call.speak(text, confidence)
    except CallStateError:
        pass


def _collect_input(
    call: Call,
    dtmf: bool,
    speech: bool,
    num_digits: int,
    timeout: float,
    speech_timeout: float,
    finish_key: str,
) -> tuple[str, object, str]:
    """Wait for keys or words; -> ("digits", digits, finishing key) or ("speech", (text,
    confidence), "").
    """
    collected = ""
    scale = call.net.time_scale
    deadline = time.monotonic() + timeout * scale
    while True:
        with call.net.lock:
            if speech and call.speech and not collected:
                text, confidence = call.speech.pop(0)
                call.speech.clear()
                call.listening_for_speech = call.waiting_for_digits = False
                phrase = SPEECH_S_PER_WORD * len(text.split())
                break
        digit = call.take_digit() if dtmf else None
        if digit is None:
            arrived = call.wait(
                deadline,
                until=lambda: (dtmf and call.has_digits()) or (speech and bool(call.speech)),
            )
            if not arrived:
                return "digits", collected, ""
            continue
        if finish_key and digit == finish_key:
            return "digits", collected, digit
        collected += digit
        if num_digits and len(collected) >= num_digits:
            return "digits", collected, ""
        deadline = time.monotonic() + timeout * scale
    # the caller says the phrase, then the silence of speechTimeout ends the utterance
    call.pause(phrase + speech_timeout)
    return "speech", (text, confidence), ""


def redirect(call: Call, element: ET.Element, doc: Document, mode: str) -> Source | None:
    """Continue with the TwiML at the given URL."""
    url = doc.resolve(element.text)
    if not url:
        raise AppError("<Redirect> without a URL")
    return Fetch(url, method_of(element))


def hangup(call: Call, element: ET.Element, doc: Document, mode: str) -> None:
    call.hang_up("app")
    raise CallOver()


def reject(call: Call, element: ET.Element, doc: Document, mode: str) -> None:
    """Refuse an unanswered inbound call (status busy); after answering it is just a hang-up."""
    with call.net.lock:
        if call.direction == "inbound" and call.status == "ringing":
            call.log("reject", f"geweigerd / rejected ({element.get('reason', 'rejected')})")
            call.end("busy")
        else:
            call.hang_up("app")
    raise CallOver()


def leave(call: Call, element: ET.Element, doc: Document, mode: str) -> None:
    raise LeaveQueue()


# --- attribute helpers ---------------------------------------------------------------------


def number(value: str | None, default: float) -> float:
    """Parse a numeric TwiML attribute, falling back to Twilio's default when absent or invalid."""
    try:
        return float(value) if value not in (None, "") else default
    except ValueError:
        return default


def method_of(element: ET.Element, attribute: str = "method") -> str:
    return "GET" if (element.get(attribute) or "POST").upper() == "GET" else "POST"
