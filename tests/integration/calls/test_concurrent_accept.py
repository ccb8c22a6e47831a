"""Several volunteers pressing 1 in the same instant: exactly one match, the others are told.

Each press runs in its own thread and its own session (as concurrent webhook requests do), all
released at once by a barrier; repeated a few dozen times, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from datetime import timedelta

from sqlalchemy import func, select

from bhc.calls import volunteer as offers
from bhc.db import utcnow
from bhc.models import CallLeg, HelpRequest, Match, Participant, RequestState
from tests.integration.conftest import CALLER, EXCHANGE, SignedClient, volunteer

PRESSERS = 8
ROUNDS = 30
WEBHOOK_ROUNDS = 12
TAKEN_TEXT = "Een andere buur heeft deze vraag net aangenomen."


def add_volunteers(exchange, count: int) -> list[int]:
    with exchange.db.session() as session:
        for i in range(count):
            volunteer(session, 1, f"+316555{i:05d}")
    with exchange.db.session() as session:
        return list(session.scalars(select(Participant.id).where(
            Participant.phone.like("+316555%")).order_by(Participant.id)))


def request_with_live_legs(exchange, round_: int, volunteer_ids: list[int]) -> list[int]:
    """A searching request whose volunteers have all answered and hear the offer."""
    now = utcnow()
    with exchange.db.session() as session:
        request = HelpRequest(call_sid=f"CA{round_:032d}", neighbourhood_id=1,
                              category_slug="groceries", state=RequestState.SEARCHING,
                              created_at=now - timedelta(seconds=30),
                              searching_since=now - timedelta(seconds=20))
        session.add(request)
        session.flush()
        legs = [CallLeg(request_id=request.id, volunteer_id=volunteer_id,
                        sid=f"CA{round_:016d}{i:016d}", status="in-progress",
                        placed_at=now - timedelta(seconds=10),
                        answered_at=now - timedelta(seconds=5))
                for i, volunteer_id in enumerate(volunteer_ids)]
        session.add_all(legs)
        session.flush()
        return [leg.id for leg in legs]


def at_once(work, args: list) -> list:
    """Run work(arg) for every arg in its own thread, all released by one barrier."""
    barrier = threading.Barrier(len(args))
    results: list = [None] * len(args)
    errors: list[BaseException] = []

    def run(index: int, arg) -> None:
        try:
            barrier.wait(timeout=60)  # only bounds a hang: the threads start in milliseconds
            results[index] = work(arg)
        except BaseException as exc:  # reported below, with the failing thread's error
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, arg)) for i, arg in enumerate(args)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, f"a concurrent press failed: {errors[0]!r}"
    assert not any(thread.is_alive() for thread in threads), "a press never finished"
    return results


def assert_one_winner(exchange, leg_ids: list[int]) -> int:
    """Exactly one Match and one accepted leg for the request; returns the winning leg."""
    with exchange.db.session() as session:
        request_id = session.get(CallLeg, leg_ids[0]).request_id
        request = session.get(HelpRequest, request_id)
        assert request.state == RequestState.MATCHED
        matches = session.scalars(select(Match).where(Match.request_id == request_id)).all()
        assert len(matches) == 1, f"request {request_id} has {len(matches)} matches"
        outcomes = dict(session.execute(
            select(CallLeg.id, CallLeg.outcome).where(CallLeg.request_id == request_id)).all())
    accepted = [leg_id for leg_id, outcome in outcomes.items() if outcome == "accepted"]
    assert accepted == [matches[0].leg_id], outcomes
    assert all(outcome in ("accepted", "taken", None) for outcome in outcomes.values()), outcomes
    return accepted[0]


def test_of_several_simultaneous_ones_exactly_one_wins(exchange):
    volunteers = add_volunteers(exchange, PRESSERS)

    def press(leg_id: int) -> offers.OfferView:
        with exchange.db.session() as session:
            return offers.press(session, leg_id, "1", utcnow())

    for round_ in range(ROUNDS):
        leg_ids = request_with_live_legs(exchange, round_, volunteers)
        views = at_once(press, leg_ids)
        winner = assert_one_winner(exchange, leg_ids)
        kinds = {leg_id: view.kind for leg_id, view in zip(leg_ids, views)}
        assert kinds.pop(winner) == offers.OfferKind.ACCEPTED
        assert set(kinds.values()) == {offers.OfferKind.TAKEN}, f"round {round_}: {kinds}"

    with exchange.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Match)) == ROUNDS


def test_through_the_webhooks_one_is_connected_and_the_others_hear_it_was_taken(exchange):
    volunteers = add_volunteers(exchange, PRESSERS)
    phone = SignedClient(exchange)

    def press(leg_id: int):
        client = phone.client.application.test_client()  # one client per thread
        path = f"/ivr/volunteer/answer?leg={leg_id}&try=1"
        form = {"CallSid": f"CAleg{leg_id}", "Digits": "1"}
        signature = phone.validator.compute_signature(phone.base + path, form)
        return client.post(path, data=form, headers={"X-Twilio-Signature": signature})

    for round_ in range(WEBHOOK_ROUNDS):
        leg_ids = request_with_live_legs(exchange, 1000 + round_, volunteers)
        responses = at_once(press, leg_ids)
        assert all(response.status_code == 200 for response in responses)
        winner = assert_one_winner(exchange, leg_ids)
        for leg_id, response in zip(leg_ids, responses):
            root = ET.fromstring(response.data)
            spoken = " ".join("".join(node.itertext()) for node in root.iter("Say"))
            if leg_id == winner:
                assert root.find("Dial/Queue") is not None, spoken
            else:
                assert root.find("Dial") is None and TAKEN_TEXT in spoken, spoken


def test_a_winner_who_hangs_up_before_the_bridge_does_not_leave_the_caller_waiting(
        phone, exchange, carrier):
    """Found by tests/e2e/test_city_deployment.py: the caller would have waited for ever."""
    call = "CA" + "d" * 32
    phone.post("/ivr/voice", CallSid=call, To=EXCHANGE, From=CALLER)
    phone.post("/ivr/menu?try=1", CallSid=call, Digits="1")
    exchange.engine.tick()
    leg_sid = carrier.placed[0]["sid"]
    leg_id = int(carrier.placed[0]["url"].rsplit("=", 1)[1])
    phone.post(f"/ivr/volunteer/offer?leg={leg_id}", CallSid=leg_sid, AnsweredBy="human")
    accepted = phone.post(f"/ivr/volunteer/answer?leg={leg_id}&try=1", CallSid=leg_sid,
                          Digits="1")
    assert ET.fromstring(accepted.data).find("Dial/Queue") is not None
    # The volunteer's call ends before their <Dial><Queue> ever ran: nobody will bridge.
    phone.post(f"/ivr/volunteer/status?leg={leg_id}", CallSid=leg_sid, CallStatus="completed")
    hold = phone.post("/ivr/caller/hold", CallSid=call, QueueSid="QU1", QueueTime="30")
    assert "We zoeken nog naar een buur" in hold.get_data(as_text=True)
    with exchange.db.session() as session:
        request = session.scalar(select(HelpRequest).where(HelpRequest.call_sid == call))
        assert request.state == "searching"
        assert session.scalar(select(func.count()).select_from(Match)) == 0
        assert session.get(CallLeg, leg_id).outcome == "left_before_bridge"
    exchange.engine.tick()
    assert len(carrier.placed) == 2 and carrier.placed[1]["to"] != carrier.placed[0]["to"]
