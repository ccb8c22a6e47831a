"""What the shared exports (CSV, PDF) withhold: counts under 5 and what would reveal them."""

from __future__ import annotations

from bhc.reports.sharing import for_sharing


def _row(**figures) -> dict:
    row = {"requests": 12, "matches": 3, "match_rate": 0.25, "abandoned": 0, "in_progress": 0,
           "median_time_to_match_s": 40.0, "p90_time_to_match_s": 80.0,
           "volunteers_rung_per_match": 2.0, "residents_in_contact": 6, "reach": 0.03,
           "repeat_contacts": 0, "active_helpers": 7, "active_askers": 4,
           "unmatched": {"no_answer": 2, "all_declined": 7},
           "by_category": {"groceries": {"requests": 9, "matches": 3}}}
    row.update(figures)
    return row


def test_small_counts_and_the_figures_derived_from_them_are_withheld():
    report = {"month": "2026-10", "total": _row(), "neighbourhoods": [_row(name="Segbroek")],
              "previous": {"month": "2026-09",
                           "total": {"requests": 4, "matches": 2, "match_rate": 0.5,
                                     "median_time_to_match_s": 30.0,
                                     "residents_in_contact": 12, "reach": 0.06},
                           "neighbourhoods": []},
              "history": {"months": ["2026-09", "2026-10"],
                          "total": {"requests": [4, 12], "matches": [0, 3]},
                          "neighbourhoods": [{"name": "Segbroek", "requests": [4, 12],
                                              "matches": [0, 3]}]}}
    shared = for_sharing(report)
    row = shared["neighbourhoods"][0]
    # 3 matches: the match rate and the times would tell them; 12 requests and 6 residents
    # stay, and so does the reach they give.
    assert (row["requests"], row["matches"], row["match_rate"]) == (12, "<5", "<5")
    assert row["median_time_to_match_s"] == row["volunteers_rung_per_match"] == "<5"
    assert (row["residents_in_contact"], row["reach"]) == (6, 0.03)
    assert (row["active_helpers"], row["active_askers"], row["abandoned"]) == (7, "<5", 0)
    assert row["unmatched"] == {"no_answer": "<5", "all_declined": 7}
    assert row["by_category"] == {"groceries": {"requests": 9, "matches": "<5"}}
    before = shared["previous"]["total"]
    assert (before["requests"], before["match_rate"], before["reach"]) == ("<5", "<5", 0.06)
    assert shared["history"]["total"] == {"requests": ["<5", 12], "matches": [0, "<5"]}
    assert shared["history"]["neighbourhoods"][0]["requests"] == ["<5", 12]
    assert report["total"]["matches"] == 3  # the exact report is left as it was


def test_participation_and_language_counts_are_withheld_too():
    row = _row(participants=3, participants_per_1000_households=0.25,
               signups={"web": 2, "phone": 0, "coordinator": 9},
               requests_by_language={"nl": 10, "en": 2})
    shared = for_sharing({"month": "2026-10", "total": row, "neighbourhoods": []})["total"]
    assert (shared["participants"], shared["participants_per_1000_households"]) == ("<5", "<5")
    assert shared["signups"] == {"web": "<5", "phone": 0, "coordinator": 9}
    assert shared["requests_by_language"] == {"nl": 10, "en": "<5"}


def test_small_counts_of_where_helpers_are_missing_are_withheld():
    grid = {"helpers": 3, "calls_a_week": 24, "helpers_by_hour": [[None, 0, 3, 7]],
            "requests_by_hour": [[1, 0, 6, 2]], "unhelped_by_hour": [[1, 0, 5, 0]]}
    report = {"month": "2026-10", "total": {}, "neighbourhoods": [], "helper_gaps": {
        "from": "2026-08-02", "to": "2026-10-31", "neighbourhoods": [{
            "name": "Segbroek", "quiet_hours": "", "categories": {"chat": grid},
            "largest_gaps": [{"category": "chat", "day": 0, "from": "01:00", "to": "02:00",
                              "hours": 1, "requests": 6, "unhelped": 2}]}]}}
    shared = for_sharing(report)["helper_gaps"]["neighbourhoods"][0]
    assert shared["largest_gaps"][0]["requests"] == 6
    assert shared["largest_gaps"][0]["unhelped"] == "<5"
    chat = shared["categories"]["chat"]
    assert (chat["helpers"], chat["calls_a_week"]) == ("<5", "<5")  # 24 would tell 3 helpers
    assert chat["helpers_by_hour"] == [[None, 0, "<5", 7]]
    assert chat["requests_by_hour"] == [["<5", 0, 6, "<5"]]
    assert grid["helpers"] == 3  # the report itself is left as it was
