"""The demo's sample data: loads cleanly and again without duplicates."""

from sqlalchemy import func, select

from bhc.db import utcnow
from bhc.demo.setup import DEMO_USER, seed
from bhc.models import HelpRequest, Neighbourhood, Participant, User
from bhc.reports.monthly import monthly_report, previous_month


def test_seeding_twice_gives_one_neighbourhood_twenty_volunteers_and_a_demo_user(exchange):
    seed(exchange)
    seed(exchange)
    with exchange.db.session() as session:
        demo = session.scalar(select(Neighbourhood).where(Neighbourhood.name == "Segbroek"))
        helpers = session.scalar(select(func.count()).select_from(Participant).where(
            Participant.neighbourhood_id == demo.id, Participant.is_helper.is_(True)))
        assert helpers >= 20
        assert session.scalar(select(User).where(User.email == DEMO_USER[0])).role == "admin"


def test_the_demo_has_three_months_of_history_for_the_report(exchange):
    seed(exchange)
    with exchange.db.session() as session:
        before = session.scalar(select(func.count()).select_from(HelpRequest))
    seed(exchange)
    with exchange.db.session() as session:
        assert session.scalar(select(func.count()).select_from(HelpRequest)) == before
        # Every generated request lies in the past, before today's demo calls.
        assert session.scalar(select(func.max(HelpRequest.created_at))) < utcnow()
        report = monthly_report(session, previous_month(utcnow()))
    total = report["total"]
    assert total["requests"] > 10 and 0 < total["matches"] <= total["requests"]
    assert total["followups_answered"] > 0 and total["help_given_rate"] is not None
    assert total["participants"] >= 20
    assert report["survey"], "the sample survey waves are there"
