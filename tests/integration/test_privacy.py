"""AVG: a person's data can be exported and erased; old call data is anonymised."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from click.testing import CliRunner
from sqlalchemy import func, select

from bhc.cli import main
from bhc.db import utcnow
from bhc.models import CallLeg, HelpRequest, Match, Participant
from bhc.privacy import anonymise_old_calls, erase_participant, export_participant
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
