"""Pages a browser shows are hardened: a strict CSP, no framing, no sniffing, no referrer to
other sites, HSTS behind https, and a session cookie script cannot read."""

from __future__ import annotations

import pytest
from werkzeug.test import Client

from bhc.app import CONTENT_SECURITY_POLICY, create_app, wsgi_stack
from ivr.simulator import SimulatedNetwork
from tests.admin.conftest import add_user, sign_in

PAGES = ["/admin/", "/admin/participants", "/admin/requests", "/admin/report", "/admin/login",
         "/meedoen", "/admin/no-such-page"]


def assert_hardened(response, https: bool = False) -> None:
    headers = response.headers
    policy = headers["Content-Security-Policy"]
    assert policy == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in policy and "unsafe" not in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert ("Strict-Transport-Security" in headers) == https


@pytest.mark.parametrize("path", PAGES)
def test_every_sampled_page_is_hardened(admin, path):
    assert_hardened(admin.get(path))


def test_the_demo_phone_page_and_its_script_are_hardened(exchange):
    exchange.network = SimulatedNetwork(account_sid=exchange.config.account_sid,
                                        auth_token=exchange.config.auth_token)
    try:
        client = Client(wsgi_stack(exchange))
        for path in ("/sim/phone", "/sim/phone.js", "/sim/phone.css"):
            response = client.get(path)
            assert response.status_code == 200, path
            assert_hardened(response)
    finally:
        exchange.network.shutdown()
        exchange.network = None


def test_behind_https_pages_ask_for_https_and_the_cookie_is_secure(exchange, neighbourhoods):
    exchange.config = exchange.config.replace(server={"public_url": "https://bhc.example.nl"})
    app = create_app(exchange)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    add_user(exchange, "ada@example.nl", role="admin", neighbourhoods=())
    client = app.test_client()
    signed_in = sign_in(client, "ada@example.nl")
    assert_hardened(signed_in, https=True)
    cookie = signed_in.headers["Set-Cookie"]
    flags = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")}
    assert "secure" in flags and "httponly" in flags
    assert flags["samesite"].lower() == "samesite=lax"


def test_over_plain_http_the_cookie_is_still_hidden_from_scripts(app, exchange, neighbourhoods):
    add_user(exchange, "ada@example.nl", role="admin", neighbourhoods=())
    cookie = sign_in(app.test_client(), "ada@example.nl").headers["Set-Cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
