"""A coordinator sees their own neighbourhoods only; everything else is a friendly 403."""

from __future__ import annotations

import pytest

from tests.admin.conftest import OTHER_VOLUNTEER, add_user, sign_in
from tests.admin.helpers import matched_request, participant_id
from tests.integration.conftest import CALLER


@pytest.fixture
def other_request(exchange, neighbourhoods):
    return matched_request(exchange, neighbourhoods["Duinoord"], OTHER_VOLUNTEER,
                           [OTHER_VOLUNTEER])


def test_a_coordinator_gets_403_on_another_neighbourhoods_objects(
        coordinator, exchange, neighbourhoods, other_request):
    other = participant_id(exchange, OTHER_VOLUNTEER)
    duinoord = neighbourhoods["Duinoord"]
    for path in (f"/admin/participants/{other}", f"/admin/participants/{other}/delete",
                 f"/admin/requests/{other_request}", f"/admin/neighbourhoods/{duinoord}",
                 f"/admin/neighbourhoods/{duinoord}/menu",
                 f"/admin/participants?neighbourhood={duinoord}"):
        response = coordinator.get(path)
        assert response.status_code == 403, path
        assert "hoort bij een wijk die u niet coördineert" in response.text
    for path in (f"/admin/participants/{other}/opt-out", f"/admin/participants/{other}/delete",
                 f"/admin/participants/{other}"):
        assert coordinator.post(path, data={"name": "x"}).status_code == 403, path
    assert participant_id(exchange, OTHER_VOLUNTEER) == other


def test_a_coordinator_lists_only_their_neighbourhoods(coordinator, exchange, neighbourhoods):
    assert "Bea Duin" not in coordinator.get("/admin/participants").text
    assert "Duinoord" not in coordinator.get("/admin/neighbourhoods").text
    assert "Segbroek" in coordinator.get("/admin/neighbourhoods").text
    own = matched_request(exchange, neighbourhoods["Segbroek"], CALLER, ["+31612340001"])
    assert coordinator.get(f"/admin/requests/{own}").status_code == 200


def test_an_admin_sees_every_neighbourhood(admin, exchange, other_request):
    assert "Bea Duin" in admin.get("/admin/participants").text
    assert admin.get(f"/admin/requests/{other_request}").status_code == 200
    assert admin.get(f"/admin/participants/{participant_id(exchange, OTHER_VOLUNTEER)}"
                     ).status_code == 200


def test_unknown_pages_get_a_friendly_404(coordinator):
    response = coordinator.get("/admin/participants/999999")
    assert response.status_code == 404
    assert "Deze pagina bestaat niet (meer)." in response.text
    assert coordinator.get("/admin/nothing-here").status_code == 404


def test_a_coordinator_of_two_neighbourhoods_sees_both(app, exchange, neighbourhoods):
    add_user(exchange, "two@example.nl", neighbourhoods=("Segbroek", "duinoord"))
    client = app.test_client()
    sign_in(client, "two@example.nl")
    assert "Bea Duin" in client.get("/admin/participants").text
