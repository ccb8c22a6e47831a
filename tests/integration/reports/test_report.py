"""The monthly report: a hand-built October 2026, its figures worked out by hand."""

from __future__ import annotations

import csv
import io
import itertools
import json
from datetime import datetime

import pytest
from click.testing import CliRunner

from bhc.cli import main
from bhc.models import CallLeg, HelpRequest, Match, Neighbourhood, Participant
from bhc.reports.monthly import month_bounds, monthly_report, percentile, previous_month

CREATED = datetime(2026, 9, 1)


def _person(session, phone: str, neighbourhood_id: int) -> int:
    person = Participant(name=phone, phone=phone, neighbourhood_id=neighbourhood_id,
                         created_at=CREATED)
    session.add(person)
    session.flush()
    return person.id


def seed_october(session, segbroek: int, duinoord: int) -> None:
    """Requests around October 2026 (times are naive UTC; October ends at 23:00 UTC on the 31st,
    after summer time ended on the 25th, and began at 22:00 UTC on 30 September)."""
    people, sids = {}, itertools.count(1)
    for index, name in enumerate(["A1", "A2", "A3", "H1", "H2", "H3"]):
        people[name] = _person(session, f"+3161111{index:04d}", segbroek)
    for index, name in enumerate(["B1", "B2", "G1"]):
        people[name] = _person(session, f"+3161112{index:04d}", duinoord)

    def request(where, created_at, slug, state, outcome=None, asker=None, helper=None,
                seconds=None, rung=None, legs=()):
        row = HelpRequest(call_sid=f"CA{next(sids):032d}", neighbourhood_id=where,
                          caller_id=people.get(asker), category_slug=slug, state=state,
                          outcome=outcome, created_at=created_at, searching_since=created_at)
        session.add(row)
        session.flush()
        for volunteer, answered in legs:  # legs that did not lead to the match
            session.add(CallLeg(request_id=row.id, volunteer_id=people[volunteer],
                                status="completed", placed_at=created_at,
                                answered_at=created_at if answered else None,
                                outcome="declined" if answered else "no_answer"))
        if state == "matched":
            leg = CallLeg(request_id=row.id, volunteer_id=people[helper], status="completed",
                          outcome="accepted", placed_at=created_at, answered_at=created_at)
            session.add(leg)
            session.flush()
            session.add(Match(request_id=row.id, leg_id=leg.id, helper_id=people[helper],
                              asker_id=people.get(asker), matched_at=created_at,
                              time_to_match_s=seconds, volunteers_rung=rung))

    day = lambda n, hour=10, minute=0: datetime(2026, 10, n, hour, minute)  # noqa: E731
    # Segbroek
    request(segbroek, day(5), "groceries", "matched", "matched", "A1", "H1", 30.0, 1)
    request(segbroek, day(6), "groceries", "matched", "matched", "A1", "H1", 60.0, 2)
    request(segbroek, day(7), "transport", "matched", "matched", "A2", "H2", 90.0, 3)
    request(segbroek, day(8), "groceries", "matched", "matched", None, "H3", 120.0, 4)
    request(segbroek, day(9), "chat", "unmatched", "no_candidates", "A2")
    request(segbroek, day(10), "chat", "unmatched", "all_declined", "A3")
    request(segbroek, day(11), "groceries", "abandoned", "caller_hung_up", "A3")
    request(segbroek, day(12), "transport", "callback_due", "callback_requested", "A2")
    request(segbroek, day(13), "transport", "unmatched", "callback_expired", "A1")
    request(segbroek, day(14), None, "abandoned", "hung_up_in_menu", "A1")  # not a request
    # 31 October 23:30 in Amsterdam: still October.
    request(segbroek, day(31, 22, 30), "groceries", "matched", "matched", "A3", "H2", 40.0, 1)
    # 1 November 00:30 in Amsterdam: November, so not a third match of A1 and H1 in October.
    request(segbroek, day(31, 23, 30), "groceries", "matched", "matched", "A1", "H1", 500.0, 6)
    # 30 September 23:30 in Amsterdam (summer time): September.
    request(segbroek, datetime(2026, 9, 30, 21, 30), "chat", "unmatched", "no_answer", "A2")
    # 1 October 00:30 in Amsterdam: October, and still searching.
    request(segbroek, datetime(2026, 9, 30, 22, 30), "odd-jobs", "searching", None, "A3")
    # Duinoord; D2's helper H1 lives in Segbroek (an adjacent neighbourhood's volunteer).
    request(duinoord, day(15), "groceries", "matched", "matched", "B1", "G1", 20.0, 1)
    request(duinoord, day(16), "dog-walking", "matched", "matched", "B2", "H1", 200.0, 5)
    # H3 did not answer for Duinoord; H2 answered and declined.
    request(duinoord, day(17), "groceries", "unmatched", "no_answer", "B1", legs=[("H3", False)])
    request(duinoord, day(18), "groceries", "unmatched", "callback_declined", "B2",
            legs=[("H2", True)])


def _unmatched(**counts):
    keys = ("no_candidates", "all_declined", "no_answer", "callback_pending",
            "callback_expired", "callback_not_connected", "other")
    return {key: counts.get(key, 0) for key in keys}


NO_FOLLOW_UPS = {"followups_answered": 0, "help_given": 0, "help_given_rate": None,
                 "wants_contact_again": 0}
NOTHING_NEEDED_ATTENTION = {  # counted in tests/integration/attention/test_report.py
    "attention_items": 0, "attention_handled": 0, "attention_not_reached": 0,
    "attention_open": 0, "attention_within_a_working_day": 0,
    "attention_within_a_working_day_rate": None,
    "attention_by_kind": {"unmatched": 0, "abandoned": 0, "callback_expired": 0,
                          "not_helped": 0, "sign_up_callback": 0, "stopped_by_phone": 0,
                          "check_in": 0}}
# Figures October's requests leave at nought: each is counted in tests of its own.
NOT_IN_OCTOBERS_SEED = {
    **NO_FOLLOW_UPS,  # answers are counted in tests/integration/test_followups.py
    **NOTHING_NEEDED_ATTENTION,
    "residents_both_roles": 0,  # see tests/integration/test_network_figures.py
    "reconnections": 0, "matches_reconnected": 0,  # see calls/test_reconnections.py
    # registered in September (source "coordinator"): none joined in October
    "signups": {"web": 0, "phone": 0, "coordinator": 0},
}
SEGBROEK = {
    **NOT_IN_OCTOBERS_SEED,
    "name": "Segbroek", "households": 200,
    # 5-14 Oct minus the menu hang-up (9), the 23:30 evening one and the 1 Oct 00:30 one
    "requests": 11,
    "matches": 5,  # 5, 6, 7, 8 and 31 October
    "match_rate": 0.4545,  # 5 / 11
    "abandoned": 1,  # 11 October; the menu hang-up is no request
    "unmatched": _unmatched(no_candidates=1, all_declined=1, callback_pending=1,
                            callback_expired=1),
    "median_time_to_match_s": 60.0,  # of 30, 40, 60, 90, 120
    "p90_time_to_match_s": 108.0,  # position 0.9 * 4 = 3.6: 90 + 0.6 * (120 - 90)
    "volunteers_rung_per_match": 2.2,  # (1 + 2 + 3 + 4 + 1) / 5
    "residents_in_contact": 6,  # askers A1, A2, A3 (one unknown) and helpers H1, H2, H3
    "reach": 0.03,  # 6 / 200
    "by_category": {"chat": {"requests": 2, "matches": 0},
                    "groceries": {"requests": 5, "matches": 4},  # 5, 6, 8, 11, 31 Oct
                    "odd-jobs": {"requests": 1, "matches": 0},
                    "transport": {"requests": 3, "matches": 1}},
    "in_progress": 1,  # 1 October 00:30, still searching
    "repeat_contacts": 1,  # A1 with H1 on 5 and 6 October
    # Its own participants: H1, H2, H3 answered (H2 also a call for Duinoord, which it
    # declined); H1's answer on 1 November (Amsterdam) is November's.
    "active_helpers": 3,
    "active_askers": 3,  # A1, A2, A3; the unknown caller is not counted
    "pairs_in_contact": 3,  # A1-H1, A2-H2, A3-H2 (not H3 with the unknown caller)
    "requests_by_language": {"nl": 11},  # see tests/integration/test_self_service.py
    "participants": 6, "participants_per_1000_households": 30.0,
}
DUINOORD = {
    **NOT_IN_OCTOBERS_SEED,
    "name": "Duinoord", "households": 100,
    "requests": 4,
    "matches": 2,
    "match_rate": 0.5,  # 2 / 4
    "abandoned": 0,
    "unmatched": _unmatched(no_answer=1, callback_not_connected=1),  # callback_declined
    "median_time_to_match_s": 110.0,  # (20 + 200) / 2
    "p90_time_to_match_s": 182.0,  # position 0.9: 20 + 0.9 * (200 - 20)
    "volunteers_rung_per_match": 3.0,  # (1 + 5) / 2
    "residents_in_contact": 4,  # B1, B2, G1 and H1 from Segbroek
    "reach": 0.04,  # 4 / 100
    "by_category": {"dog-walking": {"requests": 1, "matches": 1},
                    "groceries": {"requests": 3, "matches": 1}},
    "in_progress": 0,
    "repeat_contacts": 0,
    "active_helpers": 1,  # G1; H1 and H2 (who answered for Duinoord) are Segbroek's
    "active_askers": 2,  # B1, B2
    "pairs_in_contact": 2,  # B1-G1, B2-H1
    "requests_by_language": {"nl": 4},  # see tests/integration/test_self_service.py
    "participants": 3, "participants_per_1000_households": 30.0,
}
TOTAL = {
    **NOT_IN_OCTOBERS_SEED,
    "households": 300,  # 200 + 100
    "requests": 15,  # 11 + 4
    "matches": 7,  # 5 + 2
    "match_rate": 0.4667,  # 7 / 15
    "abandoned": 1,
    "unmatched": _unmatched(no_candidates=1, all_declined=1, no_answer=1, callback_pending=1,
                            callback_expired=1, callback_not_connected=1),
    "median_time_to_match_s": 60.0,  # of 20, 30, 40, 60, 90, 120, 200
    "p90_time_to_match_s": 152.0,  # position 0.9 * 6 = 5.4: 120 + 0.4 * (200 - 120)
    "volunteers_rung_per_match": 2.43,  # (11 + 6) / 7 = 2.428...
    "residents_in_contact": 9,  # 6 + 4, H1 counted once
    "reach": 0.03,  # 9 / 300
    "by_category": {"chat": {"requests": 2, "matches": 0},
                    "dog-walking": {"requests": 1, "matches": 1},
                    "groceries": {"requests": 8, "matches": 5},
                    "odd-jobs": {"requests": 1, "matches": 0},
                    "transport": {"requests": 3, "matches": 1}},
    "in_progress": 1,
    "repeat_contacts": 1,
    "active_helpers": 4,  # G1, H1, H2, H3; H3's unanswered call for Duinoord does not count
    "active_askers": 5,  # A1, A2, A3, B1, B2
    "pairs_in_contact": 5,  # the 3 of Segbroek and the 2 of Duinoord
    "requests_by_language": {"nl": 15},  # see tests/integration/test_self_service.py
    "participants": 9, "participants_per_1000_households": 30.0,
}
# September: only Segbroek's request of 30 September 23:30 (Amsterdam), unmatched.
SEPTEMBER_KEY_FIGURES = {
    "month": "2026-09",
    "total": {"requests": 1, "matches": 0, "match_rate": 0.0, "median_time_to_match_s": None,
              "residents_in_contact": 0, "reach": 0.0},
    "neighbourhoods": [
        {"name": "Duinoord", "requests": 0, "matches": 0, "match_rate": None,
         "median_time_to_match_s": None, "residents_in_contact": 0, "reach": 0.0},
        {"name": "Segbroek", "requests": 1, "matches": 0, "match_rate": 0.0,
         "median_time_to_match_s": None, "residents_in_contact": 0, "reach": 0.0}]}


def _months_up_to(year: int, month: int) -> list[str]:
    return [f"{(year * 12 + month - m) // 12:04d}-{(year * 12 + month - m) % 12 + 1:02d}"
            for m in range(12, 0, -1)]


def _history(months: list[str], total: dict, **by_name: dict) -> dict:
    """Twelve months of requests and matches from {month: (requests, matches)}; others 0."""
    def series(counts: dict) -> dict:
        return {"requests": [counts.get(m, (0, 0))[0] for m in months],
                "matches": [counts.get(m, (0, 0))[1] for m in months]}

    return {"months": months, "total": series(total),
            "neighbourhoods": [{"name": name, **series(counts)}
                               for name, counts in by_name.items()]}


OCTOBER = {"month": "2026-10", "total": TOTAL, "neighbourhoods": [DUINOORD, SEGBROEK],
           "previous": SEPTEMBER_KEY_FIGURES,
           "history": _history(_months_up_to(2026, 10),
                               {"2026-09": (1, 0), "2026-10": (15, 7)},
                               Duinoord={"2026-10": (4, 2)},
                               Segbroek={"2026-09": (1, 0), "2026-10": (11, 5)}),
           "survey": [],  # no survey waves: see tests/integration/test_surveys.py
           # The 13 weeks up to the month's end; these neighbourhoods have no menu (see
           # tests/integration/reports/test_gaps.py).
           "helper_gaps": {"from": "2026-08-02", "to": "2026-10-31", "neighbourhoods": [
               {"name": name, "quiet_hours": "21:00-08:00", "categories": {},
                "largest_gaps": []} for name in ("Duinoord", "Segbroek")]}}


@pytest.fixture
def october(database):
    """Segbroek (200 households) and Duinoord (100) with the requests of ``seed_october``."""
    with database.session() as session:
        ids = {}
        for name, households in (("Segbroek", 200), ("Duinoord", 100)):
            row = Neighbourhood(name=name, households=households, created_at=CREATED)
            session.add(row)
            session.flush()
            ids[name] = row.id
        seed_october(session, ids["Segbroek"], ids["Duinoord"])
    return ids


def test_the_october_report_has_the_figures_worked_out_by_hand(database, october):
    with database.session() as session:
        assert monthly_report(session, "2026-10") == OCTOBER


def test_a_request_counts_in_the_month_it_was_made_in_amsterdam(database, october):
    with database.session() as session:
        november = monthly_report(session, "2026-11", [october["Segbroek"]])
        september = monthly_report(session, "2026-09", [october["Segbroek"]])
    assert november["total"]["requests"] == 1  # 1 November 00:30 in Amsterdam
    assert november["total"]["median_time_to_match_s"] == 500.0
    assert november["total"]["repeat_contacts"] == 0
    assert september["total"]["requests"] == 1  # 30 September 23:30 in Amsterdam
    assert september["total"]["unmatched"]["no_answer"] == 1


def test_the_total_covers_only_the_chosen_neighbourhoods(database, october):
    with database.session() as session:
        report = monthly_report(session, "2026-10", [october["Duinoord"]])
    assert report["neighbourhoods"] == [DUINOORD]
    assert report["total"] == {key: value for key, value in DUINOORD.items() if key != "name"}


def test_month_over_month_compares_with_the_month_before(database, october):
    with database.session() as session:
        november = monthly_report(session, "2026-11")
    # November's own: the 1 November 00:30 (Amsterdam) match of A1 and H1 in Segbroek.
    assert (november["total"]["requests"], november["total"]["matches"]) == (1, 1)
    assert november["previous"] == {
        "month": "2026-10",
        "total": {"requests": 15, "matches": 7, "match_rate": 0.4667,  # 7 / 15
                  "median_time_to_match_s": 60.0, "residents_in_contact": 9,
                  "reach": 0.03},  # 9 / 300
        "neighbourhoods": [
            {"name": "Duinoord", "requests": 4, "matches": 2, "match_rate": 0.5,
             "median_time_to_match_s": 110.0, "residents_in_contact": 4, "reach": 0.04},
            {"name": "Segbroek", "requests": 11, "matches": 5, "match_rate": 0.4545,
             "median_time_to_match_s": 60.0, "residents_in_contact": 6, "reach": 0.03}]}


def test_the_history_puts_each_request_in_its_amsterdam_month(database, october):
    """December's year: 30 Sept 23:30 in Amsterdam is September, 1 Oct 00:30 October and
    1 Nov 00:30 (31 Oct 23:30 UTC, after summer time ended) November."""
    with database.session() as session:
        december = monthly_report(session, "2026-12")
        only_duinoord = monthly_report(session, "2026-12", [october["Duinoord"]])
    months = _months_up_to(2026, 12)
    assert december["history"] == _history(
        months, {"2026-09": (1, 0), "2026-10": (15, 7), "2026-11": (1, 1)},
        Duinoord={"2026-10": (4, 2)},
        Segbroek={"2026-09": (1, 0), "2026-10": (11, 5), "2026-11": (1, 1)})
    assert only_duinoord["history"] == _history(months, {"2026-10": (4, 2)},
                                                Duinoord={"2026-10": (4, 2)})
    assert december["previous"]["total"]["median_time_to_match_s"] == 500.0


def test_a_month_without_requests_has_zeros_and_no_ratios(database, october):
    with database.session() as session:
        neighbourhood = session.get(Neighbourhood, october["Duinoord"])
        neighbourhood.households = None
    with database.session() as session:
        report = monthly_report(session, "2026-12")
    duinoord, segbroek = report["neighbourhoods"]
    assert duinoord["households"] is None and duinoord["reach"] is None
    assert report["total"]["households"] == 200
    for row in (duinoord, segbroek, report["total"]):
        assert row["requests"] == row["matches"] == row["residents_in_contact"] == 0
        assert row["match_rate"] is None
        assert row["median_time_to_match_s"] is row["p90_time_to_match_s"] is None
        assert row["volunteers_rung_per_match"] is None
        assert row["by_category"] == {}
    assert segbroek["reach"] == 0.0


def test_month_bounds_follow_amsterdam_summer_and_winter_time():
    assert month_bounds("2026-10") == (datetime(2026, 9, 30, 22), datetime(2026, 10, 31, 23))
    assert month_bounds("2026-12") == (datetime(2026, 11, 30, 23), datetime(2026, 12, 31, 23))
    assert previous_month(datetime(2026, 11, 30, 23, 30)) == "2026-11"  # 1 Dec in Amsterdam
    assert previous_month(datetime(2026, 1, 15)) == "2025-12"


def test_percentiles_interpolate_between_closest_ranks():
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([10.0, 20.0, 30.0, 40.0, 50.0], 0.9) == pytest.approx(46.0)


def run_report(database_url, *args):
    return CliRunner().invoke(main, ["report", *args],
                              env={"BHC_DATABASE_URL": database_url, "BHC_CONFIG": ""})


def test_cli_json_gives_the_exact_figures(database_url, october, tmp_path):
    result = run_report(database_url, "--month", "2026-10", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == OCTOBER
    target = tmp_path / "october.json"
    result = run_report(database_url, "--month", "2026-10", "--neighbourhood", "Duinoord",
                        "--output", str(target))
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text(encoding="utf-8"))["neighbourhoods"] == [DUINOORD]


def test_cli_csv_suppresses_counts_under_five(database_url, october):
    result = run_report(database_url, "--month", "2026-10", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = {row["neighbourhood"]: row for row in csv.DictReader(io.StringIO(result.output))}
    assert list(rows) == ["Duinoord", "Segbroek", "total"]
    segbroek, duinoord, total = rows["Segbroek"], rows["Duinoord"], rows["total"]
    assert (segbroek["requests"], segbroek["matches"], segbroek["abandoned"]) == ("11", "5", "<5")
    assert segbroek["match_rate"] == "0.4545"
    assert segbroek["median_time_to_match_s"] == "60.0"
    assert segbroek["residents_in_contact"] == "6"
    assert segbroek["groceries_requests"] == "5" and segbroek["groceries_matches"] == "<5"
    assert segbroek["dog-walking_requests"] == "0"
    assert segbroek["unmatched_no_answer"] == "0"
    assert (duinoord["requests"], duinoord["matches"]) == ("<5", "<5")
    # Figures derived from suppressed counts would reveal them.
    assert duinoord["match_rate"] == duinoord["median_time_to_match_s"] == "<5"
    assert duinoord["reach"] == "<5"
    assert duinoord["households"] == "100"
    assert (total["requests"], total["matches"], total["groceries_requests"]) == ("15", "7", "8")
    assert total["reach"] == "0.03"
    assert (total["active_helpers"], total["active_askers"]) == ("<5", "5")
    # September, the month before: one request in Segbroek, none matched.
    assert (total["previous_requests"], total["previous_matches"]) == ("<5", "0")
    assert total["previous_match_rate"] == "<5" and total["previous_reach"] == "0.0"
    assert (duinoord["previous_requests"], duinoord["previous_match_rate"]) == ("0", "")
    # Who takes part, how they came in and which language the requests were in.
    assert (segbroek["participants"], segbroek["participants_per_1000_households"]) == (
        "6", "30.0")
    assert (duinoord["participants"], duinoord["participants_per_1000_households"]) == (
        "<5", "<5")
    assert segbroek["signups_web"] == "0" and total["participants"] == "9"
    assert (segbroek["requests_in_nl"], duinoord["requests_in_nl"]) == ("11", "<5")


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "October", "2026-00"])
def test_cli_refuses_a_bad_month_with_a_one_line_reason(database_url, month):
    result = run_report(database_url, "--month", month)
    assert result.exit_code != 0
    assert "is not a month like 2026-11" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_cli_refuses_an_unknown_neighbourhood(database_url, october):
    result = run_report(database_url, "--month", "2026-10", "--neighbourhood", "Atlantis")
    assert result.exit_code != 0
    assert "neighbourhood 'Atlantis' does not exist" in result.output


def pdf_text(content: bytes) -> str:
    """The text a reader of the PDF sees (it must be a PDF)."""
    from pypdf import PdfReader

    assert content.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the PDF, not the SQL
def test_cli_pdf_has_the_figures_with_small_numbers_hidden(database_url, october, tmp_path):
    target = tmp_path / "october.pdf"
    result = run_report(database_url, "--month", "2026-10", "--format", "pdf",
                        "--output", str(target))
    assert result.exit_code == 0, result.output
    text = pdf_text(target.read_bytes())
    assert "Maandrapport: oktober 2026" in text
    assert "Segbroek 11 5 45% 60 s 108 s 2,2 6 200 3,00%" in text
    assert "Duinoord <5 <5 <5" in text
    assert "Vergeleken met september 2026" in text
    english = run_report(database_url, "--month", "2026-10", "--format", "pdf",
                         "--language", "en")
    assert english.exit_code == 0
    text = pdf_text(english.stdout_bytes)
    assert "Monthly report: October 2026" in text and "Total 15 7 47%" in text
