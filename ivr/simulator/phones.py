"""Phones of the simulated network: exchange numbers (served by the app) and automatic phone
behaviour.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field

from .errors import SimulatorError

ANSWER_MODES = ("manual", "human", "machine", "fax", "busy", "fail", "no-answer")
ANSWERERS = ("human", "machine", "fax")
MACHINE_ENDS = ("beep", "silence", "other")
DTMF_KEYS = "0123456789*#"
HUMAN_GREETING = "Hallo?"
MACHINE_GREETING = (
    "Hallo, u spreekt met de voicemail. Ik ben er even niet, spreek na de piep een bericht in, "
    "dan bel ik u zo snel mogelijk terug."
)


@dataclass
class ExchangeNumber:
    """A number the app owns (an IncomingPhoneNumber): inbound calls to it fetch voice_url, and
    voice_fallback_url when that fails. Guarded by the network lock.
    """

    number: str
    voice_url: str
    status_callback: str | None = None
    voice_method: str = "POST"
    status_callback_method: str = "POST"
    voice_fallback_url: str | None = None
    voice_fallback_method: str = "POST"
    friendly_name: str = ""
    region: str = "us1"  # its inbound processing region: where its inbound calls live
    sid: str = field(default_factory=lambda: "PN" + uuid.uuid4().hex)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Behaviour:
    """How a phone reacts when it is called: who answers (a person, an answering machine, a fax),
    what they say on picking up, after how long, which keys it presses or what it says.
    """

    answer: str = "manual"
    answer_delay_s: float = 0.0
    press: str | None = None
    press_delay_s: float = 0.0
    hangup_after_s: float | None = None
    greeting: str | None = None  # said on picking up; None: a short "Hallo?" or a voicemail text
    machine_end: str = "beep"  # how a voicemail greeting ends: beep, silence or other
    speak: str | None = None  # said at the first <Gather> (speech input), like press
    speak_confidence: float = 0.9

    def __post_init__(self) -> None:
        if self.answer == "failed":
            object.__setattr__(self, "answer", "fail")
        if self.answer not in ANSWER_MODES:
            raise SimulatorError(f"answer must be one of {ANSWER_MODES}, not {self.answer!r}")
        if self.press and any(ch not in DTMF_KEYS for ch in self.press):
            raise SimulatorError(f"press may only contain {DTMF_KEYS!r}")
        if self.machine_end not in MACHINE_ENDS:
            raise SimulatorError(f"machine_end must be one of {MACHINE_ENDS}")
        if not 0.0 <= float(self.speak_confidence) <= 1.0:
            raise SimulatorError("speak_confidence must be between 0 and 1")
        for name in ("answer_delay_s", "press_delay_s"):
            if float(getattr(self, name)) < 0:
                raise SimulatorError(f"{name} must not be negative")

    @property
    def answers_automatically(self) -> bool:
        return self.answer in ANSWERERS

    def as_dict(self) -> dict:
        return asdict(self)


MANUAL = Behaviour()


def greeting_of(answerer: str, greeting: str | None) -> str:
    """What the callee says on picking up: their own words, or the usual ones for the answerer."""
    if greeting is not None:
        return greeting
    return {"human": HUMAN_GREETING, "machine": MACHINE_GREETING}.get(answerer, "")
