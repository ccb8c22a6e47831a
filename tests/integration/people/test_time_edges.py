"""Retention at its cut-off: call data older than ``retention_months`` Amsterdam calendar months.

The nightly job runs at 03:30 in Amsterdam. Its cut-off is that clock time the given number of
calendar months earlier (the month's last day where the day does not exist: 31 March minus a
month is 28 February, 29 February minus a year is 28 February), so on a daylight-saving day it
lies 23 or 25 hours after the previous night's. A request and all its calls age together, by
when the request was made. The UTC instants are written out by hand (tests/clock.py).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bhc.models import CallLeg, HelpRequest, Match
from bhc.people.privacy import anonymise_old_calls, months_before
from tests.clock import SECOND, utc
from tests.integration.people.test_privacy import a_match


@pytest.mark.parametrize(("moment", "months", "earlier"), [
    ("2026-03-31 03:30", 1, "2026-02-28 03:30"),  # 31 March: February has no 31st
    ("2026-03-30 03:30", 1, "2026-02-28 03:30"),
    ("2026-03-29 03:30", 1, "2026-02-28 03:30"),
    ("2026-03-28 03:30", 1, "2026-02-28 03:30"),
    ("2026-03-31 03:30", 25, "2024-02-29 03:30"),  # ... but 2024's February has a 29th
    ("2028-03-31 03:30", 1, "2028-02-29 03:30"),
    ("2028-02-29 03:30", 24, "2026-02-28 03:30"),  # 29 February: 2026 has none
    ("2028-02-29 03:30", 48, "2024-02-29 03:30"),
    ("2026-02-28 03:30", 24, "2024-02-28 03:30"),  # not the 29th: the 28th is a day of its own
    ("2026-05-31 23:59:59", 1, "2026-04-30 23:59:59"),
    ("2026-01-15 03:30", 1, "2025-12-15 03:30"),  # into the year before
    ("2026-01-31 03:30", 2, "2025-11-30 03:30"),
    ("2026-12-31 03:30", 24, "2024-12-31 03:30"),
    ("2026-03-01 00:00", 24, "2024-03-01 00:00"),
])
def test_months_before_keeps_the_day_and_time_or_clamps_to_the_months_end(moment, months,
                                                                          earlier):
    assert months_before(utc(moment), months) == utc(earlier)


# (the nightly run at 03:30 in Amsterdam, retention in months, the cut-off: 03:30 in Amsterdam
# that many months before), as naive UTC. 2024 changed its clocks on 31 March and 27 October.
CUTOFFS = {
    "winter": ("2026-01-15 02:30", 24, "2024-01-15 02:30"),  # CET to CET
    "summer": ("2026-07-15 01:30", 24, "2024-07-15 01:30"),  # CEST to CEST
    "29 March": ("2026-03-29 01:30", 24, "2024-03-29 02:30"),  # CEST to CET
    "25 October": ("2026-10-25 02:30", 24, "2024-10-25 01:30"),  # CET to CEST
    "31 March": ("2026-03-31 01:30", 1, "2026-02-28 02:30"),  # CEST to CET, clamped
    "31 March, 25 months": ("2026-03-31 01:30", 25, "2024-02-29 02:30"),
    "29 February": ("2028-02-29 02:30", 24, "2026-02-28 02:30"),
}


def links(session, request: HelpRequest) -> list:
    """What still ties a request to people: its caller, its match's two residents, and its
    calls' volunteers and call ids."""
    legs = session.scalars(select(CallLeg).where(CallLeg.request_id == request.id)).all()
    match = session.scalar(select(Match).where(Match.request_id == request.id))
    return [request.caller_id, match.helper_id, match.asker_id,
            *(leg.volunteer_id for leg in legs), *(leg.sid for leg in legs)]


@pytest.mark.parametrize("case", CUTOFFS)
def test_a_request_a_second_older_than_the_retention_period_is_anonymised(exchange, case):
    now, months, cutoff = utc(CUTOFFS[case][0]), CUTOFFS[case][1], utc(CUTOFFS[case][2])
    with exchange.db.session() as session:
        a_match(session, cutoff - SECOND, "CAolder")
        a_match(session, cutoff, "CAexactly")
    with exchange.db.session() as session:
        done = anonymise_old_calls(session, now, months)
    assert (done.requests, done.legs) == (1, 1)
    with exchange.db.session() as session:
        older, exactly = session.scalars(select(HelpRequest).order_by(HelpRequest.created_at))
        assert older.call_sid.startswith("anon-") and set(links(session, older)) == {None}
        assert exactly.call_sid == "CAexactly" and None not in links(session, exactly)


def test_a_request_and_all_its_calls_age_together_by_when_it_was_made(exchange):
    """A call-back rings volunteers up to two days after the request was made: those calls go
    with the request, or the request's helper would still be named a night or two after the
    request itself was anonymised."""
    now, cutoff = utc("2026-07-15 01:30"), utc("2024-07-15 01:30")
    with exchange.db.session() as session:
        a_match(session, cutoff - timedelta(hours=1), "CAcalledback")
        request = session.scalar(select(HelpRequest))
        helper = session.scalar(select(Match)).helper_id
        session.add(CallLeg(request_id=request.id, volunteer_id=helper, sid="CAround",
                            status="completed", outcome="no_answer",
                            placed_at=cutoff + timedelta(hours=20)))
    with exchange.db.session() as session:
        done = anonymise_old_calls(session, now, retention_months=24)
    assert (done.requests, done.legs) == (1, 2)
    with exchange.db.session() as session:
        assert set(links(session, session.scalar(select(HelpRequest)))) == {None}
