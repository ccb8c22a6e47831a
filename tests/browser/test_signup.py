"""Joining through the web as a resident would: the form by keyboard alone, the code phoned by
the exchange through the simulated carrier, and a coordinator approving the sign-up."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest

from bhc.db import utcnow
from bhc.signups import services as signups
from bhc.users.services import create_user
from tests.browser.conftest import PAGE_TIMEOUT_MS, heard, my_phone

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

NUMBER = "06 1234 5678"
PHONE = "+31612345678"
COORDINATOR = ("coco@example.nl", "correct horse battery")


@pytest.fixture(autouse=True)
def quick_residents(monkeypatch):
    """A script fills in the form faster than a person; the limit has its own tests."""
    monkeypatch.setattr(signups, "MIN_FILL_SECONDS", 0)


def tab_to(page, element_id: str, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} cannot be reached with Tab")


def sign_up_by_keyboard(page, base: str, postcode: str = "2551 AB") -> None:
    """Every field reached with Tab, choices made with the arrow and space keys."""
    page.goto(f"{base}/meedoen")
    tab_to(page, "name")
    page.keyboard.type("Joke Jansen")
    for field, text in (("phone", NUMBER), ("postcode", postcode), ("house_number", "12a")):
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == field
        page.keyboard.type(text)
    tab_to(page, "role-0")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # both: help and ask for help
    tab_to(page, "categories-0")
    page.keyboard.press("Space")  # groceries
    tab_to(page, "consent")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # past the hidden honeypot, straight to the button
    assert page.evaluate("document.activeElement.textContent") == "Aanmelden"
    page.keyboard.press("Enter")


def control(base: str, path: str, body: dict) -> dict:
    """The simulated carrier's control API, as a person's phone uses it."""
    request = urllib.request.Request(f"{base}/sim/control{path}", method="POST",
                                     data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def ringing_call_to(live, number: str) -> str:
    live.wait_until(lambda net: any(c["to"] == number and c["status"] == "ringing"
                                   for c in net.calls()))
    return next(c["sid"] for c in live.net.calls() if c["to"] == number)


def heard_code(text: str) -> str:
    found = re.search(r"Uw code is: ([\d, ]+)\.", text)
    assert found, text
    return found[1].replace(", ", "")


def test_a_resident_inside_signs_up_verifies_by_phone_and_is_approved(live, page):
    base = live.config.server.public_url
    sign_up_by_keyboard(page, base)
    page.get_by_role("status").filter(has_text="We bellen u nu op +31 6 ****5678.").wait_for()

    sid = ringing_call_to(live, PHONE)
    control(base, f"/calls/{sid}/answer", {"as": "human"})
    live.wait_until(lambda net: "Uw code is: " in net.heard(sid))
    code = heard_code(live.net.heard(sid))
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_label("Code", exact=True).press("Enter")
    page.get_by_role("status").filter(has_text="Uw telefoonnummer is bevestigd.").wait_for()

    with live.exchange.db.session() as session:
        create_user(session, email=COORDINATOR[0], name="Coco", role="coordinator",
                    password=COORDINATOR[1], neighbourhood_names=["Segbroek"], now=utcnow())
    page.goto(f"{base}/admin/login")
    page.get_by_label("E-mailadres", exact=True).fill(COORDINATOR[0])
    page.get_by_label("Wachtwoord", exact=True).fill(COORDINATOR[1])
    page.locator("main").get_by_role("button", name="Inloggen", exact=True).click()
    page.get_by_role("link", name="1 aanmelding via de website wacht op goedkeuring",
                     exact=True).click()
    page.get_by_role("button", name="Goedkeuren Joke Jansen", exact=True).click()
    page.get_by_role("status").get_by_text("Joke Jansen doet nu mee.", exact=True).wait_for()
    page.goto(f"{base}/admin/participants?q=Joke")
    page.get_by_role("cell", name="Joke Jansen", exact=True).wait_for()


def test_a_postcode_outside_every_neighbourhood_is_told_whom_to_contact(live, page):
    live.exchange.config = live.config.replace(office={"coordinator_phone": "070 345 6789",
                                                       "email": "wijk@example.nl"})
    sign_up_by_keyboard(page, live.config.server.public_url, postcode="9999 ZZ")
    alert = page.get_by_role("alert")
    alert.get_by_text("Helaas: postcode 9999 ZZ ligt buiten de wijken").wait_for()
    assert alert.get_by_role("link", name="070 345 6789", exact=True).get_attribute("href") == \
        "tel:+31703456789"
    assert alert.get_by_role("link", name="wijk@example.nl", exact=True).is_visible()
    postcode = page.get_by_label("Postcode", exact=True)
    assert postcode.get_attribute("aria-invalid") == "true"
    assert "postcode-errors" in postcode.get_attribute("aria-describedby")
    assert not live.calls_to(PHONE)


def test_the_demo_phone_page_rings_for_the_number_that_signed_up(live, page, browser):
    base = live.config.server.public_url
    sign_up_by_keyboard(page, base)
    page.get_by_role("status").filter(has_text="We bellen u nu op").wait_for()
    phone = browser.new_context(locale="nl-NL").new_page()
    phone.set_default_timeout(PAGE_TIMEOUT_MS)
    phone.goto(f"{base}/demo/phone")
    my_phone(phone).get_by_label("Mijn nummer").fill(NUMBER)
    my_phone(phone).get_by_role("button", name="Opnemen").click()
    code = heard_code(heard(phone, "Uw code is: ").inner_text())
    phone.context.close()
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_role("button", name="Bevestigen", exact=True).click()
    page.get_by_role("status").filter(has_text="Uw telefoonnummer is bevestigd.").wait_for()
