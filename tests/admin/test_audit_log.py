"""The audit log: admins read it; a volunteer's own changes by phone show as 'by phone'."""

from __future__ import annotations

from datetime import timedelta

from bhc.audit import services as audit
from bhc.db import utcnow
from bhc.models import CallLeg
from tests.integration.conftest import SignedClient
from tests.integration.test_webhooks import search_started


def press_9_during_an_offer(exchange, carrier) -> int:
    """A volunteer pauses themselves for a week from the call offer; returns their id."""
    phone = SignedClient(exchange)
    leg = search_started(phone, exchange, carrier)
    phone.post(f"/ivr/volunteer/answer?leg={leg.id}&try=1", CallSid=carrier.placed[0]["sid"],
               Digits="9")
    with exchange.db.session() as session:
        return session.get(CallLeg, leg.id).volunteer_id


def test_a_pause_by_phone_shows_on_the_participant_as_by_phone(coordinator, exchange, carrier):
    volunteer_id = press_9_during_an_offer(exchange, carrier)
    page = coordinator.get(f"/admin/participants/{volunteer_id}").text
    assert "Gepauzeerd: wordt vanaf" in page
    assert "<td>per telefoon</td>" in page
    assert "een week gepauzeerd (drukte 9 tijdens een hulpoproep)" in page
    listed = coordinator.get("/admin/participants").text
    assert "gepauzeerd tot" in listed


def test_the_audit_log_shows_changes_newest_first_with_who_made_them(admin, exchange, carrier):
    press_9_during_an_offer(exchange, carrier)
    admin.post("/admin/blocked", data={"number": "0612345678", "reason": "spam"})
    page = admin.get("/admin/audit").text
    assert page.index("nummer geblokkeerd") < page.index("per telefoon"), "newest first"
    assert "<td>Ada</td>" in page
    assert "+31612345678" not in page and "+31 6 ****5678: spam" in page
    english = admin.get("/admin/language/en?next=/admin/audit", follow_redirects=True).text
    assert "<td>by phone</td>" in english
    assert "paused for a week (pressed 9 during a call offer)" in english


def test_the_audit_log_pages_fifty_entries_at_a_time(admin, exchange):
    start = utcnow() - timedelta(days=1)
    with exchange.db.session() as session:
        for minute in range(60):
            audit.record(session, user_id=None, action="create", object_type="user",
                         object_id=minute, summary=f"entry {minute:02d}",
                         now=start + timedelta(minutes=minute))
    first = admin.get("/admin/audit").text
    assert "entry 59" in first and "entry 10" in first and "entry 09" not in first
    assert "Pagina 1 van 2" in first
    second = admin.get("/admin/audit?page=2").text
    assert "entry 09" in second and "entry 10" not in second


def test_only_admins_see_the_audit_log(coordinator, admin):
    refused = coordinator.get("/admin/audit")
    assert refused.status_code == 403
    assert "Alleen beheerders mogen deze pagina zien." in refused.text
    assert "/admin/audit" not in coordinator.get("/admin/").text
    assert "/admin/audit" in admin.get("/admin/").text
    assert "/admin/blocked" in coordinator.get("/admin/").text
