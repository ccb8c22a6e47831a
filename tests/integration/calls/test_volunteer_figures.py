"""Volunteers' own figures worked out by hand: the period's calls by how they went, the last
call, and this week's and today's calls as the caps count them (Europe/Amsterdam)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bhc.calls.candidates import Caps
from bhc.calls.volunteer_figures import figures, sorted_by, within_caps
from tests.integration.attention.seeding import ended_request, leg, person_id

# Wednesday 14 October 2026, 14:00 in Amsterdam (summer time: UTC + 2). The week began on
# Monday 12 October 00:00 (11 Oct 22:00 UTC), today at 13 Oct 22:00 UTC.
NOW = datetime(2026, 10, 14, 12, 0)
BUSY, QUIET = "+31612340001", "+31612340002"


def _seed(session) -> None:
    busy = person_id(session, BUSY)
    request = ended_request(session, 1, None, NOW - timedelta(days=45), "matched", "matched")
    calls = [
        (NOW - timedelta(days=40), "no_answer", False, None),  # before the 30 days
        (NOW - timedelta(days=20), "accepted", True, None),
        (NOW - timedelta(days=10), "declined", True, None),
        (datetime(2026, 10, 11, 12, 0), "taken", True, None),  # Sunday: last week
        (datetime(2026, 10, 12, 10, 0), "no_answer", False, None),  # Monday: this week
        (datetime(2026, 10, 13, 21, 30), "busy", False, None),  # Tuesday 23:30
        (datetime(2026, 10, 13, 22, 30), "machine", True, "machine_start"),  # Wed 00:30
        (datetime(2026, 10, 14, 11, 0), "withdrawn", True, None),  # heard it was taken
        (datetime(2026, 10, 14, 11, 30), "withdrawn", False, None),  # stopped while ringing
    ]
    for at, outcome, answered, answered_by in calls:
        leg(session, request, busy, at, outcome, answered=answered, answered_by=answered_by)


def test_a_volunteers_figures_are_those_worked_out_by_hand(exchange):
    with exchange.db.session() as session:
        _seed(session)
        rows = {row.phone: row for row in figures(session, NOW, NOW - timedelta(days=30))}
    busy = rows[BUSY]
    # 8 calls in the 30 days; answered by a person: accepted, declined, taken, the answered
    # withdrawn one (voicemail is no person); no answer: rang out, busy, voicemail; already
    # taken: pressed 1 too late, or answered while another took it.
    assert (busy.rung, busy.answered, busy.accepted, busy.declined, busy.no_answer,
            busy.already_taken) == (8, 4, 1, 1, 3, 2)
    assert busy.last_rung_at == datetime(2026, 10, 14, 11, 30)
    assert (busy.this_week, busy.today) == (5, 3)
    assert not within_caps(busy, Caps(daily=3, weekly=10))
    assert within_caps(busy, Caps(daily=4, weekly=10))
    quiet = rows[QUIET]
    assert (quiet.rung, quiet.answered, quiet.last_rung_at, quiet.this_week) == (0, 0, None, 0)


def test_a_longer_period_counts_the_older_call_and_the_last_rung_is_the_last_ever(exchange):
    with exchange.db.session() as session:
        _seed(session)
        ninety = {r.phone: r for r in figures(session, NOW, NOW - timedelta(days=90))}
        week = {r.phone: r for r in figures(session, NOW, NOW - timedelta(days=1))}
    assert (ninety[BUSY].rung, ninety[BUSY].no_answer) == (9, 4)
    # Since Tuesday 14:00: the calls of 23:30, 00:30, 13:00 and 13:30.
    assert (week[BUSY].rung, week[BUSY].last_rung_at) == (4, datetime(2026, 10, 14, 11, 30))


def test_the_list_sorts_on_any_column_with_the_never_rung_last(exchange):
    with exchange.db.session() as session:
        _seed(session)
        rows = figures(session, NOW, NOW - timedelta(days=30))
    by_rung = [r.phone for r in sorted_by(rows, "rung", descending=True)]
    assert by_rung[0] == BUSY
    assert [r.phone for r in sorted_by(rows, "rung", descending=False)][-1] == BUSY
    for descending in (True, False):
        last = [r.phone for r in sorted_by(rows, "last_rung_at", descending)]
        assert last[0] == BUSY  # the others were never rung: last, whichever way
    names = [r.name for r in sorted_by(rows, "name", descending=False)]
    assert names == sorted(names, key=str.casefold)
    assert [r.name for r in sorted_by(rows, "no such column", False)] == names


def test_the_figures_of_one_neighbourhood_only(exchange):
    with exchange.db.session() as session:
        _seed(session)
        assert figures(session, NOW, NOW - timedelta(days=30), visible=set()) == []
        mine = figures(session, NOW, NOW - timedelta(days=30), visible={1})
    assert {r.phone for r in mine} == {"+31612340001", "+31612340002", "+31612340003",
                                       "+31703561234"}  # the fixture's caller helps too
