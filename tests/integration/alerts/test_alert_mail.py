"""The office hears of trouble by e-mail, through a real SMTP server (aiosmtpd), once per
incident however often it is looked for."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes
from email.policy import default

import pytest
from aiosmtpd.controller import Controller

from bhc.alerts.delivery import deliver
from bhc.db import utcnow
from bhc.engines import heartbeat
from tests.e2e.conftest import free_port
from tests.integration.conftest import CALLER
from tests.integration.test_webhooks import CALL, request_of, start

OFFICE = "kantoor@burenhulp.example"


class Inbox:
    """aiosmtpd's handler: keeps every message it is given."""

    def __init__(self) -> None:
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 OK"


@pytest.fixture
def inbox():
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(),
                            server_hostname="localhost")  # no slow look-up of its own name
    controller.start()
    yield handler.messages, controller.port
    controller.stop()


@pytest.fixture
def mailing(exchange, inbox):
    """The exchange with [mail] pointing at the local SMTP server."""
    _, port = inbox
    exchange.config = exchange.config.replace(
        office={"email": OFFICE},
        mail={"host": "127.0.0.1", "port": port, "starttls": False,
              "sender": "centrale@burenhulp.example"})
    return exchange


def body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_an_unmatched_request_sends_one_mail_without_the_number(mailing, inbox, phone):
    messages, _ = inbox
    start(phone)
    phone.post("/ivr/menu?try=1", CallSid=CALL, Digits="5")  # nobody covers "a chat"
    mailing.engine.tick()
    request = request_of(mailing)
    assert request.state == "unmatched"

    assert deliver(mailing.db, mailing.config) == 1
    for _ in range(3):  # later rounds, as in every process's watchdog: nothing more
        assert deliver(mailing.db, mailing.config) == 0
    assert len(messages) == 1
    recipients, message = messages[0]
    assert recipients == [OFFICE]
    text = body(message)
    assert "Segbroek" in message["Subject"]
    assert "Segbroek" in text and "praatje maken" in text
    assert f"{mailing.config.server.public_url}/admin/requests/{request.id}" in text
    national = CALLER[3:]  # 703561234
    assert national not in text and national not in message["Subject"]


def test_a_silent_engine_is_one_incident_mailed_once_and_a_later_outage_another(
        mailing, inbox):
    messages, _ = inbox
    after = timedelta(seconds=mailing.config.alerts.engine_after_s)
    engine_id = mailing.engine.register()
    with mailing.db.session() as session:
        heartbeat.beat(session, engine_id, utcnow(), 0.01)
    assert deliver(mailing.db, mailing.config) == 0  # it just stepped

    later = utcnow() + after + timedelta(seconds=1)
    assert deliver(mailing.db, mailing.config, later) == 1
    assert deliver(mailing.db, mailing.config, later + timedelta(minutes=5)) == 0
    assert "geen vrijwilligers gebeld" in messages[0][1]["Subject"]

    with mailing.db.session() as session:  # it came back, then went silent again
        heartbeat.beat(session, engine_id, later, 0.01)
    assert deliver(mailing.db, mailing.config, later + after + timedelta(seconds=1)) == 1
    assert len(messages) == 2


def test_without_a_mail_host_nothing_is_sent_and_nothing_breaks(exchange, inbox, phone):
    messages, _ = inbox
    start(phone)
    phone.post("/ivr/menu?try=1", CallSid=CALL, Digits="5")
    exchange.engine.tick()
    assert deliver(exchange.db, exchange.config) == 0
    assert messages == []
