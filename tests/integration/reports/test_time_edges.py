"""The monthly report at the edges of Amsterdam's months.

A month starts at midnight in Amsterdam: 23:00 UTC the day before in winter time, 22:00 UTC in
summer time. Each edge is tried a second before and on the edge itself, in winter and in summer
time, on both daylight-saving days of 2026 and at the first month-ends after them (March ends in
summer time although it began in winter time; October the other way round). The UTC instants
are written out by hand (tests/clock.py).
"""

from __future__ import annotations

import itertools

import pytest

from bhc.models import CallLeg, HelpRequest, Participant
from bhc.neighbourhoods.services import add_neighbourhood
from bhc.reports.monthly import monthly_report, previous_month
from tests.clock import SECOND, utc
from tests.integration.conftest import EXCHANGE

# The first moment of each month in Amsterdam, as naive UTC.
MONTH_STARTS = {
    "2026-01": "2025-12-31 23:00",
    "2026-02": "2026-01-31 23:00",  # winter
    "2026-03": "2026-02-28 23:00",
    "2026-04": "2026-03-31 22:00",  # summer time since 29 March
    "2026-07": "2026-06-30 22:00",  # summer
    "2026-10": "2026-09-30 22:00",
    "2026-11": "2026-10-31 23:00",  # winter time since 25 October
}
ON_THE_CHANGES = [
    "2026-03-29 00:59:59", "2026-03-29 01:00",  # 01:59:59 CET, then 03:00 CEST
    "2026-10-25 00:30", "2026-10-25 01:30",  # 02:30 CEST, then 02:30 CET
]
# What the requests above and a second before each month start add up to, month by month.
REQUESTS = {"2025-12": 1, "2026-01": 2, "2026-02": 2, "2026-03": 4, "2026-04": 1, "2026-05": 0,
            "2026-06": 1, "2026-07": 1, "2026-08": 0, "2026-09": 1, "2026-10": 4, "2026-11": 1,
            "2026-12": 0}


@pytest.fixture
def segbroek(database) -> int:
    with database.session() as session:
        return add_neighbourhood(session, "Segbroek", EXCHANGE, ["2551"], 12000).id


def a_request(session, neighbourhood_id: int, created_at, sid: str) -> None:
    session.add(HelpRequest(call_sid=sid, neighbourhood_id=neighbourhood_id,
                            category_slug="groceries", state="unmatched",
                            outcome="no_candidates", language="nl", created_at=created_at,
                            searching_since=created_at, ended_at=created_at))


def test_a_request_counts_in_the_amsterdam_month_it_was_made(database, segbroek):
    sids = (f"CA{n}" for n in itertools.count())
    with database.session() as session:
        for start in map(utc, MONTH_STARTS.values()):
            a_request(session, segbroek, start - SECOND, next(sids))
            a_request(session, segbroek, start, next(sids))
        for moment in ON_THE_CHANGES:
            a_request(session, segbroek, utc(moment), next(sids))
    with database.session() as session:
        reports = {month: monthly_report(session, month) for month in MONTH_STARTS}
        december = monthly_report(session, "2026-12")
    assert {month: report["total"]["requests"] for month, report in reports.items()} == {
        month: REQUESTS[month] for month in MONTH_STARTS}
    assert reports["2026-01"]["previous"]["total"]["requests"] == REQUESTS["2025-12"]
    assert reports["2026-04"]["previous"]["total"]["requests"] == REQUESTS["2026-03"]
    history = december["history"]
    assert dict(zip(history["months"], history["total"]["requests"])) == {
        month: count for month, count in REQUESTS.items() if month.startswith("2026")}


# Months whose start divides one volunteer's answered call (and registration) a second before
# it from another's on it: each of the eight months gets one of each.
SPLIT_MONTHS = ("2026-02", "2026-04", "2026-07", "2026-11")
BEFORE = {"2026-02": "2026-01", "2026-04": "2026-03", "2026-07": "2026-06", "2026-11": "2026-10"}


def test_answered_calls_and_new_participants_count_in_their_amsterdam_month(database,
                                                                           segbroek):
    phones = (f"+3161111{n:04d}" for n in itertools.count())
    with database.session() as session:
        earlier = HelpRequest(call_sid="CAearlier", neighbourhood_id=segbroek,
                              category_slug="groceries", state="unmatched", language="nl",
                              created_at=utc("2025-12-01 12:00"))
        session.add(earlier)
        for month in SPLIT_MONTHS:
            start = utc(MONTH_STARTS[month])
            for moment in (start - SECOND, start):
                helper = Participant(name="helper", phone=next(phones), is_helper=True,
                                     neighbourhood_id=segbroek, created_at=moment)
                session.add(helper)
                session.flush()
                session.add(CallLeg(request_id=earlier.id, volunteer_id=helper.id,
                                    status="completed", outcome="declined", placed_at=moment,
                                    answered_at=moment))
    with database.session() as session:
        figures = {}
        for month in (*SPLIT_MONTHS, *BEFORE.values()):
            total = monthly_report(session, month)["total"]
            figures[month] = (total["active_helpers"], total["signups"]["coordinator"])
    assert figures == dict.fromkeys((*SPLIT_MONTHS, *BEFORE.values()), (1, 1))


@pytest.mark.parametrize(("now", "month"), [
    ("2026-01-31 22:59:59", "2025-12"), ("2026-01-31 23:00", "2026-01"),  # winter
    ("2026-03-31 21:59:59", "2026-02"), ("2026-03-31 22:00", "2026-03"),  # summer time
    ("2026-07-31 21:59:59", "2026-06"), ("2026-07-31 22:00", "2026-07"),
    ("2026-10-31 22:59:59", "2026-09"), ("2026-10-31 23:00", "2026-10"),  # winter time again
    ("2025-12-31 22:59:59", "2025-11"), ("2025-12-31 23:00", "2025-12"),  # a new year
])
def test_the_default_report_is_of_the_month_before_amsterdams_current_one(now, month):
    assert previous_month(utc(now)) == month
