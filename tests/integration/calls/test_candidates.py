"""Who may be rung: caps, quiet hours, availability, pauses, languages."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import event, select

from bhc.calls.candidates import Caps, as_candidates, eligible_volunteers
from bhc.models import CallLeg, HelpRequest, Neighbourhood, Participant
from tests.integration.conftest import CALLER, volunteer

# A Wednesday at 11:00 in Amsterdam (10:00 UTC in November).
NOW = datetime(2026, 11, 25, 10, 0)


def open_request(session, neighbourhood_id, language="nl") -> HelpRequest:
    request = HelpRequest(call_sid=f"CA{NOW.timestamp()}", neighbourhood_id=neighbourhood_id,
                          category_slug="groceries", state="searching", language=language,
                          created_at=NOW, searching_since=NOW)
    session.add(request)
    session.flush()
    return request


def phones(session, request, quiet="", caps=Caps()):
    return {v.phone for v in eligible_volunteers(session, request, NOW, quiet, caps)}


def test_the_fixture_volunteers_for_groceries_are_eligible(exchange):
    with exchange.db.session() as session:
        request = open_request(session, 1)
        assert phones(session, request) == {"+31612340001", "+31612340002", CALLER}


def test_a_request_not_yet_saved_finds_the_same_volunteers(exchange):
    with exchange.db.session() as session:
        unsaved = HelpRequest(neighbourhood_id=1, category_slug="groceries", language="nl")
        assert phones(session, unsaved) == {"+31612340001", "+31612340002", CALLER}


def test_daily_and_weekly_caps(exchange):
    with exchange.db.session() as session:
        earlier = open_request(session, 1)
        earlier.call_sid, earlier.state = "CAearlier", "matched"
        request = open_request(session, 1)
        busy = session.scalar(select(Participant).where(Participant.phone == "+31612340001"))
        for hours_ago in (1, 2, 30):  # two today, one yesterday (this week)
            session.add(CallLeg(request_id=earlier.id, volunteer_id=busy.id, status="completed",
                                outcome="no_answer", placed_at=NOW - timedelta(hours=hours_ago)))
        session.flush()
        assert "+31612340001" not in phones(session, request, caps=Caps(daily=2, weekly=10))
        assert "+31612340001" not in phones(session, request, caps=Caps(daily=5, weekly=3))
        assert "+31612340001" in phones(session, request, caps=Caps(daily=3, weekly=4))


def test_quiet_hours_and_a_neighbourhoods_own_setting(exchange):
    with exchange.db.session() as session:
        request = open_request(session, 1)
        assert phones(session, request, quiet="10:00-12:00") == set()
        session.get(Neighbourhood, 1).quiet_hours = ""  # this neighbourhood opts out of them
        session.flush()
        assert len(phones(session, request, quiet="10:00-12:00")) == 3
        session.get(Neighbourhood, 1).quiet_hours = "11:00-11:30"
        session.flush()
        assert phones(session, request, quiet="") == set()


def test_availability_windows_and_pauses(exchange):
    with exchange.db.session() as session:
        request = open_request(session, 1)
        volunteer(session, 1, "+31612340004", availability="sa-su 10:00-18:00")
        volunteer(session, 1, "+31612340005", availability="we 09:00-12:00")
        participant(session, "+31612340001").availability = "whenever it suits"  # unreadable
        paused = session.scalar(select(Participant).where(Participant.phone == "+31612340002"))
        paused.paused_until = NOW + timedelta(days=1)
        session.flush()
        assert phones(session, request) == {"+31612340005", CALLER}


def test_only_helpers_who_consented_and_did_not_opt_out_are_rung(exchange):
    with exchange.db.session() as session:
        request = open_request(session, 1)
        participant(session, "+31612340001").is_helper = False  # an asker now
        participant(session, "+31612340002").call_consent = False
        participant(session, CALLER).opted_out = True
        session.flush()
        assert phones(session, request) == set()


def test_volunteers_speaking_the_callers_language_are_marked(exchange):
    with exchange.db.session() as session:
        request = open_request(session, 1, language="en")
        volunteer(session, 1, "+31612340006", languages="nl;en")
        volunteer(session, 1, "+31612340007", languages=" nl ; en ")
        found = eligible_volunteers(session, request, NOW, "")
        facts = as_candidates(found, "en")
        by_id = {v.id: v.phone for v in found}
        assert {by_id[c.volunteer_id] for c in facts if c.speaks_caller_language} == {
            "+31612340006", "+31612340007"}


def participant(session, phone) -> Participant:
    return session.scalar(select(Participant).where(Participant.phone == phone))


def ring(session, request, phone, hours_ago=0.0, status="completed") -> CallLeg:
    leg = CallLeg(request_id=request.id, volunteer_id=participant(session, phone).id,
                  status=status, outcome=None if status == "ringing" else "no_answer",
                  placed_at=NOW - timedelta(hours=hours_ago))
    session.add(leg)
    session.flush()
    return leg


def other_request(session, call_sid) -> HelpRequest:
    earlier = open_request(session, 1)
    earlier.call_sid = call_sid
    session.flush()
    return earlier


def test_the_caller_someone_on_a_live_call_and_those_already_rung_are_left_out(exchange):
    with exchange.db.session() as session:
        elsewhere = other_request(session, "CAelsewhere")
        request = open_request(session, 1)
        request.caller_id = participant(session, CALLER).id
        live = ring(session, elsewhere, "+31612340001", status="ringing")
        ring(session, request, "+31612340002")
        assert phones(session, request, caps=Caps(daily=10, weekly=10)) == set()
        live.status = "completed"  # that other call ended
        session.flush()
        assert phones(session, request, caps=Caps(daily=10, weekly=10)) == {"+31612340001"}


def test_a_call_back_older_than_the_fairness_window_never_rings_anyone_twice(exchange):
    """A call-back may go on for longer than a month ([callback] give_up_after_h)."""
    with exchange.db.session() as session:
        request = open_request(session, 1)
        request.created_at = NOW - timedelta(days=40)
        ring(session, request, "+31612340001", hours_ago=24 * 35)
        assert phones(session, request) == {"+31612340002", CALLER}


def test_fairness_facts_count_the_last_thirty_days(exchange):
    with exchange.db.session() as session:
        earlier = other_request(session, "CAearlier")
        request = open_request(session, 1)
        for days_ago in (2, 10, 40):
            ring(session, earlier, "+31612340001", hours_ago=24 * days_ago)
        ring(session, earlier, "+31612340002", hours_ago=24 * 45)
        found = {v.phone: v for v in eligible_volunteers(session, request, NOW, "")}
        assert (found["+31612340001"].recent_calls,
                found["+31612340001"].last_asked_at) == (2, NOW - timedelta(days=2))
        assert (found["+31612340002"].recent_calls, found["+31612340002"].last_asked_at) == (
            0, None)


def test_the_matching_core_is_given_each_volunteers_fairness_facts(exchange):
    with exchange.db.session() as session:
        earlier = other_request(session, "CAearlier")
        request = open_request(session, 1, language="en")
        for days_ago in (2, 10):
            ring(session, earlier, "+31612340001", hours_ago=24 * days_ago)
        volunteer(session, 1, "+31612340006", languages="nl;en")
        found = eligible_volunteers(session, request, NOW, "")
        candidates = as_candidates(found, "en")
    assert [c.volunteer_id for c in candidates] == [v.id for v in found]
    facts = {v.phone: c for v, c in zip(found, candidates)}
    assert {phone: (c.recent_calls, c.last_asked_at, c.speaks_caller_language)
            for phone, c in facts.items()} == {
        "+31612340001": (2, NOW - timedelta(days=2), False),
        "+31612340002": (0, None, False), CALLER: (0, None, False),
        "+31612340006": (0, None, True)}


def test_one_query_chooses_the_candidates(exchange):
    statements = []

    def count(*_args):
        statements.append(1)

    with exchange.db.session() as session:
        request = open_request(session, 1)
        session.flush()
        event.listen(exchange.db.engine, "before_cursor_execute", count)
        try:
            found = eligible_volunteers(session, request, NOW, "")
        finally:
            event.remove(exchange.db.engine, "before_cursor_execute", count)
        assert len(found) == 3 and len(statements) == 1
