"""The De Jong Gierveld loneliness scale in a survey file: scores at import and the report's
figures per wave, worked out by hand, and bad answers reported by line."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from sqlalchemy import select

from bhc.config import SurveyConfig
from bhc.models import SurveyResponse
from bhc.neighbourhoods.services import add_neighbourhood
from bhc.reports.monthly import month_bounds
from bhc.surveys.services import import_survey, shareable_rows, survey_summary

NOW = datetime(2026, 10, 1, 12, 0)
HEADER = ("wave,neighbourhood,respondent,used_exchange,cohesion_1,loneliness_1,loneliness_2,"
          "loneliness_3,loneliness_4,loneliness_5,loneliness_6\n")
# Items 1-3 (emotional) count 1 for ja or min of meer, items 4-6 (social) for nee or min of
# meer. Each line: emotional + social = total.
SURVEY = HEADER + """\
2026-09,Segbroek,U1,helper,4,nee,nee,nee,ja,ja,ja
2026-09,Segbroek,U2,asker,,min of meer,nee,nee,ja,ja,ja
2026-09,Segbroek,U3,both,,nee,nee,nee,ja,min of meer,ja
2026-09,Segbroek,U4,helper,,ja,nee,nee,nee,ja,ja
2026-09,Segbroek,U5,helper,,yes,more or less,no,no,more or less,yes
2026-09,Segbroek,N1,no,,ja,ja,ja,nee,nee,nee
2026-09,Segbroek,N2,no,,ja,ja,nee,nee,nee,ja
2026-09,Segbroek,N3,no,,min of meer,ja,nee,min of meer,ja,ja
2026-09,Segbroek,N4,no,3,nee,nee,nee,ja,ja,ja
2026-09,Segbroek,N5,no,,nee,min of meer,nee,ja,ja,nee
2026-09,Segbroek,N6,no,,Ja,Min  of meer,NEE,ja,ja,ja
2026-09,Segbroek,P1,no,,ja,nee,nee,,,
2026-09,Segbroek,B1,no,,ja,misschien,nee,ja,ja,ja
2026-09,Segbroek,B2,no,5,nee,nee,nee,ja,ja,2
"""
#   U1 0 + 0 = 0     N1 3 + 3 = 6
#   U2 1 + 0 = 1     N2 2 + 2 = 4
#   U3 0 + 1 = 1     N3 2 + 1 = 3
#   U4 1 + 1 = 2     N4 0 + 0 = 0
#   U5 2 + 2 = 4     N5 1 + 1 = 2    (English answers read as ja, min of meer, nee)
#                    N6 2 + 0 = 2    (case and spacing do not matter)
#                    P1 1 + -  = -   (social part not answered: no social score, no total)
EXPECTED_SCORES = {  # respondent: (emotional, social, total)
    "U1": (0, 0, 0), "U2": (1, 0, 1), "U3": (0, 1, 1), "U4": (1, 1, 2), "U5": (2, 2, 4),
    "N1": (3, 3, 6), "N2": (2, 2, 4), "N3": (2, 1, 3), "N4": (0, 0, 0), "N5": (1, 1, 2),
    "N6": (2, 0, 2), "P1": (1, None, None),
}


@pytest.fixture
def imported(database):
    with database.session() as session:
        add_neighbourhood(session, "Segbroek", "+31702000001", ["2551"], 12000)
    with database.session() as session:
        return import_survey(session, SURVEY, SurveyConfig(), NOW)


def test_each_respondents_loneliness_is_scored_as_worked_out_by_hand(database, imported):
    with database.session() as session:
        scores = {r.respondent: (r.loneliness_emotional, r.loneliness_social, r.loneliness)
                  for r in session.scalars(select(SurveyResponse))}
        u5 = session.scalar(select(SurveyResponse).where(SurveyResponse.respondent == "U5"))
        answers = {item: u5.answers[item] for item in u5.answers if item.startswith("lone")}
    assert scores == EXPECTED_SCORES
    assert answers == {"loneliness_1": "ja", "loneliness_2": "min of meer",
                       "loneliness_3": "nee", "loneliness_4": "nee",
                       "loneliness_5": "min of meer", "loneliness_6": "ja"}


def test_a_bad_answer_is_reported_with_its_line_and_the_rest_imported(imported):
    assert [(line, str(problem)) for line, problem in imported.errors] == [
        (14, "loneliness_2 'misschien' must be ja, min of meer or nee (or yes, more or less, "
             "no), or empty"),
        (15, "loneliness_6 '2' must be ja, min of meer or nee (or yes, more or less, no), or "
             "empty")]
    assert imported.created == 12


def test_the_report_gives_the_loneliness_of_users_and_non_users_worked_out_by_hand(
        database, imported):
    """Totals: used 0, 1, 1, 2, 4 (mean 8 / 5 = 1.6); not used 6, 4, 3, 0, 2, 2 (17 / 6 =
    2.83); everyone 25 / 11 = 2.27. Everyone's interval: squares 0 + 1 + 1 + 4 + 16 + 36 +
    16 + 9 + 0 + 4 + 4 = 91, variance (91 - 25^2 / 11) / 10 = 3.4182, standard error
    sqrt(3.4182 / 11) = 0.5574, t(0.975, 10) = 2.2281: half width 1.2420, 1.03 to 3.51.
    Used: variance (22 - 8^2 / 5) / 4 = 2.3, standard error 0.6782, t(0.975, 4) = 2.7764:
    half width 1.8831, -0.28 to 3.48. Difference 1.6 - 2.8333 = -1.23.
    Emotional: used 0, 1, 0, 1, 2 (0.8); not used 3, 2, 2, 0, 1, 2 and P1's 1 (11 / 7 =
    1.57); everyone 15 / 12 = 1.25. Social: used 0, 0, 1, 1, 2 (0.8); not used 3, 2, 1, 0, 1, 0
    (7 / 6 = 1.17); everyone 11 / 11 = 1.0.
    Lonely (total 2 or more): used U4, U5: 2 of 5 = 0.4; not used N1, N2, N3, N5, N6: 5 of 6
    = 0.8333; everyone 7 of 11 = 0.6364."""
    with database.session() as session:
        survey = survey_summary(session, month_bounds("2026-10")[1])
    place = survey[0]["neighbourhoods"][0]
    lonely = place["loneliness"]
    total = lonely["total"]
    assert (total["n"], total["mean"], total["ci95"]) == (11, 2.27, [1.03, 3.51])
    assert (total["used"]["n"], total["used"]["mean"], total["used"]["ci95"]) == (
        5, 1.6, [-0.28, 3.48])
    assert (total["not_used"]["n"], total["not_used"]["mean"]) == (6, 2.83)
    assert total["difference"]["difference"] == -1.23
    emotional, social = lonely["emotional"], lonely["social"]
    assert (emotional["n"], emotional["mean"], emotional["used"]["mean"],
            emotional["not_used"]["n"], emotional["not_used"]["mean"]) == (
        12, 1.25, 0.8, 7, 1.57)
    assert (social["n"], social["mean"], social["used"]["mean"],
            social["not_used"]["mean"]) == (11, 1.0, 0.8, 1.17)
    assert lonely["lonely"] == {
        "from": 2, "n": 11, "count": 7, "share": 0.6364,
        "used": {"n": 5, "count": 2, "share": 0.4},
        "not_used": {"n": 6, "count": 5, "share": 0.8333}}
    # One of cohesion's three items is less than half: no cohesion score for anyone, and the
    # lines were imported on their loneliness answers alone.
    assert "cohesion" not in place["scales"]


def test_the_lonely_share_starts_from_the_configured_score(database, imported):
    """From 4: used U5 (1 of 5 = 0.2), not used N1, N2 (2 of 6 = 0.3333)."""
    with database.session() as session:
        survey = survey_summary(session, month_bounds("2026-10")[1], lonely_from=4)
    lonely = survey[0]["neighbourhoods"][0]["loneliness"]["lonely"]
    assert (lonely["from"], lonely["share"], lonely["used"]["share"],
            lonely["not_used"]["share"]) == (4, 0.2727, 0.2, 0.3333)


def test_a_group_under_five_shows_no_loneliness_share(database):
    """Four users only: their n is kept, their mean and share are not given."""
    with database.session() as session:
        add_neighbourhood(session, "Segbroek", "+31702000001", ["2551"], 12000)
    rows = [f"2026-09,Segbroek,U{n},helper,,ja,ja,ja,nee,nee,nee" for n in range(4)]
    with database.session() as session:
        assert import_survey(session, HEADER + "\n".join(rows) + "\n", SurveyConfig(),
                             NOW).errors == []
    with database.session() as session:
        lonely = survey_summary(session, month_bounds("2026-10")[1])[0][
            "neighbourhoods"][0]["loneliness"]
    assert lonely["total"]["used"] == {"n": 4, "mean": None, "ci95": None}
    assert lonely["lonely"]["used"] == {"n": 4, "count": None, "share": None}


def test_a_wave_without_loneliness_answers_has_no_loneliness_figures(database):
    with database.session() as session:
        add_neighbourhood(session, "Segbroek", "+31702000001", ["2551"], 12000)
        assert import_survey(session, "wave,neighbourhood,respondent,used_exchange,cohesion_1,"
                             "cohesion_2\n2026-09,Segbroek,R1,no,4,4\n", SurveyConfig(),
                             NOW).errors == []
    with database.session() as session:
        place = survey_summary(session, month_bounds("2026-10")[1])[0]["neighbourhoods"][0]
    assert "loneliness" not in place


def test_the_shared_survey_csv_has_the_loneliness_rows(database, imported):
    with database.session() as session:
        rows = shareable_rows(survey_summary(session, month_bounds("2026-10")[1]))
    by_scale = {row["scale"]: row for row in rows}
    assert set(by_scale) == {"loneliness", "loneliness_emotional", "loneliness_social"}
    assert (by_scale["loneliness"]["mean"], by_scale["loneliness"]["lonely_share"],
            by_scale["loneliness"]["used_lonely_share"],
            by_scale["loneliness"]["not_used_lonely_share"]) == (2.27, 0.6364, 0.4, 0.8333)
    assert "lonely_share" not in by_scale["loneliness_social"]  # the CSV leaves it empty


def test_the_sample_survey_answers_the_loneliness_questions(database):
    """bhc/sample/survey_segbroek.csv, whose wording bhc/sample/survey_questions.md gives."""
    from tests.integration.surveys.test_surveys import SAMPLE

    text = SAMPLE.read_text(encoding="utf-8")
    header = next(csv.reader(io.StringIO(text)))
    assert [c for c in header if c.startswith("loneliness")] == [
        f"loneliness_{n}" for n in range(1, 7)]
    with database.session() as session:
        add_neighbourhood(session, "Segbroek", "+31702000001", ["2551"], 12000)
        assert import_survey(session, text, SurveyConfig(), NOW).errors == []
    with database.session() as session:
        survey = survey_summary(session, month_bounds("2026-10")[1])
    assert all("loneliness" in wave["neighbourhoods"][0] for wave in survey)
