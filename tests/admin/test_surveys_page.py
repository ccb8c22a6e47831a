"""The survey upload page and the survey and network sections of the monthly report."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bhc.models import AuditLog, SurveyResponse
from tests.admin.conftest import add_user, sign_in
from tests.integration.reports.test_report import pdf_text

SAMPLE = (Path(__file__).parents[2] / "bhc" / "sample" / "survey_segbroek.csv").read_text()
HEADER = "wave,neighbourhood,respondent,used_exchange,cohesion_1,cohesion_2,cohesion_3\n"


def upload(client, text: str, **form):
    return client.post("/admin/surveys", data={"file": (io.BytesIO(text.encode()),
                                                        "enquete.csv"), **form},
                       content_type="multipart/form-data")


def respondents(exchange) -> int:
    with exchange.db.session() as session:
        return session.scalar(select(func.count()).select_from(SurveyResponse))


def test_an_upload_lists_the_bad_row_by_line_and_imports_the_rest(coordinator, exchange):
    text = (HEADER + "2026-09,Segbroek,R1,no,4,4,4\n2026-09,Segbroek,R2,ja,4,4,4\n"
            "2026-09,Segbroek,R3,helper,5,,5\n")
    page = upload(coordinator, text).text
    assert "2 respondenten geïmporteerd (2 nieuw, 0 bijgewerkt), 1 regels met fouten." in page
    assert "Regel 3: used_exchange “ja” moet no, asker, helper of both zijn." in page
    assert "<td>2026-09</td>" in page and "<td>2</td>" in page  # the wave and its respondents
    assert respondents(exchange) == 2
    with exchange.db.session() as session:
        entry = session.scalar(select(AuditLog).where(AuditLog.object_type == "survey"))
        assert entry.summary == "enquete.csv: 2 imported, 1 rows with errors"


def test_a_coordinator_cannot_import_rows_of_another_neighbourhood(coordinator, exchange):
    text = HEADER + "2026-09,Segbroek,R1,no,4,4,4\n2026-09,Duinoord,D1,no,4,4,4\n"
    page = upload(coordinator, text).text
    assert "Regel 3: “Duinoord” is een wijk die u niet coördineert." in page
    assert respondents(exchange) == 1


def test_an_admin_imports_every_neighbourhood_and_sees_every_wave(admin, exchange):
    text = HEADER + "2026-09,Segbroek,R1,no,4,4,4\nvoormeting,Duinoord,D1,no,4,4,4\n"
    page = upload(admin, text).text
    assert "2 respondenten geïmporteerd" in page
    assert "<td>voormeting</td>" in page and "<td>2026-09</td>" in page


def test_a_file_without_the_required_columns_imports_nothing(coordinator, exchange):
    page = upload(coordinator, "wave,neighbourhood,respondent\n2026-09,Segbroek,R1\n").text
    assert "Er is niets geïmporteerd: Er ontbreken kolommen: used_exchange." in page
    assert respondents(exchange) == 0


def test_the_upload_needs_the_forms_csrf_token(app, exchange, neighbourhoods):
    app.config["WTF_CSRF_ENABLED"] = True
    add_user(exchange, "coco@example.nl")
    client = app.test_client()
    login_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                            client.get("/admin/login").text).group(1)
    assert sign_in(client, "coco@example.nl").status_code == 400
    client.post("/admin/login", data={"email": "coco@example.nl",
                                      "password": "correct horse battery",
                                      "csrf_token": login_token})
    assert upload(client, SAMPLE).status_code == 400
    assert respondents(exchange) == 0
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get("/admin/surveys").text).group(1)
    page = upload(client, SAMPLE, csrf_token=token).text
    assert "76 respondenten geïmporteerd (76 nieuw, 0 bijgewerkt), 0 regels met fouten." in page


def test_the_report_shows_the_survey_per_wave_and_scale(coordinator, exchange):
    page = coordinator.get("/admin/report?month=2026-10").text
    assert "Bewonersenquête" in page and "Nog geen enquêtegegevens." in page
    assert 'href="/admin/surveys"' in page  # in the menu and under "no data yet"
    upload(coordinator, SAMPLE)
    page = coordinator.get("/admin/report?month=2026-10").text
    assert "Meting 2026-03: Segbroek" in page and "Meting 2026-09: Segbroek" in page
    assert "40 respondenten, van wie 6 de burenhulpcentrale gebruikten." in page
    assert "Sociale cohesie" in page and "Zelfredzaamheid" in page
    assert "Informeel steunnetwerk" in page and "Paren bewoners in contact" in page
    # March's report knows only the first wave.
    march = coordinator.get("/admin/report?month=2026-03").text
    assert "Meting 2026-03: Segbroek" in march and "Meting 2026-09" not in march
    english = coordinator.get("/admin/language/en?next=/admin/report?month=2026-10",
                              follow_redirects=True).text
    assert "Wave 2026-09: Segbroek" in english and "Social cohesion" in english


def test_the_shared_survey_csv_hides_small_groups(coordinator, exchange):
    rows = HEADER + "".join(f"2026-09,Segbroek,N{i},no,{i},{i},{i}\n" for i in range(1, 6))
    rows += "2026-09,Segbroek,U1,helper,5,5,5\n"
    upload(coordinator, rows)
    response = coordinator.get("/admin/report-survey.csv?month=2026-10")
    assert response.headers["Content-Disposition"].endswith('"bhc-survey-2026-10.csv"')
    [row] = list(csv.DictReader(io.StringIO(response.text)))
    # 6 respondents: 1 to 5 who did not use it (mean 3) and one helper (5): mean 20 / 6.
    assert (row["n"], row["mean"], row["not_used_n"], row["not_used_mean"]) == (
        "6", "3.33", "5", "3.0")
    assert (row["used_n"], row["used_mean"], row["difference"]) == ("<5", "", "")
    assert coordinator.get("/admin/report-survey.csv?month=oktober").status_code == 400


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the PDF, not the SQL
def test_the_shared_pdf_has_the_survey_and_the_network(coordinator, exchange):
    rows = HEADER + "".join(f"2026-09,Segbroek,N{i},no,{i},{i},{i}\n" for i in range(1, 6))
    upload(coordinator, rows + "2026-09,Segbroek,U1,helper,5,5,5\n")
    text = pdf_text(coordinator.get("/admin/report.pdf?month=2026-10").data)
    assert "Bewonersenquête" in text and "Meting 2026-09: Segbroek" in text
    assert "Informeel steunnetwerk" in text
