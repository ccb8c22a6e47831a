"""The demo's sample data: loads cleanly and again without duplicates."""

from sqlalchemy import func, select

from bhc.demo import DEMO_USER, seed
from bhc.models import Neighbourhood, Participant, User


def test_seeding_twice_gives_one_neighbourhood_twenty_volunteers_and_a_demo_user(exchange):
    seed(exchange)
    seed(exchange)
    with exchange.db.session() as session:
        demo = session.scalar(select(Neighbourhood).where(Neighbourhood.name == "Segbroek"))
        helpers = session.scalar(select(func.count()).select_from(Participant).where(
            Participant.neighbourhood_id == demo.id, Participant.is_helper.is_(True)))
        assert helpers >= 20
        assert session.scalar(select(User).where(User.email == DEMO_USER[0])).role == "admin"
