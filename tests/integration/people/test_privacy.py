"""AVG: a person's data can be exported and erased; old call data is anonymised."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from click.testing import CliRunner
from sqlalchemy import func, select

from bhc.cli import main
from bhc.db import utcnow
from bhc.models import (
    CallLeg,
    FollowUp,
    HelpRequest,
    Match,
    Participant,
    RegistrationCallback,
    SignUp,
)
from bhc.people.privacy import anonymise_old_calls, erase_participant, export_participant
from tests.integration.conftest import CALLER

HELPER = "+31612340001"


def a_match(session, when: datetime, call_sid: str) -> None:
    asker = session.scalar(select(Participant).where(Participant.phone == CALLER))
    helper = session.scalar(select(Participant).where(Participant.phone == HELPER))
    request = HelpRequest(call_sid=call_sid, neighbourhood_id=1, caller_id=asker.id,
                          category_slug="groceries", state="matched", created_at=when,
                          searching_since=when)
    session.add(request)
    session.flush()
    leg = CallLeg(request_id=request.id, volunteer_id=helper.id, sid=f"CAleg{call_sid}",
                  status="completed", outcome="accepted", placed_at=when)
    session.add(leg)
    session.flush()
    session.add(Match(request_id=request.id, leg_id=leg.id, helper_id=helper.id,
                      asker_id=asker.id, matched_at=when, time_to_match_s=30,
                      volunteers_rung=1))


def counts(session) -> tuple[int, int, int]:
    return tuple(session.scalar(select(func.count()).select_from(model))
                 for model in (HelpRequest, CallLeg, Match))


def test_export_holds_registration_requests_calls_and_matches(exchange):
    with exchange.db.session() as session:
        a_match(session, utcnow(), "CA1")
        data = export_participant(session, "06-12340001")
    assert data["participant"]["phone"] == HELPER
    assert data["participant"]["neighbourhood"] == "Segbroek"
    assert data["calls_received_as_volunteer"][0]["outcome"] == "accepted"
    assert data["matches"][0]["role"] == "helper"


def test_erase_removes_the_person_and_keeps_report_totals(exchange):
    with exchange.db.session() as session:
        a_match(session, utcnow(), "CA1")
        before = counts(session)
        erase_participant(session, HELPER, utcnow())
    with exchange.db.session() as session:
        assert session.scalar(select(Participant).where(Participant.phone == HELPER)) is None
        erased = session.scalar(select(Participant).where(Participant.phone.like("erased-%")))
        assert (erased.name, erased.postcode, erased.category_slugs) == ("", "", set())
        assert not erased.call_consent and erased.opted_out
        assert counts(session) == before
        assert session.scalar(select(CallLeg)).sid is None


def test_retention_anonymises_what_is_old_and_nothing_else(exchange):
    now = utcnow()
    with exchange.db.session() as session:
        a_match(session, now - timedelta(days=800), "CAold")
        a_match(session, now - timedelta(days=10), "CAnew")
    with exchange.db.session() as session:
        done = anonymise_old_calls(session, now, retention_months=24)
        assert (done.requests, done.legs) == (1, 1)
    with exchange.db.session() as session:
        old, new = session.scalars(select(HelpRequest).order_by(HelpRequest.created_at)).all()
        assert old.caller_id is None and old.call_sid.startswith("anon-")
        assert new.caller_id is not None and new.call_sid == "CAnew"
        legs = session.scalars(select(CallLeg).order_by(CallLeg.placed_at)).all()
        assert (legs[0].sid, legs[0].volunteer_id) == (None, None)
        assert legs[1].sid == "CAlegCAnew"
        assert counts(session) == (2, 2, 2)


def test_cli_export_and_erase(exchange, tmp_path):
    runner = CliRunner()
    env = {"BHC_DATABASE_URL": exchange.config.database.url}
    exported = runner.invoke(main, ["export-participant", "0612340001"], env=env)
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.output)["participant"]["phone"] == HELPER
    erased = runner.invoke(main, ["erase-participant", "0612340001", "--yes"], env=env)
    assert erased.exit_code == 0 and "****0001" in erased.output
    again = runner.invoke(main, ["erase-participant", "0612340001", "--yes"], env=env)
    assert again.exit_code == 1 and "no participant" in again.output


def a_follow_up_and_a_sign_up(session, when: datetime, phone: str = HELPER) -> None:
    """The helper's answered follow-up of the latest match, the web sign-up they came in
    through, and an unregistered caller's wish to be called to register."""
    match = session.scalar(select(Match).order_by(Match.id.desc()))
    session.add(FollowUp(match_id=match.id, side="helper", state="answered",
                         call_sid=f"CAfollow{match.id}", could_help=True, answered_at=when))
    session.add(SignUp(neighbourhood_id=1, name="Ria", phone=phone, postcode="2551AB",
                       house_number="7", is_helper=True, state="approved", consent_at=when,
                       created_at=when, call_sid=f"CAverify{match.id}"))
    session.add(RegistrationCallback(neighbourhood_id=1, phone="+31612349999",
                                     requested_at=when))


def test_export_holds_follow_up_answers_and_the_web_sign_up(exchange):
    with exchange.db.session() as session:
        a_match(session, utcnow(), "CA1")
        a_follow_up_and_a_sign_up(session, utcnow())
        data = export_participant(session, HELPER)
    assert data["follow_up_calls"][0]["as"] == "helper"
    assert data["follow_up_calls"][0]["could_help"] is True
    assert data["web_sign_ups"][0]["name"] == "Ria"
    assert data["web_sign_ups"][0]["consent_given_at"] is not None


def test_erase_also_clears_the_sign_up_and_the_follow_up_call(exchange):
    with exchange.db.session() as session:
        a_match(session, utcnow(), "CA1")
        a_follow_up_and_a_sign_up(session, utcnow())
        erase_participant(session, HELPER, utcnow())
    with exchange.db.session() as session:
        sign_up = session.scalar(select(SignUp))
        assert (sign_up.name, sign_up.phone, sign_up.postcode, sign_up.call_sid) == (
            "", "", "", None)
        assert sign_up.state == "approved"  # it still counts as a sign-up
        follow_up = session.scalar(select(FollowUp))
        assert follow_up.call_sid is None and follow_up.could_help is True
        # someone else's wish to be called is not theirs to erase
        assert session.scalar(select(RegistrationCallback)).phone == "+31612349999"


def test_retention_clears_old_sign_ups_follow_ups_and_registration_requests(exchange):
    now = utcnow()
    with exchange.db.session() as session:
        a_match(session, now - timedelta(days=800), "CAold")
        a_follow_up_and_a_sign_up(session, now - timedelta(days=800))
        a_match(session, now - timedelta(days=10), "CAnew")
        a_follow_up_and_a_sign_up(session, now - timedelta(days=10), phone="+31612340002")
    with exchange.db.session() as session:
        anonymise_old_calls(session, now, retention_months=24)
    with exchange.db.session() as session:
        old_sign_up, new_sign_up = session.scalars(select(SignUp).order_by(SignUp.id)).all()
        assert (old_sign_up.name, old_sign_up.phone) == ("", "")
        assert (new_sign_up.name, new_sign_up.phone) == ("Ria", "+31612340002")
        old_follow_up, new_follow_up = session.scalars(select(FollowUp).order_by(FollowUp.id))
        assert old_follow_up.call_sid is None and new_follow_up.call_sid is not None
        old_wish, new_wish = session.scalars(select(RegistrationCallback)
                                             .order_by(RegistrationCallback.id)).all()
        assert (old_wish.phone, new_wish.phone) == ("", "+31612349999")
