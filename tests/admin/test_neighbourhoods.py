"""Neighbourhood settings and the phone menu: changes are heard on the next call."""

from __future__ import annotations

from sqlalchemy import select

from bhc.models import AuditLog, Neighbourhood
from tests.admin.helpers import form_values
from tests.integration.conftest import CALLER, EXCHANGE, SignedClient
from tests.integration.test_webhooks import said


def menu_form(client, neighbourhood_id, **rows):
    """The menu form as shown, with some rows changed: rows={index: {field: value or None}}."""
    data = form_values(client.get(f"/admin/neighbourhoods/{neighbourhood_id}/menu").text)
    for index, changes in rows.items():
        for field, value in changes.items():
            key = f"categories-{index}-{field}"
            if value is None:
                data.pop(key)
            else:
                data[key] = value
    return data


def test_relabel_and_disable_change_what_callers_hear(coordinator, exchange, neighbourhoods):
    segbroek = neighbourhoods["Segbroek"]
    data = menu_form(coordinator, segbroek, **{"0": {"label_nl": "winkelen"},
                                               "1": {"enabled": None}})
    response = coordinator.post(f"/admin/neighbourhoods/{segbroek}/menu", data=data,
                                follow_redirects=True)
    assert "Het menu is opgeslagen." in response.text
    text = said(SignedClient(exchange).post("/ivr/voice", CallSid="CA" + "2" * 32, To=EXCHANGE,
                                            From=CALLER))
    assert "Druk 1 voor winkelen." in text
    assert "klusje" not in text
    assert "Druk 3 voor vervoer." in text
    with exchange.db.session() as session:
        entry = session.scalar(select(AuditLog).where(AuditLog.action == "update_menu"))
        assert "1 groceries winkelen" in entry.summary


def test_a_key_used_twice_or_the_language_key_is_refused(coordinator, neighbourhoods):
    segbroek = neighbourhoods["Segbroek"]
    twice = menu_form(coordinator, segbroek, **{"1": {"key": "1"}})
    response = coordinator.post(f"/admin/neighbourhoods/{segbroek}/menu", data=twice)
    assert "Toets 1 wordt door twee aangeboden categorieën gebruikt." in response.text
    nine = menu_form(coordinator, segbroek, **{"1": {"key": "9"}})
    response = coordinator.post(f"/admin/neighbourhoods/{segbroek}/menu", data=nine)
    assert "Toets 9 kan niet voor een categorie gebruikt worden." in response.text


def test_settings_change_name_households_postcodes_and_numbers(coordinator, exchange,
                                                               neighbourhoods):
    segbroek = neighbourhoods["Segbroek"]
    response = coordinator.post(f"/admin/neighbourhoods/{segbroek}", data={
        "name": "Segbroek-Noord", "households": "9000", "postcodes": "2551, 2552",
        "numbers": f"{EXCHANGE}\n070 200 0009"}, follow_redirects=True)
    assert "De wijzigingen zijn opgeslagen." in response.text
    with exchange.db.session() as session:
        changed = session.get(Neighbourhood, segbroek)
        assert (changed.name, changed.households, changed.postcodes) == (
            "Segbroek-Noord", 9000, "2551,2552")
        assert sorted(n.number for n in changed.numbers) == ["+31702000001", "+31702000009"]
    taken = coordinator.post(f"/admin/neighbourhoods/{segbroek}", data={
        "name": "Segbroek", "households": "", "postcodes": "", "numbers": "+31702000002"})
    assert "+31702000002 hoort al bij een andere wijk." in taken.text
    with exchange.db.session() as session:
        assert session.scalar(select(Neighbourhood.name).where(
            Neighbourhood.id == segbroek)) == "Segbroek-Noord"


def test_speech_and_menu_order_are_switched_on_the_page_which_says_where_speech_goes(
        coordinator, exchange, neighbourhoods):
    segbroek = neighbourhoods["Segbroek"]
    page = coordinator.get(f"/admin/neighbourhoods/{segbroek}").text
    assert "spraakherkenning van het telefoonbedrijf" in page
    data = form_values(page)
    assert "speech_input" not in data and "menu_by_demand" not in data  # off by default
    phone = SignedClient(exchange)
    call = {"CallSid": "CA" + "9" * 32, "To": EXCHANGE, "From": CALLER}
    assert 'input="dtmf"' in phone.post("/ivr/voice", **call).text
    coordinator.post(f"/admin/neighbourhoods/{segbroek}", data={
        "name": "Segbroek", "households": "12000", "postcodes": "2551", "numbers": EXCHANGE,
        "quiet": "default", "speech_input": "y", "menu_by_demand": "y"})
    with exchange.db.session() as session:
        settings = session.get(Neighbourhood, segbroek)
        assert (settings.speech_input, settings.menu_by_demand) == (True, True)
        summary = session.scalars(select(AuditLog.summary).order_by(AuditLog.id.desc())).first()
        assert "speech input on" in summary and "menu keys by demand on" in summary
    heard = phone.post("/ivr/voice", **{**call, "CallSid": "CA" + "8" * 32})
    assert 'input="dtmf speech"' in heard.text
    assert "U kunt ook zeggen waarmee u hulp wilt." in said(heard)
