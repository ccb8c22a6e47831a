"""Answering machine detection: what Twilio's AMD concludes about who picked up, and when.

Sources: "Answering Machine Detection" (https://www.twilio.com/docs/voice/answering-machine-detection)
and the Call resource's create parameters (the docstrings twilio-python 9 carries from Twilio's
API definition):

- MachineDetection=Enable returns AnsweredBy as soon as the called party is identified:
  human, machine_start, fax or unknown. DetectMessageEnd waits for the end of a machine's greeting:
  human, machine_end_beep, machine_end_silence, machine_end_other, fax or unknown.
- MachineDetectionSpeechThreshold (ms, 1000-6000, default 2400): "durations lower than this value
  will be interpreted as a human and longer than this value as a machine". So a person who answers
  with a long greeting ("Goedemiddag, met Piet de Vries") is taken for a machine, as the AMD FAQ &
  Best Practices page warns about predictive dialers abandoning humans.
- MachineDetectionSpeechEndThreshold (ms, 500-5000, default 1200): silence after speech at which
  the speech counts as complete; a short greeting is a human once this much silence followed it.
- MachineDetectionSilenceTimeout (ms, 2000-10000, default 5000): initial silence after which the
  result is unknown.
- MachineDetectionTimeout (s, default 30; the AMD page gives 3-59): after it, AnsweredBy is
  unknown.

The docs are silent on speaking rates and on how long fax detection takes; the simulator assumes
0.5 s per spoken word (so "Goedemiddag, met Piet de Vries" takes 2.5 s, just over the default
threshold), a voicemail beep 0.5 s after the greeting, and a fax recognised after 3 s.
"""

from __future__ import annotations

from dataclasses import dataclass

SPEECH_S_PER_WORD = 0.5
BEEP_AFTER_S = 0.5
FAX_DETECTED_S = 3.0
RANGES = {  # documented bounds; values outside are clamped (the docs do not say what happens)
    "timeout_s": (3.0, 59.0, 30.0),
    "speech_threshold_ms": (1000.0, 6000.0, 2400.0),
    "speech_end_threshold_ms": (500.0, 5000.0, 1200.0),
    "silence_timeout_ms": (2000.0, 10000.0, 5000.0),
}


@dataclass(frozen=True)
class AmdSettings:
    """The machine detection a call was created with (None: no detection)."""

    mode: str  # "Enable" or "DetectMessageEnd"
    timeout_s: float = 30.0
    speech_threshold_ms: float = 2400.0
    speech_end_threshold_ms: float = 1200.0
    silence_timeout_ms: float = 5000.0
    asynchronous: bool = False
    callback: str | None = None
    callback_method: str = "POST"

    @classmethod
    def from_form(cls, form) -> AmdSettings | None:
        mode = form.get("MachineDetection")
        if mode not in ("Enable", "DetectMessageEnd"):
            return None
        values = {}
        for name, param in (
            ("timeout_s", "MachineDetectionTimeout"),
            ("speech_threshold_ms", "MachineDetectionSpeechThreshold"),
            ("speech_end_threshold_ms", "MachineDetectionSpeechEndThreshold"),
            ("silence_timeout_ms", "MachineDetectionSilenceTimeout"),
        ):
            low, high, default = RANGES[name]
            try:
                value = float(form.get(param) or default)
            except ValueError:
                value = default
            values[name] = min(max(value, low), high)
        return cls(
            mode=mode,
            asynchronous=(form.get("AsyncAmd") or "").lower() == "true",
            callback=form.get("AsyncAmdStatusCallback") or None,
            callback_method="GET"
            if (form.get("AsyncAmdStatusCallbackMethod") or "").upper() == "GET"
            else "POST",
            **values,
        )


def detect(settings: AmdSettings, answerer: str, greeting: str, machine_end: str):
    """-> (AnsweredBy, seconds of detection) for a callee of kind `answerer` saying `greeting`."""
    speech_s = SPEECH_S_PER_WORD * len(greeting.split())
    threshold_s = settings.speech_threshold_ms / 1000
    end_s = settings.speech_end_threshold_ms / 1000
    if answerer == "fax":
        result, seconds = "fax", FAX_DETECTED_S
    elif speech_s == 0:
        result, seconds = "unknown", settings.silence_timeout_ms / 1000
    elif speech_s <= threshold_s:
        result, seconds = "human", speech_s + end_s
    elif settings.mode == "Enable":
        result, seconds = "machine_start", threshold_s
    elif answerer == "machine":
        ending = {"beep": BEEP_AFTER_S, "silence": end_s, "other": end_s}[machine_end]
        result, seconds = f"machine_end_{machine_end}", speech_s + ending
    else:  # a person with a long greeting, then waiting in silence for an answer
        result, seconds = "machine_end_silence", speech_s + end_s
    if seconds > settings.timeout_s:
        return "unknown", settings.timeout_s
    return result, seconds
