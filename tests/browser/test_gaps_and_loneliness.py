"""The coordinator's day in a real browser: where helpers are missing in a seeded neighbourhood
(the figures worked out by hand in tests/integration/reports/test_gaps.py), a survey file with
De Jong Gierveld answers (worked out in tests/integration/surveys/test_loneliness.py), and
axe-core on the new page and sections; the page reflows at 200% zoom."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from bhc.db import utcnow
from bhc.users import services as users
from tests.admin.test_gaps_page import LARGEST
from tests.browser.conftest import PASSWORD, served_site, signed_in
from tests.browser.test_accessibility import _assert_accessible, _assert_reflows
from tests.integration.reports import gap_week
from tests.integration.surveys.test_loneliness import SURVEY

COORDINATOR = "sanne@example.nl"  # of Segbroek


@pytest.fixture(scope="module")
def site(sqlite_template, tmp_path_factory):
    with served_site(sqlite_template, tmp_path_factory.mktemp("gaps")) as (exchange, url):
        with exchange.db.session() as session:
            segbroek = gap_week.seed(session, utcnow())
            users.create_user(session, email=COORDINATOR, name="Sanne", role="coordinator",
                              password=PASSWORD, neighbourhood_names=["Segbroek"],
                              now=utcnow())
        yield SimpleNamespace(url=url, segbroek=segbroek)


@pytest.fixture(scope="module")
def coordinator(browser, site):
    context, page = signed_in(browser, site.url, COORDINATOR)
    yield page
    context.close()


def _hour(page, category: str, hour: str) -> list[str]:
    """The cells (Monday to Sunday) of one hour in a category's table, as read."""
    table = page.get_by_role("table", name=f"Helpers per uur: {category}")
    row = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name=hour,
                                                               exact=True))
    return [" ".join(text.split()) for text in row.get_by_role("cell").all_inner_texts()]


def test_the_gap_grid_of_the_seeded_neighbourhood_shows_the_figures_worked_out_by_hand(
        coordinator, site):
    coordinator.goto(f"{site.url}/admin/neighbourhoods/{site.segbroek}")
    coordinator.get_by_role("link", name="Waar helpers ontbreken (uren per categorie)").click()
    expect(coordinator.get_by_role("heading", level=1)).to_have_text(
        "Waar helpers ontbreken: Segbroek")
    largest = coordinator.locator("ol.gaps li").all_inner_texts()
    assert [" ".join(text.split()) for text in largest] == LARGEST
    assert _hour(coordinator, "boodschappen doen", "08:00") == [
        "geen 2 van 3 zonder hulp", "geen 0 van 1 zonder hulp", "geen", "geen", "geen", "1",
        "1"]
    assert _hour(coordinator, "boodschappen doen", "16:00") == ["2"] * 5 + ["1", "1"]
    assert _hour(coordinator, "boodschappen doen", "21:00") == ["stil"] * 6 + [
        "stil 1 van 1 zonder hulp"]
    assert _hour(coordinator, "praatje maken", "14:00") == [
        "geen", "geen", "geen", "1 1 van 1 zonder hulp", "geen", "geen", "geen"]
    _assert_accessible(coordinator, "where helpers are missing", "nl")


def test_the_gap_page_reflows_at_200_percent_zoom(browser, site):
    context, page = signed_in(browser, site.url, COORDINATOR,
                              viewport={"width": 640, "height": 400})
    try:
        page.goto(f"{site.url}/admin/neighbourhoods/{site.segbroek}/gaps")
        _assert_reflows(page, "where helpers are missing")  # axe-core: the test above
    finally:
        context.close()


def test_a_survey_with_loneliness_answers_gives_the_scores_worked_out_by_hand(coordinator,
                                                                             site, tmp_path):
    upload = tmp_path / "enquete.csv"
    upload.write_text(SURVEY, encoding="utf-8")
    coordinator.goto(f"{site.url}/admin/surveys")
    coordinator.get_by_label("CSV-bestand", exact=True).set_input_files(upload)
    coordinator.locator("main").get_by_role("button", name="Inlezen", exact=True).click()
    coordinator.get_by_role("status").get_by_text(
        "12 respondenten geïmporteerd (12 nieuw, 0 bijgewerkt), 2 regels met fouten."
    ).wait_for()
    errors = coordinator.locator("ul.errors li").all_inner_texts()
    assert errors == [
        "Regel 14: loneliness_2 “misschien” moet ja, min of meer of nee zijn (of yes, more or "
        "less, no), of leeg.",
        "Regel 15: loneliness_6 “2” moet ja, min of meer of nee zijn (of yes, more or less, "
        "no), of leeg."]
    _assert_accessible(coordinator, "surveys with errors", "nl")

    coordinator.goto(f"{site.url}/admin/report?month=2026-10")
    table = coordinator.get_by_role(
        "region", name="Eenzaamheid (De Jong Gierveld): 2026-09, Segbroek").get_by_role("table")
    expect(table).to_be_visible()
    rows = {" ".join(cells[0].split()): [" ".join(c.split()) for c in cells[1:]]
            for cells in (row.get_by_role("rowheader").all_inner_texts()
                          + row.get_by_role("cell").all_inner_texts()
                          for row in table.get_by_role("row").all()[1:])}
    # respondents, mean, interval; used: n, mean; not used: n, mean; difference, interval
    assert rows["Eenzaamheid, 0 tot 6"][:8] == ["11", "2,27", "1,03 tot 3,51", "5", "1,6", "6",
                                                 "2,83", "-1,23"]
    # Emotional, everyone: 0, 1, 0, 1, 2, 3, 2, 2, 0, 1, 2, 1: squares 29, variance
    # (29 - 15^2 / 12) / 11 = 0.9318, standard error 0.2787, t(0.975, 11) = 2.2010: 0.64 to 1.86.
    assert rows["Emotionele eenzaamheid, 0 tot 3"][:7] == ["12", "1,25", "0,64 tot 1,86", "5",
                                                            "0,8", "7", "1,57"]
    assert rows["Sociale eenzaamheid, 0 tot 3"][1] == "1"
    shares = coordinator.get_by_text(re.compile(r"^Eenzaam \(een totaal van 2 of meer\)"))
    expect(shares).to_have_text("Eenzaam (een totaal van 2 of meer): 64% van 11 van alle "
                                "respondenten, 40% van 5 van wie de centrale gebruikte, 83% "
                                "van 6 van wie dat niet deed.")
    _assert_accessible(coordinator, "report with loneliness and gaps", "nl")
