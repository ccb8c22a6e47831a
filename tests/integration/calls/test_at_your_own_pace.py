"""Speak instead of press and at your own pace, through signed webhooks: the spoken choice and
its confirmation, more time to choose, the menu's keys by demand, and the switches for them
(the neighbourhood's page, `bhc neighbourhood speech`, the own-details menu by phone)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from bhc.calls.spoken_choice import category_named, hints
from bhc.cli.main import main
from bhc.db import utcnow
from bhc.models import AuditLog, HelpRequest, Neighbourhood, Participant
from bhc.neighbourhoods.services import menu
from bhc.people import self_service
from tests.integration.conftest import CALLER
from tests.integration.people.test_self_service import choose, own_details
from tests.integration.test_webhooks import CALL, request_of, said, start

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def speech(exchange, on=True) -> None:
    with exchange.db.session() as session:
        session.execute(update(Neighbourhood).values(speech_input=on))


def gather_of(response) -> ET.Element:
    return ET.fromstring(response.data).find("Gather")


def test_a_spoken_category_is_confirmed_and_1_starts_the_search(phone, exchange):
    speech(exchange)
    menu_twiml = gather_of(start(phone))
    assert (menu_twiml.get("input"), menu_twiml.get("language")) == ("dtmf speech", "nl-NL")
    assert "supermarkt" in menu_twiml.get("hints")
    heard = phone.post("/ivr/menu?try=1", CallSid=CALL, SpeechResult="De boodschappen.",
                       Confidence="0.71")
    assert said(heard) == ("U wilt hulp bij boodschappen doen. Druk 1 als dat klopt, of zeg "
                           "het nog eens.")
    assert request_of(exchange).state == "menu"
    action = gather_of(heard).get("action").removeprefix(phone.base)
    confirmed = phone.post(action, CallSid=CALL, Digits="1")
    assert "U vraagt hulp bij boodschappen doen." in said(confirmed)
    assert ET.fromstring(confirmed.data).find("Enqueue") is not None
    assert (request_of(exchange).state, request_of(exchange).category_slug) == (
        "searching", "groceries")
    again = phone.post(action, CallSid=CALL, Digits="1")  # a retried webhook
    assert ET.fromstring(again.data).find("Enqueue") is not None


def test_saying_something_else_at_the_confirmation_is_heard_again(phone, exchange):
    speech(exchange)
    start(phone)
    heard = phone.post("/ivr/menu?try=1", CallSid=CALL, SpeechResult="boodschappen")
    action = gather_of(heard).get("action").removeprefix(phone.base)
    other = phone.post(action, CallSid=CALL, SpeechResult="nee, vervoer", Confidence="0.9")
    assert "U wilt hulp bij vervoer." in said(other)
    back = phone.post(action, CallSid=CALL, Digits="5")
    assert "Druk 1 voor boodschappen doen." in said(back)
    assert request_of(exchange).state == "menu"


def test_low_confidence_or_no_category_is_the_menu_again(phone, exchange):
    speech(exchange)
    start(phone)
    for form in ({"SpeechResult": "boodschappen", "Confidence": "0.1"},
                 {"SpeechResult": "ik weet het niet", "Confidence": "0.9"}):
        again = phone.post("/ivr/menu?try=1", CallSid=CALL, **form)
        assert said(again).startswith("Sorry, dat heb ik niet goed verstaan.")
        assert "Druk 1 voor boodschappen doen." in said(again)
    assert request_of(exchange).state == "menu"


def test_with_speech_off_a_spoken_result_is_not_taken(phone, exchange):
    assert gather_of(start(phone)).get("input") == "dtmf"
    ignored = phone.post("/ivr/menu?try=1", CallSid=CALL, SpeechResult="boodschappen",
                         Confidence="0.99")
    assert "U wilt hulp bij" not in said(ignored)


def test_a_phrase_naming_two_categories_names_none(exchange):
    with exchange.db.session() as session:
        categories = menu(session, 1)
        assert category_named("de hond uitlaten", categories, "nl").slug == "dog-walking"
        assert category_named("een praatje en boodschappen", categories, "nl") is None
        assert category_named("groceries please", categories, "en").slug == "groceries"
        assert "helpdesk, computer" in hints(categories, "nl")


def test_a_caller_who_asked_for_more_time_gets_a_longer_menu_timeout(phone, exchange):
    config = exchange.config.ivr
    assert gather_of(start(phone)).get("timeout") == str(config.gather_timeout_s)
    details = own_details(phone)
    assert "Druk 4 als u meer tijd wilt om een toets te kiezen." in said(details)
    switched = choose(phone, "4")
    assert "Voortaan heeft u meer tijd om te kiezen." in said(switched)
    assert gather_of(switched).get("timeout") == str(config.more_time_gather_timeout_s)
    with exchange.db.session() as session:
        caller = session.scalar(select(Participant).where(Participant.phone == CALLER))
        assert caller.needs_more_time is True
        assert self_service.MORE_TIME_ON in session.scalars(select(AuditLog.action)).all()
    later = start(phone, sid="CA" + "d" * 32)
    assert gather_of(later).get("timeout") == str(config.more_time_gather_timeout_s)
    back = choose(phone, "4")
    assert "Voortaan heeft u weer de gewone tijd om te kiezen." in said(back)


@SQLITE_ONLY
def test_keys_follow_demand_only_when_the_coordinator_chose_it(phone, exchange):
    yesterday = utcnow() - timedelta(days=1)
    with exchange.db.session() as session:
        for n, slug in enumerate(["chat", "chat", "transport"]):
            session.add(HelpRequest(call_sid=f"CAold{n}", neighbourhood_id=1, category_slug=slug,
                                    state="abandoned", created_at=yesterday))
    assert "Druk 1 voor boodschappen doen." in said(start(phone))  # stable keys by default
    with exchange.db.session() as session:
        session.execute(update(Neighbourhood).values(menu_by_demand=True))
    sid = "CA" + "e" * 32
    heard = said(start(phone, sid=sid))
    assert heard.index("Druk 1 voor praatje maken.") < heard.index("Druk 2 voor vervoer.")
    assert "Druk 3 voor boodschappen doen." in heard
    phone.post("/ivr/menu?try=1", CallSid=sid, Digits="1")
    assert request_of(exchange, sid).category_slug == "chat"
    with exchange.db.session() as session:  # the database keeps the coordinator's keys
        assert [c.slug for c in menu(session, 1, as_of=utcnow() - timedelta(days=400))][:2] == [
            "groceries", "odd-jobs"]


def test_bhc_neighbourhood_speech_on_and_off(database_url, exchange):
    def run(*args):
        return CliRunner().invoke(main, ["neighbourhood", "speech", *args],
                                  env={"BHC_DATABASE_URL": database_url, "BHC_CONFIG": ""})

    result = run("Segbroek", "on")
    assert result.exit_code == 0, result.output
    assert "speech recogniser" in result.output
    with exchange.db.session() as session:
        assert session.scalar(select(Neighbourhood.speech_input)) is True
    assert run("segbroek", "off").exit_code == 0
    with exchange.db.session() as session:
        assert session.scalar(select(Neighbourhood.speech_input)) is False
    unknown = run("Atlantis", "on")
    assert unknown.exit_code != 0 and "no neighbourhood 'Atlantis'" in unknown.output
    assert run("Segbroek", "maybe").exit_code != 0
