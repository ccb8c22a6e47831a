"""Phones of the simulated network: exchange numbers (served by the app) and automatic phone
behaviour.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .errors import SimulatorError

ANSWER_MODES = ("manual", "human", "machine", "busy", "fail", "no-answer")


@dataclass(frozen=True)
class ExchangeNumber:
    """A number the app owns: inbound calls to it fetch voice_url."""

    number: str
    voice_url: str
    status_callback: str | None = None
    voice_method: str = "POST"
    status_callback_method: str = "POST"

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Behaviour:
    """How a phone reacts when it is called: who answers, after how long, which keys it presses."""

    answer: str = "manual"
    answer_delay_s: float = 0.0
    press: str | None = None
    press_delay_s: float = 0.0
    hangup_after_s: float | None = None

    def __post_init__(self) -> None:
        if self.answer == "failed":
            object.__setattr__(self, "answer", "fail")
        if self.answer not in ANSWER_MODES:
            raise SimulatorError(f"answer must be one of {ANSWER_MODES}, not {self.answer!r}")
        if self.press and any(ch not in DTMF_KEYS for ch in self.press):
            raise SimulatorError(f"press may only contain {DTMF_KEYS!r}")
        for name in ("answer_delay_s", "press_delay_s"):
            if float(getattr(self, name)) < 0:
                raise SimulatorError(f"{name} must not be negative")

    @property
    def answers_automatically(self) -> bool:
        return self.answer in ("human", "machine")

    def as_dict(self) -> dict:
        return asdict(self)


DTMF_KEYS = "0123456789*#"
MANUAL = Behaviour()
