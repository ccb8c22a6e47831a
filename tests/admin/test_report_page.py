"""The monthly report page and its CSV export."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from bhc.db import utcnow
from bhc.models import FollowUp, Match
from bhc.reports import monthly as report
from tests.integration.reports.test_report import pdf_text, seed_october


def _seed(exchange, neighbourhoods):
    with exchange.db.session() as session:
        seed_october(session, neighbourhoods["Segbroek"], neighbourhoods["Duinoord"])


def _csv(response) -> dict[str, dict[str, str]]:
    return {row["neighbourhood"]: row for row in csv.DictReader(io.StringIO(response.text))}


def _downloaded(admin, ext: str, mimetype: str):
    """October's report as a download: a file of ``mimetype`` named after the month."""
    response = admin.get(f"/admin/report.{ext}?month=2026-10")
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert f"bhc-report-2026-10.{ext}" in response.headers["Content-Disposition"]
    return response


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
    response = _downloaded(admin, "csv", "text/csv")
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


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the charts, not the SQL
def test_the_report_draws_its_charts_as_inline_svg_with_their_figures(admin, exchange,
                                                                     neighbourhoods):
    _seed(exchange, neighbourhoods)
    page = admin.get("/admin/report?month=2026-10").text
    assert page.count('<svg role="img"') == 2
    assert "<?xml" not in page and 'width="' not in page[page.index("<svg"):][:300]
    bars = page[page.index('id="chart-neighbourhoods"'):]
    assert "<title id=\"chart-neighbourhoods-title\">Hulpvragen en matches per wijk" in bars
    trend = page[page.index('id="chart-trend"'):]
    assert "over de laatste twaalf maanden: alle wijken samen" in trend[:400]
    # The table next to the trend chart: October's 15 requests and 7 matches in total.
    table = trend[trend.index("<table"):trend.index("</table>")]
    assert "<th scope=\"row\">okt 2026</th><td>15</td><td>7</td>" in table
    assert "<th scope=\"row\">sep 2026</th><td>1</td><td>0</td>" in table
    one = admin.get("/admin/report?month=2026-10&trend=Duinoord").text
    assert "over de laatste twaalf maanden: Duinoord" in one
    assert "<th scope=\"row\">okt 2026</th><td>4</td><td>2</td>" in one


def test_the_report_compares_with_the_month_before(admin, exchange, neighbourhoods):
    _seed(exchange, neighbourhoods)
    page = admin.get("/admin/report?month=2026-11").text
    compare = page[page.index("Vergeleken met oktober 2026"):]
    segbroek = compare[compare.index("<th scope=\"row\">Segbroek"):]
    row = re.sub(r">\s+<", "><", segbroek[:segbroek.index("</tr>")])
    # November: 1 request, 1 match (500 s); October: 11 requests, 5 matches, 45%, 60 s.
    # Reach of Segbroek's 12,000 households: 2 residents (0.02%), in October 6 (0.05%).
    assert ("<td>1</td><td>11</td><td>1</td><td>5</td><td>100%</td><td>45%</td>"
            "<td>500 s</td><td>60 s</td><td>0,02%</td><td>0,05%</td>") in row


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the PDF, not the SQL
def test_the_pdf_export_is_a_pdf_with_small_numbers_hidden(admin, exchange, neighbourhoods):
    _seed(exchange, neighbourhoods)
    response = _downloaded(admin, "pdf", "application/pdf")
    text = pdf_text(response.data)
    assert "Maandrapport: oktober 2026" in text
    assert "Segbroek" in text and "Duinoord" in text
    assert "<5" in text
    assert 'href="/admin/report.pdf?month=2026-10"' in admin.get("/admin/report?month=2026-10").text


def test_follow_up_answers_show_as_the_help_given_rate(admin, exchange, neighbourhoods):
    _seed(exchange, neighbourhoods)
    page = admin.get("/admin/report?month=2026-10").text
    assert "Nog geen gegevens: er is nog geen nabelgesprek" in page
    with exchange.db.session() as session:
        matches = session.scalars(select(Match).order_by(Match.id)).all()[:2]
        # One asker was helped, one was not: a help-given rate of 50%.
        for match, helped in zip(matches, (True, False)):
            session.add(FollowUp(match_id=match.id, side="asker", state="answered",
                                 helped=helped, wants_contact_again=helped,
                                 answered_at=utcnow()))
    page = admin.get("/admin/report?month=2026-10").text
    section = page[page.index("Na de match: nabelgesprekken"):]
    total = section[section.index('<th scope="row">Totaal</th>'):]
    assert [cell for cell in re.findall(r"<td>([^<]*)</td>", total)[:4]] == [
        "2", "1", "50%", "1"]
