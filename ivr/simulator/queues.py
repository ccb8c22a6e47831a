"""Named call queues (<Enqueue>, or POST Queues.json); callers wait here until a <Dial><Queue>
takes them.

"Call queues are created when you add a call to a queue that doesn't exist and when you create one
explicitly" and "Queues persist. To optimize fetch operations, inactive Queues should be deleted."
(Queues resource, https://www.twilio.com/docs/voice/api/queue-resource). The default maximum size
is 1000 and the maximum 5000 (same page; the <Enqueue> page says 1000 too, older copies 100).
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .call import Call

DEFAULT_MAX_SIZE = 1000
LARGEST_MAX_SIZE = 5000


class QueueFull(Exception):
    """<Enqueue> into a queue that already holds max_size calls."""

    def __init__(self, queue: CallQueue):
        super().__init__(queue.name)
        self.queue = queue


class CallQueue:
    """A FIFO of waiting calls plus the statistics Twilio reports (position, wait times in
    simulated seconds). Guarded by the network lock.
    """

    def __init__(self, name: str, max_size: int = DEFAULT_MAX_SIZE, time_scale: float = 1.0):
        self.name = name
        self.sid = "QU" + uuid.uuid4().hex
        self.max_size = int(max_size)
        self.time_scale = time_scale
        self.created = self.updated = datetime.now(UTC)
        self.members: list[Call] = []
        self._joined: dict[str, float] = {}
        self._joined_wall: dict[str, datetime] = {}
        self._left: dict[str, float] = {}

    def join(self, call: Call) -> None:
        self.members.append(call)
        self._joined[call.sid] = time.monotonic()
        self._joined_wall[call.sid] = self.updated = datetime.now(UTC)

    def remove(self, call: Call) -> None:
        """Take the call out of the queue (no-op when it is not waiting); remember its wait time."""
        if call in self.members:
            self.members.remove(call)
            self._left[call.sid] = time.monotonic()
            self.updated = datetime.now(UTC)

    def take(self, wanted: Call | None = None) -> Call | None:
        """Pop the longest-waiting call (or `wanted`) that is still free to be bridged."""
        for call in self.members:
            if wanted is not None and call is not wanted:
                continue
            if call.enqueue_waiting and call.bridge is None and not call.is_ended:
                self.remove(call)
                return call
        return None

    def has_free_member(self) -> bool:
        return any(c.enqueue_waiting and c.bridge is None and not c.is_ended for c in self.members)

    def wait_time(self, call: Call) -> int:
        """Whole simulated seconds the call waited (so far, or until it left the queue)."""
        joined = self._joined.get(call.sid)
        if joined is None:
            return 0
        return int((self._left.get(call.sid, time.monotonic()) - joined) / self.time_scale)

    def joined_at(self, call: Call) -> datetime | None:
        return self._joined_wall.get(call.sid)

    def position(self, call: Call) -> int:
        return self.members.index(call) + 1 if call in self.members else 0

    def average_wait(self) -> int:
        """Average wait of the calls in the queue now ("calculated at the time of the request")."""
        waits = [self.wait_time(c) for c in self.members]
        return int(sum(waits) / len(waits)) if waits else 0

    def wait_params(self, call: Call) -> dict:
        """Parameters Twilio adds to waitUrl requests (<Enqueue> page)."""
        return {
            "QueueSid": self.sid,
            "QueuePosition": str(self.position(call)),
            "QueueTime": str(self.wait_time(call)),
            "AvgQueueTime": str(self.average_wait()),
            "CurrentQueueSize": str(len(self.members)),
            "MaxQueueSize": str(self.max_size),
        }
