"""The coordinator's day in a real browser: a call nobody could help appears on "needs
attention" and is handled there; the dashboard's "Now" follows a caller on hold while
volunteers ring; and axe-core finds nothing serious on the new pages (at 200% zoom too)."""

from __future__ import annotations

import math
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from bhc.attention import services as attention
from bhc.db import utcnow
from bhc.models import AuditLog, Participant
from bhc.neighbourhoods.services import add_neighbourhood
from bhc.users import services as users
from tests.browser.conftest import (
    BROWSER_TIME_SCALE,
    PAGE_TIMEOUT_MS,
    PASSWORD,
    PERSON_WINDOW_S,
    served_site,
    signed_in,
)
from tests.browser.test_accessibility import _assert_accessible, _assert_reflows
from tests.e2e.conftest import CALLER, VOLUNTEERS, running
from tests.integration.attention.seeding import ended_request, leg
from tests.integration.conftest import volunteer

SEGBROEK_COORDINATOR = "coco@example.nl"
DUINOORD_COORDINATOR = "duco@example.nl"
SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
DECLINE = dict(answer="human", answer_delay_s=1, press="2", press_delay_s=1)
# A phone in the "Now" test rings long enough for the page to show it and a click to answer.
RING_S = 45.0


def _coordinators(exchange) -> None:
    with exchange.db.session() as session:
        add_neighbourhood(session, "Duinoord", "+31702000002", ["2518"], 3000)
        for email, name in ((SEGBROEK_COORDINATOR, "Segbroek"),
                            (DUINOORD_COORDINATOR, "Duinoord")):
            users.create_user(session, email=email, name=email.split("@")[0].title(),
                              role="coordinator", password=PASSWORD,
                              neighbourhood_names=[name], now=utcnow())


@pytest.fixture
def fast_hashes(monkeypatch):
    from argon2 import PasswordHasher

    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024,
                                                         parallelism=1))


@SQLITE
def test_an_unmatched_call_is_on_the_attention_list_and_its_coordinator_handles_it(
        live, browser, fast_hashes):
    _coordinators(live.exchange)
    for number in VOLUNTEERS:
        live.net.set_behaviour(number, **DECLINE)
    sid = live.dial()
    live.wait_heard(sid, "Druk 1 voor boodschappen doen.")
    live.choose(sid, "1")
    request = live.wait_state("unmatched")
    live.wait_heard(sid, "Druk 1 als u wilt dat we u terugbellen")
    live.net.hangup(sid)  # no call-back: this resident is left for a coordinator

    url = live.config.server.public_url
    context, page = signed_in(browser, url, SEGBROEK_COORDINATOR)
    other_context, other = signed_in(browser, url, DUINOORD_COORDINATOR)
    try:
        page.get_by_role("link", name=re.compile(r"^Aandacht nodig")).click()
        page.get_by_role("heading", name="Aandacht nodig", level=1).wait_for()
        item = page.get_by_role("link", name=re.compile(r"^Open melding \d+: Geen match$"))
        item.click()
        page.get_by_role("heading", name="Geen match", level=1).wait_for()
        item_url = page.url
        # The number in full, to phone; the timeline of the search with each volunteer.
        expect(page.get_by_role("link", name=CALLER, exact=True)).to_have_attribute(
            "href", f"tel:{CALLER}")
        timeline = page.get_by_role("region", name="Verloop")
        expect(timeline.get_by_text("afgeslagen (drukte 2)")).to_have_count(3)
        with live.exchange.db.session() as session:
            viewed = session.scalars(select(AuditLog).where(
                AuditLog.action == attention.NUMBER_VIEWED)).all()
        assert [(row.object_type, row.summary) for row in viewed] == [
            ("attention_item", "unmatched: +31 7 ****1234")]

        # Another neighbourhood's coordinator may not open it, nor see it on their list.
        assert other.goto(item_url).status == 403
        other.goto(f"{url}/admin/attention")
        other.get_by_text("Op dit moment heeft niets aandacht nodig.").wait_for()

        page.get_by_label("Notitie (wat er is gezegd of gedaan)").fill(
            "Teruggebeld; de buurvrouw doet morgen de boodschappen.")
        page.get_by_role("button", name="Sluiten: afgehandeld", exact=True).click()
        page.get_by_role("status").get_by_text("Gesloten. Dank u voor het bellen.").wait_for()
        page.get_by_text("Op dit moment heeft niets aandacht nodig.").wait_for()
        expect(page.locator("#attention-count")).to_have_text("0")
        page.get_by_role("link", name="Onlangs gesloten", exact=True).click()
        closed = page.get_by_role("region", name="Onlangs gesloten")
        closed.get_by_text("Teruggebeld; de buurvrouw doet morgen de boodschappen.").wait_for()
        assert request.id
    finally:
        other_context.close()
        context.close()


@pytest.fixture
def live_ringing_long(database_url):
    """The browser tests' exchange, its phones ringing RING_S real seconds."""
    yield from running(database_url, BROWSER_TIME_SCALE, key_window_s=PERSON_WINDOW_S,
                       matching={"ring_timeout_s": math.ceil(RING_S / BROWSER_TIME_SCALE)})


@SQLITE
def test_now_shows_the_caller_on_hold_while_a_volunteer_rings_and_not_once_matched(
        live_ringing_long, browser, fast_hashes):
    live = live_ringing_long
    _coordinators(live.exchange)
    live.net.set_behaviour(VOLUNTEERS[0], answer="manual")
    context, page = signed_in(browser, live.config.server.public_url, SEGBROEK_COORDINATOR)
    try:
        now = page.locator("#now")
        now.get_by_text("Niemand staat in de wacht.").wait_for()
        sid = live.dial()
        live.wait_heard(sid, "Druk 1 voor boodschappen doen.")
        live.choose(sid, "1")
        # The page, loaded before the call, shows it by itself (static/live.js).
        on_hold = page.get_by_role("region", name="Bellers in de wacht")
        row = on_hold.get_by_role("row").filter(has_text="Segbroek")
        row.get_by_text("Volunteer 0001 +31 6 ****0001").wait_for()  # a refresh or two
        expect(row).to_contain_text("boodschappen doen")
        expect(row).to_contain_text("+31 7 ****1234")
        expect(row).to_contain_text("Volunteer 0001 +31 6 ****0001")
        assert VOLUNTEERS[0] not in page.content()
        leg = live.calls_to(VOLUNTEERS[0])[-1]["sid"]
        live.net.answer(leg)
        live.choose(leg, "1")
        live.wait_state("matched")
        now.get_by_text("Niemand staat in de wacht.").wait_for()
        ended = page.get_by_role("region", name="Zoektochten die het afgelopen uur eindigden")
        expect(ended.get_by_role("row").filter(has_text="Segbroek")).to_contain_text(
            "gematcht", timeout=PAGE_TIMEOUT_MS)
    finally:
        context.close()


# --- the new pages, to axe-core -----------------------------------------------------------------


@pytest.fixture(scope="module")
def site(sqlite_template, tmp_path_factory):
    """Segbroek with an unmatched request and a silent volunteer (both need attention), a
    caller on hold with a volunteer ringing, and its coordinator."""
    with served_site(sqlite_template, tmp_path_factory.mktemp("day")) as (exchange, url):
        now = utcnow()
        with exchange.db.session() as session:
            here = add_neighbourhood(session, "Segbroek", "+31702000001", ["2551"], 12000).id
            volunteer(session, here, CALLER, is_helper=False, is_asker=True, categories=(),
                      name="Els Aanvrager")
            for number, phone in enumerate(VOLUNTEERS, start=1):
                volunteer(session, here, phone, name=f"Helper {number}")
            users.create_user(session, email=SEGBROEK_COORDINATOR, name="Coco",
                              role="coordinator", password=PASSWORD,
                              neighbourhood_names=["Segbroek"], now=now)
            ids = dict(session.execute(select(Participant.phone, Participant.id)).all())
            unmatched = ended_request(session, here, ids[CALLER], now - timedelta(hours=1),
                                      "unmatched", "no_answer")
            for phone in VOLUNTEERS:
                leg(session, unmatched, ids[phone], now - timedelta(minutes=59), "no_answer")
            for days in (20, 10, 5):
                old = ended_request(session, here, None, now - timedelta(days=days), "matched",
                                    "matched")
                leg(session, old, ids[VOLUNTEERS[2]], now - timedelta(days=days), "no_answer")
            waiting = ended_request(session, here, ids[CALLER], now - timedelta(seconds=40),
                                    "searching", None)
            waiting.ended_at = None
            leg(session, waiting, ids[VOLUNTEERS[0]], now - timedelta(seconds=5), None,
                status="ringing")
            attention.sweep(session, now, check_ins=True)
        with exchange.db.session() as session:
            items = [item.id for item in attention.items(session, None)]
        yield url, {"attention": "/admin/attention", "attention closed":
                    "/admin/attention?show=closed",
                    "attention item": f"/admin/attention/{items[0]}",
                    "check-in item": f"/admin/attention/{items[-1]}",
                    "dashboard with now": "/admin/",
                    "volunteers": "/admin/volunteers?sort=rung&order=desc",
                    "volunteer": f"/admin/participants/{ids[VOLUNTEERS[2]]}"}


@pytest.fixture(scope="module")
def coordinator_page(browser, site):
    url, _ = site
    from argon2 import PasswordHasher

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024,
                                                       parallelism=1))
        context, page = signed_in(browser, url, SEGBROEK_COORDINATOR)
    yield page
    context.close()


PAGES = ["attention", "attention closed", "attention item", "check-in item",
         "dashboard with now", "volunteers", "volunteer"]


@pytest.mark.parametrize("name", PAGES)
def test_new_page_has_no_serious_axe_violations(coordinator_page, site, name):
    url, paths = site
    coordinator_page.set_viewport_size({"width": 1280, "height": 800})
    assert coordinator_page.goto(url + paths[name]).status == 200
    _assert_accessible(coordinator_page, name, "nl")


@pytest.mark.parametrize("name", PAGES)
def test_new_page_reflows_at_200_percent_zoom(coordinator_page, site, name):
    url, paths = site
    coordinator_page.set_viewport_size({"width": 640, "height": 400})
    assert coordinator_page.goto(url + paths[name]).status == 200
    _assert_reflows(coordinator_page, name)
    _assert_accessible(coordinator_page, name, "nl")
