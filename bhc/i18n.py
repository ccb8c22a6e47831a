"""Message catalogues for what callers hear: gettext .po files, one per language.

Source strings (msgids) are English; ``nl`` is the default language. Adding a language is adding
``translations/<code>/LC_MESSAGES/bhc.po``: the menu offers it, and its ``Language`` header
(e.g. ``nl_NL``) gives the speech language.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).parent / "translations"
DEFAULT_LANGUAGE = "nl"


class Catalogue:
    def __init__(self, code: str, messages: dict[str, str], speech_language: str) -> None:
        self.code = code
        self.messages = messages
        self.speech_language = speech_language

    def text(self, msgid: str, **values: object) -> str:
        """The translated text with ``%(name)s`` placeholders filled in."""
        template = self.messages.get(msgid) or msgid
        return template % values if values else template


@lru_cache(maxsize=None)
def catalogue(code: str) -> Catalogue:
    path = TRANSLATIONS / code / "LC_MESSAGES" / "bhc.po"
    if not path.exists():
        if code == DEFAULT_LANGUAGE:
            raise LookupError(f"the default catalogue {path} is missing")
        return catalogue(DEFAULT_LANGUAGE)
    with path.open("rb") as file:
        po = read_po(file)
    messages = {m.id: m.string for m in po if m.id and m.string and not m.fuzzy}
    locale = po.locale
    speech = f"{locale.language}-{locale.territory}" if locale and locale.territory else code
    return Catalogue(code, messages, speech)


@lru_cache(maxsize=1)
def available_languages() -> tuple[str, ...]:
    """Codes with a catalogue, the default first."""
    codes = sorted(
        path.name for path in TRANSLATIONS.iterdir() if (path / "LC_MESSAGES" / "bhc.po").exists()
    )
    return tuple(sorted(codes, key=lambda code: code != DEFAULT_LANGUAGE))
