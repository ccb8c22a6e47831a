"""The monthly report page and its CSV export."""

from __future__ import annotations

import csv
import io

from bhc import report
from bhc.db import utcnow
from tests.integration.test_report import seed_october


def _seed(exchange, neighbourhoods):
    with exchange.db.session() as session:
        seed_october(session, neighbourhoods["Segbroek"], neighbourhoods["Duinoord"])


def _csv(response) -> dict[str, dict[str, str]]:
    return {row["neighbourhood"]: row for row in csv.DictReader(io.StringIO(response.text))}


def test_the_report_shows_each_neighbourhoods_figures_in_dutch(admin, exchange, neighbourhoods):
    _seed(exchange, neighbourhoods)
    page = admin.get("/admin/report?month=2026-10").text
    assert "Maandrapport: oktober 2026" in page
    segbroek = page[page.index("<th scope=\"row\">Segbroek"):]
    # requests, matches, match rate 5/11 = 45%, median and p90 time, volunteers rung per match
    for figure in ("<td>11</td>", "<td>5</td>", "<td>45%</td>", "<td>60 s</td>",
                   "<td>108 s</td>", "<td>2,2</td>"):
        assert figure in segbroek[:segbroek.index("</tr>")]
    assert "<th scope=\"row\">Totaal</th>" in page
    assert "<td>47%</td>" in page  # 7 / 15 in total
    assert "boodschappen doen" in page
    assert "Geen match: geen vrijwilliger beschikbaar" in page
    assert 'href="/admin/report.csv?month=2026-10"' in page


def test_the_report_link_is_in_the_navigation_and_defaults_to_last_month(admin, exchange,
                                                                        neighbourhoods):
    page = admin.get("/admin/").text
    assert 'href="/admin/report"' in page
    page = admin.get("/admin/report").text
    assert f'value="{report.previous_month(utcnow())}"' in page
    assert "Nog geen gegevens voor deze maand." in page


def test_a_coordinator_sees_only_their_neighbourhoods(coordinator, exchange, neighbourhoods):
    _seed(exchange, neighbourhoods)
    page = coordinator.get("/admin/report?month=2026-10").text
    assert "Segbroek" in page
    assert "Duinoord" not in page
    assert "<td>45%</td>" in page  # the total is Segbroek's own
    rows = _csv(coordinator.get("/admin/report.csv?month=2026-10"))
    assert list(rows) == ["Segbroek", "total"]
    assert rows["total"]["requests"] == "11"


def test_the_csv_export_hides_numbers_under_five(admin, exchange, neighbourhoods):
    _seed(exchange, neighbourhoods)
    response = admin.get("/admin/report.csv?month=2026-10")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "bhc-report-2026-10.csv" in response.headers["Content-Disposition"]
    rows = _csv(response)
    assert (rows["Segbroek"]["requests"], rows["Segbroek"]["abandoned"]) == ("11", "<5")
    assert rows["Duinoord"]["matches"] == rows["Duinoord"]["match_rate"] == "<5"
    assert rows["total"]["requests"] == "15"


def test_a_bad_month_gets_a_clear_message(admin, neighbourhoods):
    response = admin.get("/admin/report?month=2026-13")
    assert response.status_code == 400
    assert "“2026-13” is geen maand." in response.text
    assert admin.get("/admin/report.csv?month=oktober").status_code == 400


def test_the_report_reads_in_english_when_chosen(admin, exchange, neighbourhoods):
    _seed(exchange, neighbourhoods)
    admin.get("/admin/language/en")
    page = admin.get("/admin/report?month=2026-10").text
    assert "Monthly report: October 2026" in page
    assert "<td>45%</td>" in page
    assert "No match: no volunteer available" in page
    assert "groceries" in page
    empty = admin.get("/admin/report?month=2026-12").text
    assert "No data yet for this month." in empty


def test_a_neighbourhood_without_requests_says_so(admin, exchange, neighbourhoods):
    with exchange.db.session() as session:
        seed_october(session, neighbourhoods["Segbroek"], neighbourhoods["Segbroek"])
    page = admin.get("/admin/report?month=2026-10").text
    duinoord = page[page.index("<th scope=\"row\">Duinoord"):]
    assert "Nog geen gegevens" in duinoord[:duinoord.index("</tr>")]
