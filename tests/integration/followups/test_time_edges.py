"""When follow-up calls are placed, on the database, at the edges of Amsterdam's days.

Each edge is tried a second before and on the edge itself, in winter and in summer time and on
both daylight-saving days of 2026 (tests/clock.py); the UTC instants are written out by hand.
"""

from __future__ import annotations

import threading
from datetime import date, time, timedelta

import pytest
from sqlalchemy import event, select

from bhc.followups import services as followups
from bhc.models import CallLeg, FollowUp, HelpRequest, Match, Neighbourhood, Participant
from bhc.neighbourhoods.services import add_neighbourhood
from bhc.people.roster import pause
from matching.followup_timing import Delay
from tests.clock import SECOND, utc
from tests.integration.conftest import CALLER, EXCHANGE, volunteer

HELPER = "+31612340001"
QUIET = "21:00-08:00"
NEXT_MORNING = followups.Timing(Delay(at=time(10, 0)), QUIET)


@pytest.fixture
def segbroek(database) -> int:
    with database.session() as session:
        neighbourhood = add_neighbourhood(session, "Segbroek", EXCHANGE, ["2551"], 12000)
        volunteer(session, neighbourhood.id, HELPER)
        volunteer(session, neighbourhood.id, CALLER, is_asker=True, is_helper=False,
                  categories=())
        return neighbourhood.id


def person(session, phone: str) -> Participant:
    return session.scalar(select(Participant).where(Participant.phone == phone))


def a_match(session, neighbourhood_id: int, matched_at, *, conversation_over=True,
            call_sid="CAmatched") -> None:
    """The caller was put through to the helper at ``matched_at``; both follow-ups wait."""
    request = HelpRequest(call_sid=call_sid, neighbourhood_id=neighbourhood_id,
                          caller_id=person(session, CALLER).id, category_slug="groceries",
                          state="matched", outcome="matched", language="nl",
                          created_at=matched_at - timedelta(minutes=1),
                          searching_since=matched_at - timedelta(minutes=1))
    session.add(request)
    session.flush()
    helper = person(session, HELPER)
    leg = CallLeg(request_id=request.id, volunteer_id=helper.id, placed_at=matched_at,
                  status="completed" if conversation_over else "in-progress",
                  outcome="accepted", answered_at=matched_at)
    session.add(leg)
    session.flush()
    match = Match(request_id=request.id, leg_id=leg.id, helper_id=helper.id,
                  asker_id=request.caller_id, matched_at=matched_at, time_to_match_s=30,
                  volunteers_rung=1)
    session.add(match)
    followups.schedule(session, match)
    session.flush()


def called(database, moment, timing=NEXT_MORNING) -> set[str]:
    """Whom the engine's step at ``moment`` phones for a follow-up."""
    with database.session() as session:
        return {call.phone for call in followups.claim_due(session, moment, timing)}


def due_at(database) -> dict[str, object]:
    with database.session() as session:
        return {f.side: f.due_at for f in session.scalars(select(FollowUp))}


# (matched at, the follow-up is due: the next Amsterdam day at 10:00)
NEXT_DAY = {
    "winter, 23:59 CET": ("2026-01-14 22:59:59", "2026-01-15 09:00"),
    "winter, 00:00 CET": ("2026-01-14 23:00", "2026-01-16 09:00"),
    "summer, 23:59 CEST": ("2026-07-14 21:59:59", "2026-07-15 08:00"),
    "summer, 00:00 CEST": ("2026-07-14 22:00", "2026-07-16 08:00"),
    "to 29 March": ("2026-03-28 11:00", "2026-03-29 08:00"),  # 12:00 CET -> 10:00 CEST
    "on 29 March": ("2026-03-28 23:00", "2026-03-30 08:00"),  # 00:00 CET on the 29th
    "to 25 October": ("2026-10-24 10:00", "2026-10-25 09:00"),  # 12:00 CEST -> 10:00 CET
    "on 25 October": ("2026-10-24 22:00", "2026-10-26 09:00"),  # 00:00 CEST on the 25th
}


@pytest.mark.parametrize("case", NEXT_DAY)
def test_both_sides_are_phoned_at_ten_the_next_amsterdam_day(database, segbroek, case):
    matched_at, due = (utc(text) for text in NEXT_DAY[case])
    with database.session() as session:
        a_match(session, segbroek, matched_at)
    assert called(database, due - SECOND) == set()
    assert due_at(database) == {"asker": due, "helper": due}
    assert called(database, due) == {CALLER, HELPER}


# (the call rang busy at, two hours later in quiet hours: phoned at 08:00 the next morning)
RETRIES = {
    "winter": ("2026-01-14 17:59:59", "2026-01-14 18:00", "2026-01-15 07:00"),
    "summer": ("2026-07-14 16:59:59", "2026-07-14 17:00", "2026-07-15 06:00"),
    "29 March": ("2026-03-28 17:59:59", "2026-03-28 18:00", "2026-03-29 06:00"),
    "25 October": ("2026-10-24 16:59:59", "2026-10-24 17:00", "2026-10-25 07:00"),
}


@pytest.mark.parametrize("season", RETRIES)
@pytest.mark.parametrize("late", [False, True], ids=["at 18:59:59", "at 19:00"])
def test_a_retry_that_falls_in_quiet_hours_waits_for_the_morning(database, segbroek, season,
                                                                 late):
    in_time, too_late, morning = (utc(text) for text in RETRIES[season])
    busy_at = too_late if late else in_time
    timing = followups.Timing(Delay(seconds=60), QUIET)
    with database.session() as session:
        a_match(session, segbroek, busy_at - timedelta(seconds=60))
    with database.session() as session:
        for call in followups.claim_due(session, busy_at, timing):
            followups.placed(session, call.follow_up_id, f"CA{call.side}")
            followups.call_ended(session, call.follow_up_id, "busy", "", busy_at)
    retry = busy_at + followups.RETRY_AFTER  # 20:59:59 or 21:00 in Amsterdam
    if not late:
        assert called(database, retry, timing) == {CALLER, HELPER}
        return
    assert called(database, retry, timing) == set()
    assert called(database, morning - SECOND, timing) == set()
    assert called(database, morning, timing) == {CALLER, HELPER}


# (the helper lives next door, where quiet hours last until 09:30: the asker is phoned at 09:00,
# the helper at 09:30, both in Amsterdam)
OWN_QUIET = {
    "winter": ("2026-01-14 12:00", "2026-01-15 08:00", "2026-01-15 08:30"),
    "summer": ("2026-07-14 12:00", "2026-07-15 07:00", "2026-07-15 07:30"),
    "29 March": ("2026-03-28 12:00", "2026-03-29 07:00", "2026-03-29 07:30"),
    "25 October": ("2026-10-24 12:00", "2026-10-25 08:00", "2026-10-25 08:30"),
}


@pytest.mark.parametrize("season", OWN_QUIET)
def test_each_side_is_phoned_under_their_own_neighbourhoods_quiet_hours(database, segbroek,
                                                                        season):
    matched_at, asker_due, helper_due = (utc(text) for text in OWN_QUIET[season])
    with database.session() as session:
        next_door = add_neighbourhood(session, "Loosduinen", "+31702000002", ["2552"])
        next_door.quiet_hours = "21:00-09:30"
        person(session, HELPER).neighbourhood_id = next_door.id
        a_match(session, segbroek, matched_at)
    timing = followups.Timing(Delay(at=time(9, 0)), QUIET)
    assert called(database, asker_due - SECOND, timing) == set()
    assert called(database, asker_due, timing) == {CALLER}
    assert called(database, helper_due - SECOND, timing) == set()
    assert called(database, helper_due, timing) == {HELPER}


def test_the_asker_too_is_phoned_under_their_own_neighbourhoods_quiet_hours(database, segbroek):
    """A resident registered elsewhere who phoned Segbroek's number."""
    with database.session() as session:
        elsewhere = add_neighbourhood(session, "Loosduinen", "+31702000002", ["2552"])
        elsewhere.quiet_hours = "21:00-09:30"
        person(session, CALLER).neighbourhood_id = elsewhere.id
        session.get(Neighbourhood, segbroek).quiet_hours = "21:00-07:00"
        a_match(session, segbroek, utc("2026-07-14 12:00"))
    timing = followups.Timing(Delay(at=time(7, 0)), QUIET)
    assert called(database, utc("2026-07-15 05:00"), timing) == {HELPER}  # 07:00 CEST
    assert called(database, utc("2026-07-15 07:29:59"), timing) == set()
    assert called(database, utc("2026-07-15 07:30"), timing) == {CALLER}  # 09:30 CEST


# (paused until this date, its midnight in UTC; quiet until 08:00 then, in UTC)
PAUSED = {
    "winter": (date(2026, 1, 16), "2026-01-15 23:00", "2026-01-16 07:00"),
    "summer": (date(2026, 7, 16), "2026-07-15 22:00", "2026-07-16 06:00"),
    "29 March": (date(2026, 3, 29), "2026-03-28 23:00", "2026-03-29 06:00"),
    "25 October": (date(2026, 10, 25), "2026-10-24 22:00", "2026-10-25 07:00"),
}


@pytest.mark.parametrize("season", PAUSED)
def test_a_paused_helper_is_phoned_at_the_first_allowed_moment_after_the_pause(database,
                                                                             segbroek, season):
    until, pause_ends, morning = PAUSED[season][0], *(utc(t) for t in PAUSED[season][1:])
    matched_at = pause_ends - timedelta(days=1, hours=12)
    with database.session() as session:
        pause(person(session, HELPER), until, matched_at)
        a_match(session, segbroek, matched_at)
    assert called(database, pause_ends - timedelta(hours=12)) == {CALLER}  # not paused
    assert called(database, pause_ends) == set()  # the pause is over, the quiet hours are not
    assert called(database, morning - SECOND) == set()
    assert called(database, morning) == {HELPER}


def test_a_conversation_never_reported_over_counts_as_over_after_three_hours(database,
                                                                             segbroek):
    matched_at = utc("2026-10-25 00:30")  # 02:30 CEST; three hours on, the clock shows 04:30 CET
    with database.session() as session:
        a_match(session, segbroek, matched_at, conversation_over=False)
    timing = followups.Timing(Delay(seconds=60), "")
    over = matched_at + followups.LONGEST_CONVERSATION
    assert over == utc("2026-10-25 03:30")
    assert called(database, over, timing) == set()
    assert called(database, over + SECOND, timing) == {CALLER, HELPER}


def statements_of(database, step) -> int:
    """The statements ``step`` sends, in this thread: a webhook's wake-up of the engine may go
    out from the notifier's thread meanwhile."""
    mine, statements = threading.get_ident(), []

    def count(*_args):
        if threading.get_ident() == mine:
            statements.append(1)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        with database.session() as session:
            step(session)
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    return len(statements)


def test_a_burst_of_matches_is_timed_and_claimed_in_statements_per_batch(database, segbroek):
    """A burst of matches gives the engine a batch of follow-ups while callers wait on hold:
    timing them reads their people and neighbourhoods once for the batch, and claiming them
    costs one statement more per call placed, not a handful."""
    matched_at = utc("2026-01-14 12:00")
    due = utc("2026-01-15 09:00")
    counts = {}
    for n in (1, 6):
        with database.session() as session:
            for i in range(n):
                a_match(session, segbroek, matched_at, call_sid=f"CAburst{n}-{i}")
        counts[n] = (
            statements_of(database, lambda s: followups.claim_due(s, matched_at, NEXT_MORNING)),
            statements_of(database, lambda s: followups.claim_due(s, due, NEXT_MORNING)))
    assert due_at(database) == {"asker": due, "helper": due}
    (timing_one, claiming_one), (timing_six, claiming_six) = counts[1], counts[6]
    assert timing_six == timing_one, counts
    assert claiming_six - claiming_one == 2 * 6 - 2 * 1, counts
