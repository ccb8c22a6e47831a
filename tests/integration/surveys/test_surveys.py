"""Importing resident survey waves from CSV (bad rows by line, re-import updates) and their
summary in the monthly report, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bhc.cli import main
from bhc.config import SurveyConfig
from bhc.models import AuditLog, SurveyResponse, SurveyWave
from bhc.neighbourhoods.services import add_neighbourhood
from bhc.reports.monthly import month_bounds
from bhc.surveys.services import SurveyFileError, import_survey, survey_summary

NOW = datetime(2026, 10, 1, 12, 0)
HEADER = ("wave,neighbourhood,respondent,used_exchange,knows_exchange,cohesion_1,cohesion_2,"
          "cohesion_3,self_reliance_1,self_reliance_2,self_reliance_3\n")
SAMPLE = Path(__file__).parents[3] / "bhc" / "sample" / "survey_segbroek.csv"


@pytest.fixture
def segbroek(database) -> int:
    with database.session() as session:
        add_neighbourhood(session, "Duinoord", "+31702000002", ["2518"], 3000)
        return add_neighbourhood(session, "Segbroek", "+31702000001", ["2551"], 12000).id


def _import(database, text: str, allowed: set[int] | None = None, config=SurveyConfig()):
    with database.session() as session:
        return import_survey(session, text, config, NOW, allowed)


def _responses(database) -> dict[str, SurveyResponse]:
    with database.session() as session:
        return {r.respondent: r for r in session.scalars(select(SurveyResponse))}


def test_a_survey_csv_with_one_bad_row_is_reported_by_line_and_the_rest_imported(database,
                                                                                 segbroek):
    text = (HEADER
            + "2026-03,Segbroek,R1,no,yes,4,4,5,3,,\n"
            + "2026-03,Segbroek,R2,helper,yes,2,7,3,4,4,4\n"
            + "2026-03,segbroek,R3,both,,5,5,,2,3,4\n")
    result = _import(database, text)
    assert [(line, str(problem)) for line, problem in result.errors] == [
        (3, "cohesion_2 '7' must be a whole number from 1 to 5, or empty")]
    assert (result.created, result.updated) == (2, 0)
    responses = _responses(database)
    assert set(responses) == {"R1", "R3"}
    # R1 answered one of three self-reliance items: less than half, so no score there.
    assert (responses["R1"].cohesion, responses["R1"].self_reliance) == (13 / 3, None)
    assert responses["R1"].answers == {"cohesion_1": 4, "cohesion_2": 4, "cohesion_3": 5,
                                       "self_reliance_1": 3}
    assert (responses["R3"].cohesion, responses["R3"].used_exchange) == (5.0, "both")
    assert responses["R3"].knows_exchange is None


def test_every_kind_of_bad_row_names_its_reason(database, segbroek):
    rows = [
        ",Segbroek,R1,no,yes,3,3,3,3,3,3",
        "2026-03,Nergenshuizen,R2,no,yes,3,3,3,3,3,3",
        "2026-03,Segbroek,,no,yes,3,3,3,3,3,3",
        "2026-03,Segbroek,jan@example.nl,no,yes,3,3,3,3,3,3",
        "2026-03,Segbroek,0612345678,no,yes,3,3,3,3,3,3",
        "2026-03,Segbroek,R6,sometimes,yes,3,3,3,3,3,3",
        "2026-03,Segbroek,R7,no,maybe,3,3,3,3,3,3",
        "2026-03,Segbroek,R8,asker,no,3,3,3,3,3,3",
        "2026-03,Segbroek,R9,no,yes,3.5,3,3,3,3,3",
        "2026-03,Segbroek,R10,no,yes,3,,,3,,",
        "2026-03,Segbroek,R11,no,yes,3,3,3,3,3,3",
        "2026-03,Segbroek,R11,no,yes,4,4,4,4,4,4",
        "2026-03,Segbroek,R13,no,yes,3,3,3,3,3,3,9",
    ]
    result = _import(database, HEADER + "\n".join(rows) + "\n")
    assert [(line, problem.code) for line, problem in result.errors] == [
        (2, "wave_empty"), (3, "neighbourhood_unknown"), (4, "respondent_empty"),
        (5, "respondent_personal"), (6, "respondent_personal"), (7, "used_exchange_bad"),
        (8, "knows_exchange_bad"), (9, "used_but_unknown"), (10, "item_bad"),
        (11, "no_scores"), (13, "duplicate"), (14, "too_many_values")]
    assert str(result.errors[10][1]) == ("respondent 'R11' of this wave and neighbourhood is "
                                         "also on line 12")
    assert set(_responses(database)) == {"R11"}


def test_reimporting_a_wave_updates_its_respondents_instead_of_duplicating(database, segbroek):
    first = HEADER + "2026-03,Segbroek,R1,no,no,2,2,2,3,3,3\n2026-03,Segbroek,R2,no,,3,3,3,,,\n"
    assert _import(database, first).created == 2
    again = _import(database, HEADER + "2026-03,Segbroek,R1,asker,yes,4,4,4,3,3,3\n"
                    "2026-03,Segbroek,R2,no,,3,3,3,,,\n")
    assert (again.created, again.updated, again.errors) == (0, 2, [])
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(SurveyResponse)) == 2
        wave = session.scalar(select(SurveyWave))
        assert (wave.label, wave.held_on) == ("2026-03", date(2026, 3, 1))
    responses = _responses(database)
    assert (responses["R1"].used_exchange, responses["R1"].cohesion) == ("asker", 4.0)


def test_a_coordinator_import_refuses_rows_of_other_neighbourhoods_line_by_line(database,
                                                                                segbroek):
    text = HEADER + "2026-03,Segbroek,R1,no,,3,3,3,3,3,3\n2026-03,Duinoord,D1,no,,3,3,3,3,3,3\n"
    result = _import(database, text, allowed={segbroek})
    assert [(line, str(p)) for line, p in result.errors] == [
        (3, "neighbourhood 'Duinoord' is not one you coordinate")]
    assert set(_responses(database)) == {"R1"}


def test_reverse_keyed_items_and_item_counts_come_from_the_config(database, segbroek):
    config = SurveyConfig(cohesion_items=4, self_reliance_items=0, reverse_items="cohesion_4")
    header = "wave,neighbourhood,respondent,used_exchange,cohesion_1,cohesion_2,cohesion_4\n"
    result = _import(database, header + "voormeting,Segbroek,R1,no,5,3,\n"
                     "voormeting,Segbroek,R2,no,4,,1\n", config=config)
    assert result.errors == []
    responses = _responses(database)
    assert responses["R1"].cohesion == 4.0  # 2 of 4 items answered: half is enough
    assert responses["R2"].cohesion == 4.5  # cohesion_4 = 1 scores as 5
    with pytest.raises(SurveyFileError, match="unknown columns: self_reliance_1"):
        _import(database, HEADER, config=config)


@pytest.mark.parametrize("header, message", [
    ("", "the file is empty"),
    ("wave,neighbourhood,respondent,cohesion_1\n", "missing columns: used_exchange"),
    ("wave,neighbourhood,respondent,used_exchange,cohesoin_1,name\n",
     "unknown columns: cohesoin_1, name"),
])
def test_a_file_with_an_unusable_header_is_refused_as_a_whole(database, segbroek, header,
                                                              message):
    with pytest.raises(SurveyFileError, match=message):
        _import(database, header + ("2026-03,Segbroek,R1,no,3\n" if header else ""))


def test_semicolon_separated_files_from_dutch_spreadsheets_import_too(database, segbroek):
    text = HEADER.replace(",", ";") + "12-03-2026;Segbroek;R1;no;ja;3;3;3;3;3;3\n"
    result = _import(database, text)
    assert [p.code for _, p in result.errors] == ["knows_exchange_bad"]
    result = _import(database, text.replace(";ja;", ";yes;"))
    assert result.created == 1
    with database.session() as session:
        assert session.scalar(select(SurveyWave.held_on)) == date(2026, 3, 12)


def _cli(database_url, path):
    return CliRunner().invoke(main, ["import-survey", str(path)],
                              env={"BHC_DATABASE_URL": database_url, "BHC_CONFIG": ""})


def test_the_cli_imports_the_sample_and_exits_zero(database, database_url, segbroek):
    result = _cli(database_url, SAMPLE)
    assert result.exit_code == 0, result.output
    assert result.output == "76 respondents imported (76 new, 0 updated), 0 rows with errors\n"
    again = _cli(database_url, SAMPLE)
    assert "76 respondents imported (0 new, 76 updated)" in again.output
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(SurveyResponse)) == 76
        assert session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.object_type == "survey")) == 2


def test_the_cli_lists_bad_rows_by_line_and_exits_non_zero(database_url, segbroek, tmp_path):
    path = tmp_path / "enquete.csv"
    path.write_text(HEADER + "2026-03,Segbroek,R1,no,yes,3,3,3,3,3,3\n"
                    "2026-03,Segbroek,R2,perhaps,yes,3,3,3,3,3,3\n", encoding="utf-8")
    result = _cli(database_url, path)
    assert result.exit_code == 1
    assert "line 3: used_exchange 'perhaps' must be no, asker, helper or both\n" in result.output
    assert "1 respondents imported (1 new, 0 updated), 1 rows with errors" in result.output


@pytest.mark.parametrize("content, reason", [
    (None, "cannot read"),
    (b"wave,neighbourhood\n\xe9\n", "is not UTF-8 text"),
    (b"wave,neighbourhood,respondent\n", "missing columns: used_exchange"),
])
def test_the_cli_gives_one_line_and_exits_non_zero_on_unreadable_input(database_url, segbroek,
                                                                       tmp_path, content,
                                                                       reason):
    path = tmp_path / "enquete.csv"
    if content is not None:
        path.write_bytes(content)
    result = _cli(database_url, path)
    assert result.exit_code != 0
    assert reason in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_the_summary_gives_each_waves_scales_with_used_against_not_used(database, segbroek):
    # Wave 2026-09, cohesion: used 4,4,5,5,5 (mean 4.6) against not used 2,3,3,4,5 (mean 3.4).
    rows = [f"2026-09,Segbroek,U{i},helper,yes,{v},{v},{v},,," for i, v in
            enumerate([4, 4, 5, 5, 5])]
    rows += [f"2026-09,Segbroek,N{i},no,no,{v},{v},{v},3,3,3" for i, v in
             enumerate([2, 3, 3, 4, 5])]
    rows += ["voormeting,Segbroek,V1,no,,3,3,3,,,", "2026-12,Segbroek,L1,no,,3,3,3,,,"]
    assert _import(database, HEADER + "\n".join(rows) + "\n").errors == []
    with database.session() as session:
        survey = survey_summary(session, month_bounds("2026-11")[1])
    # 2026-12 is after November; the undated wave counts from its import (1 October).
    assert [wave["wave"] for wave in survey] == ["2026-09", "voormeting"]
    segbroek_figures = survey[0]["neighbourhoods"][0]
    assert (segbroek_figures["name"], segbroek_figures["respondents"],
            segbroek_figures["used_exchange"], segbroek_figures["knows_exchange"]) == (
        "Segbroek", 10, 5, 5)
    cohesion = segbroek_figures["scales"]["cohesion"]
    assert cohesion["n"] == 10 and cohesion["mean"] == 4.0
    assert cohesion["used"]["mean"] == 4.6 and cohesion["not_used"]["mean"] == 3.4
    assert cohesion["difference"]["difference"] == 1.2
    # Self-reliance: only the 5 who did not use it answered; the used group is empty.
    assert segbroek_figures["scales"]["self_reliance"]["used"] == {"n": 0, "mean": None,
                                                                   "ci95": None}
    assert "solidarity" not in segbroek_figures["scales"]  # not asked
    voormeting = survey[1]["neighbourhoods"][0]["scales"]["cohesion"]
    assert voormeting == {"n": 1, "mean": None, "ci95": None,
                          "used": {"n": 0, "mean": None, "ci95": None},
                          "not_used": {"n": 1, "mean": None, "ci95": None},
                          "difference": None}
