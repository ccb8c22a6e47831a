"""State of one simulated call, the bridge between two calls, and the interruptible waits a call's
thread blocks in.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .errors import CallOver, CallStateError, Dequeued, Redirected
from .phones import DTMF_KEYS

if TYPE_CHECKING:
    from .amd import AmdSettings
    from .network import SimulatedNetwork
    from .queues import CallQueue

TERMINAL = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
OUTBOUND = frozenset({"outbound-api", "outbound-dial"})
_END_TEXT = {
    "completed": "opgehangen / call ended",
    "busy": "in gesprek / busy",
    "no-answer": "geen gehoor / no answer",
    "failed": "mislukt / failed",
    "canceled": "geannuleerd / canceled",
}
_MAX_IDLE_WAIT_S = 0.25  # safety net: waits re-check their condition at least this often


@dataclass
class CallSetup:
    """What the creator of a call asked for: TwiML source (and the fallback when it fails), status
    callbacks, ring timeout, machine detection.
    """

    url: str | None = None
    method: str = "POST"
    twiml: str | None = None
    status_callback: str | None = None
    status_events: tuple = ("completed",)
    status_method: str = "POST"
    timeout: float = 60.0
    amd: AmdSettings | None = None
    fallback_url: str | None = None
    fallback_method: str = "POST"


class Bridge:
    """Two calls connected by <Dial>; state goes connecting -> up -> ended. Guarded by the network
    lock.
    """

    def __init__(self, dialer: Call, other: Call, announce=None):
        self.dialer = dialer
        self.other = other
        self.announce = announce  # twiml.Fetch to play to `other` before connecting (Queue url=)
        self.state = "connecting"
        self.was_up = False
        self.redirected: Call | None = None  # the call a REST redirect took out of the bridge
        self._up_at: float | None = None
        self._ended_at: float | None = None

    def connect(self) -> bool:
        """Put both calls through to each other; False when the bridge was already torn down."""
        if self.state != "connecting":
            return False
        self.state, self.was_up, self._up_at = "up", True, time.monotonic()
        for me, peer in ((self.dialer, self.other), (self.other, self.dialer)):
            me.bridged_with = peer.sid
            me.log("bridge", f"verbonden met / connected to {peer.sid}")
        self.wake_both()
        return True

    def end(self) -> None:
        """Tear the bridge down (idempotent); both calls' threads notice and move on."""
        if self.state == "ended":
            return
        was_connected = self.state == "up"
        self.state, self._ended_at = "ended", time.monotonic()
        for call in (self.dialer, self.other):
            call.bridged_with = None
            if was_connected:
                call.log("bridge", "verbinding verbroken / disconnected")
        self.wake_both()

    def wake_both(self) -> None:
        self.dialer.wake()
        self.other.wake()

    def duration(self) -> int:
        """Whole simulated seconds the two were connected."""
        if self._up_at is None:
            return 0
        real = (self._ended_at or time.monotonic()) - self._up_at
        return math.ceil(real / self.dialer.net.time_scale)


class Call:
    """One call leg. Its own thread (see lifecycle) drives it; other threads only request changes
    under the lock.
    """

    def __init__(
        self,
        net: SimulatedNetwork,
        direction: str,
        from_: str,
        to: str,
        setup: CallSetup,
        parent_sid: str | None = None,
    ):
        self.net = net
        self.sid = "CA" + uuid.uuid4().hex
        self.direction = direction
        self.from_ = from_
        self.to = to
        self.setup = setup
        self.parent_sid = parent_sid
        self.status = "ringing" if direction == "inbound" else "queued"
        self.answered_by: str | None = None
        self.answerer: str | None = None  # who picked up: human, machine or fax
        self.greeting = ""  # what they said on picking up (heard by machine detection)
        self.created = datetime.now(UTC)
        self.updated = self.created
        self.started_wall: datetime | None = None
        self.ended_wall: datetime | None = None
        self._t0 = time.monotonic()
        self._answered_at: float | None = None
        self._ended_at: float | None = None
        self.transcript: list[dict] = []
        self.digits = ""
        self.waiting_for_digits = False
        self.listening_for_speech = False
        self.speech: list[tuple[str, float]] = []  # phrases said while a speech Gather listens
        self.gathers_started = 0
        self.queue: CallQueue | None = None
        self.enqueue_waiting = False
        self.bridge: Bridge | None = None
        self.bridged_with: str | None = None
        self.pending_redirect = None
        self.answer_request: str | None = None
        self.reject_request: str | None = None
        self.last_url: str | None = None
        self.callback_sequence = 0
        self.finished = False  # the call's thread has ended the call and sent its final webhooks
        self.pending_webhooks = 0  # status callbacks not sent yet (delayed, or in the outbox)
        self.status_outbox: list[tuple[str, str, dict]] = []  # sent in order, by status_sender
        self.status_sender: threading.Thread | None = None
        self.queue_time_ms = 0  # how long the REST API expects it to wait for its CPS turn
        self.ready_at = 0.0  # monotonic: when an outbound-api call could dial out, rate aside
        self.turn_at = 0.0  # ... and when its CPS turn is expected
        # The Twilio Region that processes the call: the one its REST request went to, or for
        # an inbound call its number's inbound processing region.
        self.region = net.region
        self.thread = None
        self._timers: list[tuple[float, Callable[[], None]]] = []
        self._woken = threading.Condition(net.lock)  # see SimulatedNetwork.lock

    # --- read-only views -------------------------------------------------------------------
    @property
    def is_ended(self) -> bool:
        return self.status in TERMINAL

    @property
    def is_outbound(self) -> bool:
        return self.direction in OUTBOUND

    @property
    def done(self) -> bool:
        """Ended, and every webhook it still owed (final status callback, delayed ones) was sent."""
        return self.finished and self.pending_webhooks == 0

    @property
    def duration(self) -> int:
        """Whole simulated seconds between answer and end (0 when never answered), like Twilio's
        Duration.
        """
        if self._answered_at is None:
            return 0
        real = (self._ended_at or time.monotonic()) - self._answered_at
        return math.ceil(real / self.net.time_scale)

    def snapshot(self) -> dict:
        """A JSON-able copy of the call's state for tests, the control API and the phone page."""
        with self.net.lock:
            return {
                "sid": self.sid,
                "parent_call_sid": self.parent_sid,
                "direction": self.direction,
                "from": self.from_,
                "to": self.to,
                "status": self.status,
                "answered_by": self.answered_by,
                "queue": self.queue.name if self.queue else None,
                "bridged_with": self.bridged_with,
                "waiting_for_digits": self.waiting_for_digits,
                "listening_for_speech": self.listening_for_speech,
                "duration": self.duration,
                "done": self.done,
                "transcript": [dict(entry) for entry in self.transcript],
            }

    # --- transcript ------------------------------------------------------------------------
    def log(self, kind: str, text: str, language: str | None = None, **extra) -> None:
        """Append what the phone shows or the person hears to the call's transcript."""
        with self.net.lock:
            self.transcript.append(
                {
                    "t": round(time.monotonic() - self._t0, 3),
                    "kind": kind,
                    "text": text,
                    "language": language,
                    **extra,
                }
            )

    # --- waiting (only ever called from the call's own thread) ------------------------------
    def wait(self, deadline: float | None, until: Callable[[], bool] | None = None) -> bool:
        """Block until `until()` holds (True) or the monotonic deadline passes (False).

        Raises CallOver / Redirected / Dequeued as soon as such an interruption arrives, and fires
        due timers.
        """
        with self.net.lock:
            while True:
                self._fire_due_timers()
                self._raise_interrupts()
                if until is not None and until():
                    return True
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    return False
                wake = min(
                    [t for t in (deadline, self._next_timer()) if t is not None],
                    default=now + _MAX_IDLE_WAIT_S,
                )
                self._woken.wait(min(max(wake - now, 0.0), _MAX_IDLE_WAIT_S))

    def pause(self, sim_seconds: float, until: Callable[[], bool] | None = None) -> bool:
        """Wait a simulated duration (scaled by time_scale); True when `until` cut it short."""
        return self.wait(time.monotonic() + max(sim_seconds, 0.0) * self.net.time_scale, until)

    def check(self) -> None:
        """Raise any pending interruption now (used after blocking HTTP requests)."""
        with self.net.lock:
            self._fire_due_timers()
            self._raise_interrupts()

    def schedule(self, sim_delay: float, action: Callable[[], None]) -> None:
        """Run `action` (under the lock, on this call's thread) after a simulated delay."""
        with self.net.lock:
            self._timers.append(
                (time.monotonic() + max(sim_delay, 0.0) * self.net.time_scale, action)
            )
            self.wake()

    def wake(self) -> None:
        """This call's thread looks again: its state changed, or a bridge it is in did."""
        with self.net.lock:
            self._woken.notify_all()

    def _wake_with_peers(self) -> None:
        self.wake()
        if self.bridge is not None:
            self.bridge.wake_both()

    def _next_timer(self) -> float | None:
        return min((t for t, _ in self._timers), default=None)

    def _fire_due_timers(self) -> None:
        now = time.monotonic()
        due = [timer for timer in self._timers if timer[0] <= now]
        for timer in due:
            self._timers.remove(timer)
            timer[1]()

    def _raise_interrupts(self) -> None:
        if self.is_ended:
            raise CallOver()
        if self.pending_redirect is not None:
            target, self.pending_redirect = self.pending_redirect, None
            raise Redirected(target)
        if self.enqueue_waiting and self.bridge is not None and self.bridge.state == "connecting":
            self.enqueue_waiting = False
            raise Dequeued()

    # --- state changes (any thread) -------------------------------------------------------
    def end(self, status: str) -> bool:
        """Make the call terminal with `status` (first call wins) and release its queue place and
        bridge.
        """
        with self.net.lock:
            if self.is_ended:
                return False
            self.status = status
            self._ended_at = time.monotonic()
            self.ended_wall = self.updated = datetime.now(UTC)
            self.waiting_for_digits = self.listening_for_speech = False
            self._timers.clear()
            if self.bridge is not None:
                self.bridge.end()
            if self.queue is not None:
                self.queue.remove(self)
                self.queue = None
            self.enqueue_waiting = False
            self.log("hangup", _END_TEXT.get(status, status))
            self.wake()
            return True

    def hang_up(self, by: str) -> bool:
        """End the call on behalf of `by` ('person', 'api', 'app', 'system') with the status Twilio
        would report.
        """
        with self.net.lock:
            if self.status == "in-progress" or by == "app":
                status = "completed"
            elif by == "person":
                status = "busy" if self.is_outbound else "canceled"
            else:
                status = "canceled"
            return self.end(status)

    def mark_answered(self, answered_by: str | None = None) -> None:
        """The phone was picked up (outbound) or the app started answering (inbound)."""
        with self.net.lock:
            if self.is_ended:
                raise CallOver()
            if self.status == "in-progress":
                return
            self.status = "in-progress"
            self.answered_by = answered_by
            self._answered_at = time.monotonic()
            self.started_wall = self.updated = datetime.now(UTC)
            self._wake_with_peers()

    def set_ringing(self) -> None:
        with self.net.lock:
            if self.is_ended:
                raise CallOver()
            self.status = "ringing"
            self.updated = datetime.now(UTC)
            self._wake_with_peers()

    def redirect(self, target) -> None:
        """REST update with Url/Twiml: stop the current verb (leaving queue or bridge) and run
        `target` instead.
        """
        with self.net.lock:
            if self.status != "in-progress":
                raise CallStateError("Call is not in-progress. Cannot redirect.")
            self.pending_redirect = target
            if self.bridge is not None:
                self.bridge.redirected = self
                self.bridge.end()
            self.wake()

    def press(self, digits: str) -> None:
        """The person keys digits; they wait in a buffer until a <Gather> reads them."""
        if not digits or any(ch not in DTMF_KEYS for ch in digits):
            raise CallStateError(f"digits must be non-empty and only contain {DTMF_KEYS!r}")
        with self.net.lock:
            if self.status != "in-progress":
                raise CallStateError(f"cannot press keys on a call that is {self.status}")
            self.digits += digits
            self.log("system", f"toetsen / keys: {digits}")
            self.wake()

    def speak(self, text: str, confidence: float) -> bool:
        """The person says something; only a <Gather> listening for speech hears it (-> True)."""
        text = " ".join(str(text).split())
        if not text:
            raise CallStateError("say something: the text is empty")
        if not 0.0 <= confidence <= 1.0:
            raise CallStateError("confidence must be between 0 and 1")
        with self.net.lock:
            if self.status != "in-progress":
                raise CallStateError(f"cannot speak on a call that is {self.status}")
            heard = self.listening_for_speech
            if heard:
                self.speech.append((text, confidence))
            unheard = "" if heard else " (niet gehoord / not heard)"
            self.log("system", f"zegt / says: {text}{unheard}")
            self.wake()
            return heard

    def take_digit(self) -> str | None:
        with self.net.lock:
            if not self.digits:
                return None
            digit, self.digits = self.digits[0], self.digits[1:]
            return digit

    def has_digits(self) -> bool:
        return bool(self.digits)
