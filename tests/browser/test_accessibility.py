"""Accessible pages: axe-core finds nothing serious, the keyboard alone does a real task, and
the pages stay usable at 200% zoom (a 1280x800 screen is 640x400 CSS pixels then)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select

from bhc.db import utcnow
from bhc.models import Participant
from bhc.neighbourhoods.services import add_neighbourhood
from bhc.people.blocking import block_number
from bhc.signups.services import SignUpData, submit
from bhc.users import services as users
from tests.admin.helpers import matched_request
from tests.browser.conftest import PASSWORD, new_page, served_site
from tests.integration.conftest import volunteer

ADMIN = "ada@example.nl"
COORDINATOR = "coco@example.nl"  # of Duinoord only
CALLER = "+31703561234"
HELPERS = ["+31612340001", "+31612340002", "+31612340003"]
SERIOUS = ("serious", "critical")
AXE = Axe()  # axe-core ships inside the package: no network at test time


@dataclass
class Site:
    url: str
    paths: dict[str, str]


def _seed(exchange) -> dict[str, str]:
    with exchange.db.session() as session:
        segbroek = add_neighbourhood(session, "Segbroek", "+31702000001", ["2551", "2552"], 12000)
        duinoord = add_neighbourhood(session, "Duinoord", "+31702000002", ["2518"], 3000)
        volunteer(session, segbroek.id, CALLER, is_helper=False, is_asker=True, categories=(),
                  name="Els Aanvrager")
        for number, phone in enumerate(HELPERS, start=1):
            volunteer(session, segbroek.id, phone, categories=("groceries", "chat"),
                      name=f"Helper {number}")
        volunteer(session, duinoord.id, "+31612349999", name="Bea Duin")
        admin = users.create_user(session, email=ADMIN, name="Ada", role="admin",
                                  password=PASSWORD, neighbourhood_names=[], now=utcnow())
        users.create_user(session, email=COORDINATOR, name="Coco", role="coordinator",
                          password=PASSWORD, neighbourhood_names=["Duinoord"], now=utcnow())
        block_number(session, "0612345678", reason="Scheldt volunteers uit", user_id=admin.id,
                     now=utcnow())
        submit(session, SignUpData(
            name="Nel Nieuw", phone="0612345001", postcode="2551 AB", house_number="3",
            is_helper=True, is_asker=False, categories=frozenset({"groceries"}),
            languages=("nl",), day_parts=(), language="nl"), utcnow())
        neighbourhood_id = segbroek.id
    request_id = matched_request(exchange, neighbourhood_id, CALLER, HELPERS)
    with exchange.db.session() as session:
        helper_id = session.scalar(select(Participant.id).where(Participant.phone == HELPERS[0]))
    return {
        "dashboard": "/admin/",
        "participants": "/admin/participants",
        "participant search": "/admin/participants?q=Helper",
        "participant add": "/admin/participants/new",
        "participant edit": f"/admin/participants/{helper_id}",
        "participant delete": f"/admin/participants/{helper_id}/delete",
        "participant import": "/admin/participants/import",
        "neighbourhoods": "/admin/neighbourhoods",
        "neighbourhood edit": f"/admin/neighbourhoods/{neighbourhood_id}",
        "neighbourhood menu": f"/admin/neighbourhoods/{neighbourhood_id}/menu",
        "sign-ups": "/admin/sign-ups",
        "surveys": "/admin/surveys",
        "blocked numbers": "/admin/blocked",
        "unblock": "/admin/blocked/1/unblock",
        "audit log": "/admin/audit",
        "request log": "/admin/requests",
        "request detail": f"/admin/requests/{request_id}",
        "report": "/admin/report",
        "report bad month": "/admin/report?month=2026-13",
        "not found": "/admin/no-such-page",
        "forbidden": f"/admin/participants/{helper_id}",  # seen by Duinoord's coordinator
        "sign-up": "/meedoen",
    }


@pytest.fixture(scope="module")
def site(sqlite_template, tmp_path_factory):
    with served_site(sqlite_template, tmp_path_factory.mktemp("a11y")) as (exchange, url):
        yield Site(url, _seed(exchange))


def _sign_in(page, site: Site, email: str) -> None:
    page.goto(f"{site.url}/admin/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{site.url}/admin/")


def _signed_in_page(browser, site: Site, email: str, language: str = "nl"):
    context, page = new_page(browser)
    _sign_in(page, site, email)
    if language != "nl":
        page.goto(f"{site.url}/admin/language/{language}?next=/admin/")
    return context, page


@pytest.fixture(scope="module")
def as_admin(browser, site):
    context, page = _signed_in_page(browser, site, ADMIN)
    yield page
    context.close()


@pytest.fixture(scope="module")
def as_admin_in_english(browser, site):
    context, page = _signed_in_page(browser, site, ADMIN, "en")
    yield page
    context.close()


@pytest.fixture(scope="module")
def as_coordinator(browser, site):
    context, page = _signed_in_page(browser, site, COORDINATOR)
    yield page
    context.close()


@pytest.fixture(scope="module")
def anonymous(browser):
    context, page = new_page(browser)
    yield page
    context.close()


def _serious_violations(page) -> str:
    """What axe-core reports as serious or critical on the page, one readable line a node."""
    results = AXE.run(page)
    lines = []
    for violation in results.response["violations"]:
        if violation["impact"] not in SERIOUS:
            continue
        for node in violation["nodes"]:
            lines.append(f"{violation['id']} ({violation['impact']}) at "
                         f"{' '.join(map(str, node['target']))}: {violation['help']} "
                         f"[{node['html'][:120]}]")
    return "\n".join(lines)


STATUS = {"report bad month": 400, "not found": 404, "forbidden": 403}


def _open(page, site: Site, name: str) -> None:
    response = page.goto(site.url + site.paths[name])
    assert response.status == STATUS.get(name, 200), f"{name}: HTTP {response.status}"


def _assert_accessible(page, name: str, language: str) -> None:
    assert page.locator("html").get_attribute("lang") == language
    found = _serious_violations(page)
    assert not found, f"axe-core on {name} ({page.url}):\n{found}"


COORDINATOR_PAGES = ["dashboard", "participants", "participant search", "participant add",
                     "participant edit", "participant delete", "participant import", "sign-ups",
                     "neighbourhoods", "neighbourhood edit", "neighbourhood menu", "surveys",
                     "blocked numbers", "unblock", "audit log", "request log", "request detail",
                     "report", "report bad month"]


@pytest.mark.parametrize("name", COORDINATOR_PAGES)
def test_coordinator_page_has_no_serious_axe_violations(as_admin, site, name):
    _open(as_admin, site, name)
    _assert_accessible(as_admin, name, "nl")


@pytest.mark.parametrize("name", ["dashboard", "participant edit", "request detail", "report"])
def test_english_pages_say_so_and_have_no_serious_axe_violations(as_admin_in_english, site,
                                                                 name):
    _open(as_admin_in_english, site, name)
    _assert_accessible(as_admin_in_english, name, "en")


def test_form_with_errors_is_announced_accessibly(as_admin, site):
    _open(as_admin, site, "participant add")
    as_admin.locator("main form button[type=submit]").click()
    name = as_admin.locator("#name")
    assert name.get_attribute("aria-invalid") == "true"
    described = name.get_attribute("aria-describedby").split()
    assert described and any(as_admin.locator(f"#{id_}").inner_text().strip()
                             for id_ in described)
    _assert_accessible(as_admin, "participant add with errors", "nl")


def test_error_pages_have_no_serious_axe_violations(as_admin, as_coordinator, site):
    _open(as_admin, site, "not found")
    _assert_accessible(as_admin, "not found", "nl")
    _open(as_coordinator, site, "forbidden")
    _assert_accessible(as_coordinator, "forbidden", "nl")


def test_sign_in_page_has_no_serious_axe_violations(anonymous, site):
    anonymous.goto(f"{site.url}/admin/login")
    _assert_accessible(anonymous, "sign in", "nl")


@pytest.mark.parametrize("language", ["nl", "en"])
def test_public_sign_up_page_has_no_serious_axe_violations(browser, site, language):
    context, page = new_page(browser, "nl-NL" if language == "nl" else "en-GB")
    try:
        _open(page, site, "sign-up")
        if language == "en":
            page.get_by_role("link", name="English", exact=True).click()
            expect(page.locator("html")).to_have_attribute("lang", "en")  # the page came
        _assert_accessible(page, "sign-up", language)
        page.locator("main form button[type=submit]").click()
        expect(page.locator("[aria-invalid=true]")).not_to_have_count(0)  # the answer came
        _assert_accessible(page, "sign-up with errors", language)
    finally:
        context.close()


# --- the keyboard alone -------------------------------------------------------------------------

def _focus_is_visible(page) -> bool:
    return page.evaluate("""() => {
        const style = getComputedStyle(document.activeElement);
        const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
        return outline || style.boxShadow !== 'none';
    }""")


def _focused(page, selector: str) -> bool:
    return page.evaluate("s => document.activeElement.matches(s)", selector)


def _tab_to(page, selector: str, key: str = "Tab", limit: int = 40) -> None:
    """Press Tab (or Shift+Tab) until the element matching ``selector`` has the focus, checking
    that every element passed on the way shows where the focus is."""
    for _ in range(limit):
        page.keyboard.press(key)
        # One look at the focused element: a page opened at "#main" may move the focus to the
        # skip link's target while we look, which two separate looks would see half of.
        element = page.evaluate("""s => {
            const e = document.activeElement, style = getComputedStyle(e);
            return {control: !e.matches("body, [tabindex='-1']"), wanted: e.matches(s),
                    visible: (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2)
                             || style.boxShadow !== 'none',
                    html: e.outerHTML.slice(0, 200)};
        }""", selector)
        if not element["control"]:
            # Past the last element the focus visits the browser's own controls; a page opened
            # at "#main" may focus the skip link's target: neither is a control.
            continue
        assert element["visible"], "no visible focus on " + element["html"]
        if element["wanted"]:
            return
    raise AssertionError(f"{selector} not reached with {limit} presses of {key} on {page.url}")


def test_a_coordinator_edits_a_participant_with_the_keyboard_alone(browser, site):
    context, page = new_page(browser)
    try:
        page.goto(f"{site.url}/admin/login")
        # The first tab stop skips the menu and lands the next one in the page's own content.
        page.keyboard.press("Tab")
        assert _focused(page, "a.skip[href='#main']")
        assert _focus_is_visible(page)
        box = page.locator("a.skip").bounding_box()
        assert box["x"] >= 0 and box["y"] >= 0, "the skip link is off screen when focused"
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        assert _focused(page, "main #email")

        page.keyboard.type(ADMIN)
        _tab_to(page, "#password")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url: urlsplit(url).path == "/admin/")  # may keep "#main"

        _tab_to(page, "nav a[href='/admin/participants']")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{site.url}/admin/participants")
        edit = site.paths["participant edit"]
        _tab_to(page, f"main a[href='{edit}']")
        page.keyboard.press("Enter")
        page.wait_for_url(site.url + edit)

        _tab_to(page, "#name")
        page.keyboard.press("Control+a")
        page.keyboard.type("Helper Een")
        _tab_to(page, "main form button[type=submit]")
        _tab_to(page, "input[name=categories][value=transport]", key="Shift+Tab")
        page.keyboard.press("Space")
        _tab_to(page, "main form button[type=submit]")
        page.keyboard.press("Enter")
        # The saved page (not the form still on screen before it arrives).
        page.get_by_role("status").get_by_text("De wijzigingen zijn opgeslagen.").wait_for()

        assert page.locator("h1").inner_text() == "Helper Een"
        assert page.locator("input[name=categories][value=transport]").is_checked()
    finally:
        context.close()


def test_every_sign_up_control_shows_the_keyboard_focus(anonymous, site):
    _open(anonymous, site, "sign-up")
    anonymous.keyboard.press("Tab")
    assert _focused(anonymous, "a.skip[href='#main']")
    _tab_to(anonymous, "main form button[type=submit]", limit=60)


# --- 200% zoom ----------------------------------------------------------------------------------

ZOOMED_PAGES = ["dashboard", "participants", "participant edit", "participant import",
                "sign-ups", "neighbourhoods", "neighbourhood edit", "neighbourhood menu",
                "surveys", "blocked numbers", "audit log", "request log", "request detail",
                "report"]


@pytest.fixture(scope="module")
def zoomed(browser, site):
    """1280x800 at 200% zoom: 640x400 CSS pixels on a screen with twice the pixels."""
    context, page = _signed_in_page(browser, site, ADMIN)
    page.set_viewport_size({"width": 640, "height": 400})
    yield page
    context.close()


def _assert_reflows(page, name: str) -> None:
    widths = page.evaluate("""() => [document.documentElement.scrollWidth,
                                     document.documentElement.clientWidth]""")
    assert widths[0] <= widths[1] + 1, f"{name} scrolls sideways at 200% zoom: {widths}"
    for link in page.locator("header nav a, header nav button").all():
        box = link.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= widths[1] + 1, (
            f"menu item {link.inner_text()!r} is out of view at 200% zoom on {name}")


@pytest.mark.parametrize("name", ZOOMED_PAGES)
def test_page_reflows_at_200_percent_zoom(zoomed, site, name):
    _open(zoomed, site, name)
    _assert_reflows(zoomed, name)
    _assert_accessible(zoomed, name, "nl")


def test_sign_in_and_sign_up_reflow_at_200_percent_zoom(browser, site):
    context, page = new_page(browser, viewport={"width": 640, "height": 400})
    try:
        page.goto(f"{site.url}/admin/login")
        _assert_reflows(page, "sign in")
        _open(page, site, "sign-up")
        _assert_reflows(page, "sign-up")
        _assert_accessible(page, "sign-up", "nl")
    finally:
        context.close()
