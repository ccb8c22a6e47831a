"""Where helpers are missing: the neighbourhood's page, its place in the monthly report, and
who may see it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bhc.bootstrap import build
from bhc.db import utcnow
from bhc.localtime import to_local
from bhc.models import Neighbourhood
from tests.admin.conftest import add_user, sign_in
from tests.integration.reports import gap_week

LARGEST = [  # tests/integration/reports/test_gaps.py works these out
    "Boodschappen doen, maandag 08:00–09:00: geen helper; 2 van de 3 verzoeken van toen in de "
    "afgelopen 13 weken vonden niemand.",
    "Praatje maken, zondag 08:00–21:00: geen helper; 2 van de 2 verzoeken van toen in de "
    "afgelopen 13 weken vonden niemand.",
    "Vervoer, vrijdag 08:00–21:00: geen helper; 1 van de 1 verzoeken van toen in de afgelopen "
    "13 weken vonden niemand.",
]


@pytest.fixture
def exchange(config, carrier):
    """An exchange with only the seeded neighbourhoods of gap_week."""
    exchange = build(config, carrier=carrier)
    yield exchange
    exchange.stop()


@pytest.fixture
def neighbourhoods(exchange):
    with exchange.db.session() as session:
        gap_week.seed(session, utcnow())
        return dict(session.execute(select(Neighbourhood.name, Neighbourhood.id)).all())


def _this_month() -> str:
    """The month whose report counts every seeded request (13 weeks up to its end)."""
    return to_local(utcnow()).strftime("%Y-%m")


def _cells(page: str, category: str) -> list[list[str]]:
    """The week grid of one category as the page shows it: a row of texts per hour."""
    table = page[page.index(f'id="category-{category}"'):]
    table = table[:table.index("</table>")]
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]
    return [[re.sub(r"<[^>]+>", " ", cell).split() for cell in
             re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows]


def test_the_page_shows_the_grid_and_the_three_largest_gaps_in_words(coordinator,
                                                                      neighbourhoods):
    page = coordinator.get(f"/admin/neighbourhoods/{neighbourhoods['Segbroek']}/gaps").text
    assert "<h1>Waar helpers ontbreken: Segbroek</h1>" in page
    largest = page[page.index('id="largest"'):page.index('id="how"')]
    assert [re.sub(r"\s+", " ", item).strip() for item in
            re.findall(r"<li>(.*?)</li>", largest, re.S)] == LARGEST
    groceries = _cells(page, "groceries")
    assert groceries[7] == [["stil"]] * 7  # 07:00, quiet hours
    # 08:00 on Monday: nobody, and 2 of the 3 requests then found nobody; Tuesday 1 request.
    assert groceries[8] == [["geen", "2", "van", "3", "zonder", "hulp"],
                            ["geen", "0", "van", "1", "zonder", "hulp"],
                            ["geen"], ["geen"], ["geen"], ["1"], ["1"]]
    assert [cell[0] for cell in groceries[16]] == ["2"] * 5 + ["1", "1"]
    assert groceries[21][6] == ["stil", "1", "van", "1", "zonder", "hulp"]  # Sunday 21:30
    assert "4 helpers, die samen hooguit 29 oproepen per week kunnen krijgen." in page
    assert "Elke helper wordt hooguit 3 keer per dag en 10 keer per week gebeld." in page
    # Empty cells say so in words and in a class, not by colour alone: groceries on weekdays
    # at 08; chat on four weekdays 08-15, Thursday 08-13 and 15, Saturday 08-09 and 12-20,
    # Sunday 08-20; and every open hour of the five categories nobody helps with.
    assert page.count('<td class="gap">geen') == (5 + 8 * 4 + 6 + 1 + 2 + 9 + 13 + 13 * 7 * 5)


def test_the_neighbourhoods_pages_link_to_it(coordinator, neighbourhoods):
    link = f'href="/admin/neighbourhoods/{neighbourhoods["Segbroek"]}/gaps"'
    assert link in coordinator.get(f"/admin/neighbourhoods/{neighbourhoods['Segbroek']}").text
    assert link in coordinator.get("/admin/neighbourhoods").text


def test_a_coordinator_of_another_neighbourhood_may_not_see_it(app, exchange, neighbourhoods):
    add_user(exchange, "dina@example.nl", neighbourhoods=("Duinoord",))
    client = app.test_client()
    sign_in(client, "dina@example.nl")
    assert client.get(f"/admin/neighbourhoods/{neighbourhoods['Segbroek']}/gaps"
                      ).status_code == 403
    assert client.get(f"/admin/neighbourhoods/{neighbourhoods['Duinoord']}/gaps"
                      ).status_code == 200
    assert client.get("/admin/neighbourhoods/999/gaps").status_code == 404


def test_the_page_reads_in_english_too(coordinator, neighbourhoods):
    coordinator.get("/admin/language/en")
    page = coordinator.get(f"/admin/neighbourhoods/{neighbourhoods['Segbroek']}/gaps").text
    assert ("Groceries, Monday 08:00–09:00: no helper; 2 of the 3 requests made then in the "
            "last 13 weeks found nobody.") in page
    assert "<th scope=\"col\">Sunday</th>" in page


def test_the_monthly_report_names_the_largest_gaps_and_links_to_every_hour(coordinator,
                                                                          neighbourhoods):
    page = coordinator.get(f"/admin/report?month={_this_month()}").text
    section = page[page.index('id="gaps"'):page.index('id="survey"')]
    assert "Segbroek" in section and "Duinoord" not in section
    assert f'href="/admin/neighbourhoods/{neighbourhoods["Segbroek"]}/gaps"' in section
    assert section.count("<li>") == 3


def test_the_shared_pdf_withholds_small_counts_of_the_gaps(coordinator, neighbourhoods):
    from tests.integration.reports.test_report import pdf_text

    response = coordinator.get(f"/admin/report.pdf?month={_this_month()}")
    text = " ".join(pdf_text(response.data).split())
    assert "Waar helpers ontbreken" in text
    assert "Boodschappen doen, maandag 08:00–09:00: geen helper; <5 van de <5 verzoeken" in text
