"""The coordinators' pages in a real browser, as a coordinator uses them: signing in, importing
participants, editing and pausing one, reading the report of a seeded month, English, and the
refusals (another neighbourhood's page, a form without its CSRF token)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from bhc.db import utcnow
from bhc.models import Participant
from bhc.neighbourhoods.services import add_neighbourhood
from bhc.users import services as users
from tests.browser.conftest import PASSWORD, new_page, served_site, sign_in, signed_in
from tests.integration.conftest import volunteer
from tests.integration.reports.test_report import seed_october

ADMIN = "ada@example.nl"
COORDINATOR = "coco@example.nl"  # of Duinoord only
HELPER = "+31612340001"  # Henk Helper of Segbroek


@pytest.fixture(scope="module")
def site(sqlite_template, tmp_path_factory):
    """One live server for the module: Segbroek (200 households) and Duinoord (100) with the
    requests of October 2026 from the report tests, an administrator and Duinoord's
    coordinator."""
    with served_site(sqlite_template, tmp_path_factory.mktemp("admin")) as (exchange, url):
        with exchange.db.session() as session:
            segbroek = add_neighbourhood(session, "Segbroek", "+31702000001", ["2551"], 200)
            duinoord = add_neighbourhood(session, "Duinoord", "+31702000002", ["2518"], 100)
            seed_october(session, segbroek.id, duinoord.id)
            volunteer(session, segbroek.id, HELPER, name="Henk Helper")
            users.create_user(session, email=ADMIN, name="Ada", role="admin",
                              password=PASSWORD, neighbourhood_names=[], now=utcnow())
            users.create_user(session, email=COORDINATOR, name="Coco", role="coordinator",
                              password=PASSWORD, neighbourhood_names=["Duinoord"], now=utcnow())
        yield SimpleNamespace(url=url, db=exchange.db)


@pytest.fixture(scope="module")
def as_admin(browser, site):
    context, page = signed_in(browser, site.url, ADMIN)
    yield page
    context.close()


def _participant_id(site, phone: str) -> int:
    with site.db.session() as session:
        return session.scalar(select(Participant.id).where(Participant.phone == phone))


def test_signing_in_needs_the_right_password_and_opens_the_dashboard(browser, site):
    context, page = new_page(browser)
    try:
        sign_in(page, site.url, ADMIN, "wrong horse")
        page.locator("main").get_by_text("E-mailadres of wachtwoord klopt niet.").wait_for()
        sign_in(page, site.url, ADMIN)
        page.wait_for_url(f"{site.url}/admin/")
        assert page.get_by_role("heading", level=1).inner_text() == "Hulpvragen van vandaag"
    finally:
        context.close()


def test_an_import_reports_the_bad_row_by_line_and_adds_the_good_ones(as_admin, site,
                                                                      tmp_path):
    upload = tmp_path / "vrijwilligers.csv"
    upload.write_text(
        "name,phone,postcode,house_number,neighbourhood,roles,categories,languages,available,"
        "call_consent\n"
        "Ina Import,06-12345601,2551 AB,4,Segbroek,helper,groceries,nl,,yes\n"
        "Bert Fout,06-123,2551 AB,5,Segbroek,helper,groceries,nl,,yes\n"
        "Joop Import,06-12345603,2551 AB,6,Segbroek,both,chat,nl,,yes\n", encoding="utf-8")
    as_admin.goto(f"{site.url}/admin/participants/import")
    as_admin.get_by_label("CSV-bestand", exact=True).set_input_files(upload)
    as_admin.locator("main").get_by_role("button", name="Inlezen", exact=True).click()
    as_admin.get_by_role("status").get_by_text("2 toegevoegd, 0 bijgewerkt, 1 regels met "
                                                "fouten.").wait_for()
    errors = as_admin.locator("ul.errors li").all_inner_texts()
    assert len(errors) == 1 and errors[0].startswith("Regel 3:")  # the header is line 1
    as_admin.goto(f"{site.url}/admin/participants?q=Import")
    table = as_admin.locator("main table").inner_text()
    assert "Ina Import" in table and "Joop Import" in table
    as_admin.goto(f"{site.url}/admin/participants?q=Fout")
    assert "Bert Fout" not in as_admin.locator("main").inner_text()


def test_a_participant_is_edited_and_paused(as_admin, site):
    as_admin.goto(f"{site.url}/admin/participants/{_participant_id(site, HELPER)}")
    as_admin.get_by_label("Naam", exact=True).fill("Henk de Helper")
    as_admin.locator("main").get_by_role("button", name="Opslaan", exact=True).click()
    as_admin.get_by_role("status").get_by_text("De wijzigingen zijn opgeslagen.").wait_for()
    assert as_admin.get_by_role("heading", level=1).inner_text() == "Henk de Helper"
    until = date.today() + timedelta(days=10)
    as_admin.get_by_label("Gepauzeerd tot").fill(until.isoformat())
    as_admin.locator("main").get_by_role("button", name="Pauzeren", exact=True).click()
    as_admin.get_by_role("status").get_by_text("Henk de Helper is gepauzeerd.").wait_for()
    assert as_admin.get_by_text(re.compile(r"Gepauzeerd: wordt vanaf .+ weer gebeld\.")) \
        .is_visible()


def _row(page, table_heading: str, name: str) -> list[str]:
    """The cells of a neighbourhood's row in the table under a heading (each report table sits
    in a scrolling region named after its heading)."""
    table = page.get_by_role("region", name=table_heading, exact=True).get_by_role("table")
    return table.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=name, exact=True)).locator("td").all_inner_texts()


def test_the_report_of_a_seeded_month_shows_the_figures_worked_out_by_hand(as_admin, site):
    as_admin.goto(f"{site.url}/admin/report")
    month = as_admin.get_by_label("Maand", exact=True)
    month.fill("2026-10")
    as_admin.locator("main form").filter(has=month).get_by_role("button", name="Tonen",
                                                                 exact=True).click()
    # The month asked for, not the default one (October itself while it is November).
    as_admin.wait_for_url(re.compile(r"[?&]month=2026-10(&|$)"))
    as_admin.get_by_role("heading", name="Maandrapport: oktober 2026", exact=True).wait_for()
    # Segbroek: 11 requests, 5 matches (5/11 = 45%), times 30, 40, 60, 90, 120 s: median 60,
    # p90 at position 3.6 = 90 + 0.6 * 30 = 108; rung (1+2+3+4+1)/5 = 2.2; residents A1-A3 and
    # H1-H3 = 6 of 200 households = 3%; A1 and H1 matched twice: 1 repeat contact.
    assert _row(as_admin, "Hulpvragen en matches", "Segbroek") == [
        "11", "5", "45%", "60 s", "108 s", "2,2", "6", "200", "3,00%", "1"]
    # In total 15 requests, 7 matches (47%), p90 of 20..200 s at 5.4 = 120 + 0.4 * 80 = 152,
    # rung 17/7 = 2.43, residents 9 (H1 helped in both) of 300 households.
    assert _row(as_admin, "Hulpvragen en matches", "Totaal") == [
        "15", "7", "47%", "60 s", "152 s", "2,43", "9", "300", "3,00%", "1"]
    # September, the month before: Segbroek's one unmatched request.
    assert _row(as_admin, "Vergeleken met september 2026", "Segbroek")[:4] == [
        "11", "1", "5", "0"]
    chart = as_admin.get_by_role("img", name=re.compile("Hulpvragen en matches per wijk"))
    assert chart.is_visible()
    assert chart.evaluate("node => node.tagName") == "svg"
    # The charts with their tables, to axe-core: nothing serious or critical.
    violations = Axe().run(as_admin).response["violations"]
    assert [v["id"] for v in violations if v["impact"] in ("serious", "critical")] == []


def test_the_pages_switch_to_english(browser, site):
    context, page = signed_in(browser, site.url, ADMIN)
    try:
        page.get_by_role("link", name="English", exact=True).click()
        page.get_by_role("heading", name="Today's requests", exact=True).wait_for()
        page.goto(f"{site.url}/admin/report?month=2026-10")
        page.get_by_role("heading", name="Monthly report: October 2026", exact=True).wait_for()
        assert _row(page, "Requests and matches", "Total")[:3] == ["15", "7", "47%"]
        page.get_by_role("link", name="Nederlands", exact=True).click()
        page.get_by_role("heading", name="Maandrapport: oktober 2026", exact=True).wait_for()
    finally:
        context.close()


def test_a_coordinator_may_not_open_another_neighbourhoods_pages(browser, site):
    context, page = signed_in(browser, site.url, COORDINATOR)
    try:
        response = page.goto(f"{site.url}/admin/participants/{_participant_id(site, HELPER)}")
        assert response.status == 403
        page.get_by_text("U mag deze pagina niet zien: hij hoort bij een wijk die u niet "
                         "coördineert.").wait_for()
        page.goto(f"{site.url}/admin/report?month=2026-10")
        assert _row(page, "Hulpvragen en matches", "Totaal")[:2] == ["4", "2"]  # Duinoord's
        assert "Segbroek" not in page.locator("main").inner_text()
    finally:
        context.close()


def test_a_form_without_its_csrf_token_is_refused(as_admin, site):
    as_admin.goto(f"{site.url}/admin/participants/{_participant_id(site, HELPER)}")
    name = as_admin.get_by_label("Naam", exact=True)
    before = name.input_value()
    form = as_admin.locator("main form").filter(has=name)  # the participant's own form
    form.evaluate("form => form.querySelector('input[name=csrf_token]').remove()")
    name.fill("Niet Opgeslagen")
    with as_admin.expect_response(lambda r: r.request.method == "POST") as posted:
        form.get_by_role("button", name="Opslaan", exact=True).click()
    assert posted.value.status == 400
    as_admin.get_by_text("Het formulier was verlopen of kwam niet van deze site.").wait_for()
    as_admin.goto(f"{site.url}/admin/participants/{_participant_id(site, HELPER)}")
    assert as_admin.get_by_label("Naam", exact=True).input_value() == before
