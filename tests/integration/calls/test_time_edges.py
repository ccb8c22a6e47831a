"""Who may be rung, and when a call-back gives up, at the edges of Amsterdam's days and weeks.

Each edge is tried a second before and on the edge itself, in winter and in summer time and on
both daylight-saving days of 2026 (tests/clock.py); the UTC instants are written out by hand.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from bhc.calls.callbacks import request_callback
from bhc.calls.candidates import Caps, eligible_volunteers
from bhc.models import CallLeg, HelpRequest, Neighbourhood, Participant
from bhc.neighbourhoods.services import add_neighbourhood
from bhc.people.roster import pause
from tests.clock import SECOND, Clock, utc
from tests.integration.conftest import CALLER, EXCHANGE, volunteer

QUIET = "21:00-08:00"
NO_CAPS = Caps(daily=100, weekly=100)


@pytest.fixture
def segbroek(database) -> int:
    with database.session() as session:
        return add_neighbourhood(session, "Segbroek", EXCHANGE, ["2551"], 12000).id


def a_request(session, neighbourhood_id: int, now, sid: str = "CAnow") -> HelpRequest:
    request = HelpRequest(call_sid=sid, neighbourhood_id=neighbourhood_id,
                          category_slug="groceries", state="searching", language="nl",
                          created_at=now, searching_since=now)
    session.add(request)
    session.flush()
    return request


def helper(session, neighbourhood_id: int, phone: str, **changes) -> Participant:
    volunteer(session, neighbourhood_id, phone, **changes)
    return session.scalar(select(Participant).where(Participant.phone == phone))


def rung_at(session, request, phone: str, moment) -> None:
    """A call to this volunteer placed at ``moment`` for an earlier request (it ended)."""
    person = session.scalar(select(Participant).where(Participant.phone == phone))
    session.add(CallLeg(request_id=request.id, volunteer_id=person.id, status="completed",
                        outcome="no_answer", placed_at=moment))
    session.flush()


def eligible(session, request, now, quiet: str = "", caps: Caps = NO_CAPS) -> set[str]:
    return {v.phone for v in eligible_volunteers(session, request, now, quiet, caps)}


# --- daily and weekly caps: per Amsterdam day and week -------------------------------------------

BEFORE, ON_THE_EDGE, HALF_PAST = "+31612340001", "+31612340002", "+31612340003"


def rung_around(session, neighbourhood_id: int, edge) -> None:
    """Three volunteers, rung a second before ``edge``, on it and half an hour after it."""
    earlier = a_request(session, neighbourhood_id, edge - timedelta(hours=2), "CAearlier")
    for phone, placed in ((BEFORE, edge - SECOND), (ON_THE_EDGE, edge),
                          (HALF_PAST, edge + timedelta(minutes=30))):
        volunteer(session, neighbourhood_id, phone)
        rung_at(session, earlier, phone, placed)


def eligible_either_side(session, neighbourhood_id: int, called, edge, caps: Caps):
    """A volunteer rung at ``called``: eligible a second before ``edge``, and on it?"""
    volunteer(session, neighbourhood_id, BEFORE)
    earlier = a_request(session, neighbourhood_id, called, "CAearlier")
    rung_at(session, earlier, BEFORE, called)
    request = a_request(session, neighbourhood_id, edge - timedelta(hours=1))
    return (eligible(session, request, edge - SECOND, caps=caps),
            eligible(session, request, edge, caps=caps))

# (now, the last local midnight before it as naive UTC)
DAY_STARTS = {
    "winter": ("2026-01-15 10:00", "2026-01-14 23:00"),  # 00:00 CET
    "summer": ("2026-07-15 10:00", "2026-07-14 22:00"),  # 00:00 CEST
    "29 March": ("2026-03-29 10:00", "2026-03-28 23:00"),  # midnight still in CET
    "30 March": ("2026-03-30 10:00", "2026-03-29 22:00"),  # the first midnight in CEST
    "25 October": ("2026-10-25 10:00", "2026-10-24 22:00"),  # midnight still in CEST
    "26 October": ("2026-10-26 10:00", "2026-10-25 23:00"),  # the first midnight in CET
}


@pytest.mark.parametrize("day", DAY_STARTS)
def test_the_daily_cap_counts_calls_since_amsterdams_midnight(database, segbroek, day):
    now, midnight = (utc(text) for text in DAY_STARTS[day])
    with database.session() as session:
        rung_around(session, segbroek, midnight)
        request = a_request(session, segbroek, now)
        # Yesterday's call leaves today's one free; a call since midnight (00:30 here is the
        # day before in UTC) uses it up.
        assert eligible(session, request, now, caps=Caps(daily=1, weekly=10)) == {BEFORE}


# (a call earlier that local day, the midnight ending that day as naive UTC)
DAY_ENDS = {
    "winter": ("2026-01-14 08:00", "2026-01-14 23:00"),
    "summer": ("2026-07-14 08:00", "2026-07-14 22:00"),
    "28 March": ("2026-03-28 08:00", "2026-03-28 23:00"),  # the last evening in CET
    "29 March": ("2026-03-29 08:00", "2026-03-29 22:00"),  # a 23-hour day, ending in CEST
    "24 October": ("2026-10-24 08:00", "2026-10-24 22:00"),  # the last evening in CEST
    "25 October": ("2026-10-25 08:00", "2026-10-25 23:00"),  # a 25-hour day, ending in CET
}


@pytest.mark.parametrize("day", DAY_ENDS)
def test_a_volunteer_at_the_daily_cap_is_free_again_at_amsterdams_midnight(database, segbroek,
                                                                           day):
    called, midnight = (utc(text) for text in DAY_ENDS[day])
    with database.session() as session:
        assert eligible_either_side(session, segbroek, called, midnight,
                                    Caps(daily=1, weekly=10)) == (set(), {BEFORE})


# (now, the Monday midnight the week began with as naive UTC)
WEEK_STARTS = {
    "winter": ("2026-01-14 10:00", "2026-01-11 23:00"),  # Wednesday; Monday 00:00 CET
    "summer": ("2026-07-15 10:00", "2026-07-12 22:00"),  # Monday 00:00 CEST
    "the week of 29 March": ("2026-03-29 10:00", "2026-03-22 23:00"),  # began in CET
    "the week after": ("2026-03-30 10:00", "2026-03-29 22:00"),  # began in CEST
    "the week of 25 October": ("2026-10-25 10:00", "2026-10-18 22:00"),  # began in CEST
    "the week after it": ("2026-10-26 10:00", "2026-10-25 23:00"),  # began in CET
}


@pytest.mark.parametrize("week", WEEK_STARTS)
def test_the_weekly_cap_counts_calls_since_amsterdams_monday(database, segbroek, week):
    now, monday = (utc(text) for text in WEEK_STARTS[week])
    with database.session() as session:
        rung_around(session, segbroek, monday)
        request = a_request(session, segbroek, now)
        assert eligible(session, request, now, caps=Caps(daily=10, weekly=1)) == {BEFORE}


# (a call on the Tuesday of the week, the Monday midnight ending that week as naive UTC)
WEEK_ENDS = {
    "winter": ("2026-01-13 10:00", "2026-01-18 23:00"),
    "summer": ("2026-07-14 10:00", "2026-07-19 22:00"),
    "the week of 29 March": ("2026-03-24 10:00", "2026-03-29 22:00"),
    "the week of 25 October": ("2026-10-20 10:00", "2026-10-25 23:00"),
}


@pytest.mark.parametrize("week", WEEK_ENDS)
def test_a_volunteer_at_the_weekly_cap_is_free_again_on_amsterdams_monday(database, segbroek,
                                                                          week):
    called, monday = (utc(text) for text in WEEK_ENDS[week])
    with database.session() as session:
        assert eligible_either_side(session, segbroek, called, monday,
                                    Caps(daily=10, weekly=1)) == (set(), {BEFORE})


def test_the_fairness_facts_count_the_calls_of_the_last_thirty_days_to_the_second(database,
                                                                                segbroek):
    now, month_ago = utc("2026-03-29 10:00"), utc("2026-02-27 10:00")  # 30 times 24 hours
    with database.session() as session:
        rung_around(session, segbroek, month_ago)
        request = a_request(session, segbroek, now)
        found = {v.phone: (v.recent_calls, v.last_asked_at)
                 for v in eligible_volunteers(session, request, now, "", NO_CAPS)}
    assert found == {BEFORE: (0, None), ON_THE_EDGE: (1, month_ago),
                     HALF_PAST: (1, month_ago + timedelta(minutes=30))}


# --- quiet hours across midnight, the default and a neighbourhood's own --------------------------

# Quiet 21:00-08:00 in Amsterdam: (moment in UTC, may a volunteer be rung)
QUIET_EDGES = {
    "winter": [("2026-01-14 19:59:59", True), ("2026-01-14 20:00", False),  # 21:00 CET
               ("2026-01-14 22:59:59", False), ("2026-01-14 23:00", False),  # midnight
               ("2026-01-15 06:59:59", False), ("2026-01-15 07:00", True)],  # 08:00 CET
    "summer": [("2026-07-14 18:59:59", True), ("2026-07-14 19:00", False),  # 21:00 CEST
               ("2026-07-14 21:59:59", False), ("2026-07-14 22:00", False),
               ("2026-07-15 05:59:59", False), ("2026-07-15 06:00", True)],  # 08:00 CEST
    # The night of 28 to 29 March begins in CET and ends in CEST.
    "29 March": [("2026-03-28 19:59:59", True), ("2026-03-28 20:00", False),
                 ("2026-03-29 00:59:59", False), ("2026-03-29 01:00", False),  # the jump
                 ("2026-03-29 05:59:59", False), ("2026-03-29 06:00", True),
                 ("2026-03-29 18:59:59", True), ("2026-03-29 19:00", False)],
    # The night of 24 to 25 October begins in CEST and ends in CET.
    "25 October": [("2026-10-24 18:59:59", True), ("2026-10-24 19:00", False),
                   ("2026-10-25 00:59:59", False), ("2026-10-25 01:00", False),
                   ("2026-10-25 06:59:59", False), ("2026-10-25 07:00", True),
                   ("2026-10-25 19:59:59", True), ("2026-10-25 20:00", False)],
}


@pytest.mark.parametrize("season", QUIET_EDGES)
def test_quiet_hours_across_midnight_follow_amsterdams_clock(database, segbroek, season):
    with database.session() as session:
        volunteer(session, segbroek, BEFORE)
        found = {}
        for text, _ in QUIET_EDGES[season]:
            moment = utc(text)
            request = a_request(session, segbroek, moment, f"CA{text}")
            found[text] = bool(eligible(session, request, moment, quiet=QUIET))
    assert found == dict(QUIET_EDGES[season])


# A neighbourhood's own quiet hours 22:30-06:30 replace the default 21:00-08:00.
OWN_QUIET_EDGES = {
    "winter": [("2026-01-14 21:29:59", True), ("2026-01-14 21:30", False),
               ("2026-01-15 05:29:59", False), ("2026-01-15 05:30", True)],
    "summer": [("2026-07-14 20:29:59", True), ("2026-07-14 20:30", False),
               ("2026-07-15 04:29:59", False), ("2026-07-15 04:30", True)],
    "29 March": [("2026-03-28 21:29:59", True), ("2026-03-28 21:30", False),
                 ("2026-03-29 04:29:59", False), ("2026-03-29 04:30", True)],
    "25 October": [("2026-10-24 20:29:59", True), ("2026-10-24 20:30", False),
                   ("2026-10-25 05:29:59", False), ("2026-10-25 05:30", True)],
}


@pytest.mark.parametrize("season", OWN_QUIET_EDGES)
def test_a_neighbourhoods_own_quiet_hours_across_midnight(database, segbroek, season):
    with database.session() as session:
        session.get(Neighbourhood, segbroek).quiet_hours = "22:30-06:30"
        volunteer(session, segbroek, BEFORE)
        found = {}
        for text, _ in OWN_QUIET_EDGES[season]:
            moment = utc(text)
            request = a_request(session, segbroek, moment, f"CA{text}")
            found[text] = bool(eligible(session, request, moment, quiet=QUIET))
    assert found == dict(OWN_QUIET_EDGES[season])


# --- availability windows ----------------------------------------------------------------------

WEEKDAYS, AROUND_MIDNIGHT, SUNDAY_NIGHT = "+31612340011", "+31612340012", "+31612340013"
AVAILABILITY = {
    WEEKDAYS: "mo-fr 09:00-17:00",
    AROUND_MIDNIGHT: "su 22:00-24:00; mo 00:00-02:00",
    SUNDAY_NIGHT: "su 02:00-03:00",
}
# (moment in UTC, who may be rung then)
AVAILABILITY_EDGES = {
    "winter": [
        ("2026-01-12 07:59:59", set()), ("2026-01-12 08:00", {WEEKDAYS}),  # Mon 09:00 CET
        ("2026-01-16 15:59:59", {WEEKDAYS}), ("2026-01-16 16:00", set()),  # Fri 17:00 CET
        ("2026-01-18 20:59:59", set()), ("2026-01-18 21:00", {AROUND_MIDNIGHT}),  # Sun 22:00
        ("2026-01-18 23:00", {AROUND_MIDNIGHT}),  # Monday 00:00 CET, Sunday in UTC
        ("2026-01-19 00:59:59", {AROUND_MIDNIGHT}), ("2026-01-19 01:00", set()),  # Mon 02:00
        ("2026-01-18 00:59:59", set()), ("2026-01-18 01:00", {SUNDAY_NIGHT}),  # Sun 02:00
        ("2026-01-18 01:59:59", {SUNDAY_NIGHT}), ("2026-01-18 02:00", set()),
    ],
    "summer": [
        ("2026-07-13 06:59:59", set()), ("2026-07-13 07:00", {WEEKDAYS}),  # Mon 09:00 CEST
        ("2026-07-17 14:59:59", {WEEKDAYS}), ("2026-07-17 15:00", set()),  # Fri 17:00 CEST
        ("2026-07-19 19:59:59", set()), ("2026-07-19 20:00", {AROUND_MIDNIGHT}),
        ("2026-07-19 22:00", {AROUND_MIDNIGHT}),  # Monday 00:00 CEST
        ("2026-07-19 23:59:59", {AROUND_MIDNIGHT}), ("2026-07-20 00:00", set()),
        ("2026-07-19 00:00", {SUNDAY_NIGHT}), ("2026-07-19 00:59:59", {SUNDAY_NIGHT}),
        ("2026-07-19 01:00", set()),
    ],
    # Sunday 29 March has no 02:00-03:00: at 01:00 UTC 01:59:59 CET is followed by 03:00 CEST.
    "29 March": [
        ("2026-03-29 00:59:59", set()), ("2026-03-29 01:00", set()),
        ("2026-03-29 19:59:59", set()), ("2026-03-29 20:00", {AROUND_MIDNIGHT}),  # 22:00 CEST
        ("2026-03-29 23:59:59", {AROUND_MIDNIGHT}), ("2026-03-30 00:00", set()),  # Mon 02:00
        ("2026-03-30 06:59:59", set()), ("2026-03-30 07:00", {WEEKDAYS}),  # Mon 09:00 CEST
    ],
    # Sunday 25 October has 02:00-03:00 twice, first in CEST then in CET: both are in the window.
    "25 October": [
        ("2026-10-24 23:59:59", set()), ("2026-10-25 00:00", {SUNDAY_NIGHT}),
        ("2026-10-25 01:00", {SUNDAY_NIGHT}), ("2026-10-25 01:59:59", {SUNDAY_NIGHT}),
        ("2026-10-25 02:00", set()),
        ("2026-10-25 20:59:59", set()), ("2026-10-25 21:00", {AROUND_MIDNIGHT}),  # 22:00 CET
        ("2026-10-26 00:59:59", {AROUND_MIDNIGHT}), ("2026-10-26 01:00", set()),
        ("2026-10-23 14:59:59", {WEEKDAYS}), ("2026-10-23 15:00", set()),  # Fri 17:00 CEST
    ],
}


@pytest.mark.parametrize("season", AVAILABILITY_EDGES)
def test_availability_windows_open_and_close_on_amsterdams_clock(database, segbroek, season):
    with database.session() as session:
        for phone, availability in AVAILABILITY.items():
            volunteer(session, segbroek, phone, availability=availability)
        found = {}
        for text, _ in AVAILABILITY_EDGES[season]:
            moment = utc(text)
            request = a_request(session, segbroek, moment, f"CA{text}")
            found[text] = eligible(session, request, moment)
    assert found == dict(AVAILABILITY_EDGES[season])


# (the first day of not being paused, its midnight in Amsterdam as naive UTC)
PAUSE_ENDS = {
    "winter": (date(2026, 1, 15), "2026-01-14 23:00"),
    "summer": (date(2026, 7, 15), "2026-07-14 22:00"),
    "29 March": (date(2026, 3, 29), "2026-03-28 23:00"),
    "30 March": (date(2026, 3, 30), "2026-03-29 22:00"),
    "25 October": (date(2026, 10, 25), "2026-10-24 22:00"),
    "26 October": (date(2026, 10, 26), "2026-10-25 23:00"),
}


@pytest.mark.parametrize("day", PAUSE_ENDS)
def test_a_pause_until_a_date_ends_at_its_midnight_in_amsterdam(database, segbroek, day):
    until, midnight = PAUSE_ENDS[day][0], utc(PAUSE_ENDS[day][1])
    with database.session() as session:
        paused = helper(session, segbroek, BEFORE)
        pause(paused, until, midnight - timedelta(days=3))
        request = a_request(session, segbroek, midnight - timedelta(hours=1))
        assert eligible(session, request, midnight - SECOND) == set()
        assert eligible(session, request, midnight) == {BEFORE}


# --- the call-back gives up after give_up_after_h real hours -------------------------------------

CHATTER = "+31612340009"
# (asked at, given up at: 48 hours later, whatever Amsterdam's clock says in between)
CALLBACK_DEADLINES = {
    "winter": ("2026-01-14 12:00", "2026-01-16 12:00"),  # 13:00 CET to 13:00 CET
    "summer": ("2026-07-14 12:00", "2026-07-16 12:00"),  # 14:00 CEST to 14:00 CEST
    "over 29 March": ("2026-03-28 12:00", "2026-03-30 12:00"),  # 13:00 CET to 14:00 CEST
    "over 25 October": ("2026-10-24 12:00", "2026-10-26 12:00"),  # 14:00 CEST to 13:00 CET
}


@pytest.fixture
def engine_clock(exchange) -> Clock:
    clock = Clock(utc("2026-01-01 12:00"))
    exchange.engine.clock = clock
    return clock


def callback_asked(exchange, asked_at) -> int:
    """A resident nobody could help (nobody covers a chat) asked to be called back."""
    with exchange.db.session() as session:
        caller = session.scalar(select(Participant).where(Participant.phone == CALLER))
        request = HelpRequest(call_sid="CAasked", neighbourhood_id=1, caller_id=caller.id,
                              category_slug="chat", state="unmatched", outcome="no_candidates",
                              language="nl", created_at=asked_at, searching_since=asked_at,
                              ended_at=asked_at)
        session.add(request)
        session.flush()
        assert request_callback(session, request, asked_at,
                                exchange.config.callback.give_up_after_h)
        return request.id


def round_at(exchange, clock: Clock, request_id: int, moment) -> HelpRequest:
    """A call-back round due at ``moment``; the request as the engine left it."""
    clock.set(moment)
    with exchange.db.session() as session:
        session.execute(update(HelpRequest).where(HelpRequest.id == request_id)
                        .values(next_round_at=moment))
    exchange.engine.tick()
    with exchange.db.session() as session:
        return session.get(HelpRequest, request_id)


@pytest.mark.parametrize("season", CALLBACK_DEADLINES)
def test_a_call_back_searches_until_its_deadline_and_then_gives_up(exchange, engine_clock,
                                                                   carrier, season):
    asked_at, deadline = (utc(text) for text in CALLBACK_DEADLINES[season])
    request_id = callback_asked(exchange, asked_at)
    assert round_at(exchange, engine_clock, request_id, asked_at).callback_until == deadline
    last_round = round_at(exchange, engine_clock, request_id, deadline - SECOND)
    assert (last_round.state, last_round.outcome) == ("callback_due", "callback_requested")
    expired = round_at(exchange, engine_clock, request_id, deadline)
    assert (expired.state, expired.outcome, expired.ended_at) == (
        "unmatched", "callback_expired", deadline)
    assert carrier.placed == []


@pytest.mark.parametrize("season", CALLBACK_DEADLINES)
@pytest.mark.parametrize(("after_deadline", "rung"), [(-SECOND, [CHATTER]), (timedelta(0), [])],
                         ids=["a second before", "on the deadline"])
def test_a_neighbour_free_before_the_deadline_is_rung_and_not_once_it_passed(
        exchange, engine_clock, carrier, season, after_deadline, rung):
    asked_at, deadline = (utc(text) for text in CALLBACK_DEADLINES[season])
    request_id = callback_asked(exchange, asked_at)
    with exchange.db.session() as session:
        volunteer(session, 1, CHATTER, categories=("chat",))
    request = round_at(exchange, engine_clock, request_id, deadline + after_deadline)
    assert [call["to"] for call in carrier.placed] == rung
    assert request.state == ("callback_due" if rung else "unmatched")
