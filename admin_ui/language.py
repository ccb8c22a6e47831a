"""The language of the pages: Dutch unless the reader chose English (kept in the session)."""

from __future__ import annotations

from flask import session

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"


def selected_language() -> str:
    language = session.get("language")
    return language if language in LANGUAGES else DEFAULT_LANGUAGE
