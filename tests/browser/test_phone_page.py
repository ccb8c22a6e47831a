"""The demo's phone page, used as a person would: call, press a key, hear the match."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import VOLUNTEERS

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_a_resident_phones_from_the_page_and_is_connected(live, page):
    live.net.set_behaviour(VOLUNTEERS[0], answer="human", answer_delay_s=2, press="2",
                           press_delay_s=1)
    live.net.set_behaviour(VOLUNTEERS[1], answer="human", answer_delay_s=2, press="1",
                           press_delay_s=1)
    page.goto(f"{live.config.server.public_url}/demo/phone")
    assert page.locator("#from").input_value() == "+31703561234"
    page.get_by_role("button", name="Bellen").click()
    page.get_by_text("Druk 1 voor boodschappen doen.").first.wait_for()
    page.locator("#keypad").get_by_role("button", name="toets 1").click()
    page.get_by_text("U vraagt hulp bij boodschappen doen.").first.wait_for()
    page.get_by_text("Er is nu een buur voor u aan de lijn.").first.wait_for()
    assert live.rung() == VOLUNTEERS[:2]


def test_a_volunteer_can_be_played_by_hand(live, page):
    live.net.set_behaviour(VOLUNTEERS[0], answer="manual")
    page.goto(f"{live.config.server.public_url}/demo/phone")
    page.get_by_role("button", name="Bellen").click()
    page.get_by_text("Druk 1 voor boodschappen doen.").first.wait_for()
    page.locator("#keypad").get_by_role("button", name="toets 1").click()
    card = page.locator("article, section, div").filter(
        has_text=f"{VOLUNTEERS[0]} wordt gebeld").last
    card.get_by_role("button", name="Opnemen").click()
    card.get_by_role("button", name="Toets 1").click()
    page.get_by_text("Er is nu een buur voor u aan de lijn.").first.wait_for()
    assert live.wait_state("matched").outcome == "matched"
