"""Where helpers are missing: the week grid of a seeded neighbourhood (gap_week.py) against the
figures worked out by hand, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from bhc.calls.candidates import Caps
from bhc.models import Neighbourhood
from bhc.reports.gaps import helper_gaps, quarter_bounds, quarter_to_today
from bhc.reports.monthly import month_bounds
from tests.integration.reports import gap_week
from tests.integration.reports.gap_week import CHAT, EMPTY_DAY, GROCERIES, QUIET_DAY, row

# A Wednesday in winter time; five weeks before it (R5, a Saturday) was still summer time.
NOW = datetime(2026, 11, 25, 12, 0)


@pytest.fixture
def segbroek(database):
    with database.session() as session:
        return gap_week.seed(session, NOW)


def _grids(database, segbroek_id):
    with database.session() as session:
        neighbourhood = session.get(Neighbourhood, segbroek_id)
        return helper_gaps(session, [neighbourhood], *quarter_to_today(NOW), NOW,
                           "21:00-08:00", Caps(daily=3, weekly=10))


def test_the_quarter_is_the_13_weeks_up_to_and_including_today_in_amsterdam():
    # Tomorrow 26 November 00:00 (23:00 UTC, winter) back 91 days to 27 August 00:00 (22:00 UTC
    # on the 26th, summer time).
    assert quarter_to_today(NOW) == (datetime(2026, 8, 26, 22, 0), datetime(2026, 11, 25, 23, 0))
    # October's report: the 13 weeks up to Sunday 1 November, from Sunday 2 August.
    assert quarter_bounds(month_bounds("2026-10")[1]) == (datetime(2026, 8, 1, 22, 0),
                                                          datetime(2026, 10, 31, 23, 0))


def test_the_grid_of_helpers_per_hour_matches_the_figures_worked_out_by_hand(database,
                                                                            segbroek):
    """Groceries: H1, H2, H3 and H6 may be rung (H4 is paused, H5 gave no consent, H7's
    availability cannot be read, H8 stopped; D1 is Duinoord's). Weekdays: 08 nobody; 09-15 H1
    (H6's 09:45-10:15 is a quarter of each hour, too little to count); 16 H1 and H2 (16:30 is
    half the hour); 17-20 H2. Saturday: H3 08-20 and H2 10-11; Sunday H3 08-20. Chat: H2 on
    weekdays 16-20 and Saturday 10-11, H9 on Thursday 14. Nobody helps with the rest.
    Calls a week under the caps (3 a day, 10 a week): H1 min(10, 3 x 5) = 10, H2 min(10,
    3 x 6) = 10, H3 min(10, 3 x 2) = 6, H6 min(10, 3 x 1) = 3: groceries 29; chat H2 10 + H9 3
    = 13."""
    grids = _grids(database, segbroek)
    place = grids["neighbourhoods"][0]
    assert (grids["from"], grids["to"]) == ("2026-08-27", "2026-11-25")
    assert (place["name"], place["quiet_hours"]) == ("Segbroek", "21:00-08:00")
    assert list(place["categories"]) == ["groceries", "odd-jobs", "transport", "babysitting",
                                         "chat", "dog-walking", "helpdesk"]  # the menu's order
    groceries, chat = place["categories"]["groceries"], place["categories"]["chat"]
    assert (groceries["helpers"], groceries["calls_a_week"]) == (4, 29)
    assert groceries["helpers_by_hour"] == [GROCERIES["weekday"]] * 5 + [GROCERIES["sa"],
                                                                          GROCERIES["su"]]
    assert (chat["helpers"], chat["calls_a_week"]) == (2, 13)
    assert chat["helpers_by_hour"] == [CHAT["weekday"]] * 3 + [CHAT["th"], CHAT["weekday"],
                                                               CHAT["sa"], CHAT["su"]]
    transport = place["categories"]["transport"]
    assert (transport["helpers"], transport["calls_a_week"]) == (0, 0)
    assert transport["helpers_by_hour"] == [EMPTY_DAY] * 7
    assert QUIET_DAY not in transport["helpers_by_hour"]


def test_the_requests_per_hour_and_those_that_found_nobody(database, segbroek):
    """Groceries, by local weekday and hour: Monday 08 R1 (4 weeks ago, winter time: 07:15
    UTC), R2 and R3, of which R1 (no_candidates) and R2 (no_answer) found nobody; Tuesday 08
    R4 (all declined: someone was there); Wednesday 12 R11 (waiting for a call-back); Saturday
    10 R5 (summer time: 08:30 UTC); Sunday 21 R6, in quiet hours, found nobody. The menu
    hang-up, the request of 14 weeks ago and Duinoord's do not count."""
    place = _grids(database, segbroek)["neighbourhoods"][0]
    groceries, chat = place["categories"]["groceries"], place["categories"]["chat"]
    nothing = row((0, 24))
    assert groceries["requests_by_hour"] == [
        row((0, 8), (3, 1), (0, 15)), row((0, 8), (1, 1), (0, 15)),
        row((0, 12), (1, 1), (0, 11)), nothing, nothing,
        row((0, 10), (1, 1), (0, 13)), row((0, 21), (1, 1), (0, 2))]
    assert groceries["unhelped_by_hour"] == [
        row((0, 8), (2, 1), (0, 15)), nothing, nothing, nothing, nothing, nothing,
        row((0, 21), (1, 1), (0, 2))]
    # Chat: R7 Thursday 14 (H9 was there but did not answer), R8 Sunday 12, R9 Sunday 16.
    sunday = row((0, 12), (1, 1), (0, 3), (1, 1), (0, 7))
    assert chat["requests_by_hour"] == [nothing] * 3 + [row((0, 14), (1, 1), (0, 9)),
                                                        nothing, nothing, sunday]
    assert chat["unhelped_by_hour"] == chat["requests_by_hour"]


def test_the_three_largest_gaps_are_where_most_requests_found_nobody(database, segbroek):
    """Gaps: groceries weekdays 08-09 (Monday: 3 requests, 2 unhelped; Tuesday: 1, 0); chat
    weekdays 08-16 (Thursday 08-14 and 15-16), Saturday 08-10 and 12-21, Sunday 08-21 (2
    requests, 2 unhelped); every open hour of the five categories nobody helps with, among
    them transport's Friday 08-21 (1 request, 1 unhelped). Most unhelped first, then most
    requests: groceries Monday (2 of 3), chat Sunday (2 of 2), transport Friday (1 of 1)."""
    place = _grids(database, segbroek)["neighbourhoods"][0]
    assert place["largest_gaps"] == [
        {"category": "groceries", "day": 0, "from": "08:00", "to": "09:00", "hours": 1,
         "requests": 3, "unhelped": 2},
        {"category": "chat", "day": 6, "from": "08:00", "to": "21:00", "hours": 13,
         "requests": 2, "unhelped": 2},
        {"category": "transport", "day": 4, "from": "08:00", "to": "21:00", "hours": 13,
         "requests": 1, "unhelped": 1}]


def test_a_neighbourhoods_own_quiet_hours_and_a_paused_helpers_return_count(database,
                                                                            segbroek):
    """With quiet hours 22:00-07:30, half of 07 is open (enough to count) and 21 opens; and
    once H4's pause is over (Sunday 29 November), H4 (any time) counts in every open hour.
    Monday: 07-08 H4; 09-15 H1, H4; 16 H1, H2, H4; 17-20 H2, H4; 21 H4 (H2 stops at 21:00).
    Saturday: 07 H4; 08-09 H3, H4; 10-11 H2, H3, H4; 12-21 H3, H4 (H3 until 23:00)."""
    with database.session() as session:
        neighbourhood = session.get(Neighbourhood, segbroek)
        neighbourhood.quiet_hours = "22:00-07:30"
        later = datetime(2026, 11, 29, 12, 0)
        grids = helper_gaps(session, [neighbourhood], *quarter_to_today(later), later,
                            "21:00-08:00", Caps())
    groceries = grids["neighbourhoods"][0]["categories"]["groceries"]["helpers_by_hour"]
    assert groceries[0] == row((None, 7), (1, 2), (2, 7), (3, 1), (2, 4), (1, 1), (None, 2))
    assert groceries[5] == row((None, 7), (1, 1), (2, 2), (3, 2), (2, 10), (None, 2))


def test_the_monthly_report_gives_each_neighbourhoods_grid_and_largest_gaps(database,
                                                                           segbroek):
    """The report of November 2026 counts the requests of the 13 weeks up to its end and the
    helpers as they are when it is made (here NOW)."""
    from bhc.reports.monthly import monthly_report

    with database.session() as session:
        report = monthly_report(session, "2026-11", now=NOW)
        names = list(session.scalars(select(Neighbourhood.name).order_by(Neighbourhood.name)))
    gaps = report["helper_gaps"]
    assert (gaps["from"], gaps["to"]) == ("2026-09-01", "2026-11-30")
    assert [place["name"] for place in gaps["neighbourhoods"]] == names
    segbroek_gaps = next(p for p in gaps["neighbourhoods"] if p["name"] == "Segbroek")
    assert segbroek_gaps["largest_gaps"][0] == {
        "category": "groceries", "day": 0, "from": "08:00", "to": "09:00", "hours": 1,
        "requests": 3, "unhelped": 2}
    groceries = segbroek_gaps["categories"]["groceries"]
    assert groceries["helpers_by_hour"][0] == GROCERIES["weekday"]
