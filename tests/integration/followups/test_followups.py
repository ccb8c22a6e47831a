"""Follow-up calls after a match: when they are placed, what both sides hear, what is stored."""

from __future__ import annotations

import csv
import io
import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, select, update

from bhc.db import utcnow
from bhc.followups import services as followups
from bhc.models import FollowUp, Match, Neighbourhood, Participant
from bhc.people.privacy import erase_participant
from bhc.reports.monthly import monthly_report, to_csv
from matching.followup_timing import Delay
from tests.admin import conftest as admin
from tests.integration.conftest import CALLER, ProcessDied, next_engine
from tests.integration.test_webhooks import CALL, said, search_started, verbs

# The coordinators' web UI, for the request page.
app, coordinator, neighbourhoods = admin.app, admin.coordinator, admin.neighbourhoods
cheap_hashes = admin.cheap_hashes

LOCAL = ZoneInfo("Europe/Amsterdam")
UTC = ZoneInfo("UTC")


@pytest.fixture(autouse=True)
def no_batching_pause(monkeypatch):
    """The engine waits a moment after each step to gather wake-ups; these tests step by hand."""
    monkeypatch.setattr("bhc.engine.BATCH_WINDOW_S", 0)


def local(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC).astimezone(LOCAL)


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LOCAL).astimezone(UTC).replace(
        tzinfo=None)


def matched(phone, exchange, carrier, *, conversation_over: bool = True) -> tuple[Match, str]:
    """A volunteer took the request and (unless told otherwise) the two have finished talking;
    returns the match and the volunteer's number."""
    leg = search_started(phone, exchange, carrier)
    sid = carrier.placed[0]["sid"]
    phone.post(f"/ivr/volunteer/status?leg={leg.id}", CallSid=sid, CallStatus="in-progress")
    phone.post(f"/ivr/volunteer/answer?leg={leg.id}&try=1", CallSid=sid, Digits="1")
    if conversation_over:
        phone.post(f"/ivr/volunteer/status?leg={leg.id}", CallSid=sid, CallStatus="completed")
    with exchange.db.session() as session:
        return session.scalars(select(Match)).one(), carrier.placed[0]["to"]


def tick_at(exchange, moment: datetime) -> None:
    exchange.engine.clock = lambda: moment
    exchange.engine.tick()


def follow_ups(exchange) -> dict[str, FollowUp]:
    with exchange.db.session() as session:
        return {f.side: f for f in session.scalars(select(FollowUp))}


def follow_up_calls(carrier) -> dict[str, dict]:
    """The follow-up calls placed, by who was called."""
    return {call["to"]: call for call in carrier.placed if "/ivr/followup/" in call["url"]}


def path_of(url: str) -> str:
    return url.split("8080", 1)[1]


def next_morning(match: Match) -> datetime:
    return Delay(at=time(10, 0)).due(match.matched_at)


def with_settings(exchange, **sections) -> None:
    exchange.engine.config = exchange.engine.config.replace(**sections)


def press(phone, follow_up_id: int, question: str, digits: str, attempt: int = 1):
    return phone.post(f"/ivr/followup/key?followup={follow_up_id}&question={question}"
                      f"&try={attempt}", CallSid="CAfollowup", Digits=digits)


def test_both_sides_are_called_the_next_morning_and_their_answers_reach_the_report(
        phone, exchange, carrier, caplog):
    caplog.set_level(logging.DEBUG)
    match, helper_phone = matched(phone, exchange, carrier)
    tick_at(exchange, match.matched_at + timedelta(hours=1))
    assert follow_up_calls(carrier) == {}
    rows = follow_ups(exchange)
    assert {side: row.due_at for side, row in rows.items()} == {
        "asker": next_morning(match), "helper": next_morning(match)}
    assert local(rows["asker"].due_at).time() == time(10, 0)

    tick_at(exchange, next_morning(match))
    calls = follow_up_calls(carrier)
    assert set(calls) == {CALLER, helper_phone}
    asker, helper = rows["asker"].id, rows["helper"].id
    assert path_of(calls[CALLER]["url"]) == f"/ivr/followup/answer?followup={asker}"

    greeting = phone.post(path_of(calls[CALLER]["url"]), CallSid=calls[CALLER]["sid"],
                          AnsweredBy="human")
    assert ("U vroeg onlangs hulp bij boodschappen doen en werd doorverbonden met een buur."
            in said(greeting))
    assert "Druk 1 als u geholpen bent, druk 2 als dat niet zo is." in said(greeting)
    second = press(phone, asker, "helped", "1")
    assert "Druk 1 als u graag nog eens contact hebt met deze buur" in said(second)
    assert "Dank u wel voor uw antwoorden. Tot ziens." in said(press(phone, asker,
                                                                        "wants_contact_again",
                                                                        "1"))
    heard = said(phone.post(path_of(calls[helper_phone]["url"]),
                            CallSid=calls[helper_phone]["sid"], AnsweredBy="human"))
    assert "U werd onlangs doorverbonden met een buur die hulp vroeg bij boodschappen" in heard
    assert "Druk 1 als u kon helpen, druk 2 als dat niet lukte." in heard
    assert "Dank u wel voor uw antwoorden." in said(press(phone, helper, "could_help", "2"))
    for follow_up_id in (asker, helper):
        phone.post(f"/ivr/followup/status?followup={follow_up_id}", CallSid="CAx",
                   CallStatus="completed")

    rows = follow_ups(exchange)
    assert (rows["asker"].state, rows["asker"].helped, rows["asker"].wants_contact_again) == (
        "answered", True, True)
    assert (rows["helper"].state, rows["helper"].could_help) == ("answered", False)
    assert rows["asker"].answered_at is not None
    tick_at(exchange, next_morning(match) + timedelta(days=1))
    assert len(follow_up_calls(carrier)) == 2, "no follow-up twice"

    with exchange.db.session() as session:
        month = local(match.matched_at).strftime("%Y-%m")
        report = monthly_report(session, month)
    expected = {"followups_answered": 1, "help_given": 1, "help_given_rate": 1.0,
                "wants_contact_again": 1}
    assert {key: report["total"][key] for key in expected} == expected
    segbroek = report["neighbourhoods"][0]
    assert {key: segbroek[key] for key in expected} == expected
    shared = list(csv.DictReader(io.StringIO(to_csv(report))))[-1]
    assert {key: shared[key] for key in expected} == dict.fromkeys(expected, "<5")
    full_numbers = {CALLER, helper_phone, CALLER[3:], helper_phone[3:]}
    assert not [r.getMessage() for r in caplog.records
                if any(number in r.getMessage() for number in full_numbers)]


def test_the_helpers_answer_counts_when_the_asker_gave_none(phone, exchange, carrier):
    match, _ = matched(phone, exchange, carrier)
    tick_at(exchange, next_morning(match))
    rows = follow_ups(exchange)
    press(phone, rows["helper"].id, "could_help", "1")
    phone.post(f"/ivr/followup/status?followup={rows['asker'].id}", CallSid="CAx",
               CallStatus="busy")
    with exchange.db.session() as session:
        total = monthly_report(session, local(match.matched_at).strftime("%Y-%m"))["total"]
    assert (total["followups_answered"], total["help_given"], total["help_given_rate"],
            total["wants_contact_again"]) == (1, 1, 1.0, 0)


def test_a_retried_or_duplicated_key_is_recorded_once(phone, exchange, carrier):
    match, _ = matched(phone, exchange, carrier)
    tick_at(exchange, next_morning(match))
    asker = follow_ups(exchange)["asker"].id
    first = press(phone, asker, "helped", "2")
    again = press(phone, asker, "helped", "2")
    other = press(phone, asker, "helped", "1")  # a late retry with another key changes nothing
    assert first.data == again.data == other.data
    row = follow_ups(exchange)["asker"]
    assert (row.helped, row.wants_contact_again, row.state) == (False, None, "answered")


def test_a_wrong_key_or_silence_repeats_the_question_twice_then_a_kind_goodbye(
        phone, exchange, carrier):
    match, helper_phone = matched(phone, exchange, carrier)
    tick_at(exchange, next_morning(match))
    helper = follow_ups(exchange)["helper"].id
    wrong = said(press(phone, helper, "could_help", "7"))
    assert "Die toets werkt hier niet." in wrong and "Druk 1 als u kon helpen" in wrong
    silent = press(phone, helper, "could_help", "", attempt=2)
    assert "Ik heb geen toets gehoord." in said(silent)
    assert "try=3" in silent.data.decode()
    goodbye = press(phone, helper, "could_help", "", attempt=3)
    assert said(goodbye) == "Dank u wel voor uw tijd. Tot ziens."
    assert verbs(goodbye)[-1] == "Hangup"
    phone.post(f"/ivr/followup/status?followup={helper}", CallSid="CAx", CallStatus="completed")
    row = follow_ups(exchange)["helper"]
    assert (row.state, row.outcome, row.could_help) == ("unreachable", "no_key", None)


def test_the_volunteer_hears_their_own_language(phone, exchange, carrier):
    match, helper_phone = matched(phone, exchange, carrier)
    with exchange.db.session() as session:
        session.execute(update(Participant).where(Participant.phone == helper_phone)
                        .values(languages="en;nl"))
    tick_at(exchange, next_morning(match))
    call = follow_up_calls(carrier)[helper_phone]
    heard = said(phone.post(path_of(call["url"]), CallSid=call["sid"], AnsweredBy="human"))
    assert "Press 1 if you could help, press 2 if you could not." in heard


def test_not_reached_is_tried_once_more_later_then_given_up(phone, exchange, carrier):
    match, helper_phone = matched(phone, exchange, carrier)
    due = next_morning(match)
    tick_at(exchange, due)
    helper = follow_ups(exchange)["helper"]
    answered = phone.post(f"/ivr/followup/answer?followup={helper.id}", CallSid="CAx",
                          AnsweredBy="machine_start")
    assert said(answered) == "" and verbs(answered) == ["Hangup"]
    phone.post(f"/ivr/followup/status?followup={helper.id}", CallSid="CAx",
               CallStatus="completed", AnsweredBy="machine_start")
    retry = follow_ups(exchange)["helper"]
    assert (retry.state, retry.outcome, retry.attempts) == ("due", "machine", 1)
    assert abs(retry.due_at - (utcnow() + followups.RETRY_AFTER)) < timedelta(minutes=1)

    tick_at(exchange, retry.due_at - timedelta(minutes=1))
    assert [c["to"] for c in carrier.placed].count(helper_phone) == 2  # offer + first try
    tick_at(exchange, retry.due_at)
    assert [c["to"] for c in carrier.placed].count(helper_phone) == 3
    phone.post(f"/ivr/followup/status?followup={helper.id}", CallSid="CAx", CallStatus="busy")
    assert (follow_ups(exchange)["helper"].state, follow_ups(exchange)["helper"].outcome) == (
        "unreachable", "busy")
    tick_at(exchange, retry.due_at + timedelta(days=2))
    assert [c["to"] for c in carrier.placed].count(helper_phone) == 3


def test_a_carrier_error_is_retried_a_few_times_then_given_up(phone, exchange, carrier):
    match, _ = matched(phone, exchange, carrier)
    carrier.fail_next = 100
    moment = next_morning(match)
    for _ in range(followups.MAX_PLACING_TRIES):
        tick_at(exchange, moment)
        moment += followups.CARRIER_RETRY
    rows = follow_ups(exchange)
    assert {(r.state, r.outcome, r.attempts) for r in rows.values()} == {
        ("unreachable", "carrier_error", followups.MAX_PLACING_TRIES)}
    carrier.fail_next = 0
    tick_at(exchange, moment + timedelta(days=1))
    assert follow_up_calls(carrier) == {}


def test_an_engine_dying_while_placing_never_phones_anyone_twice(phone, exchange, carrier):
    match, _ = matched(phone, exchange, carrier)
    due = next_morning(match)
    tick_at(exchange, match.matched_at)  # times the rows
    carrier.die_next = 1  # the carrier takes the first call; the engine never hears of it
    with pytest.raises(ProcessDied):
        tick_at(exchange, due)
    first = follow_up_calls(carrier)
    assert len(first) == 1
    next_engine(exchange)
    for later in (due, due + timedelta(minutes=5)):  # the other call still waits its turn
        tick_at(exchange, later)
    calls = [call["to"] for call in carrier.placed if "/ivr/followup/" in call["url"]]
    assert len(calls) == 2 and len(set(calls)) == 2, "each side phoned once"
    assert sorted((r.state, r.outcome) for r in follow_ups(exchange).values()) == [
        ("calling", None), ("unreachable", "interrupted")]


def test_follow_ups_wait_until_the_two_have_finished_talking(phone, exchange, carrier):
    with_settings(exchange, followup={"delay": "60"})
    match, _ = matched(phone, exchange, carrier, conversation_over=False)
    tick_at(exchange, match.matched_at + timedelta(minutes=10))
    assert follow_up_calls(carrier) == {}
    phone.post(f"/ivr/volunteer/status?leg={match.leg_id}", CallSid=carrier.placed[0]["sid"],
               CallStatus="completed")
    tick_at(exchange, match.matched_at + timedelta(minutes=11))
    assert len(follow_up_calls(carrier)) == 2


def test_a_conversation_whose_end_was_never_reported_counts_as_over_later(
        phone, exchange, carrier):
    with_settings(exchange, followup={"delay": "60"})
    match, _ = matched(phone, exchange, carrier, conversation_over=False)
    tick_at(exchange, match.matched_at + followups.LONGEST_CONVERSATION + timedelta(hours=1))
    assert len(follow_up_calls(carrier)) == 2


def test_a_follow_up_due_in_quiet_hours_is_moved_to_their_end(phone, exchange, carrier):
    match, _ = matched(phone, exchange, carrier)
    with_settings(exchange, followup={"delay": "next-day 22:00"},
                  matching={"quiet_hours": "21:00-08:00"})
    tick_at(exchange, match.matched_at)
    day_after = local(match.matched_at).date() + timedelta(days=2)
    assert {r.due_at for r in follow_ups(exchange).values()} == {utc(day_after, 8)}
    tick_at(exchange, utc(day_after, 7, 59))
    assert follow_up_calls(carrier) == {}
    tick_at(exchange, utc(day_after, 8))
    assert len(follow_up_calls(carrier)) == 2


def test_the_neighbourhoods_own_quiet_hours_win(phone, exchange, carrier):
    match, _ = matched(phone, exchange, carrier)
    with_settings(exchange, followup={"delay": "next-day 22:00"},
                  matching={"quiet_hours": "21:00-08:00"})
    with exchange.db.session() as session:
        session.execute(update(Neighbourhood).values(quiet_hours="22:30-09:30"))
    tick_at(exchange, match.matched_at)
    next_day = local(match.matched_at).date() + timedelta(days=1)
    assert {r.due_at for r in follow_ups(exchange).values()} == {utc(next_day, 22)}


def test_a_follow_up_outside_availability_waits_for_the_next_window(phone, exchange, carrier):
    match, helper_phone = matched(phone, exchange, carrier)
    with exchange.db.session() as session:
        session.execute(update(Participant).where(Participant.phone == helper_phone)
                        .values(availability="mo 14:00-15:00"))
    tick_at(exchange, match.matched_at)
    next_day = local(match.matched_at).date() + timedelta(days=1)
    monday = next_day + timedelta(days=(0 - next_day.weekday()) % 7)
    rows = follow_ups(exchange)
    assert rows["helper"].due_at == utc(monday, 14)
    assert rows["asker"].due_at == next_morning(match)


def test_availability_changed_after_timing_is_respected_when_due(phone, exchange, carrier):
    match, helper_phone = matched(phone, exchange, carrier)
    tick_at(exchange, match.matched_at)
    with exchange.db.session() as session:
        session.execute(update(Participant).where(Participant.phone == helper_phone)
                        .values(availability="mo-su 18:00-19:00"))
    tick_at(exchange, next_morning(match))
    assert set(follow_up_calls(carrier)) == {CALLER}
    evening = utc(local(next_morning(match)).date(), 18)
    assert follow_ups(exchange)["helper"].due_at == evening
    tick_at(exchange, evening)
    assert set(follow_up_calls(carrier)) == {CALLER, helper_phone}


def test_an_asker_is_called_without_call_consent_a_helper_is_not(phone, exchange, carrier):
    match, helper_phone = matched(phone, exchange, carrier)
    with exchange.db.session() as session:
        # Call consent is about being rung as a helper; the asker phoned us about this request.
        session.execute(update(Participant).where(Participant.phone.in_((CALLER, helper_phone)))
                        .values(call_consent=False))
    tick_at(exchange, next_morning(match))
    assert set(follow_up_calls(carrier)) == {CALLER}
    assert follow_ups(exchange)["helper"].outcome == "no_consent"


def test_an_opted_out_or_erased_participant_is_not_called(phone, exchange, carrier):
    match, helper_phone = matched(phone, exchange, carrier)
    with exchange.db.session() as session:
        session.execute(update(Participant).where(Participant.phone == CALLER)
                        .values(opted_out=True))
        erase_participant(session, helper_phone, match.matched_at)
    tick_at(exchange, next_morning(match))
    assert follow_up_calls(carrier) == {}
    assert {side: (row.state, row.outcome) for side, row in follow_ups(exchange).items()} == {
        "asker": ("skipped", "opted_out"), "helper": ("skipped", "erased")}


def test_an_undone_match_takes_its_follow_ups_with_it(phone, exchange, carrier):
    matched(phone, exchange, carrier)
    with exchange.db.session() as session:
        session.execute(delete(Match))  # as a call-back that did not connect
    with exchange.db.session() as session:
        assert session.scalar(select(func.count()).select_from(FollowUp)) == 0


def test_the_request_page_shows_the_answers(phone, exchange, carrier, coordinator):
    match, _ = matched(phone, exchange, carrier)
    tick_at(exchange, next_morning(match))
    rows = follow_ups(exchange)
    press(phone, rows["asker"].id, "helped", "1")
    press(phone, rows["asker"].id, "wants_contact_again", "2")
    page = coordinator.get(f"/admin/requests/{match.request_id}").text
    assert "Nabelgesprekken" in page
    assert "Geholpen: ja" in page and "Wil nog eens contact: nee" in page
    assert "Wordt nu gebeld" in page  # the helper's call


def test_an_unknown_follow_up_hears_no_questions(phone):
    response = phone.post("/ivr/followup/answer?followup=999", CallSid=CALL, AnsweredBy="human")
    assert verbs(response) == ["Hangup"]
    assert phone.post("/ivr/followup/status?followup=999", CallSid=CALL,
                      CallStatus="completed").status_code == 204
    assert phone.post("/ivr/followup/answer?followup=1", signature="bad",
                      CallSid=CALL).status_code == 403


def test_a_voicemail_verdict_on_a_follow_up_hangs_up_and_tries_again_later(phone, exchange,
                                                                           carrier):
    match, helper_phone = matched(phone, exchange, carrier)
    tick_at(exchange, next_morning(match))
    call = follow_up_calls(carrier)[helper_phone]
    assert call["machine_detection_url"].endswith(
        f"/ivr/followup/amd/status?followup={follow_ups(exchange)['helper'].id}")
    helper = follow_ups(exchange)["helper"]
    heard = said(phone.post(f"/ivr/followup/answer?followup={helper.id}", CallSid=call["sid"]))
    assert "Druk 1" in heard, "no verdict yet: the person hears the question at once"
    phone.post(f"/ivr/followup/amd/status?followup={helper.id}", CallSid=call["sid"],
               AnsweredBy="machine_end_beep")
    tick_at(exchange, next_morning(match))
    assert (call["sid"], True) in carrier.ended
    phone.post(f"/ivr/followup/status?followup={helper.id}", CallSid=call["sid"],
               CallStatus="completed")
    retry = follow_ups(exchange)["helper"]
    assert (retry.state, retry.outcome) == ("due", "machine")
