"""Recorded prompts: stored and checked in bhc.prompts_store, played by every webhook that says
the message, served to the carrier at an unguessable URL."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bhc.db import utcnow
from bhc.models import AuditLog
from bhc.prompts import recordings
from tests.integration.test_webhooks import CALL, said, start

MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 64
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 32
STAR = "Press star to hear this again."
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def record(exchange, msgid=STAR, language="nl", data=MP3):
    with exchange.db.session() as session:
        prompt = recordings.save(session, key=recordings.message_key(msgid),
                                    language=language, data=data, user_id=None, now=utcnow())
        file_name = recordings.Recording(prompt.id, prompt.token,
                                            prompt.content_type).file_name
    recordings.index(exchange.db).forget()
    return file_name


def played(response) -> list[str]:
    return [node.text for node in ET.fromstring(response.data).iter("Play")]


def test_only_fixed_sentences_can_be_recorded():
    messages = recordings.recordable_messages()
    assert STAR in messages
    assert "Press 1 to pause calls for a week." in messages
    assert not [m for m in messages if "%(" in m]
    assert "groceries" not in messages and "Monday" not in messages


@pytest.mark.parametrize("data, reason", [
    (b"", "empty"),
    (b"<html>not audio</html>", "not_audio"),
    (b"ID3" + b"\x00" * recordings.MAX_BYTES, "too_large"),
])
def test_what_is_not_a_playable_recording_is_refused(data, reason):
    with pytest.raises(recordings.BadAudio) as refused:
        recordings.sniff(data)
    assert refused.value.reason == reason


def test_mp3_and_wav_are_told_by_their_first_bytes():
    assert recordings.sniff(MP3) == "audio/mpeg"
    assert recordings.sniff(b"\xff\xfb\x90\x00rest") == "audio/mpeg"
    assert recordings.sniff(WAV) == "audio/wav"


def test_a_recorded_message_is_played_and_the_others_are_spoken(phone, exchange):
    file_name = record(exchange)
    menu = start(phone)
    assert played(menu) == [f"{exchange.urls.base}/ivr/audio/{file_name}"]
    assert "Druk sterretje" not in said(menu)
    assert "Druk 1 voor boodschappen doen." in said(menu)
    gather = ET.fromstring(menu.data).find("Gather")
    assert [node.tag for node in gather][-3:] == ["Say", "Play", "Say"]  # inside the Gather


@SQLITE_ONLY
def test_a_recording_in_one_language_leaves_the_other_spoken(phone, exchange):
    record(exchange, language="en")
    assert played(start(phone)) == []
    assert "Druk sterretje om dit nog eens te horen." in said(start(phone))


def test_the_carrier_fetches_the_audio_without_a_signature_and_may_cache_it(phone, exchange):
    file_name = record(exchange)
    response = phone.client.get(f"/ivr/audio/{file_name}")
    assert response.status_code == 200
    assert response.data == MP3 and response.mimetype == "audio/mpeg"
    assert "immutable" in response.headers["Cache-Control"]
    prompt_id, rest = file_name.split("-", 1)
    assert phone.client.get(f"/ivr/audio/{prompt_id}-{'0' * 32}.mp3").status_code == 404
    assert phone.client.get(f"/ivr/audio/{prompt_id}-{rest[:-4]}.wav").status_code == 404


def test_a_new_upload_gets_a_new_url_and_the_old_one_stops_working(phone, exchange):
    first = record(exchange)
    second = record(exchange, data=WAV)
    assert second.endswith(".wav") and second != first
    assert phone.client.get(f"/ivr/audio/{first}").status_code == 404
    assert played(start(phone)) == [f"{exchange.urls.base}/ivr/audio/{second}"]
    with exchange.db.session() as session:
        assert list(session.scalars(select(AuditLog.action))) == ["upload", "upload"]


@SQLITE_ONLY
def test_without_the_database_the_apology_is_still_spoken(phone, exchange, monkeypatch):
    def broken():
        raise OperationalError("SELECT", {}, Exception("the database is gone"))

    start(phone)
    recordings.index(exchange.db).forget()  # so the apology has to look recordings up
    monkeypatch.setattr(exchange.db, "sessions", broken)
    response = phone.post("/ivr/menu?try=1", CallSid=CALL, Digits="1")
    assert "er ging bij ons iets mis" in said(response)
