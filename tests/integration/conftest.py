"""Fixtures for service and webhook tests: a real database, a fake carrier, signed requests."""

from __future__ import annotations

import itertools
import random

import pytest
from twilio.request_validator import RequestValidator

from bhc.app import create_app
from bhc.bootstrap import build
from bhc.calls.carrier import CarrierError
from bhc.db import utcnow
from bhc.neighbourhoods.services import add_neighbourhood
from bhc.people.participants import ParticipantData, save

EXCHANGE = "+31702000001"
CALLER = "+31703561234"


class ProcessDied(BaseException):
    """The engine's process ended here (no ``except Exception`` in the engine catches it)."""


class FakeCarrier:
    """Records what the engine asks of the network; can be told to fail, or to take a call and
    never answer because the engine's process died meanwhile (``die_next``)."""

    def __init__(self) -> None:
        self.placed: list[dict] = []
        self.ended: list[tuple[str, bool]] = []
        self.redirected: list[tuple[str, str]] = []
        self.deleted_queues: list[str] = []
        self.fail_next = 0
        self.die_next = 0
        self._sids = itertools.count(1)

    def place_call(self, *, to, from_, url, status_callback, timeout_s,
                   machine_detection_url=None):
        if self.fail_next:
            self.fail_next -= 1
            raise CarrierError("HTTP 503 from carrier")
        sid = f"CA{next(self._sids):032d}"
        self.placed.append(dict(sid=sid, to=to, from_=from_, url=url,
                                status_callback=status_callback, timeout_s=timeout_s,
                                machine_detection_url=machine_detection_url))
        if self.die_next:
            self.die_next -= 1
            raise ProcessDied(f"the engine died before it heard of {sid}")
        return sid

    def end_call(self, sid, *, answered):
        self.ended.append((sid, answered))

    def redirect_call(self, sid, url):
        self.redirected.append((sid, url))

    def delete_queue(self, queue_sid):
        self.deleted_queues.append(queue_sid)


def next_engine(exchange) -> None:
    """After the engine's process died (``ProcessDied``): a new engine over the same database
    and carrier takes over; nothing of the old one's memory survives."""
    fresh = build(exchange.config, carrier=exchange.carrier)
    fresh.engine.rng = random.Random(43)
    exchange.engine = fresh.engine


def volunteer(session, neighbourhood_id, phone, categories=("groceries",), **changes):
    fields = dict(
        name=f"Volunteer {phone[-4:]}", phone=phone, postcode="2551AB", house_number="1",
        neighbourhood_id=neighbourhood_id, is_helper=True, is_asker=False,
        categories=frozenset(categories), languages="nl", availability="", call_consent=True,
    )
    fields.update(changes)
    save(session, ParticipantData(**fields), utcnow(), source="test")


@pytest.fixture
def carrier():
    return FakeCarrier()


@pytest.fixture
def exchange(config, carrier):
    exchange = build(config, carrier=carrier)
    exchange.engine.rng = random.Random(42)
    with exchange.db.session() as session:
        neighbourhood = add_neighbourhood(session, "Segbroek", EXCHANGE, ["2551"], 12000)
        volunteer(session, neighbourhood.id, "+31612340001")
        volunteer(session, neighbourhood.id, "+31612340002")
        volunteer(session, neighbourhood.id, "+31612340003", categories=("transport",))
        volunteer(session, neighbourhood.id, CALLER, is_asker=True)
    yield exchange
    exchange.stop()


class SignedClient:
    """Posts to webhooks the way the carrier does: form-encoded and signed."""

    def __init__(self, exchange) -> None:
        self.client = create_app(exchange).test_client()
        self.validator = RequestValidator(exchange.config.auth_token)
        self.base = exchange.config.server.public_url.rstrip("/")

    def post(self, path: str, signature: str | None = None, **form):
        form = {key: str(value) for key, value in form.items()}
        if signature is None:
            signature = self.validator.compute_signature(self.base + path, form)
        return self.client.post(path, data=form, headers={"X-Twilio-Signature": signature})


@pytest.fixture
def phone(exchange):
    return SignedClient(exchange)
