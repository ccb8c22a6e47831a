"""The database briefly unreachable: the engine logs, retries and completes the search; every
webhook meanwhile still gives the person on the line something sensible, never a 500.

The outage is injected where a network blip or a database restart would hit: statements fail
with OperationalError, at any point of an engine step, not only when a session opens.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from bhc import config as config_module
from bhc import engine as engine_module
from bhc.models import CallLeg, HelpRequest, Match
from tests.conftest import FAKE_CARRIER_CPS
from tests.integration.conftest import CALLER, EXCHANGE

HEARD = {"Say", "Play", "Gather", "Redirect", "Enqueue", "Leave", "Dial", "Hangup", "Pause"}


class Outage:
    """Makes every statement fail while the database is down; can also go down after a given
    number of statements, for a given number, to hit one exact point of the engine's work."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.passing: int | None = None  # statements still allowed before it goes down
        self.failing = 0  # statements that will fail once down
        self.refused = 0
        self.statements = 0  # every statement tried, up or down
        event.listen(engine, "before_cursor_execute", self._statement)

    def _statement(self, _conn, _cursor, statement, parameters, _context, _many):
        self.statements += 1
        if self.passing is None:
            return
        if self.passing > 0:
            self.passing -= 1
            return
        if self.failing <= 0:
            self.passing = None
            return
        self.failing -= 1
        self.refused += 1
        raise OperationalError(statement, parameters, ConnectionError("server closed the "
                                                                      "connection unexpectedly"))

    def down(self, after: int = 0, lasting: int = 10**9) -> None:
        self.passing, self.failing = after, lasting

    def up(self) -> None:
        self.passing, self.failing = None, 0

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)


@pytest.fixture
def config(database_url):
    return config_module.from_mapping({
        "database": {"url": database_url},
        "matching": {"quiet_hours": "", "strategy": "sequential", "daily_cap": 1000,
                     "weekly_cap": 1000},
        "ivr": {"max_requests_per_hour": 1000},
        "twilio": {"calls_per_second": FAKE_CARRIER_CPS},
    })


@pytest.fixture
def outage(exchange, monkeypatch):
    monkeypatch.setattr(engine_module, "BATCH_WINDOW_S", 0)
    outage = Outage(exchange.db.engine)
    yield outage
    outage.close()


def ask_for_groceries(phone, sid: str) -> None:
    phone.post("/ivr/voice", CallSid=sid, To=EXCHANGE, From=CALLER)
    phone.post("/ivr/menu?try=1", CallSid=sid, Digits="1")


def leg_id(placed: dict) -> int:
    return int(parse_qs(urlparse(placed["url"]).query)["leg"][0])


def request_of(exchange, sid: str) -> HelpRequest:
    with exchange.db.session() as session:
        return session.scalar(select(HelpRequest).where(HelpRequest.call_sid == sid))


def test_the_engine_logs_retries_and_completes_the_search(phone, exchange, carrier, outage,
                                                          caplog):
    sid = "CA" + "a" * 32
    ask_for_groceries(phone, sid)
    outage.down()
    for _ in range(3):
        exchange.engine.tick()
    assert carrier.placed == []
    failures = [r for r in caplog.records if "engine step failed" in r.getMessage()]
    assert len(failures) == 3 and all(r.exc_info for r in failures), "logged with the cause"

    outage.up()
    exchange.engine.tick()
    assert len(carrier.placed) == 1
    placed = carrier.placed[0]
    phone.post(f"/ivr/volunteer/offer?leg={leg_id(placed)}", CallSid=placed["sid"],
               AnsweredBy="human")
    phone.post(f"/ivr/volunteer/answer?leg={leg_id(placed)}&try=1", CallSid=placed["sid"],
               Digits="1")
    assert request_of(exchange, sid).state == "matched"


def test_every_webhook_during_an_outage_still_says_something_sensible(phone, exchange, carrier,
                                                                      outage):
    sid = "CA" + "b" * 32
    ask_for_groceries(phone, sid)
    exchange.engine.tick()
    leg = leg_id(carrier.placed[0])
    outage.down()
    rules = [rule.rule for rule in phone.client.application.url_map.iter_rules()
             if rule.rule.startswith("/ivr/") and "POST" in (rule.methods or ())
             and not rule.arguments]
    for path in rules:
        target = f"{path}?leg={leg}&request=1&try=1"
        form = dict(CallSid=sid, To=EXCHANGE, From=CALLER, Digits="1", CallStatus="in-progress",
                    AnsweredBy="human")
        response = phone.post(target, **form)
        if response.status_code == 400:  # fields this webhook needs are missing: not the outage
            outage.up()
            assert phone.post(target, **form).status_code == 400, path
            outage.down()
            continue
        assert response.status_code in (200, 204), (path, response.status_code)
        if response.status_code == 200 and not path.endswith("/status"):
            root = ET.fromstring(response.data)
            assert {node.tag for node in root} & HEARD, (path, response.data)
    assert outage.refused > 0, "the outage was felt"


def accept(phone, placed: dict) -> None:
    """The volunteer rung answers and presses 1."""
    phone.post(f"/ivr/volunteer/offer?leg={leg_id(placed)}", CallSid=placed["sid"],
               AnsweredBy="human")
    phone.post(f"/ivr/volunteer/answer?leg={leg_id(placed)}&try=1", CallSid=placed["sid"],
               Digits="1")


def hang_up_both(phone, exchange, placed: dict, sid: str) -> None:
    """Caller and volunteer hang up; the engine tidies up."""
    phone.post("/ivr/caller/status", CallSid=sid, CallStatus="completed")
    phone.post(f"/ivr/volunteer/status?leg={leg_id(placed)}", CallSid=placed["sid"],
               CallStatus="completed")
    exchange.engine.tick()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_outage_at_any_point_of_a_search_loses_nothing(phone, exchange, carrier, outage):
    """For each statement of the engine's step that rings a volunteer in turn, the database
    goes away right there for three statements; the search must still end in one match,
    ringing nobody twice."""
    # A search without an outage first, to count the statements of that step.
    ask_for_groceries(phone, "CA" + "f" * 32)
    counted = outage.statements
    exchange.engine.tick()
    step = outage.statements - counted
    assert len(carrier.placed) == 1 and step >= 10, f"{step} statements rang the volunteer"
    accept(phone, carrier.placed[0])
    hang_up_both(phone, exchange, carrier.placed[0], "CA" + "f" * 32)

    for at in range(step):
        sid = f"CA{at:032d}"
        ask_for_groceries(phone, sid)
        before, refused = len(carrier.placed), outage.refused
        outage.down(after=at, lasting=3)
        for _ in range(6):
            exchange.engine.tick()
            if len(carrier.placed) > before:
                break
        assert outage.refused > refused, f"the outage at statement {at} never came"
        outage.up()
        exchange.engine.tick()
        assert len(carrier.placed) > before, f"outage at statement {at}: nobody was rung"
        placed = carrier.placed[-1]
        accept(phone, placed)
        with exchange.db.session() as session:
            request = session.scalar(select(HelpRequest).where(HelpRequest.call_sid == sid))
            rung = [leg.volunteer_id for leg in request.legs]
            matches = session.scalars(select(Match).where(Match.request_id == request.id)).all()
            assert request.state == "matched", f"outage at statement {at}: {request.state}"
            assert len(matches) == 1
            assert len(rung) == len(set(rung)), f"outage at statement {at}: rung twice"
            assert len(carrier.placed) - before == len(rung), "a call without a leg"
        hang_up_both(phone, exchange, placed, sid)
    with exchange.db.session() as session:
        live = session.scalars(select(CallLeg).where(CallLeg.outcome.is_(None))).all()
        assert live == []


def test_a_caller_on_hold_stays_in_the_queue_through_a_blip(phone, exchange, carrier, outage):
    sid = "CA" + "c" * 32
    ask_for_groceries(phone, sid)
    outage.down()
    response = phone.post("/ivr/caller/hold", CallSid=sid, QueueTime="40")
    assert [node.tag for node in ET.fromstring(response.data)] == ["Pause"]
    # Past the longest wait the caller is not kept in silence: they hear the apology.
    response = phone.post("/ivr/caller/hold", CallSid=sid, QueueTime="100000")
    assert "er ging bij ons iets mis" in response.get_data(as_text=True)
    outage.up()
    response = phone.post("/ivr/caller/hold", CallSid=sid, QueueTime="45")
    assert "We zoeken nog naar een buur" in response.get_data(as_text=True)
