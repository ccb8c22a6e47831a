"""SimulatedNetwork: the public face of the simulated carrier — numbers, phones, calls, queues,
the carrier's own limits and faults, and the web app.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable

from . import lifecycle
from .call import TERMINAL, Bridge, Call, CallSetup
from .dialer import Dialer
from .errors import CallStateError, SimulatorError, UnknownCallError
from .phones import ANSWERERS, MANUAL, Behaviour, ExchangeNumber
from .queues import DEFAULT_MAX_SIZE, CallQueue, QueueFull
from .webhooks import TIMEOUT_S, Webhooks

logger = logging.getLogger(__name__)

SHUTDOWN_JOIN_S = 1.0
STATUS_EVENTS = ("initiated", "ringing", "answered", "completed")


class SimulatedNetwork:
    """A Twilio-compatible phone network double: serves Twilio's REST API and plays the phones."""

    def __init__(
        self,
        account_sid: str = "ACsim0000000000000000000000000000",
        auth_token: str = "secret",
        time_scale: float = 1.0,
        calls_per_second: float | None = 1.0,
        rest_latency_s: float = 0.0,
        webhook_timeout_s: float = TIMEOUT_S,
        default_voices: dict[str, str] | None = None,
        callback_delay_s: float = 0.0,
        duplicate_callbacks: bool = False,
        region: str = "us1",
    ):
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.region = region  # the Twilio Region whose REST API this network serves
        self.time_scale = float(time_scale)
        # One lock for all call state, held only briefly. Each call's thread waits on a
        # condition of its own over this lock and is woken by what concerns it: one condition
        # for all woke every call's thread at every change, which under a city's load (hundreds
        # of calls) cost the simulator more than the calls themselves.
        self.lock = threading.RLock()
        self.closing = False
        self.webhooks = Webhooks(
            auth_token, is_closing=lambda: self.closing, timeout_s=webhook_timeout_s
        )
        self.dialer = Dialer(self, calls_per_second)
        self.rest_latency_s = 0.0
        self.set_rest_latency(rest_latency_s)
        self.default_voices = dict(default_voices or {})
        self.callback_faults = CallbackFaults()
        self.set_callback_faults(callback_delay_s, duplicate_callbacks)
        self.system_errors: list[str | None] = []  # queue names whose next <Enqueue> fails
        self._notifications: list[dict] = []
        self._calls: dict[str, Call] = {}
        self._numbers: dict[str, ExchangeNumber] = {}
        self._behaviours: dict[str, Behaviour] = {}
        self._queues: dict[str, CallQueue] = {}
        self._app = None

    # --- web app -----------------------------------------------------------------------------
    @property
    def wsgi_app(self):
        """Flask app: REST API, control API and phone page (mountable under any prefix)."""
        with self.lock:
            if self._app is None:
                from .web import create_app

                self._app = create_app(self)
            return self._app

    # --- the carrier's limits and faults (run-time switches) -----------------------------------
    def set_calls_per_second(self, calls_per_second: float | None) -> None:
        """The account's CPS for REST-created calls (simulated seconds); None for no limit."""
        with self.lock:
            self.dialer.set_rate(calls_per_second)

    @property
    def calls_per_second(self) -> float | None:
        return self.dialer.calls_per_second

    def set_rest_latency(self, seconds: float) -> None:
        """Answer every REST request only after this many wall-clock seconds (round trip)."""
        if seconds < 0:
            raise ValueError("rest_latency_s must not be negative")
        self.rest_latency_s = float(seconds)

    def set_webhook_timeout(self, seconds: float) -> None:
        """Give up on a TwiML fetch after this many wall-clock seconds (Twilio: 15; error 11205)."""
        if seconds <= 0:
            raise ValueError("the webhook timeout must be positive")
        self.webhooks.timeout_s = float(seconds)

    def set_callback_faults(
        self, delay_s: float = 0.0, duplicate: bool = False, events: Iterable[str] | None = None
    ) -> None:
        """Deliver status callbacks of the given events (all when None) `delay_s` simulated
        seconds late and/or twice; a later event may then arrive before an earlier one.
        """
        chosen = tuple(events) if events is not None else STATUS_EVENTS
        if delay_s < 0 or any(e not in STATUS_EVENTS for e in chosen):
            raise ValueError(f"delay_s must be >= 0 and events among {STATUS_EVENTS}")
        with self.lock:
            self.callback_faults = CallbackFaults(float(delay_s), bool(duplicate), chosen)

    def set_default_voice(self, language: str, voice: str | None) -> None:
        """The account's default <Say> voice for a language (its Console TTS setting)."""
        with self.lock:
            if voice:
                self.default_voices[language] = voice
            else:
                self.default_voices.pop(language, None)

    def fail_next_webhook(self, url_contains: str, how: str = "http-500", times: int = 1) -> None:
        """Make the next `times` TwiML fetches whose URL contains `url_contains` fail: 'http-500'
        (error 11200), 'unreachable' or 'timeout' (11205), or 'invalid-twiml' (12100).
        """
        self.webhooks.fail_next(url_contains, how, times)

    def after_next_webhook(self, url_contains: str, action) -> None:
        """Run ``action()`` once, right after the app answers the next TwiML request whose URL
        contains ``url_contains`` and before the call acts on that TwiML."""
        self.webhooks.after_next(url_contains, action)

    def inject_system_error(self, queue: str | None = None) -> None:
        """The next <Enqueue> (into `queue`, or any) fails with QueueResult system-error."""
        with self.lock:
            self.system_errors.append(queue)

    def take_system_error(self, queue: str) -> bool:
        with self.lock:
            for wanted in (queue, None):
                if wanted in self.system_errors:
                    self.system_errors.remove(wanted)
                    return True
            return False

    # --- numbers and phones -------------------------------------------------------------------
    def add_number(
        self,
        number: str,
        voice_url: str,
        status_callback: str | None = None,
        voice_method: str = "POST",
        voice_fallback_url: str | None = None,
        voice_fallback_method: str = "POST",
        status_callback_method: str = "POST",
        region: str | None = None,
    ) -> ExchangeNumber:
        """Register an exchange number (an IncomingPhoneNumber): inbound calls fetch voice_url.
        `region` is its inbound processing region (default: the network's own)."""
        with self.lock:
            entry = self._numbers[number] = ExchangeNumber(
                number,
                voice_url,
                status_callback,
                voice_method.upper(),
                status_callback_method.upper(),
                voice_fallback_url,
                voice_fallback_method.upper(),
                friendly_name=number,
                region=region or self.region,
            )
            return entry

    def number(self, number: str) -> ExchangeNumber | None:
        with self.lock:
            return self._numbers.get(number)

    def number_by_sid(self, sid: str) -> ExchangeNumber | None:
        with self.lock:
            return next((n for n in self._numbers.values() if n.sid == sid), None)

    def update_number(self, number: str, **changes) -> ExchangeNumber:
        """Change an exchange number's webhooks (voice_url, voice_fallback_url, ...)."""
        with self.lock:
            entry = self._numbers.get(number)
            if entry is None:
                raise SimulatorError(f"unknown number {number}")
            for name, value in changes.items():
                if not hasattr(entry, name) or name in ("sid", "number"):
                    raise SimulatorError(f"no such number setting: {name}")
                setattr(entry, name, value.upper() if name.endswith("method") else value)
            return entry

    def all_numbers(self) -> list[ExchangeNumber]:
        with self.lock:
            return list(self._numbers.values())

    def numbers(self) -> list[dict]:
        with self.lock:
            return [entry.as_dict() for entry in self._numbers.values()]

    def set_behaviour(
        self,
        number: str,
        answer: str = "manual",
        answer_delay_s: float = 0.0,
        press: str | None = None,
        press_delay_s: float = 0.0,
        hangup_after_s: float | None = None,
        greeting: str | None = None,
        machine_end: str = "beep",
        speak: str | None = None,
        speak_confidence: float = 0.9,
    ) -> Behaviour:
        """Make the phone with this number react automatically when it is called (replaces earlier
        behaviour). `greeting` is what the person or machine says on picking up (machine detection
        hears it); `speak` is said at the first <Gather> that listens for speech.
        """
        behaviour = Behaviour(
            answer,
            float(answer_delay_s),
            press or None,
            float(press_delay_s),
            None if hangup_after_s is None else float(hangup_after_s),
            greeting,
            machine_end,
            speak or None,
            float(speak_confidence),
        )
        with self.lock:
            self._behaviours[number] = behaviour
        return behaviour

    def behaviour(self, number: str) -> Behaviour:
        with self.lock:
            return self._behaviours.get(number, MANUAL)

    def behaviours(self) -> dict[str, dict]:
        with self.lock:
            return {number: b.as_dict() for number, b in self._behaviours.items()}

    # --- placing calls -------------------------------------------------------------------------
    def dial(self, from_: str, to: str) -> str:
        """A phone calls an exchange number (from_ may be 'anonymous'); returns the inbound call's
        sid.
        """
        with self.lock:
            number = self._numbers.get(to)
            setup = CallSetup(
                status_callback=number.status_callback if number else None,
                status_method=number.status_callback_method if number else "POST",
            )
            call = self._register(Call(self, "inbound", from_ or "anonymous", to, setup))
            if number is not None:
                call.region = number.region
        lifecycle.start(call)
        return call.sid

    def place_call(self, to: str, from_: str, setup: CallSetup) -> Call:
        """Start an outbound-api call (what POST Calls.json does); it waits for its CPS turn."""
        with self.lock:
            call = self._register(Call(self, "outbound-api", from_, to, setup))
            self.dialer.enqueue(call, lifecycle.dial_out_s(self))
        lifecycle.start(call)
        return call

    def place_dial_leg(
        self, parent: Call, to: str, from_: str, timeout: float
    ) -> tuple[Call, Bridge]:
        """Start the child leg of a <Dial><Number>, already tied to the parent by a connecting
        bridge.
        """
        with self.lock:
            child = self._register(
                Call(
                    self,
                    "outbound-dial",
                    from_,
                    to,
                    CallSetup(timeout=timeout),
                    parent_sid=parent.sid,
                )
            )
            child.region = parent.region
            bridge = Bridge(parent, child)
            parent.bridge = child.bridge = bridge
        lifecycle.start(child)
        return child, bridge

    def _register(self, call: Call) -> Call:
        if self.closing:
            raise CallStateError("the simulated network is shut down")
        self._calls[call.sid] = call
        return call

    # --- playing the phones ----------------------------------------------------------------------
    def press(self, sid: str, digits: str) -> None:
        """The person on the call keys digits (buffered until a Gather reads them)."""
        self.get(sid).press(digits)

    def speak(self, sid: str, text: str, confidence: float = 0.9) -> bool:
        """The person on the call says `text`; True when a <Gather> listening for speech heard it
        (it then reports SpeechResult and Confidence), False when nobody was listening.
        """
        return self.get(sid).speak(text, float(confidence))

    def answer(self, sid: str, as_: str = "human", greeting: str | None = None) -> None:
        """Pick up a ringing outbound call as a person ('human'), an answering machine
        ('machine') or a fax ('fax'), who says `greeting` (default: a short hello or a voicemail
        text) — which is what machine detection listens to.
        """
        if as_ not in ANSWERERS:
            raise CallStateError(f"as_ must be one of {ANSWERERS}")
        self._decide_ringing(sid, "answer_request", (as_, greeting))

    def reject(self, sid: str, reason: str = "busy") -> None:
        """Decline a ringing outbound call: it ends 'busy' or 'failed'."""
        if reason not in ("busy", "failed"):
            raise CallStateError("reason must be 'busy' or 'failed'")
        self._decide_ringing(sid, "reject_request", reason)

    def _decide_ringing(self, sid: str, field: str, value) -> None:
        call = self.get(sid)
        with self.lock:
            if not call.is_outbound or call.status not in ("queued", "ringing"):
                raise CallStateError(
                    f"call {sid} is {call.direction} and {call.status}, not a ringing phone"
                )
            if call.answer_request is None and call.reject_request is None:
                setattr(call, field, value)
            call.wake()

    def hangup(self, sid: str) -> None:
        """The person hangs up (either direction, any time; no-op on a finished call)."""
        self.get(sid).hang_up("person")

    # --- inspecting ---------------------------------------------------------------------------
    def get(self, sid: str) -> Call:
        """The live Call object (internal; tests should prefer call()/calls())."""
        with self.lock:
            try:
                return self._calls[sid]
            except KeyError:
                raise UnknownCallError(sid) from None

    def all_calls(self) -> list[Call]:
        with self.lock:
            return list(self._calls.values())

    def calls(self) -> list[dict]:
        """Snapshot of every call, oldest first."""
        with self.lock:
            return [call.snapshot() for call in self._calls.values()]

    def call(self, sid: str) -> dict:
        return self.get(sid).snapshot()

    def heard(self, sid: str) -> str:
        """All <Say> texts of the call, joined with newlines."""
        return "\n".join(e["text"] for e in self.call(sid)["transcript"] if e["kind"] == "say")

    def notify(self, call: Call | None, code: int | None, message: str, level: str) -> None:
        """Record a warning or error as Twilio's debugger would (see notifications())."""
        with self.lock:
            self._notifications.append(
                {
                    "call_sid": call.sid if call else None,
                    "code": code,
                    "level": level,
                    "message": message,
                }
            )

    def notifications(self, sid: str | None = None) -> list[dict]:
        """Warnings and errors logged for calls (all, or one call's), oldest first: the codes
        Twilio's debugger would show (11200, 11205, 12100, 13511, 13513, 13520, ...).
        """
        with self.lock:
            return [dict(n) for n in self._notifications if sid is None or n["call_sid"] == sid]

    def wait_for(
        self,
        predicate: Callable[["SimulatedNetwork"], bool],
        timeout: float = 10.0,
        interval: float = 0.01,
    ) -> None:
        """Poll predicate(self) until true; LookupErrors count as 'not yet'. TimeoutError dumps all
        calls.
        """
        deadline = time.monotonic() + timeout
        while True:
            try:
                if predicate(self):
                    return
            except LookupError:
                pass
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"condition not met within {timeout} s; calls:\n{self.describe()}"
                )
            time.sleep(interval)

    def describe(self) -> str:
        """Readable dump of all calls (for failure messages)."""
        lines = []
        for c in self.calls():
            lines.append(
                f"{c['sid']} {c['direction']} {c['from']} -> {c['to']} status={c['status']} "
                f"queue={c['queue']} bridged_with={c['bridged_with']} "
                f"waiting_for_digits={c['waiting_for_digits']}"
            )
            lines.extend(
                "    " + json.dumps(entry, ensure_ascii=False) for entry in c["transcript"][-12:]
            )
        return "\n".join(lines) or "(no calls)"

    # --- queues --------------------------------------------------------------------------------
    def create_queue(self, name: str, max_size: int = DEFAULT_MAX_SIZE) -> CallQueue:
        """Create a queue explicitly (POST Queues.json); <Enqueue> creates them on demand."""
        with self.lock:
            if name in self._queues:
                raise SimulatorError(f"a queue named {name!r} already exists")
            queue = self._queues[name] = CallQueue(name, max_size, self.time_scale)
            return queue

    def wake_all(self) -> None:
        """Every call's thread looks again (for changes that may concern any of them)."""
        with self.lock:
            for call in self._calls.values():
                call.wake()

    def queue(self, name: str) -> CallQueue | None:
        with self.lock:
            return self._queues.get(name)

    def queue_by_sid(self, sid: str) -> CallQueue | None:
        with self.lock:
            return next((q for q in self._queues.values() if q.sid == sid), None)

    def all_queues(self) -> list[CallQueue]:
        with self.lock:
            return list(self._queues.values())

    def delete_queue(self, queue: CallQueue) -> None:
        """Remove an empty queue; one with calls in it cannot be deleted."""
        with self.lock:
            if queue.members:
                raise CallStateError("only an empty queue can be deleted")
            self._queues.pop(queue.name, None)

    def join_queue(self, call: Call, name: str) -> CallQueue:
        """Put the call in the named queue (created on demand); QueueFull when at max size."""
        with self.lock:
            queue = self._queues.get(name)
            if queue is None:
                queue = self._queues[name] = CallQueue(name, time_scale=self.time_scale)
            if len(queue.members) >= queue.max_size:
                raise QueueFull(queue)
            queue.join(call)
            call.queue, call.enqueue_waiting = queue, True
            call.log("enqueue", name)
            self.wake_all()  # a <Dial><Queue> anywhere may be waiting for this queue
            return queue

    def take_from_queue(self, queue: CallQueue, member: Call | None = None) -> Call | None:
        """Take the longest-waiting free caller (or the given one) out of the queue."""
        with self.lock:
            member = queue.take(member)
            if member is not None:
                member.queue = None
            return member

    def leave_queue(self, call: Call, queue: CallQueue) -> None:
        """Forget the call's place in the queue and any bridge it was in (end of its <Enqueue>)."""
        with self.lock:
            queue.remove(call)
            call.queue, call.enqueue_waiting = None, False
            if call.bridge is not None:
                call.bridge.end()
                call.bridge = None
            call.wake()

    def queue_sizes(self) -> dict[str, int]:
        with self.lock:
            return {name: len(q.members) for name, q in self._queues.items()}

    # --- teardown ------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Hang up every call and wait (about a second at most) for all call threads to exit."""
        with self.lock:
            self.closing = True
            calls = list(self._calls.values())
            for call in calls:
                call.hang_up("system")
            self.wake_all()
        deadline = time.monotonic() + SHUTDOWN_JOIN_S
        for call in calls:
            if call.thread is not None and call.thread.ident is not None:  # started
                call.thread.join(max(0.0, deadline - time.monotonic()))
        self.webhooks.shutdown(max(0.0, deadline - time.monotonic()))
        stuck = [c.sid for c in calls if c.thread is not None and c.thread.is_alive()]
        if stuck:
            logger.warning(
                "%d call thread(s) still busy after shutdown (blocked in a webhook?)", len(stuck)
            )

    def active_sids(self) -> list[str]:
        with self.lock:
            return [sid for sid, call in self._calls.items() if call.status not in TERMINAL]


class CallbackFaults:
    """How status callbacks misbehave: late by delay_s (simulated) and/or delivered twice."""

    def __init__(
        self, delay_s: float = 0.0, duplicate: bool = False, events: tuple = STATUS_EVENTS
    ):
        self.delay_s, self.duplicate, self.events = delay_s, duplicate, events

    def applies_to(self, event: str) -> bool:
        return (self.delay_s > 0 or self.duplicate) and event in self.events
