"""The demo: a sample neighbourhood, twenty volunteers, three months of history and the simulated
phone network."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bhc.bootstrap import Exchange, build
from bhc.calls import urls
from bhc.config import Config
from bhc.db import utcnow
from bhc.demo.history import seed_history
from bhc.neighbourhoods.models import ExchangeNumber, Neighbourhood
from bhc.neighbourhoods.services import add_neighbourhood
from bhc.people.models import Participant
from bhc.people.participants import import_csv
from bhc.users.models import Role, User
from bhc.users.services import create_user

SAMPLE = Path(__file__).parents[1] / "sample" / "segbroek.csv"
DEMO_NEIGHBOURHOOD = "Segbroek"
DEMO_NUMBER = "+31702000001"
DEMO_CALLER = "+31703561234"  # Truus van Leeuwen, a registered asker in the sample
# A coordinator account for the demo only; a real exchange creates users with `bhc user add`.
DEMO_USER = ("demo@burenhulp.example", "burenhulp-demo")

# How each sample volunteer's phone behaves when rung (by name; their numbers live in the
# sample data only), so a demo call shows the search moving on: some do not answer, some are
# busy or decline, some accept. Others ring until a person answers them on the phone page.
DEMO_PHONES = {
    "Anneke de Vries": dict(answer="no-answer"),
    "Henk Jansen": dict(answer="human", answer_delay_s=3, press="2", press_delay_s=2),
    "Fatima El Amrani": dict(answer="human", answer_delay_s=4, press="1", press_delay_s=3),
    "Pieter Bakker": dict(answer="busy"),
    "Mieke Visser": dict(answer="human", answer_delay_s=3, press="2", press_delay_s=2),
    "Jan de Boer": dict(answer="human", answer_delay_s=2, press="1", press_delay_s=3),
    "Sanne Mulder": dict(answer="no-answer"),
    "Kees Smit": dict(answer="human", answer_delay_s=4, press="1", press_delay_s=2),
    "Ayşe Yılmaz": dict(answer="machine", answer_delay_s=3),
    "Thomas Meijer": dict(answer="human", answer_delay_s=3, press="1", press_delay_s=2),
    "Ingrid de Groot": dict(answer="human", answer_delay_s=2, press="2", press_delay_s=2),
    "Mohamed Bouzid": dict(answer="human", answer_delay_s=3, press="1", press_delay_s=2),
    "Els Bos": dict(answer="no-answer"),
    "Ruud Vos": dict(answer="human", answer_delay_s=2, press="2", press_delay_s=2),
    "Lotte Peters": dict(answer="human", answer_delay_s=3, press="1", press_delay_s=3),
    "Gerrit van Dijk": dict(answer="human", answer_delay_s=3, press="1", press_delay_s=2),
    "Bram Dekker": dict(answer="human", answer_delay_s=5, press="1", press_delay_s=3),
}


def seed(exchange: Exchange) -> None:
    """Create the sample neighbourhood and volunteers (again: updates, never duplicates)."""
    with exchange.db.session() as session:
        exists = session.scalar(select(Neighbourhood).where(
            Neighbourhood.name == DEMO_NEIGHBOURHOOD))
        if exists is None:
            add_neighbourhood(session, DEMO_NEIGHBOURHOOD, DEMO_NUMBER,
                              ["2551", "2552", "2553", "2554", "2555"], households=12000)
    with exchange.db.session() as session:
        result = import_csv(session, SAMPLE.read_text(encoding="utf-8"), utcnow(),
                            source="demo")
    if result.errors:
        raise RuntimeError(f"the sample data has errors: {result.errors}")
    with exchange.db.session() as session:
        seed_history(session, DEMO_NEIGHBOURHOOD, utcnow(), exchange.config)
    with exchange.db.session() as session:
        email, password = DEMO_USER
        if session.scalar(select(User).where(User.email == email)) is None:
            create_user(session, email=email, name="Demo-coördinator", role=Role.ADMIN,
                        password=password, neighbourhood_names=[], now=utcnow())


def connect_numbers(exchange: Exchange) -> list[str]:
    """Point every exchange number of the simulated network at our webhooks."""
    with exchange.db.session() as session:
        numbers = list(session.scalars(select(ExchangeNumber.number)))
    for number in numbers:
        exchange.network.add_number(
            number,
            voice_url=exchange.urls.url(urls.VOICE),
            status_callback=exchange.urls.url(urls.CALLER_STATUS),
            voice_fallback_url=exchange.urls.url(urls.FALLBACK),
        )
    return numbers


def demo_config(config: Config, host: str | None, port: int | None) -> Config:
    """The demo runs the simulated carrier at any hour: no quiet hours, a local public URL."""
    server = config.server
    host, port = host or server.host, port or server.port
    public_url = server.public_url
    if (host, port) != (server.host, server.port):
        public_url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}"
    return config.replace(
        server={"host": host, "port": port, "public_url": public_url},
        carrier={"kind": "simulated"},
        # The demo shows the pilots' way: volunteers rung one after another.
        matching={"quiet_hours": "", "strategy": "sequential"},
    )


def run_demo(config: Config, *, host: str | None, port: int | None, serve) -> None:
    config = demo_config(config, host, port)
    exchange = build(config, host_simulator=True, role="demo")
    exchange.db.upgrade()
    seed(exchange)
    connect_numbers(exchange)
    with exchange.db.session() as session:
        phones = dict(session.execute(select(Participant.name, Participant.phone).where(
            Participant.name.in_(DEMO_PHONES))).all())
    for name, behaviour in DEMO_PHONES.items():
        exchange.network.set_behaviour(phones[name], **behaviour)
    exchange.start_engine()
    base = config.server.public_url.rstrip("/")
    print(
        f"\nDe burenhulpcentrale draait / the exchange is running.\n"
        f"  Phone page: {base}/demo/phone\n"
        f"  Call {DEMO_NUMBER} ({DEMO_NEIGHBOURHOOD}) from {DEMO_CALLER}.\n"
        f"  Sign-up page: {base}/meedoen (postcodes 2551-2555 are {DEMO_NEIGHBOURHOOD}); answer\n"
        f"    the call with the code on the phone page, with the number you signed up with\n"
        f"    as 'my number'.\n"
        f"  Coordinators' pages: {base}/admin/ (sign in as {DEMO_USER[0]},"
        f" password {DEMO_USER[1]})\n"
        f"  Stop with Ctrl-C.\n",
        flush=True,
    )
    serve(exchange, config.server.host, config.server.port, config.server.threads)

