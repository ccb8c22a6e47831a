"""Recorded prompts: a coordinator's recording of a fixed caller message in one language.

The IVR plays a recording where one exists and speaks the text otherwise. Only messages without
values can be recorded (a message naming a category or a date is always spoken). Recordings
live in the database, so every web worker serves them; the carrier fetches them from a public
URL holding a random token, which changes with every upload (so the URL is immutable and
cacheable, and unguessable).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bhc.audit import services as audit
from bhc.db import Database
from bhc.i18n import DEFAULT_LANGUAGE, catalogue
from bhc.prompts.models import RecordedPrompt

log = logging.getLogger(__name__)

MAX_BYTES = 2 * 1024 * 1024
EXTENSIONS = {"audio/mpeg": "mp3", "audio/wav": "wav"}
CACHE_SECONDS = 30.0  # how soon another web worker plays a new upload


class BadAudio(ValueError):
    """Not a recording we can play; ``reason`` is 'empty', 'too_large' or 'not_audio'."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnknownMessage(LookupError):
    """No fixed caller message has this key."""


def message_key(msgid: str) -> str:
    """A short stable key for a catalogue message (msgids are long sentences)."""
    return hashlib.sha1(msgid.encode("utf-8")).hexdigest()


def recordable_messages() -> list[str]:
    """The caller messages that can be recorded: whole sentences without values, in catalogue
    order (category labels, day names and other fragments are not messages of their own)."""
    return [msgid for msgid in catalogue(DEFAULT_LANGUAGE).messages
            if "%(" not in msgid and msgid.rstrip().endswith((".", "?", "!"))]


def message_for(key: str) -> str:
    for msgid in recordable_messages():
        if message_key(msgid) == key:
            return msgid
    raise UnknownMessage(key)


def sniff(data: bytes) -> str:
    """The content type by the file's first bytes (the browser's claim is not trusted)."""
    if not data:
        raise BadAudio("empty")
    if len(data) > MAX_BYTES:
        raise BadAudio("too_large")
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    raise BadAudio("not_audio")


def save(session: Session, *, key: str, language: str, data: bytes, user_id: int | None,
         now: datetime) -> RecordedPrompt:
    """Store (or replace) the recording of one message in one language."""
    msgid = message_for(key)
    content_type = sniff(data)
    prompt = session.scalar(select(RecordedPrompt).where(RecordedPrompt.message_key == key,
                                                         RecordedPrompt.language == language))
    if prompt is None:
        prompt = RecordedPrompt(message_key=key, language=language)
        session.add(prompt)
    prompt.audio, prompt.content_type = data, content_type
    prompt.token = secrets.token_hex(16)
    prompt.uploaded_at, prompt.uploaded_by_id = now, user_id
    session.flush()
    audit.record(session, user_id=user_id, action="upload", object_type="recorded_prompt",
                 object_id=prompt.id, summary=f"{language}: {msgid}", now=now)
    return prompt


def delete(session: Session, prompt: RecordedPrompt, user_id: int | None,
           now: datetime) -> None:
    try:
        msgid = message_for(prompt.message_key)
    except UnknownMessage:  # a message the catalogue no longer has
        msgid = prompt.message_key
    audit.record(session, user_id=user_id, action="delete", object_type="recorded_prompt",
                 object_id=prompt.id, summary=f"{prompt.language}: {msgid}", now=now)
    session.delete(prompt)
    session.flush()


def listing(session: Session) -> dict[tuple[str, str], RecordedPrompt]:
    """Every recording by (message key, language), without loading the audio."""
    rows = session.execute(select(RecordedPrompt.id, RecordedPrompt.message_key,
                                  RecordedPrompt.language, RecordedPrompt.token,
                                  RecordedPrompt.content_type, RecordedPrompt.uploaded_at))
    return {(key, language): Recording(id_, token, content_type, uploaded_at)
            for id_, key, language, token, content_type, uploaded_at in rows}


@dataclass(frozen=True)
class Recording:
    """What a prompt needs to play a recording: its public file name."""

    id: int
    token: str
    content_type: str
    uploaded_at: datetime | None = None

    @property
    def extension(self) -> str:
        return EXTENSIONS.get(self.content_type, "mp3")

    @property
    def file_name(self) -> str:
        return f"{self.id}-{self.token}.{self.extension}"


def audio(session: Session, prompt_id: int, token: str) -> RecordedPrompt | None:
    """The recording a public URL names, if its token matches."""
    prompt = session.get(RecordedPrompt, prompt_id)
    if prompt is None or not secrets.compare_digest(prompt.token, token):
        return None
    return prompt


class RecordingIndex:
    """Which messages have a recording, per language, cached for ``CACHE_SECONDS`` so webhooks
    do not query for it on every request. A failed lookup means 'speak the text'."""

    def __init__(self, db: Database, ttl_s: float = CACHE_SECONDS) -> None:
        self.db = db
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._cached: dict[str, tuple[float, dict[str, Recording]]] = {}

    def of(self, language: str) -> dict[str, Recording]:
        now = time.monotonic()
        with self._lock:
            hit = self._cached.get(language)
        if hit is not None and now - hit[0] < self.ttl_s:
            return hit[1]
        try:
            with self.db.session() as session:
                rows = session.execute(
                    select(RecordedPrompt.message_key, RecordedPrompt.id, RecordedPrompt.token,
                           RecordedPrompt.content_type)
                    .where(RecordedPrompt.language == language))
                found = {key: Recording(id_, token, content_type)
                         for key, id_, token, content_type in rows}
        except SQLAlchemyError:
            log.warning("could not look up recorded prompts; speaking the texts", exc_info=True)
            return {}
        with self._lock:
            self._cached[language] = (now, found)
        return found

    def forget(self) -> None:
        """Drop the cache (after an upload or delete in this process)."""
        with self._lock:
            self._cached.clear()


_indexes: weakref.WeakKeyDictionary[Database, RecordingIndex] = weakref.WeakKeyDictionary()
_indexes_lock = threading.Lock()


def index(db: Database) -> RecordingIndex:
    """The one recording index of this database in this process."""
    with _indexes_lock:
        found = _indexes.get(db)
        if found is None:
            found = _indexes[db] = RecordingIndex(db)
        return found
