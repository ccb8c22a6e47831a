"""The demo's phone page, used as a person would: call, press a key, hear the match."""

from __future__ import annotations

import pytest

from tests.browser.conftest import heard, my_phone
from tests.e2e.conftest import VOLUNTEERS

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_a_resident_phones_from_the_page_and_is_connected(live, page):
    live.net.set_behaviour(VOLUNTEERS[0], answer="human", answer_delay_s=2, press="2",
                           press_delay_s=1)
    live.net.set_behaviour(VOLUNTEERS[1], answer="human", answer_delay_s=2, press="1",
                           press_delay_s=1)
    page.goto(f"{live.config.server.public_url}/demo/phone")
    assert my_phone(page).get_by_label("Mijn nummer").input_value() == "+31703561234"
    my_phone(page).get_by_role("button", name="Bellen").click()
    heard(page, "Druk 1 voor boodschappen doen.").wait_for()
    my_phone(page).get_by_role("button", name="toets 1", exact=True).click()
    heard(page, "U vraagt hulp bij boodschappen doen.").wait_for()
    heard(page, "Er is nu een buur voor u aan de lijn.").wait_for()
    assert live.rung() == VOLUNTEERS[:2]


def test_a_volunteer_can_be_played_by_hand(live, page):
    live.net.set_behaviour(VOLUNTEERS[0], answer="manual")
    page.goto(f"{live.config.server.public_url}/demo/phone")
    my_phone(page).get_by_role("button", name="Bellen").click()
    heard(page, "Druk 1 voor boodschappen doen.").wait_for()
    my_phone(page).get_by_role("button", name="toets 1", exact=True).click()
    # The card of the one call to this volunteer, among the other calls.
    card = page.locator("#callList .card").filter(
        has=page.get_by_role("heading", name=f"{VOLUNTEERS[0]} wordt gebeld"))
    card.get_by_role("button", name="Opnemen").click()
    card.get_by_role("button", name="Toets 1").click()
    heard(page, "Er is nu een buur voor u aan de lijn.").wait_for()
    assert live.wait_state("matched").outcome == "matched"
