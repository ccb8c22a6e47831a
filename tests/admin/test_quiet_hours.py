"""Quiet hours per neighbourhood: the exchange's default, none, or the neighbourhood's own."""

from __future__ import annotations

from sqlalchemy import select

from bhc.calls.candidates import eligible_volunteers
from bhc.models import AuditLog, HelpRequest, Neighbourhood
from tests.integration.calls.test_candidates import NOW, open_request
from tests.integration.conftest import EXCHANGE

# NOW is 11:00 in Amsterdam.
AROUND_NOW = "10:30-11:30"
EXCHANGE_DEFAULT = "10:00-12:00"


def save_settings(client, neighbourhood_id, quiet, quiet_range="", **follow):
    return client.post(f"/admin/neighbourhoods/{neighbourhood_id}", data={
        "name": "Segbroek", "households": "12000", "postcodes": "2551", "numbers": EXCHANGE,
        "quiet": quiet, "quiet_range": quiet_range}, **follow)


def eligible(exchange, neighbourhood_id, default=EXCHANGE_DEFAULT) -> int:
    with exchange.db.session() as session:
        request = session.scalar(select(HelpRequest)) or open_request(session, neighbourhood_id)
        return len(eligible_volunteers(session, request, NOW, default))


def test_own_quiet_hours_stop_all_calls_inside_them(coordinator, exchange, neighbourhoods):
    segbroek = neighbourhoods["Segbroek"]
    response = save_settings(coordinator, segbroek, "custom", " 10:30 - 11:30 ",
                             follow_redirects=True)
    assert "De wijzigingen zijn opgeslagen." in response.text
    assert eligible(exchange, segbroek, default="") == 0
    listed = coordinator.get("/admin/neighbourhoods").text
    assert AROUND_NOW in listed
    with exchange.db.session() as session:
        assert session.get(Neighbourhood, segbroek).quiet_hours == AROUND_NOW
        entry = session.scalar(select(AuditLog).where(AuditLog.object_type == "neighbourhood"))
        assert entry.summary == "settings of Segbroek; quiet hours default -> 10:30-11:30"


def test_none_and_default_choices(coordinator, exchange, neighbourhoods):
    segbroek = neighbourhoods["Segbroek"]
    assert eligible(exchange, segbroek) == 0, "the default applies before any change"
    save_settings(coordinator, segbroek, "none", AROUND_NOW)
    assert eligible(exchange, segbroek) == 3
    assert "<td>geen</td>" in coordinator.get("/admin/neighbourhoods").text
    page = coordinator.get(f"/admin/neighbourhoods/{segbroek}").text
    assert '<input checked id="quiet-1" name="quiet" type="radio" value="none">' in page
    save_settings(coordinator, segbroek, "default", AROUND_NOW)
    with exchange.db.session() as session:
        assert session.get(Neighbourhood, segbroek).quiet_hours is None
    assert eligible(exchange, segbroek) == 0
    assert eligible(exchange, segbroek, default="") == 3
    assert "<td>standaard van de centrale (geen)</td>" in coordinator.get(
        "/admin/neighbourhoods").text


def test_a_bad_range_is_refused_with_a_clear_message(coordinator, exchange, neighbourhoods):
    segbroek = neighbourhoods["Segbroek"]
    for bad in ("21:00-25:00", "late", "8:00-9:00", "08:00-08:00"):
        response = save_settings(coordinator, segbroek, "custom", bad)
        assert (f"“{bad}” kan niet als stille uren gebruikt worden: schrijf een begintijd en "
                "een andere eindtijd, zoals 21:00-08:00.") in response.text
    empty = save_settings(coordinator, segbroek, "custom", "")
    assert "Schrijf de stille uren als 21:00-08:00." in empty.text
    with exchange.db.session() as session:
        assert session.get(Neighbourhood, segbroek).quiet_hours is None
        assert session.scalar(select(AuditLog)) is None
