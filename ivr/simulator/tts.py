"""Text-to-speech for <Say>: which voice speaks, in which language, and what SSML does.

Sources: "TwiML Voice: <Say>" (https://www.twilio.com/docs/voice/twiml/say): voice is man, woman,
a Twilio-supported Amazon Polly voice (Polly.Joanna-Generative) or Google voice
(Google.en-US-Chirp3-HD-Aoede); language defaults to en-US and voice to man, but "the default value
for voice depends on your account-level Text-to-Speech settings"; "Using an invalid combination of
voice and language may result in error and <Say> instruction failure". Error 13511 "Say: Invalid
voice value"; error 13520 "Say: Invalid text" (empty or un-parsable); error 13513 "Say: Invalid
rate value": "Twilio uses a default rate value ... Basic voices do not support SSML, so <prosody>
is not available ... unsupported SSML can cause <Say> to fail".

Where the docs are silent the simulator chooses the less convenient reading:
- the Basic voices speak only en-US, en-GB, es-ES, fr-FR and de-DE (their historic list; the
  current pages do not repeat it); "alice" is no longer an accepted value and is an invalid voice;
- an account's default voice for a language (its Console TTS settings) is man for those languages
  and Google.<language>-Standard-A otherwise, unless the network is given other defaults;
- a voice/language mismatch makes the <Say> fail: nothing is spoken, a 13511 warning is recorded;
- SSML with a Basic voice is not interpreted (no pauses, no aliases, default rate) and draws a
  warning; an element that is not an SSML tag Twilio supports makes the <Say> fail (13520).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

BASIC_LANGUAGES = {"en-US", "en-GB", "es-ES", "fr-FR", "de-DE"}
LANGUAGE_ALIASES = {
    "en": "en-US",
    "en-gb": "en-GB",
    "en-uk": "en-GB",
    "es": "es-ES",
    "fr": "fr-FR",
    "de": "de-DE",
}
POLLY_VOICES = {  # Amazon Polly voice -> its language (a subset: the languages around the exchange)
    "Lotte": "nl-NL",
    "Ruben": "nl-NL",
    "Laura": "nl-NL",
    "Lisa": "nl-BE",
    "Joanna": "en-US",
    "Matthew": "en-US",
    "Salli": "en-US",
    "Joey": "en-US",
    "Ivy": "en-US",
    "Kendra": "en-US",
    "Kimberly": "en-US",
    "Justin": "en-US",
    "Kevin": "en-US",
    "Ruth": "en-US",
    "Amy": "en-GB",
    "Brian": "en-GB",
    "Emma": "en-GB",
    "Arthur": "en-GB",
    "Marlene": "de-DE",
    "Hans": "de-DE",
    "Vicki": "de-DE",
    "Daniel": "de-DE",
    "Celine": "fr-FR",
    "Mathieu": "fr-FR",
    "Lea": "fr-FR",
    "Remi": "fr-FR",
    "Conchita": "es-ES",
    "Enrique": "es-ES",
    "Lucia": "es-ES",
    "Sergio": "es-ES",
    "Filiz": "tr-TR",
    "Burcu": "tr-TR",
    "Zeina": "arb",
    "Hala": "ar-AE",
    "Ewa": "pl-PL",
    "Maja": "pl-PL",
    "Jacek": "pl-PL",
    "Ola": "pl-PL",
}
POLLY_SUFFIXES = ("-Neural", "-Generative", "-Long-Form")
SSML_TAGS = {"break", "emphasis", "lang", "p", "phoneme", "prosody", "s", "say-as", "sub", "w"}
RATES = {"x-slow": 0.5, "slow": 0.75, "medium": 1.0, "fast": 1.25, "x-fast": 1.5}
BREAKS = {"none": 0.0, "x-weak": 0.1, "weak": 0.25, "medium": 0.5, "strong": 0.75, "x-strong": 1.0}


@dataclass(frozen=True)
class Voice:
    name: str
    language: str
    kind: str  # basic, polly or google

    @property
    def speaks_ssml(self) -> bool:
        return self.kind != "basic"


@dataclass(frozen=True)
class Speech:
    """What a <Say> makes the caller hear: the text without tags, and how long it takes."""

    text: str
    words: int
    rate: float = 1.0  # relative speaking rate (prosody)
    extra_s: float = 0.0  # pauses from <break>
    ssml: bool = False


class SayFailed(Exception):
    """The <Say> is not spoken at all (Twilio logs a warning with this code)."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


def normalise_language(language: str | None) -> str | None:
    if not language:
        return None
    return LANGUAGE_ALIASES.get(language.lower(), language)


def default_voice(language: str, account_voices: dict[str, str]) -> str:
    return account_voices.get(language) or (
        "man" if language in BASIC_LANGUAGES else f"Google.{language}-Standard-A"
    )


def resolve_voice(voice: str | None, language: str | None, account_voices: dict) -> Voice:
    """The voice that speaks, checked against the language; raises SayFailed when invalid."""
    language = normalise_language(language)
    name = (voice or "").strip()
    if not name:
        language = language or "en-US"
        name = default_voice(language, account_voices)
    kind, spoken = _voice_languages(name)
    if kind is None:
        raise SayFailed(13511, f"Say: Invalid voice value {name!r}")
    language = language or (sorted(spoken)[0] if spoken else "en-US")
    if language not in spoken:
        raise SayFailed(13511, f"Say: voice {name!r} does not speak language {language!r}")
    return Voice(name, language, kind)


def _voice_languages(name: str) -> tuple[str | None, set[str]]:
    if name in ("man", "woman"):
        return "basic", BASIC_LANGUAGES
    if name.startswith("Polly."):
        base = name[len("Polly.") :]
        for suffix in POLLY_SUFFIXES:
            base = base.removesuffix(suffix)
        language = POLLY_VOICES.get(base)
        return ("polly", {language}) if language else (None, set())
    match = re.fullmatch(r"Google\.([a-z]{2,3}-[A-Z]{2})-[\w-]+", name)
    if match:
        return "google", {match.group(1)}
    return None, set()


def speech_of(element: ET.Element, voice: Voice) -> tuple[Speech, list[tuple[int, str]]]:
    """-> (what is heard, warnings as (code, message)); raises SayFailed for un-parsable text."""
    warnings: list[tuple[int, str]] = []
    children = [child for child in element.iter() if child is not element]
    unknown = sorted({child.tag for child in children if child.tag not in SSML_TAGS})
    if unknown:
        raise SayFailed(13520, f"Say: Invalid text (unsupported element <{unknown[0]}>)")
    ssml = bool(children)
    if ssml and not voice.speaks_ssml:
        warnings.append(
            (
                13513 if any(c.tag == "prosody" for c in children) else 13520,
                f"Basic voice {voice.name!r} does not support SSML; tags ignored",
            )
        )
        text = _plain("".join(element.itertext()))
        speech = Speech(text, len(text.split()))
    else:
        parts: list[str] = []
        pauses: list[float] = []
        rates: list[float] = []
        parts.append(element.text or "")
        for child in element:
            _walk(child, parts, pauses, rates, warnings)
        text = _plain("".join(parts))
        rate = min(rates) if rates else 1.0
        speech = Speech(text, len(text.split()), rate, sum(pauses), ssml)
    if not speech.text:
        raise SayFailed(13520, "Say: Invalid text (empty)")
    return speech, warnings


def _walk(element, parts, pauses, rates, warnings) -> None:
    separate = element.tag in ("p", "s", "break")  # sentences, paragraphs and pauses part words
    if separate:
        parts.append(" ")
    if element.tag == "sub" and element.get("alias"):
        parts.append(element.get("alias"))
    else:
        parts.append(element.text or "")
        if element.tag == "break":
            pauses.append(_break_s(element))
        elif element.tag == "prosody" and element.get("rate"):
            rate = _rate(element.get("rate"))
            if rate is None:
                warnings.append((13513, f"Say: Invalid rate value {element.get('rate')!r}"))
            else:
                rates.append(rate)
        for child in element:
            _walk(child, parts, pauses, rates, warnings)
    if separate:
        parts.append(" ")
    parts.append(element.tail or "")


def _plain(text: str) -> str:
    return " ".join(text.split())


def _rate(value: str) -> float | None:
    value = value.strip()
    if value in RATES:
        return RATES[value]
    match = re.fullmatch(r"(\d+(?:\.\d+)?)%", value)
    if match and 20 <= float(match.group(1)) <= 200:
        return float(match.group(1)) / 100
    return None


def _break_s(element: ET.Element) -> float:
    time_value = (element.get("time") or "").strip()
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s)", time_value)
    if match:
        amount = float(match.group(1))
        return min(amount / 1000 if match.group(2) == "ms" else amount, 10.0)
    return BREAKS.get(element.get("strength", "medium"), 0.5)
