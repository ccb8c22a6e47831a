"""The informal support network figures of the monthly report, on a hand-built October."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import datetime

import pytest

from bhc.models import CallLeg, HelpRequest, Match, Participant
from bhc.neighbourhoods.services import add_neighbourhood
from bhc.reports.monthly import monthly_report, to_csv

OCTOBER = datetime(2026, 10, 10, 10, 0)
SEPTEMBER = datetime(2026, 9, 10, 10, 0)


@pytest.fixture
def seeded(database) -> dict[str, int]:
    """Matches between residents P1-P6 in October (and one in September) in Segbroek and
    Duinoord; Bomenbuurt has none."""
    sids = itertools.count(1)
    with database.session() as session:
        places = {name: add_neighbourhood(session, name, f"+3170200000{index}", ["2551"],
                                          1000).id
                  for index, name in enumerate(["Segbroek", "Duinoord", "Bomenbuurt"], 1)}
        people = {}
        for index in range(1, 7):
            person = Participant(name=f"P{index}", phone=f"+3161234000{index}",
                                 neighbourhood_id=places["Segbroek"], created_at=SEPTEMBER)
            session.add(person)
            session.flush()
            people[f"P{index}"] = person.id

        def match(where: str, asker: str | None, helper: str, at: datetime = OCTOBER) -> None:
            request = HelpRequest(call_sid=f"CA{next(sids):032d}",
                                  neighbourhood_id=places[where],
                                  caller_id=people.get(asker), category_slug="groceries",
                                  state="matched", outcome="matched", created_at=at)
            session.add(request)
            session.flush()
            leg = CallLeg(request_id=request.id, volunteer_id=people[helper],
                          status="completed", outcome="accepted", placed_at=at)
            session.add(leg)
            session.flush()
            session.add(Match(request_id=request.id, leg_id=leg.id, helper_id=people[helper],
                              asker_id=people.get(asker), matched_at=at, time_to_match_s=30.0,
                              volunteers_rung=1))

        match("Segbroek", "P1", "P2")
        match("Segbroek", "P2", "P1")  # the same pair the other way round; both in both roles
        match("Segbroek", "P3", "P2")
        match("Segbroek", "P3", "P2")  # a repeat contact
        match("Segbroek", None, "P4")  # a caller who is not registered: no pair
        match("Segbroek", "P5", "P4", at=SEPTEMBER)  # another month
        match("Duinoord", "P4", "P6")  # P4 helped in Segbroek and asks here
        match("Duinoord", "P1", "P6")
    return places


def _figures(row: dict) -> tuple[int, int, int]:
    return row["pairs_in_contact"], row["residents_both_roles"], row["repeat_contacts"]


def test_pairs_and_residents_in_both_roles_worked_out_by_hand(database, seeded):
    with database.session() as session:
        report = monthly_report(session, "2026-10")
    rows = {row["name"]: row for row in report["neighbourhoods"]}
    # Segbroek: pairs P1-P2 and P2-P3; P1 and P2 both asked and helped; P3-P2 twice.
    assert _figures(rows["Segbroek"]) == (2, 2, 1)
    # Duinoord: pairs P4-P6 and P1-P6; nobody in both roles here.
    assert _figures(rows["Duinoord"]) == (2, 0, 0)
    assert _figures(rows["Bomenbuurt"]) == (0, 0, 0)
    # In total: 4 pairs; P1, P2 and P4 (helper in Segbroek, asker in Duinoord) in both roles.
    assert _figures(report["total"]) == (4, 3, 1)


def test_the_figures_cover_only_the_chosen_neighbourhoods(database, seeded):
    with database.session() as session:
        report = monthly_report(session, "2026-10", [seeded["Duinoord"]])
    assert _figures(report["total"]) == (2, 0, 0)


def test_the_shared_csv_hides_network_figures_under_five(database, seeded):
    with database.session() as session:
        report = monthly_report(session, "2026-10")
    rows = {row["neighbourhood"]: row for row in csv.DictReader(io.StringIO(to_csv(report)))}
    assert (rows["Segbroek"]["pairs_in_contact"], rows["Bomenbuurt"]["pairs_in_contact"],
            rows["total"]["residents_both_roles"]) == ("<5", "0", "<5")
