"""The carrier port: what the engine asks of the telephone network."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol


class CallStatus(StrEnum):
    """A call's status as the carrier reports it (Twilio's ``CallStatus`` values)."""

    QUEUED = "queued"
    INITIATED = "initiated"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    CANCELED = "canceled"


# Written where a call's sid will go before the REST request, so that after a crash between the
# two nobody is phoned twice; replaced by the sid, or by FAILED when the carrier refused.
PLACING = "placing"

ENDED = frozenset({CallStatus.COMPLETED, CallStatus.BUSY, CallStatus.NO_ANSWER, CallStatus.FAILED,
                   CallStatus.CANCELED})


class CarrierError(RuntimeError):
    """The carrier refused or failed a request; the engine moves on or retries."""


class Carrier(Protocol):
    def place_call(self, *, to: str, from_: str, url: str, status_callback: str,
                   timeout_s: int, machine_detection_url: str | None = None) -> str:
        """Start an outbound call; returns the carrier's call id. With
        ``machine_detection_url`` the carrier listens for an answering machine without keeping
        the callee waiting, and posts its verdict there."""

    def end_call(self, sid: str, *, answered: bool) -> None:
        """Stop a call: cancel it while ringing, hang up once answered."""

    def redirect_call(self, sid: str, url: str) -> None:
        """Make an answered call continue with the TwiML at ``url``."""

    def delete_queue(self, queue_sid: str) -> None:
        """Remove a queue of ours (a request's or a reconnection's) once nobody waits in it
        (queues persist until deleted)."""
