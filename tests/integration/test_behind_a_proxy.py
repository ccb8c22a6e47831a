"""Behind a reverse proxy the app takes the client's address from the trusted proxies only."""

from __future__ import annotations

import pytest
from flask import request

from bhc import config as config_module
from bhc.app import create_app
from bhc.bootstrap import build


def client_address_seen(database_url: str, trusted_proxies: int) -> str:
    exchange = build(config_module.from_mapping({
        "database": {"url": database_url},
        "server": {"trusted_proxies": trusted_proxies},
    }))
    try:
        app = create_app(exchange)
        app.add_url_rule("/test/address", "address", lambda: request.remote_addr or "")
        response = app.test_client().get(
            "/test/address", environ_base={"REMOTE_ADDR": "10.0.0.2"},
            headers={"X-Forwarded-For": "192.0.2.7, 198.51.100.9"})
        return response.get_data(as_text=True)
    finally:
        exchange.stop()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_one_trusted_proxy_gives_the_address_it_saw(database_url):
    assert client_address_seen(database_url, 1) == "198.51.100.9"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_without_trusted_proxies_forwarded_headers_are_ignored(database_url):
    assert client_address_seen(database_url, 0) == "10.0.0.2"


def test_an_impossible_number_of_proxies_names_the_key():
    with pytest.raises(config_module.ConfigError, match="server.trusted_proxies"):
        config_module.from_mapping({"server": {"trusted_proxies": 9}})
