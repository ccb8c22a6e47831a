"""Named call queues (<Enqueue>), created on demand; callers wait here until a <Dial><Queue> takes
them.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .call import Call


class CallQueue:
    """A FIFO of waiting calls plus the statistics Twilio reports (position, wait times). Guarded by
    the network lock.
    """

    def __init__(self, name: str):
        self.name = name
        self.sid = "QU" + uuid.uuid4().hex
        self.members: list[Call] = []
        self._joined: dict[str, float] = {}
        self._left: dict[str, float] = {}
        self._finished_waits: list[float] = []

    def join(self, call: Call) -> None:
        self.members.append(call)
        self._joined[call.sid] = time.monotonic()

    def remove(self, call: Call) -> None:
        """Take the call out of the queue (no-op when it is not waiting); remember its wait time."""
        if call in self.members:
            self.members.remove(call)
            self._left[call.sid] = time.monotonic()
            self._finished_waits.append(self.wait_time(call))

    def take_first(self) -> Call | None:
        """Pop the longest-waiting call that is still free to be bridged."""
        for call in self.members:
            if call.enqueue_waiting and call.bridge is None and not call.is_ended:
                self.remove(call)
                return call
        return None

    def wait_time(self, call: Call) -> float:
        """Seconds the call waited (so far, or until it left the queue)."""
        joined = self._joined.get(call.sid)
        if joined is None:
            return 0.0
        return self._left.get(call.sid, time.monotonic()) - joined

    def position(self, call: Call) -> int:
        return self.members.index(call) + 1 if call in self.members else 0

    def average_wait(self) -> float:
        waits = self._finished_waits + [self.wait_time(c) for c in self.members]
        return sum(waits) / len(waits) if waits else 0.0

    def wait_params(self, call: Call) -> dict:
        """Parameters Twilio adds to waitUrl requests."""
        return {
            "QueueSid": self.sid,
            "QueuePosition": str(self.position(call)),
            "QueueTime": str(int(self.wait_time(call))),
            "AvgQueueTime": str(int(self.average_wait())),
            "CurrentQueueSize": str(len(self.members)),
        }
