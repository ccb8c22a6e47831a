"""The carrier port: the three things the engine asks of the telephone network."""

from __future__ import annotations

from typing import Protocol


class CarrierError(RuntimeError):
    """The carrier refused or failed a request; the engine moves on or retries."""


class Carrier(Protocol):
    def place_call(self, *, to: str, from_: str, url: str, status_callback: str,
                   timeout_s: int) -> str:
        """Start an outbound call; returns the carrier's call id."""

    def end_call(self, sid: str, *, answered: bool) -> None:
        """Stop a call: cancel it while ringing, hang up once answered."""

    def redirect_call(self, sid: str, url: str) -> None:
        """Make an answered call continue with the TwiML at ``url``."""
