"""Participants in the web UI: masked lists, editing, pausing, opting out, deleting, CSV import."""

from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import select

from bhc.calls.candidates import eligible_volunteers
from bhc.db import utcnow
from bhc.localtime import local_date
from bhc.models import AuditLog, HelpRequest, Participant
from tests.admin.helpers import matched_request, participant_id
from tests.integration.calls.test_concurrent_accept import request_with_live_legs
from tests.integration.conftest import CALLER, SignedClient

VOLUNTEER = "+31612340001"


def form_of(participant_phone, **changes):
    data = {"name": "Volunteer 0001", "phone": participant_phone, "postcode": "2551AB",
            "house_number": "1", "neighbourhood": "Segbroek", "roles": "helper",
            "categories": ["groceries"], "languages": "nl", "available": "",
            "call_consent": "y"}
    data.update(changes)
    return data


def eligible_phones(exchange, neighbourhood_id):
    with exchange.db.session() as session:
        request = HelpRequest(id=0, neighbourhood_id=neighbourhood_id, caller_id=None,
                              category_slug="groceries")
        return {v.phone for v in eligible_volunteers(session, request, utcnow(), "")}


def audit_actions(exchange):
    with exchange.db.session() as session:
        return [(a.action, a.object_type, a.summary) for a in
                session.scalars(select(AuditLog).order_by(AuditLog.id))]


def test_the_list_masks_phones_and_the_edit_page_shows_them_in_full(coordinator, exchange):
    listing = coordinator.get("/admin/participants").text
    assert "+31 6 ****0001" in listing
    assert VOLUNTEER not in listing
    edit = coordinator.get(f"/admin/participants/{participant_id(exchange, VOLUNTEER)}").text
    assert VOLUNTEER in edit


def test_search_by_name_postcode_or_last_digits(coordinator):
    assert "Volunteer 0002" in coordinator.get("/admin/participants?q=0002").text
    assert "Volunteer 0001" not in coordinator.get("/admin/participants?q=0002").text
    assert "Volunteer 0003" in coordinator.get("/admin/participants?q=volunteer 0003").text
    assert "4 deelnemers" in coordinator.get("/admin/participants?q=2551").text
    assert "0 deelnemers" in coordinator.get("/admin/participants?q=2552").text


def test_adding_and_editing_validate_like_the_import_and_are_audited(coordinator, exchange):
    response = coordinator.post("/admin/participants/new",
                                data=form_of("0612345678", name="Jan Klaassen"))
    assert response.status_code == 302
    new_id = participant_id(exchange, "+31612345678")
    assert response.headers["Location"].endswith(f"/admin/participants/{new_id}")

    bad = coordinator.post(f"/admin/participants/{new_id}",
                           data=form_of("12", name="Jan Klaassen", available="soon"))
    assert "Dit is geen geldig telefoonnummer." in bad.text
    taken = coordinator.post(f"/admin/participants/{new_id}", data=form_of(VOLUNTEER))
    assert "Een andere deelnemer heeft dit telefoonnummer al." in taken.text

    coordinator.post(f"/admin/participants/{new_id}",
                     data=form_of("06 1234 5679", name="Jan Klaassen", categories=["transport"]))
    with exchange.db.session() as session:
        edited = session.get(Participant, new_id)
        assert edited.phone == "+31612345679"
        assert edited.category_slugs == {"transport"}
    actions = audit_actions(exchange)
    assert [a[:2] for a in actions] == [("create", "participant"), ("update", "participant")]
    assert all("+3161234567" not in summary for _, _, summary in actions)
    assert "****5679" in actions[-1][2]


def test_pause_and_opt_out_take_a_volunteer_out_of_the_search(coordinator, exchange,
                                                               neighbourhoods):
    segbroek = neighbourhoods["Segbroek"]
    first, second = (participant_id(exchange, p) for p in (VOLUNTEER, "+31612340002"))
    assert {VOLUNTEER, "+31612340002"} <= eligible_phones(exchange, segbroek)

    tomorrow = local_date(utcnow()) + timedelta(days=1)
    response = coordinator.post(f"/admin/participants/{first}/pause",
                                data={"until": tomorrow.isoformat()}, follow_redirects=True)
    assert "is gepauzeerd" in response.text
    coordinator.post(f"/admin/participants/{second}/opt-out")
    assert eligible_phones(exchange, segbroek) & {VOLUNTEER, "+31612340002"} == set()

    today = local_date(utcnow())
    refused = coordinator.post(f"/admin/participants/{first}/pause",
                               data={"until": today.isoformat()}, follow_redirects=True)
    assert "De pauze moet na vandaag eindigen." in refused.text

    coordinator.post(f"/admin/participants/{first}/resume")
    coordinator.post(f"/admin/participants/{second}/opt-in")
    assert {VOLUNTEER, "+31612340002"} <= eligible_phones(exchange, segbroek)
    assert [a[0] for a in audit_actions(exchange)] == ["pause", "opt_out", "resume", "opt_in"]


def test_delete_asks_first_and_keeps_the_request_history(coordinator, exchange, neighbourhoods):
    request_id = matched_request(exchange, neighbourhoods["Segbroek"], CALLER, [VOLUNTEER])
    volunteer_id = participant_id(exchange, VOLUNTEER)
    confirm = coordinator.get(f"/admin/participants/{volunteer_id}/delete")
    assert "Ja, Volunteer 0001 verwijderen" in confirm.text
    assert participant_id(exchange, VOLUNTEER) == volunteer_id
    response = coordinator.post(f"/admin/participants/{volunteer_id}/delete")
    assert response.status_code == 302
    assert participant_id(exchange, VOLUNTEER) is None
    detail = coordinator.get(f"/admin/requests/{request_id}")
    assert "(verwijderde deelnemer)" in detail.text
    assert audit_actions(exchange)[-1][:2] == ("delete", "participant")


CSV = (
    "name,phone,postcode,house_number,neighbourhood,roles,categories,languages,available,"
    "call_consent\n"
    "Piet Plant,0612000001,2551 AB,3,Segbroek,helper,groceries;transport,nl,,yes\n"
    "Nobody,12345,2551AB,4,Segbroek,helper,groceries,nl,,yes\n"
    "Klaas Kas,0612000002,2551AB,5,segbroek,both,chat,nl;en,mo-fr 09:00-17:00,no\n"
)


def upload(client, text, name="deelnemers.csv"):
    return client.post("/admin/participants/import",
                       data={"file": (io.BytesIO(text.encode()), name)},
                       content_type="multipart/form-data")


def test_csv_import_lists_bad_rows_by_line_and_imports_the_good_ones(coordinator, exchange):
    response = upload(coordinator, CSV)
    assert "2 toegevoegd, 0 bijgewerkt, 1 regels met fouten." in response.text
    assert "Regel 3: Dit is geen geldig telefoonnummer." in response.text
    assert participant_id(exchange, "+31612000001") is not None
    again = upload(coordinator, CSV.replace("Piet Plant", "Piet Plant-Bloem"))
    assert "0 toegevoegd, 2 bijgewerkt, 1 regels met fouten." in again.text
    assert "Piet Plant-Bloem" in coordinator.get("/admin/participants?q=Bloem").text
    assert [a[0] for a in audit_actions(exchange)] == ["import", "import"]


def test_a_coordinator_cannot_import_into_another_neighbourhood(coordinator, exchange):
    text = CSV + "Sneaky,0612000003,2518AA,1,Duinoord,helper,groceries,nl,,yes\n"
    response = upload(coordinator, text)
    assert "Regel 5: een wijk die u niet coördineert" in response.text
    assert participant_id(exchange, "+31612000001") is None


def test_an_upload_that_is_not_utf8_is_refused_politely(coordinator):
    response = coordinator.post("/admin/participants/import",
                                data={"file": (io.BytesIO("naam\n\xe9\n".encode("latin-1")),
                                               "x.csv")},
                                content_type="multipart/form-data")
    assert response.status_code == 200
    assert "geen UTF-8-tekst" in response.text


ROSTER = (
    "name,phone,postcode,house_number,neighbourhood,roles,categories,languages,available,"
    "call_consent\n"
    "Ans Af,0612000011,2551AB,1,Segbroek,helper,groceries,nl,,yes\n"
    "Bep Pauze,0612000012,2551AB,2,Segbroek,helper,groceries,nl,,yes\n"
    "Cor Meer,0612000013,2551AB,3,Segbroek,helper,groceries,nl,,yes\n"
)


def press_when_rung(exchange, phone: str, key: str, round_: int) -> None:
    """The volunteer is rung for a request and presses ``key`` (9 pause, 0 stop) on the
    phone, through the signed webhook."""
    leg_id, = request_with_live_legs(exchange, round_, [participant_id(exchange, phone)])
    answer = SignedClient(exchange).post(f"/ivr/volunteer/answer?leg={leg_id}&try=1",
                                         CallSid=f"CAleg{leg_id}", Digits=key)
    assert answer.status_code == 200


def test_a_re_import_keeps_a_phone_opt_out_a_pause_and_categories_set_since(
        coordinator, exchange, neighbourhoods):
    segbroek = neighbourhoods["Segbroek"]
    assert "3 toegevoegd, 0 bijgewerkt, 0 regels met fouten." in upload(coordinator, ROSTER).text
    press_when_rung(exchange, "+31612000011", "0", round_=1)  # Ans: "do not call me any more"
    press_when_rung(exchange, "+31612000012", "9", round_=2)  # Bep: "not for a week"
    cor = participant_id(exchange, "+31612000013")
    edited = coordinator.post(f"/admin/participants/{cor}", data=form_of(
        "0612000013", name="Cor Meer", house_number="3", categories=["groceries", "chat"]))
    assert edited.status_code == 302
    with exchange.db.session() as session:
        assert session.get(Participant, cor).category_slugs == {"groceries", "chat"}
        paused_until = session.get(Participant, participant_id(exchange, "+31612000012")) \
            .paused_until
    assert paused_until > utcnow() + timedelta(days=6)

    again = upload(coordinator, ROSTER)
    assert "0 toegevoegd, 3 bijgewerkt, 0 regels met fouten." in again.text
    with exchange.db.session() as session:
        ans, bep, cor_now = (session.scalar(select(Participant).where(Participant.phone == p))
                             for p in ("+31612000011", "+31612000012", "+31612000013"))
        assert ans.opted_out and ans.call_consent
        assert bep.paused_until == paused_until
        assert cor_now.category_slugs == {"groceries", "chat"}
    eligible = eligible_phones(exchange, segbroek)
    assert "+31612000011" not in eligible and "+31612000012" not in eligible
    assert "+31612000013" in eligible
