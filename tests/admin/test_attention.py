"""The pages of "needs attention": the menu's count, the list, an item with its timeline and
the full number for a coordinator of its neighbourhood (audited), closing it with a note."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from bhc.attention import services as attention
from bhc.attention.models import AttentionItem
from bhc.db import utcnow
from bhc.models import AuditLog, HelpRequest
from tests.admin.conftest import add_user, sign_in
from tests.integration.attention.seeding import ended_request, leg, person_id
from tests.integration.conftest import CALLER

COUNT = re.compile(r'id="attention-count" class="badge( waiting)?" data-live>(\d+)<')


def _unmatched(exchange, neighbourhood_id: int, caller: str | None = CALLER) -> int:
    """An unmatched request of ten minutes ago, with one volunteer who declined; its item."""
    now = utcnow()
    with exchange.db.session() as session:
        request = ended_request(session, neighbourhood_id,
                                person_id(session, caller) if caller else None,
                                now - timedelta(minutes=10), "unmatched", "all_declined")
        leg(session, request, person_id(session, "+31612340001"),
            now - timedelta(minutes=9), "declined", answered=True)
        attention.sweep(session, now)
        return session.scalar(select(AttentionItem.id).where(
            AttentionItem.ref_id == request.id))


def _count(page: str) -> int:
    return int(COUNT.search(page).group(2))


def _viewings(exchange, item_id: int) -> int:
    with exchange.db.session() as session:
        return len(session.scalars(select(AuditLog).where(
            AuditLog.action == attention.NUMBER_VIEWED, AuditLog.object_id == item_id)).all())


def test_every_page_counts_what_needs_attention_in_the_users_neighbourhoods(
        coordinator, admin, exchange, neighbourhoods):
    assert _count(coordinator.get("/admin/participants").text) == 0
    _unmatched(exchange, neighbourhoods["Segbroek"])
    _unmatched(exchange, neighbourhoods["Duinoord"], caller="+31612349999")
    for path in ("/admin/", "/admin/participants", "/admin/report", "/admin/requests"):
        assert _count(coordinator.get(path).text) == 1, path
    assert 'class="badge waiting"' in coordinator.get("/admin/").text
    assert _count(admin.get("/admin/blocked").text) == 2


def test_the_list_shows_the_item_and_opening_it_shows_the_number_once_audited(
        coordinator, exchange, neighbourhoods):
    item_id = _unmatched(exchange, neighbourhoods["Segbroek"])
    listing = coordinator.get("/admin/attention").text
    assert "Geen match" in listing and f"/admin/attention/{item_id}" in listing
    assert CALLER not in listing and "+31 7 ****1234" in listing  # masked in the list
    page = coordinator.get(f"/admin/attention/{item_id}").text
    assert f'href="tel:{CALLER}"' in page
    assert "Niemand kon deze bewoner helpen." in page
    assert "Volunteer 0001 +31 6 ****0001" in page and "afgeslagen (drukte 2)" in page
    assert _viewings(exchange, item_id) == 1
    coordinator.get(f"/admin/attention/{item_id}")
    assert _viewings(exchange, item_id) == 1  # the same viewing, minutes later
    assert "zag het hele telefoonnummer" in coordinator.get(f"/admin/attention/{item_id}").text


def _failed_wait_and_hang_up(exchange, neighbourhood_id: int) -> tuple[HelpRequest, int, int]:
    """Two requests abandoned on hold: one whose wait the carrier broke off (wait_failed), one
    whose caller hung up; the first, and the two items' ids."""
    now = utcnow()
    with exchange.db.session() as session:
        failed = ended_request(session, neighbourhood_id, person_id(session, CALLER),
                               now - timedelta(minutes=10), "abandoned", "wait_failed")
        hung_up = ended_request(session, neighbourhood_id, person_id(session, "+31612349999"),
                                now - timedelta(minutes=8), "abandoned", "caller_hung_up")
        attention.sweep(session, now)
        items = dict(session.execute(select(AttentionItem.ref_id, AttentionItem.id)).all())
        return failed, items[failed.id], items[hung_up.id]


def test_a_wait_the_carrier_broke_off_says_so_instead_of_a_hang_up(coordinator, exchange,
                                                                 neighbourhoods):
    """Both are items of the kind "abandoned"; the page of the first tells the coordinator
    that the exchange, not the resident, broke off."""
    failed, failed_item, hung_up_item = _failed_wait_and_hang_up(exchange,
                                                                 neighbourhoods["Segbroek"])
    page = coordinator.get(f"/admin/attention/{failed_item}").text
    assert "<h1>Wachten afgebroken door een storing bij de telefonie</h1>" in page
    assert "door een storing bij de telefonie brak het wachten af" in page
    assert "hing op tijdens het wachten op een vrijwilliger" not in page
    assert "de centrale kon de beller niet doorverbinden" in coordinator.get(
        f"/admin/requests/{failed.id}").text
    page = coordinator.get(f"/admin/attention/{hung_up_item}").text
    assert "<h1>Opgehangen tijdens het wachten</h1>" in page
    assert "hing op tijdens het wachten op een vrijwilliger" in page


def test_the_list_names_a_wait_the_carrier_broke_off_in_dutch_and_in_english(
        coordinator, exchange, neighbourhoods):
    failed, failed_item, hung_up_item = _failed_wait_and_hang_up(exchange,
                                                                 neighbourhoods["Segbroek"])
    listing = coordinator.get("/admin/attention").text
    assert f"melding {failed_item}: Wachten afgebroken door een storing bij de telefonie" \
        in listing
    assert "<td>Wachten afgebroken door een storing bij de telefonie</td>" in listing
    # An ordinary hang-up on hold keeps its label, on its own row only.
    assert f"melding {hung_up_item}: Opgehangen tijdens het wachten" in listing
    assert listing.count("<td>Opgehangen tijdens het wachten</td>") == 1
    coordinator.get("/admin/language/en")
    listing = coordinator.get("/admin/attention").text
    assert f"item {failed_item}: Wait broken off by the carrier" in listing
    assert "<td>Wait broken off by the carrier</td>" in listing
    assert f"item {hung_up_item}: Hung up while waiting" in listing
    assert listing.count("<td>Hung up while waiting</td>") == 1
    caller = coordinator.get(f"/admin/participants/{failed.caller_id}").text
    assert "Wait broken off by the carrier, " in caller and "Hung up while waiting" not in caller


def test_a_volunteers_item_on_a_failed_wait_keeps_its_own_label_and_advice(
        coordinator, exchange, neighbourhoods):
    """The outcome names only items about how the request ended, not a volunteer's item
    that points at the same request."""
    now = utcnow()
    with exchange.db.session() as session:
        failed = ended_request(session, neighbourhoods["Segbroek"], person_id(session, CALLER),
                               now - timedelta(minutes=10), "abandoned", "wait_failed")
        stopped = leg(session, failed, person_id(session, "+31612340001"),
                      now - timedelta(minutes=9), "opted_out", answered=True)
        attention.sweep(session, now)
        item_id = session.scalar(select(AttentionItem.id).where(
            AttentionItem.kind == "stopped_by_phone", AttentionItem.ref_id == stopped.id))
    assert f"melding {item_id}: Vrijwilliger telefonisch gestopt" in coordinator.get(
        "/admin/attention").text
    page = coordinator.get(f"/admin/attention/{item_id}").text
    assert "<h1>Vrijwilliger telefonisch gestopt</h1>" in page
    assert "Deze vrijwilliger drukte 0 tijdens een hulpvraag" in page
    assert "door een storing bij de telefonie brak het wachten af" not in page


def test_an_admin_who_does_not_coordinate_the_neighbourhood_sees_it_masked(
        admin, exchange, neighbourhoods):
    item_id = _unmatched(exchange, neighbourhoods["Segbroek"])
    page = admin.get(f"/admin/attention/{item_id}").text
    assert CALLER not in page and "+31 7 ****1234" in page
    assert "Alleen een coördinator van Segbroek ziet het hele nummer." in page
    assert _viewings(exchange, item_id) == 0


def test_a_coordinator_of_another_neighbourhood_may_not_open_or_close_it(
        app, exchange, neighbourhoods):
    item_id = _unmatched(exchange, neighbourhoods["Segbroek"])
    add_user(exchange, "duco@example.nl", neighbourhoods=("Duinoord",))
    other = app.test_client()
    sign_in(other, "duco@example.nl")
    assert other.get(f"/admin/attention/{item_id}").status_code == 403
    assert other.post(f"/admin/attention/{item_id}/close",
                      data={"note": "x", "handled": "1"}).status_code == 403
    assert "Geen match" not in other.get("/admin/attention").text
    assert other.get(f"/admin/attention?neighbourhood={neighbourhoods['Segbroek']}") \
        .status_code == 403
    assert _viewings(exchange, item_id) == 0


def test_closing_needs_a_note_and_the_item_leaves_the_list(coordinator, exchange,
                                                            neighbourhoods):
    item_id = _unmatched(exchange, neighbourhoods["Segbroek"])
    refused = coordinator.post(f"/admin/attention/{item_id}/close",
                               data={"note": " ", "handled": "1"})
    assert refused.status_code == 400
    assert "Schrijf een korte notitie voordat u sluit." in refused.text
    done = coordinator.post(f"/admin/attention/{item_id}/close",
                            data={"note": "Niet bereikt, voicemail ingesproken.",
                                  "not_reached": "1"}, follow_redirects=True)
    assert "Gesloten. Dank u voor het bellen." in done.text
    assert "Op dit moment heeft niets aandacht nodig." in done.text
    assert _count(done.text) == 0
    closed = coordinator.get("/admin/attention?show=closed").text
    assert "Niet bereikt, voicemail ingesproken." in closed and "niet bereikt" in closed
    page = coordinator.get(f"/admin/attention/{item_id}").text
    assert CALLER not in page  # closed: the number is no longer needed in full
    again = coordinator.post(f"/admin/attention/{item_id}/close",
                             data={"note": "nog eens", "handled": "1"}, follow_redirects=True)
    assert "Iemand anders heeft deze melding al gesloten." in again.text


def test_a_volunteers_item_shows_their_recent_calls(coordinator, exchange, neighbourhoods):
    now = utcnow()
    with exchange.db.session() as session:
        volunteer = person_id(session, "+31612340002")
        for days in (9, 6, 3):
            request = ended_request(session, neighbourhoods["Segbroek"], None,
                                    now - timedelta(days=days), "matched", "matched")
            leg(session, request, volunteer, now - timedelta(days=days), "no_answer")
        attention.sweep(session, now, check_ins=True)
        item_id = session.scalar(select(AttentionItem.id))
    page = coordinator.get(f"/admin/attention/{item_id}").text
    assert "Vrijwilliger neemt nooit op: even vriendelijk bellen" in page
    assert page.count("<td>niet opgenomen</td>") == 3
    assert 'href="tel:+31612340002"' in page
    participant = coordinator.get(f"/admin/participants/{volunteer}").text
    assert "een vriendelijk belletje om te horen hoe het gaat staat bij Aandacht nodig" \
        in participant
    assert f"/admin/attention/{item_id}" in participant
