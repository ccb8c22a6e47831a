"""Today's requests and the request log with each request's call legs."""

from __future__ import annotations

from bhc.models import RequestState
from tests.admin.helpers import matched_request
from tests.integration.conftest import CALLER

REFRESH = '<meta http-equiv="refresh" content="10">'


def test_dashboard_lists_todays_requests_and_refreshes_while_searching(
        coordinator, exchange, neighbourhoods):
    assert "Vandaag nog geen hulpvragen." in coordinator.get("/admin/").text
    matched_request(exchange, neighbourhoods["Segbroek"], CALLER, ["+31612340001"])
    page = coordinator.get("/admin/").text
    assert "gematcht" in page
    assert "boodschappen doen" in page
    assert "+31 6 ****" not in page or "+31703561234" not in page
    assert REFRESH not in page
    matched_request(exchange, neighbourhoods["Duinoord"], "+31612349999", ["+31612349999"],
                    state=RequestState.SEARCHING)
    assert REFRESH not in coordinator.get("/admin/").text  # another neighbourhood's search


def test_dashboard_refreshes_while_a_request_is_searching(coordinator, exchange,
                                                          neighbourhoods):
    matched_request(exchange, neighbourhoods["Segbroek"], CALLER, ["+31612340001"],
                    state=RequestState.SEARCHING)
    page = coordinator.get("/admin/").text
    assert REFRESH in page
    assert "zoekt" in page


def test_request_detail_shows_each_call_leg_as_a_timeline(coordinator, exchange,
                                                          neighbourhoods):
    request_id = matched_request(exchange, neighbourhoods["Segbroek"], CALLER,
                                 ["+31612340002", "+31612340001"])
    page = coordinator.get(f"/admin/requests/{request_id}").text
    order = ["De bewoner belde de centrale", "Koos boodschappen doen",
             "Volunteer 0002 +31 6 ****0002", "Drukte 2", "afgeslagen (drukte 2)",
             "Volunteer 0001 +31 6 ****0001", "Drukte 1", "Match:",
             "Zoeken beëindigd: een vrijwilliger nam de vraag aan"]
    positions = [page.index(text) for text in order]
    assert positions == sorted(positions)
    assert "+31612340001" not in page
    log = coordinator.get("/admin/requests").text
    assert f"/admin/requests/{request_id}" in log


def test_the_request_log_reads_in_english_when_chosen(coordinator, exchange, neighbourhoods):
    request_id = matched_request(exchange, neighbourhoods["Segbroek"], CALLER, ["+31612340001"])
    coordinator.get("/admin/language/en")
    page = coordinator.get(f"/admin/requests/{request_id}").text
    assert "Search ended: a volunteer accepted" in page
    assert "Chose groceries" in page
