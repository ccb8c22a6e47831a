"""Blocked numbers: blocked on the page, refused on the phone, unblocked after a confirmation."""

from __future__ import annotations

from sqlalchemy import func, select

from bhc.models import AuditLog, BlockedNumber, HelpRequest
from tests.admin.conftest import OTHER_VOLUNTEER
from tests.admin.helpers import participant_id
from tests.integration.conftest import CALLER, EXCHANGE, SignedClient
from tests.integration.test_webhooks import said

MASKED_CALLER = "+31 7 ****1234"
BLOCKED_MESSAGE = "Met dit nummer kunt u de burenhulpcentrale niet gebruiken."


def block(client, number, reason="scheldt vrijwilligers uit"):
    return client.post("/admin/blocked", data={"number": number, "reason": reason},
                       follow_redirects=True)


def call_in(exchange, sid):
    return SignedClient(exchange).post("/ivr/voice", CallSid=sid, To=EXCHANGE, From=CALLER)


def requests_made(exchange) -> int:
    with exchange.db.session() as session:
        return session.scalar(select(func.count()).select_from(HelpRequest))


def blocked_id(exchange) -> int:
    with exchange.db.session() as session:
        return session.scalar(select(BlockedNumber.id))


def test_a_blocked_number_hears_the_message_until_it_is_unblocked(coordinator, exchange):
    response = block(coordinator, "070 - 356 12 34")
    assert "Het nummer is geblokkeerd" in response.text
    assert MASKED_CALLER in response.text
    assert "scheldt vrijwilligers uit" in response.text
    assert "<td>Coco</td>" in response.text
    assert CALLER not in response.text
    assert BLOCKED_MESSAGE in said(call_in(exchange, "CA" + "1" * 32))
    assert requests_made(exchange) == 0

    confirm = coordinator.get(f"/admin/blocked/{blocked_id(exchange)}/unblock")
    assert f"{MASKED_CALLER} deblokkeren?" in confirm.text
    assert blocked_id(exchange) is not None, "showing the question changes nothing"
    done = coordinator.post(f"/admin/blocked/{blocked_id(exchange)}/unblock",
                            follow_redirects=True)
    assert "De blokkade is opgeheven" in done.text
    assert "Er zijn geen nummers geblokkeerd." in done.text
    assert BLOCKED_MESSAGE not in said(call_in(exchange, "CA" + "2" * 32))
    assert requests_made(exchange) == 1


def test_block_and_unblock_are_audited_without_the_full_number(coordinator, exchange):
    block(coordinator, CALLER)
    coordinator.post(f"/admin/blocked/{blocked_id(exchange)}/unblock")
    with exchange.db.session() as session:
        entries = session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
        assert [(e.action, e.object_type) for e in entries] == [
            ("block", "blocked_number"), ("unblock", "blocked_number")]
        assert all(e.user_id is not None for e in entries)
        assert all(e.summary == f"{MASKED_CALLER}: scheldt vrijwilligers uit"
                   for e in entries)


def test_an_invalid_or_already_blocked_number_gets_a_clear_message(coordinator, exchange):
    invalid = block(coordinator, "12345")
    assert "12345 is geen geldig telefoonnummer. Schrijf het als 06 12345678" in invalid.text
    assert blocked_id(exchange) is None
    block(coordinator, CALLER)
    again = block(coordinator, "+31 70 356 1234")
    assert "Dit nummer is al geblokkeerd." in again.text
    no_reason = block(coordinator, "0612345678", reason="")
    assert "Er is niets geblokkeerd: vul het nummer en een reden in." in no_reason.text
    with exchange.db.session() as session:
        assert session.scalar(select(func.count()).select_from(BlockedNumber)) == 1
        assert session.scalar(select(func.count()).select_from(AuditLog)) == 1


def test_unblocking_twice_says_the_block_is_gone(coordinator, exchange):
    block(coordinator, CALLER)
    number_id = blocked_id(exchange)
    coordinator.post(f"/admin/blocked/{number_id}/unblock")
    again = coordinator.post(f"/admin/blocked/{number_id}/unblock", follow_redirects=True)
    assert "Dit nummer is niet meer geblokkeerd." in again.text
    assert coordinator.get(f"/admin/blocked/{number_id}/unblock").status_code == 404


def test_a_participants_page_offers_to_block_their_number(coordinator, exchange):
    caller = participant_id(exchange, CALLER)
    form = coordinator.get(f"/admin/blocked?participant={caller}")
    assert f'value="{CALLER}"' in form.text
    block(coordinator, CALLER)
    page = coordinator.get(f"/admin/participants/{caller}").text
    assert "Dit nummer is geblokkeerd" in page


def test_any_coordinator_may_block_but_not_open_others_participants(coordinator, exchange):
    other = participant_id(exchange, OTHER_VOLUNTEER)
    assert coordinator.get(f"/admin/blocked?participant={other}").status_code == 403
    assert "Het nummer is geblokkeerd" in block(coordinator, OTHER_VOLUNTEER).text


def test_admins_see_and_lift_blocks_made_by_coordinators(coordinator, admin, exchange):
    block(coordinator, CALLER)
    listed = admin.get("/admin/blocked").text
    assert MASKED_CALLER in listed and "<td>Coco</td>" in listed
    admin.post(f"/admin/blocked/{blocked_id(exchange)}/unblock")
    assert blocked_id(exchange) is None
