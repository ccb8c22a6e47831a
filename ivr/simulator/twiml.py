"""TwiML interpreter for one call: loads documents, dispatches verbs, and runs Say, Play, Pause,
Gather, Redirect, Hangup, Reject and Leave (Enqueue and Dial live in bridging.py)."""

from __future__ import annotations

import itertools
import logging
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Union
from urllib.parse import urljoin

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
    ANNOUNCE: {"Say", "Play", "Pause"},
}
SAY_S_PER_WORD = 0.05
PLAY_S = 1.0


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
        ref = (ref or "").strip()
        if not ref:
            return None
        return urljoin(self.url, ref) if self.url else ref


# --- running documents ----------------------------------------------------------------------


def run_script(call: Call, first: Source) -> None:
    """Run the call's TwiML from `first` on, following jumps and REST redirects, until the call
    should hang up.
    """
    source = first
    while True:
        try:
            run_chain(call, source, MAIN)
            return
        except Redirected as redirect:
            source = redirect.target
        except AppError as exc:
            logger.info("call %s: application error: %s", call.sid, exc)
            call.log(
                "system",
                f"Er is een toepassingsfout opgetreden / An application error has occurred ({exc})",
            )
            return


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
    """Speak the text: ~0.05 simulated seconds per word."""
    text = " ".join("".join(element.itertext()).split())  # itertext: SSML children too
    seconds = SAY_S_PER_WORD * max(1, len(text.split()))
    for index, finite in _loops(element):
        if finite or index == 0:
            call.log("say", text, element.get("language"))
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
    """Yield (index, finite) for each repetition; loop="0" repeats until interrupted."""
    count = int(number(element.get("loop"), 1))
    if count <= 0:
        return ((index, False) for index in itertools.count())
    return ((index, True) for index in range(count))


# --- other verbs -------------------------------------------------------------------------


def gather(call: Call, element: ET.Element, doc: Document, mode: str) -> Source | None:
    """Collect DTMF digits (with barge-in on nested prompts); post them to action, or fall through
    on timeout.
    """
    num_digits = int(number(element.get("numDigits"), 0))
    timeout = number(element.get("timeout"), 5.0)
    finish_key = element.get("finishOnKey", "#")
    action = doc.resolve(element.get("action")) or doc.url
    _begin_gather(call)
    try:
        for child in element:
            prompt = PROMPTS.get(child.tag) if isinstance(child.tag, str) else None
            if prompt is not None and prompt(call, child, until=call.has_digits):
                break
        digits, key = _collect_digits(call, num_digits, timeout, finish_key)
    finally:
        with call.net.cond:
            call.waiting_for_digits = False
    if digits:
        call.log("gather", f"ingetoetst / entered: {digits}")
        return (
            Fetch(action, method_of(element), {"Digits": digits, "FinishedOnKey": key})
            if action
            else None
        )
    call.log("gather", "geen invoer / no input")
    if action and element.get("actionOnEmptyResult", "").lower() == "true":
        return Fetch(action, method_of(element), {"Digits": "", "FinishedOnKey": key})
    return None


def _begin_gather(call: Call) -> None:
    """Mark the call as listening for keys; an automatic phone presses on its first Gather."""
    with call.net.cond:
        call.waiting_for_digits = True
        call.gathers_started += 1
        first = call.gathers_started == 1
    call.log("gather", "wacht op toetsen / waiting for keys")
    if first and call.is_outbound:
        behaviour = call.net.behaviour(call.to)
        if behaviour.press:
            call.schedule(behaviour.press_delay_s, lambda: _auto_press(call, behaviour.press))


def _auto_press(call: Call, digits: str) -> None:
    try:
        call.press(digits)
    except CallStateError:
        pass


def _collect_digits(
    call: Call, num_digits: int, timeout: float, finish_key: str
) -> tuple[str, str]:
    """Read buffered/arriving digits until finishOnKey, numDigits, or `timeout` without a key; ->
    (digits, key).
    """
    collected = ""
    scale = call.net.time_scale
    deadline = time.monotonic() + timeout * scale
    while True:
        digit = call.take_digit()
        if digit is None:
            if not call.wait(deadline, until=call.has_digits):
                return collected, ""
            continue
        if finish_key and digit == finish_key:
            return collected, digit
        collected += digit
        if num_digits and len(collected) >= num_digits:
            return collected, ""
        deadline = time.monotonic() + timeout * scale


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
    with call.net.cond:
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
