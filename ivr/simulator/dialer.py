"""The account's calls-per-second limit: outbound-api calls start at their turn, in creation order.

"Calls are rate limited at the account level by Calls Per Second (CPS). Calls beyond your
account's CPS limit will be queued and will execute at the CPS rate." and "By default, each account
is granted one CPS for calls created via POST requests to the /Calls endpoint. Inbound calls and
<Dial> calls are not limited by CPS." (Call resource, https://www.twilio.com/docs/voice/api/call-
resource; also the CPS glossary entry and error 22005 "Call Queue Full").

The limit runs in simulated time: one call per second at time_scale 0.05 starts a call every 50 ms
of wall-clock time. Like every other duration the simulator plays (ringing, prompts, pauses), the
carrier's own pace is scaled, so a wave of three calls takes two simulated seconds to go out against
a ring timeout of twenty simulated seconds, as it would on Twilio. (Webhook timeouts and REST
latency, by contrast, are the exchange's own wall-clock time and are not scaled.)
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .call import Call
    from .network import SimulatedNetwork


class Dialer:
    """FIFO of outbound-api calls waiting for their CPS turn. Guarded by the network lock."""

    def __init__(self, net: SimulatedNetwork, calls_per_second: float | None):
        self.net = net
        self.calls_per_second = _checked(calls_per_second)
        self._waiting: list[Call] = []
        self._last_start: float | None = None

    def interval_real_s(self) -> float:
        if self.calls_per_second is None:
            return 0.0
        return self.net.time_scale / self.calls_per_second

    def set_rate(self, calls_per_second: float | None) -> None:
        self.calls_per_second = _checked(calls_per_second)
        self.net.wake_all()

    def enqueue(self, call: Call, ready_in_s: float) -> None:
        """A call was created through the REST API: it waits behind every earlier one. It could
        dial out ``ready_in_s`` (real seconds) from now, were it not for the rate."""
        now = time.monotonic()
        call.ready_at = now + ready_in_s
        # queue_time is "the wait time in milliseconds before the call is placed" (Call
        # resource): what the rate adds to the call's own way out, counted behind the turns of
        # the calls ahead (or the account's last start when none waits).
        interval = self.interval_real_s()
        ahead = self._waiting[-1].turn_at if self._waiting else self._last_start
        call.turn_at = call.ready_at if ahead is None else max(call.ready_at, ahead + interval)
        call.queue_time_ms = round(1000 * (call.turn_at - call.ready_at) / self.net.time_scale)
        self._waiting.append(call)

    def take_turn(self, call: Call) -> float | None:
        """Start `call` if it is first in line and the rate allows (-> None); otherwise -> the
        monotonic time at which to look again.
        """
        now = time.monotonic()
        if not self.is_first(call):
            return now + 0.25  # woken earlier when the call ahead starts (see _wake_next)
        due = (self._last_start or 0.0) + self.interval_real_s()
        if self._last_start is not None and now < due:
            return due
        self._waiting.pop(0)
        # The pace is kept from the moment the call was due, not from when this thread got to
        # run, so a late thread does not push every later call back: "In aggregate calls are
        # executed at the rate defined by the CPS. Individual calls may not execute at the
        # anticipated rate — you may see individual seconds with more or fewer CPS" (CPS
        # glossary, https://www.twilio.com/docs/glossary/cps).
        self._last_start = call.ready_at if self._last_start is None else max(due, call.ready_at)
        self._wake_next()
        return None

    def is_first(self, call: Call) -> bool:
        return bool(self._waiting) and self._waiting[0] is call

    def forget(self, call: Call) -> None:
        """A call that ended (canceled) before its turn leaves the line."""
        if call in self._waiting:
            self._waiting.remove(call)
            self._wake_next()

    def _wake_next(self) -> None:
        """The call now first in line looks at its turn."""
        if self._waiting:
            self._waiting[0].wake()


def _checked(calls_per_second: float | None) -> float | None:
    if calls_per_second is None:
        return None
    if calls_per_second <= 0:
        raise ValueError("calls_per_second must be positive (or None for no limit)")
    return float(calls_per_second)
