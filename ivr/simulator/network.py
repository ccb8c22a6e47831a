"""SimulatedNetwork: the public face of the simulated carrier — numbers, phones, calls, queues and
the web app.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable

from . import lifecycle
from .call import TERMINAL, Bridge, Call, CallSetup
from .errors import CallStateError, UnknownCallError
from .phones import MANUAL, Behaviour, ExchangeNumber
from .queues import CallQueue
from .webhooks import Webhooks

logger = logging.getLogger(__name__)

SHUTDOWN_JOIN_S = 1.0


class SimulatedNetwork:
    """A Twilio-compatible phone network double: serves Twilio's REST API and plays the phones."""

    def __init__(
        self,
        account_sid: str = "ACsim0000000000000000000000000000",
        auth_token: str = "secret",
        time_scale: float = 1.0,
    ):
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.time_scale = float(time_scale)
        self.cond = threading.Condition(
            threading.RLock()
        )  # one lock for all call state; held only briefly
        self.closing = False
        self.webhooks = Webhooks(auth_token, is_closing=lambda: self.closing)
        self._calls: dict[str, Call] = {}
        self._numbers: dict[str, ExchangeNumber] = {}
        self._behaviours: dict[str, Behaviour] = {}
        self._queues: dict[str, CallQueue] = {}
        self._app = None

    # --- web app -----------------------------------------------------------------------------
    @property
    def wsgi_app(self):
        """Flask app: REST API, control API and phone page (mountable under any prefix)."""
        with self.cond:
            if self._app is None:
                from .web import create_app

                self._app = create_app(self)
            return self._app

    # --- numbers and phones -------------------------------------------------------------------
    def add_number(
        self,
        number: str,
        voice_url: str,
        status_callback: str | None = None,
        voice_method: str = "POST",
    ) -> None:
        """Register an exchange number: inbound calls to it fetch voice_url."""
        with self.cond:
            self._numbers[number] = ExchangeNumber(
                number, voice_url, status_callback, voice_method.upper()
            )

    def number(self, number: str) -> ExchangeNumber | None:
        with self.cond:
            return self._numbers.get(number)

    def numbers(self) -> list[dict]:
        with self.cond:
            return [entry.as_dict() for entry in self._numbers.values()]

    def set_behaviour(
        self,
        number: str,
        answer: str = "manual",
        answer_delay_s: float = 0.0,
        press: str | None = None,
        press_delay_s: float = 0.0,
        hangup_after_s: float | None = None,
    ) -> Behaviour:
        """Make the phone with this number react automatically when it is called (replaces earlier
        behaviour).
        """
        behaviour = Behaviour(
            answer,
            float(answer_delay_s),
            press or None,
            float(press_delay_s),
            None if hangup_after_s is None else float(hangup_after_s),
        )
        with self.cond:
            self._behaviours[number] = behaviour
        return behaviour

    def behaviour(self, number: str) -> Behaviour:
        with self.cond:
            return self._behaviours.get(number, MANUAL)

    def behaviours(self) -> dict[str, dict]:
        with self.cond:
            return {number: b.as_dict() for number, b in self._behaviours.items()}

    # --- placing calls -------------------------------------------------------------------------
    def dial(self, from_: str, to: str) -> str:
        """A phone calls an exchange number (from_ may be 'anonymous'); returns the inbound call's
        sid.
        """
        with self.cond:
            number = self._numbers.get(to)
            setup = CallSetup(
                status_callback=number.status_callback if number else None,
                status_method=number.status_callback_method if number else "POST",
            )
            call = self._register(Call(self, "inbound", from_ or "anonymous", to, setup))
        lifecycle.start(call)
        return call.sid

    def place_call(self, to: str, from_: str, setup: CallSetup) -> Call:
        """Start an outbound-api call (what POST Calls.json does)."""
        with self.cond:
            call = self._register(Call(self, "outbound-api", from_, to, setup))
        lifecycle.start(call)
        return call

    def place_dial_leg(
        self, parent: Call, to: str, from_: str, timeout: float
    ) -> tuple[Call, Bridge]:
        """Start the child leg of a <Dial><Number>, already tied to the parent by a connecting
        bridge.
        """
        with self.cond:
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

    def answer(self, sid: str, as_: str = "human") -> None:
        """Pick up a ringing outbound call as a person ('human') or an answering machine
        ('machine').
        """
        if as_ not in ("human", "machine"):
            raise CallStateError("as_ must be 'human' or 'machine'")
        self._decide_ringing(sid, "answer_request", as_)

    def reject(self, sid: str, reason: str = "busy") -> None:
        """Decline a ringing outbound call: it ends 'busy' or 'failed'."""
        if reason not in ("busy", "failed"):
            raise CallStateError("reason must be 'busy' or 'failed'")
        self._decide_ringing(sid, "reject_request", reason)

    def _decide_ringing(self, sid: str, field: str, value: str) -> None:
        call = self.get(sid)
        with self.cond:
            if not call.is_outbound or call.status not in ("queued", "ringing"):
                raise CallStateError(
                    f"call {sid} is {call.direction} and {call.status}, not a ringing phone"
                )
            if call.answer_request is None and call.reject_request is None:
                setattr(call, field, value)
            self.cond.notify_all()

    def hangup(self, sid: str) -> None:
        """The person hangs up (either direction, any time; no-op on a finished call)."""
        self.get(sid).hang_up("person")

    # --- inspecting ---------------------------------------------------------------------------
    def get(self, sid: str) -> Call:
        """The live Call object (internal; tests should prefer call()/calls())."""
        with self.cond:
            try:
                return self._calls[sid]
            except KeyError:
                raise UnknownCallError(sid) from None

    def all_calls(self) -> list[Call]:
        with self.cond:
            return list(self._calls.values())

    def calls(self) -> list[dict]:
        """Snapshot of every call, oldest first."""
        with self.cond:
            return [call.snapshot() for call in self._calls.values()]

    def call(self, sid: str) -> dict:
        return self.get(sid).snapshot()

    def heard(self, sid: str) -> str:
        """All <Say> texts of the call, joined with newlines."""
        return "\n".join(e["text"] for e in self.call(sid)["transcript"] if e["kind"] == "say")

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

    # --- queues (used by the interpreter) -----------------------------------------------------
    def join_queue(self, call: Call, name: str) -> CallQueue:
        with self.cond:
            queue = self._queues.get(name)
            if queue is None:
                queue = self._queues[name] = CallQueue(name)
            queue.join(call)
            call.queue, call.enqueue_waiting = queue, True
            call.log("enqueue", name)
            self.cond.notify_all()
            return queue

    def take_from_queue(self, name: str) -> Call | None:
        with self.cond:
            queue = self._queues.get(name)
            member = queue.take_first() if queue else None
            if member is not None:
                member.queue = None
            return member

    def leave_queue(self, call: Call, queue: CallQueue) -> None:
        """Forget the call's place in the queue and any bridge it was in (end of its <Enqueue>)."""
        with self.cond:
            queue.remove(call)
            call.queue, call.enqueue_waiting = None, False
            if call.bridge is not None:
                call.bridge.end()
                call.bridge = None
            self.cond.notify_all()

    def queue_sizes(self) -> dict[str, int]:
        with self.cond:
            return {name: len(q.members) for name, q in self._queues.items()}

    # --- teardown ------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Hang up every call and wait (about a second at most) for all call threads to exit."""
        with self.cond:
            self.closing = True
            calls = list(self._calls.values())
            for call in calls:
                call.hang_up("system")
            self.cond.notify_all()
        deadline = time.monotonic() + SHUTDOWN_JOIN_S
        for call in calls:
            if call.thread is not None:
                call.thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [c.sid for c in calls if c.thread is not None and c.thread.is_alive()]
        if stuck:
            logger.warning(
                "%d call thread(s) still busy after shutdown (blocked in a webhook?)", len(stuck)
            )

    def active_sids(self) -> list[str]:
        with self.cond:
            return [sid for sid, call in self._calls.items() if call.status not in TERMINAL]
