"""Signing in, throttling, CSRF, session expiry and the language switch."""

from __future__ import annotations

import re
import time

from sqlalchemy import select

from bhc.models import User
from tests.admin.conftest import add_user, sign_in
from tests.integration.conftest import CALLER, EXCHANGE, SignedClient


def test_a_page_without_sign_in_redirects_to_the_login_page(app):
    response = app.test_client().get("/admin/participants")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login?next=")


def test_the_root_leads_to_the_admin_pages(app):
    assert app.test_client().get("/").headers["Location"] == "/admin/"


def test_signing_in_opens_the_pages_and_records_the_login(app, exchange, neighbourhoods):
    add_user(exchange, "coco@example.nl")
    client = app.test_client()
    response = sign_in(client, "Coco@Example.nl ")
    assert response.status_code == 302
    page = client.get("/admin/")
    assert page.status_code == 200
    assert "Hulpvragen van vandaag" in page.text
    with exchange.db.session() as session:
        user = session.scalar(select(User).where(User.email == "coco@example.nl"))
        assert user.last_login_at is not None


def test_a_wrong_password_is_refused(app, exchange, neighbourhoods):
    add_user(exchange, "coco@example.nl")
    client = app.test_client()
    response = sign_in(client, "coco@example.nl", "not the password")
    assert response.status_code == 200
    assert "E-mailadres of wachtwoord klopt niet." in response.text
    assert client.get("/admin/").status_code == 302


def test_repeated_failures_throttle_even_the_right_password(app, exchange, neighbourhoods):
    add_user(exchange, "coco@example.nl")
    client = app.test_client()
    for _ in range(5):
        sign_in(client, "coco@example.nl", "guess")
    response = sign_in(client, "coco@example.nl")
    assert "Te veel mislukte pogingen voor dit e-mailadres" in response.text
    assert client.get("/admin/").status_code == 302
    add_user(exchange, "other@example.nl")
    assert sign_in(client, "other@example.nl").status_code == 302


def test_a_form_without_csrf_token_is_refused(app, exchange, neighbourhoods):
    app.config["WTF_CSRF_ENABLED"] = True
    add_user(exchange, "coco@example.nl")
    client = app.test_client()
    response = sign_in(client, "coco@example.nl")
    assert response.status_code == 400
    assert "Het formulier was verlopen" in response.text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get("/admin/login").text).group(1)
    response = client.post("/admin/login", data={"email": "coco@example.nl",
                                                 "password": "correct horse battery",
                                                 "csrf_token": token})
    assert response.status_code == 302
    assert client.post("/admin/participants/new", data={"name": "X"}).status_code == 400


def test_webhooks_need_no_csrf_token(exchange):
    phone = SignedClient(exchange)
    phone.client.application.config["WTF_CSRF_ENABLED"] = True
    response = phone.post("/ivr/voice", CallSid="CA" + "1" * 32, To=EXCHANGE, From=CALLER)
    assert response.status_code == 200
    assert b"<Gather" in response.data


def test_a_session_ends_after_the_configured_hours(coordinator, app):
    with coordinator.session_transaction() as session:
        session["signed_in_at"] = time.time() - 9 * 3600
    response = coordinator.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login" in response.headers["Location"]


def test_the_language_switch_shows_english(coordinator):
    response = coordinator.get("/admin/language/en?next=/admin/participants",
                               follow_redirects=True)
    assert "Add a participant" in response.text
    assert '<html lang="en">' in response.text
    response = coordinator.get("/admin/language/nl?next=//evil.example", follow_redirects=False)
    assert response.headers["Location"] == "/admin/"
    assert "Deelnemer toevoegen" in coordinator.get("/admin/participants").text


def test_signing_out_ends_the_session(coordinator):
    assert coordinator.post("/admin/logout").status_code == 302
    assert coordinator.get("/admin/").status_code == 302
