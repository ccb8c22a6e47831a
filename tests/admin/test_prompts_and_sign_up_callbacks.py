"""The recorded prompts page (admins) and the sign-up call-backs on the dashboard."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from bhc.models import AuditLog, RecordedPrompt, RegistrationCallback
from bhc.prompts import recordings
from tests.integration.conftest import EXCHANGE, SignedClient
from tests.integration.prompts.test_recorded_prompts import MP3, STAR, played
from tests.integration.test_webhooks import said

KEY = recordings.message_key(STAR)
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def upload(client, data, language="nl", key=KEY):
    return client.post(f"/admin/prompts/{key}/{language}",
                       data={"audio": (io.BytesIO(data), "ster.mp3")},
                       content_type="multipart/form-data", follow_redirects=True)


@SQLITE_ONLY
def test_only_admins_manage_recorded_prompts(coordinator):
    assert coordinator.get("/admin/prompts").status_code == 403
    assert upload(coordinator, MP3).status_code == 403


@SQLITE_ONLY
def test_the_page_lists_every_fixed_message_in_dutch_and_english(admin):
    page = admin.get("/admin/prompts").text
    assert "Druk sterretje om dit nog eens te horen." in page
    assert "Press star to hear this again." in page
    assert "Druk %(key)s" not in page and "boodschappen doen" not in page


def test_an_uploaded_recording_is_listened_to_played_and_deleted(admin, exchange):
    page = upload(admin, MP3).text
    assert "De opname is geüpload" in page or "The recording is uploaded" in page
    with exchange.db.session() as session:
        prompt = session.scalar(select(RecordedPrompt))
        audio_url = f"/ivr/audio/{prompt.id}-{prompt.token}.mp3"
    assert f'src="{audio_url}"' in page
    assert admin.get(audio_url).data == MP3

    phone = SignedClient(exchange)
    menu = phone.post("/ivr/voice", CallSid="CA" + "1" * 32, To=EXCHANGE, From="+31612777777")
    assert played(menu) == [exchange.urls.base + audio_url]

    admin.post(f"/admin/prompts/{KEY}/nl/delete", follow_redirects=True)
    menu = phone.post("/ivr/voice", CallSid="CA" + "2" * 32, To=EXCHANGE, From="+31612777777")
    assert played(menu) == [] and "Druk sterretje" in said(menu)
    with exchange.db.session() as session:
        assert list(session.scalars(select(AuditLog.action).order_by(AuditLog.id))) == [
            "upload", "delete"]


@SQLITE_ONLY
def test_a_file_that_is_not_audio_is_refused_with_the_reason(admin, exchange):
    page = upload(admin, b"<html>hello</html>").text
    assert "geen MP3- of WAV-bestand" in page or "not an MP3 or WAV file" in page
    with exchange.db.session() as session:
        assert session.scalar(select(RecordedPrompt)) is None


@SQLITE_ONLY
def test_an_unknown_message_or_language_is_not_found(admin):
    assert upload(admin, MP3, key="0" * 40).status_code == 404
    assert upload(admin, MP3, language="xx").status_code == 404


def ask_to_sign_up(exchange, phone_number="+31612999999", to=EXCHANGE):
    phone = SignedClient(exchange)
    sid = "CA" + phone_number[-8:].rjust(32, "0")
    phone.post("/ivr/voice", CallSid=sid, To=to, From=phone_number)
    phone.post("/ivr/menu?try=1", CallSid=sid, Digits="8")


def test_the_dashboard_lists_sign_up_callbacks_masked_until_done(coordinator, exchange):
    ask_to_sign_up(exchange)
    page = coordinator.get("/admin/").text
    assert "/admin/sign-up-callbacks/1/done" in page
    assert "+31 6 ****9999" in page and "+31612999999" not in page
    with exchange.db.session() as session:
        callback = session.scalar(select(RegistrationCallback))
    assert f"/admin/participants/{callback.participant_id}" in page  # the full number is there
    done = coordinator.post(f"/admin/sign-up-callbacks/{callback.id}/done",
                            follow_redirects=True)
    assert f"/admin/sign-up-callbacks/{callback.id}/done" not in done.text
    with exchange.db.session() as session:
        assert session.get(RegistrationCallback, callback.id).done_at is not None


@SQLITE_ONLY
def test_a_coordinator_sees_only_the_callbacks_of_their_neighbourhoods(coordinator, exchange):
    from tests.admin.conftest import OTHER_EXCHANGE

    ask_to_sign_up(exchange, to=OTHER_EXCHANGE)
    assert "/admin/sign-up-callbacks/" not in coordinator.get("/admin/").text
    with exchange.db.session() as session:
        callback_id = session.scalar(select(RegistrationCallback.id))
    assert coordinator.post(f"/admin/sign-up-callbacks/{callback_id}/done").status_code == 403
