"""Fixtures for the web UI: the exchange of the integration tests, users, a signed-in client."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from bhc.app import create_app
from bhc.db import utcnow
from bhc.models import Neighbourhood
from bhc.neighbourhoods.services import add_neighbourhood
from bhc.users import services as users
from tests.integration import conftest as integration
from tests.integration.conftest import volunteer

# The integration fixtures: a migrated database, a fake carrier and one neighbourhood.
carrier = integration.carrier
exchange = integration.exchange

PASSWORD = "correct horse battery"
OTHER_EXCHANGE = "+31702000002"
OTHER_VOLUNTEER = "+31612349999"


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch):
    """Argon2 with its production cost takes ~0.1 s a hash; the tests need many."""
    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024,
                                                         parallelism=1))


@pytest.fixture
def app(exchange):
    app = create_app(exchange)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    return app


@pytest.fixture
def neighbourhoods(exchange):
    """Segbroek (from the exchange fixture, with its volunteers) and Duinoord with one volunteer."""
    with exchange.db.session() as session:
        other = add_neighbourhood(session, "Duinoord", OTHER_EXCHANGE, ["2518"], 3000)
        volunteer(session, other.id, OTHER_VOLUNTEER, name="Bea Duin")
        return {n.name: n.id for n in session.scalars(select(Neighbourhood))}


def add_user(exchange, email, role="coordinator", neighbourhoods=("Segbroek",)):
    with exchange.db.session() as session:
        return create_user_row(session, email, role, neighbourhoods)


def create_user_row(session, email, role, neighbourhoods):
    return users.create_user(session, email=email, name=email.split("@")[0].title(), role=role,
                             password=PASSWORD, neighbourhood_names=list(neighbourhoods),
                             now=utcnow()).id


def sign_in(client, email, password=PASSWORD):
    return client.post("/admin/login", data={"email": email, "password": password})


@pytest.fixture
def coordinator(app, exchange, neighbourhoods):
    """A client signed in as the coordinator of Segbroek only."""
    add_user(exchange, "coco@example.nl")
    client = app.test_client()
    assert sign_in(client, "coco@example.nl").status_code == 302
    return client


@pytest.fixture
def admin(app, exchange, neighbourhoods):
    add_user(exchange, "ada@example.nl", role="admin", neighbourhoods=())
    client = app.test_client()
    assert sign_in(client, "ada@example.nl").status_code == 302
    return client
