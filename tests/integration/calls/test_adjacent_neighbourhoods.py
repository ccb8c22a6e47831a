"""Widening a search to adjacent neighbourhoods once the caller's own has nobody left."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bhc.calls.candidates import eligible_volunteers
from bhc.cli import main
from bhc.models import CallLeg, HelpRequest, Neighbourhood, Participant
from bhc.neighbourhoods.adjacency import AdjacencyError, adjacent_names, adjoin
from bhc.neighbourhoods.services import add_neighbourhood
from tests.integration.calls.test_candidates import NOW, open_request
from tests.integration.conftest import CALLER, EXCHANGE, SignedClient, volunteer

NEXT_DOOR = "+31612350001"
FAR_AWAY = "+31612360001"


@pytest.fixture
def neighbours(exchange):
    """Segbroek (the fixture's, three grocery helpers) borders Loosduinen, not Centrum; each
    of those has one grocery helper."""
    with exchange.db.session() as session:
        loosduinen = add_neighbourhood(session, "Loosduinen", "+31702000002", ["2553"], 9000)
        centrum = add_neighbourhood(session, "Centrum", "+31702000003", ["2511"], 15000)
        volunteer(session, loosduinen.id, NEXT_DOOR)
        volunteer(session, centrum.id, FAR_AWAY)
        adjoin(session, "Segbroek", ["Loosduinen"])
    return exchange


def phones(session, request, widen):
    return {v.phone for v in eligible_volunteers(session, request, NOW, "", widen=widen)}


def ring_everyone_of_segbroek(session, request):
    for participant in session.scalars(select(Participant).where(
            Participant.neighbourhood_id == 1, Participant.is_helper.is_(True))):
        session.add(CallLeg(request_id=request.id, volunteer_id=participant.id,
                            status="completed", outcome="declined", placed_at=NOW))
    session.flush()


def test_adjacent_helpers_are_rung_only_once_the_own_neighbourhood_is_exhausted(neighbours):
    with neighbours.db.session() as session:
        request = open_request(session, 1)
        assert NEXT_DOOR not in phones(session, request, widen=True), "own ones first"
        ring_everyone_of_segbroek(session, request)
        assert phones(session, request, widen=False) == set()
        assert eligible_volunteers(session, request, NOW, "") == [], "only when asked to"
        assert phones(session, request, widen=True) == {NEXT_DOOR}, "never Centrum"


def test_an_adjacent_neighbourhoods_own_quiet_hours_hold(neighbours):
    with neighbours.db.session() as session:
        request = open_request(session, 1)
        ring_everyone_of_segbroek(session, request)
        session.scalar(select(Neighbourhood).where(Neighbourhood.name == "Loosduinen")) \
            .quiet_hours = "10:30-11:30"  # NOW is 11:00 in Amsterdam
        session.flush()
        assert phones(session, request, widen=True) == set()


def test_the_default_quiet_hours_hold_next_door_too(neighbours):
    with neighbours.db.session() as session:
        request = open_request(session, 1)
        ring_everyone_of_segbroek(session, request)
        session.get(Neighbourhood, 1).quiet_hours = ""  # Segbroek's own: none
        session.flush()
        found = eligible_volunteers(session, request, NOW, "10:30-11:30", widen=True)
        assert found == []  # NOW is 11:00 in Amsterdam, and Loosduinen keeps the default


def test_a_caller_who_helps_next_door_is_not_rung_for_their_own_request(neighbours):
    with neighbours.db.session() as session:
        request = open_request(session, 1)
        request.caller_id = session.scalar(select(Participant.id)
                                           .where(Participant.phone == NEXT_DOOR))
        ring_everyone_of_segbroek(session, request)
        assert phones(session, request, widen=True) == set()


def test_each_neighbourhood_next_door_keeps_its_own_quiet_hours(neighbours):
    with neighbours.db.session() as session:
        adjoin(session, "Segbroek", ["Centrum"])
        request = open_request(session, 1)
        ring_everyone_of_segbroek(session, request)
        session.scalar(select(Neighbourhood).where(Neighbourhood.name == "Loosduinen")) \
            .quiet_hours = "10:30-11:30"  # NOW is 11:00 in Amsterdam; Centrum has none
        session.flush()
        assert phones(session, request, widen=True) == {FAR_AWAY}


def test_the_engine_widens_when_configured(neighbours, carrier):
    neighbours.engine.config = neighbours.config.replace(matching={"widen_to_adjacent": True})
    phone = SignedClient(neighbours)
    call = "CA" + "a" * 32
    phone.post("/ivr/voice", CallSid=call, To=EXCHANGE, From=CALLER)
    phone.post("/ivr/menu?try=1", CallSid=call, Digits="1")
    for _ in range(2):  # both Segbroek grocery helpers (not the caller) say no
        neighbours.engine.tick()
        leg = carrier.placed[-1]["url"].rsplit("leg=", 1)[1]
        phone.post(f"/ivr/volunteer/answer?leg={leg}&try=1", CallSid=carrier.placed[-1]["sid"],
                   Digits="2")
    neighbours.engine.tick()
    assert len(carrier.placed) == 3 and carrier.placed[-1]["to"] == NEXT_DOOR
    with neighbours.db.session() as session:
        assert session.scalar(select(HelpRequest.state)) == "searching"


def test_adjoining_is_mutual_idempotent_and_can_be_undone(neighbours):
    with neighbours.db.session() as session:
        adjoin(session, "Loosduinen", ["Segbroek", "Centrum"])
        assert adjacent_names(session, "Segbroek") == ["Loosduinen"]
        assert adjacent_names(session, "Centrum") == ["Loosduinen"]
        adjoin(session, "Centrum", ["Loosduinen"], remove=True)
        assert adjacent_names(session, "Loosduinen") == ["Segbroek"]
        with pytest.raises(AdjacencyError, match="'Atlantis' does not exist"):
            adjoin(session, "Segbroek", ["Atlantis"])
        with pytest.raises(AdjacencyError, match="cannot border itself"):
            adjoin(session, "Segbroek", ["Segbroek"])


def test_bhc_neighbourhood_adjoin(database_url, neighbours):
    def run(*args):
        return CliRunner().invoke(main, ["neighbourhood", "adjoin", *args],
                                  env={"BHC_DATABASE_URL": database_url, "BHC_CONFIG": ""})

    result = run("Centrum", "Loosduinen", "Segbroek")
    assert result.exit_code == 0, result.output
    assert "Centrum borders: Loosduinen, Segbroek" in result.output
    refused = run("Centrum", "Atlantis")
    assert refused.exit_code != 0
    assert refused.output.strip().splitlines()[-1] == \
        "Error: neighbourhood 'Atlantis' does not exist"
