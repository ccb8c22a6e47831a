"""The public sign-up page (/meedoen) and the coordinators' sign-ups page, through the web UI."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from bhc import config as config_module
from bhc.app import create_app
from bhc.db import utcnow
from bhc.models import AuditLog, Neighbourhood, Participant, SignUp, SignUpState
from bhc.signups import services as signups
from tests.admin.conftest import add_user, sign_in
from tests.conftest import FAKE_CARRIER_CPS

PHONE = "+31612345678"
FORM = {"name": "Joke Jansen", "phone": "06 1234 5678", "postcode": "2551 AB",
        "house_number": "12a", "role": "both", "categories": ["groceries", "chat"],
        "day_parts": ["weekday-morning"], "languages": ["nl"], "consent": "y"}


@pytest.fixture
def config(database_url):
    return config_module.from_mapping({
        "database": {"url": database_url},
        "matching": {"quiet_hours": "", "strategy": "sequential"},
        "office": {"coordinator_phone": "+31703456789", "email": "wijk@example.nl"},
        "twilio": {"calls_per_second": FAKE_CARRIER_CPS},
    })


@pytest.fixture
def resident(app):
    """A browser that opened the form a while ago (people take longer than the spam limit)."""
    client = app.test_client()
    client.get("/meedoen")
    with client.session_transaction() as session:
        session["sign_up_form_shown_at"] = time.time() - 30
    return client


def submit(client, **changes):
    return client.post("/meedoen", data={**FORM, **changes})


def sign_up_row(exchange, phone=PHONE) -> SignUp | None:
    with exchange.db.session() as session:
        return session.scalar(select(SignUp).where(SignUp.phone == phone))


def the_code(exchange, sign_up: SignUp) -> str:
    return signups.code_for(signups.secret_of(exchange.config), sign_up.code_nonce)


def test_the_page_is_dutch_with_a_label_for_every_field(app):
    page = app.test_client().get("/meedoen").text
    assert '<html lang="nl"' in page and "Meedoen met de burenhulpcentrale" in page
    ids = re.findall(r'<input[^>]*\bid="([^"]+)"', page)
    labelled = set(re.findall(r'<label for="([^"]+)"', page))
    assert ids and set(ids) - {"csrf_token"} <= labelled
    assert page.count("<fieldset") == 4 and page.count("<legend>") == 4
    assert 'lang="en">English</label>' in page


def test_english_is_selectable_like_in_the_admin_pages(app):
    client = app.test_client()
    client.get("/admin/language/en?next=/meedoen")
    page = client.get("/meedoen").text
    assert '<html lang="en"' in page and "Join the neighbour help exchange" in page


def test_errors_are_tied_to_their_fields(resident):
    response = submit(resident, name="", postcode="25", consent="", categories=[])
    assert response.status_code == 400
    page = response.text
    assert re.search(r'<input[^>]*aria-describedby="name-errors"[^>]*aria-invalid="true"'
                     r'[^>]*id="name"', page)
    assert re.search(r'aria-describedby="postcode-hint postcode-errors"', page)
    assert 'id="postcode-errors"' in page and "Schrijf de postcode als 2551 AB." in page
    assert re.search(r'<fieldset[^>]*aria-describedby="categories-hint categories-errors"', page)
    assert "Kies minstens één soort hulp die u kunt geven." in page
    assert "We kunnen u alleen bellen met uw toestemming." in page


def test_a_sign_up_inside_is_called_and_verified_with_the_code(resident, exchange, carrier):
    response = submit(resident)
    assert response.status_code == 302 and response.location.endswith("/meedoen/code")
    page = resident.get("/meedoen/code").text
    assert "We bellen u nu op +31 6 ****5678." in page and PHONE not in page
    exchange.engine.tick()
    assert [c["to"] for c in carrier.placed] == [PHONE]

    stored = sign_up_row(exchange)
    wrong = resident.post("/meedoen/code", data={"code": "000000" if the_code(
        exchange, stored) != "000000" else "111111"})
    assert wrong.status_code == 400 and "U kunt het nog 4 keer proberen." in wrong.text
    assert 'aria-describedby="code-hint code-errors"' in wrong.text
    right = resident.post("/meedoen/code", data={"code": the_code(exchange, stored)})
    assert right.location.endswith("/meedoen/bedankt")
    done = resident.get("/meedoen/bedankt").text
    assert "De coördinator van Segbroek bekijkt uw aanmelding binnenkort" in done
    assert sign_up_row(exchange).state == SignUpState.VERIFIED


def test_a_postcode_outside_gets_a_clear_message_with_the_coordinators_contact(resident,
                                                                               exchange):
    response = submit(resident, postcode="9999zz")
    page = response.text
    assert "Helaas: postcode 9999 ZZ ligt buiten de wijken van deze burenhulpcentrale." in page
    assert '<a href="tel:+31703456789">070 345 6789</a>' in page
    assert '<a href="mailto:wijk@example.nl">wijk@example.nl</a>' in page
    assert 'id="postcode-errors"' in page
    assert sign_up_row(exchange) is None


def test_the_honeypot_and_a_hurried_form_are_refused_politely(app, resident, exchange):
    page = submit(resident, website="http://spam.example").text
    assert "Sorry, we konden uw aanmelding niet aannemen." in page
    hurried = app.test_client()
    hurried.get("/meedoen")
    assert "Sorry, we konden uw aanmelding niet aannemen." in submit(hurried).text
    assert sign_up_row(exchange) is None


def test_a_known_number_hears_politely_that_it_is_known(resident):
    page = submit(resident, phone="070 356 1234").text  # the exchange fixture's caller
    assert "Dit telefoonnummer is al bekend bij de burenhulpcentrale." in page
    assert "Volunteer" not in page


def test_calling_again_at_once_is_refused_with_a_reason(resident, exchange):
    submit(resident)
    page = resident.post("/meedoen/opnieuw-bellen", follow_redirects=True).text
    assert "We hebben dit nummer minder dan een minuut geleden gebeld." in page


def test_a_form_without_csrf_token_gets_a_friendly_page(exchange):
    app = create_app(exchange)
    app.config.update(TESTING=True)
    response = app.test_client().post("/meedoen", data=FORM)
    assert response.status_code == 400
    assert "Het formulier was verlopen." in response.text


# --- coordinators --------------------------------------------------------------------------


def verified_sign_up(exchange, neighbourhood_id: int, phone=PHONE, name="Joke Jansen") -> int:
    postcode = {1: "2551AB"}.get(neighbourhood_id, "2518AB")
    with exchange.db.session() as session:
        sign_up = signups.submit(session, signups.SignUpData(
            name=name, phone=phone, postcode=postcode, house_number="1", is_helper=True,
            is_asker=True, categories=frozenset({"chat"}), languages=("nl",), day_parts=(),
            language="nl"), utcnow())
        signups.verify(session, sign_up.id, the_code(exchange, sign_up),
                       signups.secret_of(exchange.config), utcnow())
        return sign_up.id


def test_the_coordinator_sees_own_sign_ups_masked_and_approves_one(coordinator, exchange,
                                                                   neighbourhoods):
    mine = verified_sign_up(exchange, neighbourhoods["Segbroek"])
    verified_sign_up(exchange, neighbourhoods["Duinoord"], phone="+31612345679", name="Bea Ander")
    dashboard = coordinator.get("/admin/").text
    assert "1 aanmelding via de website wacht op goedkeuring" in dashboard
    page = coordinator.get("/admin/sign-ups").text
    assert "Joke Jansen" in page and "+31 6 ****5678" in page and PHONE not in page
    assert "Bea Ander" not in page

    response = coordinator.post(f"/admin/sign-ups/{mine}/approve", follow_redirects=True)
    assert "Joke Jansen doet nu mee." in response.text
    with exchange.db.session() as session:
        person = session.scalar(select(Participant).where(Participant.phone == PHONE))
        assert person.source == "web" and person.consent_source == "web sign-up"
        entry = session.scalar(select(AuditLog).where(AuditLog.action == "approve_sign_up"))
        assert entry.user_id is not None and entry.object_id == person.id
    again = coordinator.post(f"/admin/sign-ups/{mine}/approve", follow_redirects=True)
    assert "Deze aanmelding was al afgehandeld." in again.text


def test_a_coordinator_cannot_decide_on_another_neighbourhoods_sign_up(coordinator, exchange,
                                                                       neighbourhoods):
    theirs = verified_sign_up(exchange, neighbourhoods["Duinoord"])
    assert coordinator.post(f"/admin/sign-ups/{theirs}/approve").status_code == 403
    assert coordinator.post(f"/admin/sign-ups/{theirs}/reject").status_code == 403
    assert sign_up_row(exchange).state == SignUpState.VERIFIED


def test_rejecting_closes_the_sign_up_and_is_logged(admin, exchange, neighbourhoods):
    sign_up_id = verified_sign_up(exchange, neighbourhoods["Duinoord"])
    response = admin.post(f"/admin/sign-ups/{sign_up_id}/reject", follow_redirects=True)
    assert "De aanmelding van Joke Jansen is afgewezen." in response.text
    with exchange.db.session() as session:
        rejected = session.get(SignUp, sign_up_id)
        assert rejected.state == SignUpState.REJECTED and not (rejected.name or rejected.phone)
    audit = admin.get("/admin/audit").text
    assert "wees een aanmelding via de website af" in audit


def test_auto_approval_is_a_neighbourhood_setting(app, exchange, neighbourhoods):
    add_user(exchange, "coco@example.nl")
    client = app.test_client()
    sign_in(client, "coco@example.nl")
    segbroek = neighbourhoods["Segbroek"]
    form = client.get(f"/admin/neighbourhoods/{segbroek}").text
    assert "Aanmeldingen via de website automatisch goedkeuren" in form
    client.post(f"/admin/neighbourhoods/{segbroek}", data={
        "name": "Segbroek", "households": "12000", "postcodes": "2551",
        "numbers": "+31702000001", "quiet": "default", "auto_approve": "y"})
    with exchange.db.session() as session:
        assert session.get(Neighbourhood, segbroek).auto_approve
    verified_sign_up(exchange, segbroek)
    with exchange.db.session() as session:
        assert session.scalar(select(Participant).where(Participant.phone == PHONE)) is not None
