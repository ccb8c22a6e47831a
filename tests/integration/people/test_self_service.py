"""By phone, for oneself: status, pause and resume; sign-up call-backs; languages; the report's
requests per language. Signed webhooks on both databases."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bhc import i18n
from bhc.config import ConfigError, from_mapping
from bhc.db import utcnow
from bhc.models import AuditLog, Category, HelpRequest, Participant, RegistrationCallback
from bhc.people import self_service
from bhc.reports.monthly import monthly_report
from tests.integration.conftest import CALLER, SignedClient
from tests.integration.test_webhooks import CALL, request_of, said, start

STRANGER = "+31612999999"
# What only reads the menu or the config is the same on both databases: SQLite alone suffices.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def caller(exchange, phone=CALLER) -> Participant:
    with exchange.db.session() as session:
        return session.scalar(select(Participant).where(Participant.phone == phone))


def own_details(phone, sid=CALL):
    start(phone, sid=sid)
    redirect = phone.post("/ivr/menu?try=1", CallSid=sid, Digits="8")
    action = ET.fromstring(redirect.data).find("Redirect").text
    return phone.post(action.removeprefix(phone.base), CallSid=sid)


def own_details_after(phone, exchange, **changes):
    """The own-details key pressed by CALLER once their record has ``changes``."""
    with exchange.db.session() as session:
        person = session.scalar(select(Participant).where(Participant.phone == CALLER))
        for name, value in changes.items():
            setattr(person, name, value)
    return own_details(phone)


def choose(phone, digits, attempt=1, sid=CALL):
    return phone.post(f"/ivr/caller/own-details/choice?try={attempt}", CallSid=sid,
                      Digits=digits)


def audit_actions(exchange) -> list[str]:
    with exchange.db.session() as session:
        return list(session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


@SQLITE_ONLY
def test_a_registered_caller_hears_the_own_details_key_after_the_categories(phone):
    text = said(start(phone))
    assert text.index("Druk 7 voor") < text.index("Druk 8 voor uw eigen gegevens.")
    assert text.index("Druk 8 voor uw eigen gegevens.") < text.index("Druk sterretje")


@SQLITE_ONLY
def test_own_details_tells_the_status_and_what_can_be_done(phone):
    text = said(own_details(phone))
    assert "U staat ingeschreven als helper en als hulpvrager." in text
    assert "U helpt bij boodschappen doen." in text
    assert "U kunt gebeld worden als een buur om hulp vraagt." in text
    assert "Druk 1 om een week niet gebeld te worden." in text
    assert "Druk 2 om niet gebeld te worden tot u zelf weer belt." in text
    assert "Druk 3" not in text  # not paused, so nothing to resume
    assert "Druk hekje om terug te gaan naar het menu." in text


def test_pausing_for_a_week_is_confirmed_audited_and_not_doubled_by_a_retry(phone, exchange):
    own_details(phone)
    first = choose(phone, "1")
    assert "U wordt een week niet gebeld, tot " in said(first)
    until = caller(exchange).paused_until
    assert timedelta(days=6, hours=23) < until - utcnow() <= timedelta(days=7)
    choose(phone, "1")
    assert audit_actions(exchange) == [self_service.PAUSED_FOR_A_WEEK]
    with exchange.db.session() as session:
        entry = session.scalar(select(AuditLog))
        assert entry.user_id is None and entry.summary.endswith("by phone")
        assert CALLER not in entry.summary


def test_pausing_until_the_next_call_then_the_menu_offers_to_be_called_again(phone, exchange):
    own_details(phone)
    assert "U wordt niet gebeld tot u ons weer belt en daarom vraagt." in said(choose(phone, "2"))
    assert caller(exchange).paused_until == self_service.PAUSED_UNTIL_CALL
    phone.post("/ivr/caller/status", CallSid=CALL, CallStatus="completed")

    again = "CA" + "e" * 32
    assert ("U wordt op dit moment niet gebeld. Druk 8 om weer gebeld te worden."
            in said(start(phone, sid=again)))
    resumed = phone.post("/ivr/menu?try=1", CallSid=again, Digits="8")
    assert "U wordt weer gebeld als een buur om hulp vraagt." in said(resumed)
    assert "Druk 8 voor uw eigen gegevens." in said(resumed)
    assert caller(exchange).paused_until is None
    assert audit_actions(exchange) == [self_service.PAUSED_UNTIL_NEXT_CALL,
                                       self_service.RESUMED]


def test_three_resumes_a_paused_helper(phone, exchange):
    own_details(phone)
    choose(phone, "1")
    menu = choose(phone, "*")
    assert "U wordt niet gebeld tot " in said(menu)
    assert "Druk 3 om weer gebeld te worden." in said(menu)
    assert "U wordt weer gebeld" in said(choose(phone, "3"))
    assert caller(exchange).paused_until is None


@SQLITE_ONLY
def test_hash_goes_back_to_the_main_menu_and_the_call_can_still_ask_for_help(phone, exchange):
    own_details(phone)
    back = choose(phone, "#")
    assert "Druk 1 voor boodschappen doen." in said(back)
    assert "U vraagt hulp bij boodschappen doen." in said(
        phone.post("/ivr/menu?try=1", CallSid=CALL, Digits="1"))
    assert request_of(exchange).state == "searching"


@SQLITE_ONLY
def test_a_wrong_key_repeats_the_question_and_silence_ends_kindly(phone, exchange):
    own_details(phone)
    wrong = choose(phone, "7")
    assert "Sorry, die toets hoort niet bij het menu." in said(wrong)
    assert "Druk 1 om een week niet gebeld te worden." in said(wrong)
    assert "I did not hear" not in said(wrong)
    silent = choose(phone, "", attempt=2)
    assert "Ik heb geen keuze gehoord." in said(silent)
    goodbye = choose(phone, "", attempt=3)
    assert "Tot ziens" in said(goodbye) and ET.fromstring(goodbye.data).find("Hangup") is not None
    assert request_of(exchange).outcome == "no_choice"
    assert caller(exchange).paused_until is None


@SQLITE_ONLY
def test_an_asker_only_hears_the_status_without_pause_keys(phone, exchange):
    text = said(own_details_after(phone, exchange, is_helper=False))
    assert "U staat ingeschreven als hulpvrager." in text
    assert "Druk 1" not in text
    assert "Sorry, die toets hoort niet bij het menu." in said(choose(phone, "1"))
    assert caller(exchange).paused_until is None


@SQLITE_ONLY
def test_an_opted_out_helper_hears_so_and_cannot_resume_by_phone(phone, exchange):
    text = said(own_details_after(phone, exchange, opted_out=True))
    assert "U hebt gevraagd niet meer gebeld te worden." in text
    assert "Druk 2" not in text


def test_an_unregistered_caller_asks_to_be_called_back_to_sign_up(phone, exchange):
    menu = said(start(phone, caller=STRANGER))
    assert ("Druk 8 als u wilt dat een coördinator u terugbelt om u aan te melden." in menu)
    confirmed = phone.post("/ivr/menu?try=1", CallSid=CALL, Digits="8")
    assert "Een coördinator belt u terug om u aan te melden." in said(confirmed)
    assert "Druk 1 voor boodschappen doen." in said(confirmed)
    phone.post("/ivr/menu?try=1", CallSid=CALL, Digits="8")  # pressed again: still one
    with exchange.db.session() as session:
        callbacks = list(session.scalars(select(RegistrationCallback)))
        assert [(c.phone, c.done_at, c.participant.phone) for c in callbacks] == [
            (STRANGER, None, STRANGER)]
    assert audit_actions(exchange) == [self_service.SIGN_UP_CALLBACK_ASKED]


@SQLITE_ONLY
def test_own_details_of_an_unregistered_caller_are_refused(phone):
    start(phone, caller=STRANGER)
    response = phone.post("/ivr/caller/own-details", CallSid=CALL)
    assert "Tot ziens" in said(response)


@SQLITE_ONLY
def test_a_withheld_number_gets_no_own_details_key(phone):
    text = said(phone.post("/ivr/voice", CallSid=CALL, To="+31702000001", From="anonymous"))
    assert "Druk 8" not in text


@SQLITE_ONLY
def test_a_category_on_8_moves_the_own_details_key_to_a_spare_one(phone, exchange):
    with exchange.db.session() as session:
        session.scalar(select(Category).where(Category.slug == "chat")).key = 8
    text = said(start(phone))
    assert "Druk 8 voor praatje maken." in text
    assert "Druk 5 voor uw eigen gegevens." in text  # 9 is English's; 5 is the one left
    pressed = phone.post("/ivr/menu?try=1", CallSid=CALL, Digits="5")
    assert "/ivr/caller/own-details" in ET.fromstring(pressed.data).find("Redirect").text


# --- languages -------------------------------------------------------------------------------

GERMAN = r'''msgid ""
msgstr ""
"Language: de_DE\n"
"Content-Type: text/plain; charset=UTF-8\n"

#, python-format
msgid "Press %(key)s for this language."
msgstr "Drücken Sie %(key)s für Deutsch."

#, python-format
msgid "Welcome to the neighbour help exchange of %(neighbourhood)s."
msgstr "Willkommen bei der Nachbarschaftshilfe %(neighbourhood)s."

msgid "hash"
msgstr "Raute"
'''


@pytest.fixture
def german(tmp_path, monkeypatch):
    """A third catalogue next to copies of the shipped ones: nothing else is added."""
    for code in ("nl", "en"):
        folder = tmp_path / code / "LC_MESSAGES"
        folder.mkdir(parents=True)
        folder.joinpath("bhc.po").write_bytes(
            (i18n.TRANSLATIONS / code / "LC_MESSAGES" / "bhc.po").read_bytes())
    (tmp_path / "de" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "de" / "LC_MESSAGES" / "bhc.po").write_text(GERMAN, encoding="utf-8")
    monkeypatch.setattr(i18n, "TRANSLATIONS", tmp_path)
    i18n.catalogue.cache_clear()
    i18n.available_languages.cache_clear()
    yield
    i18n.catalogue.cache_clear()
    i18n.available_languages.cache_clear()


@SQLITE_ONLY
def test_adding_a_catalogue_adds_a_language_to_the_menu(german, phone, exchange):
    menu = ET.fromstring(start(phone).data)
    offers = {"".join(node.itertext()): node.get("language") for node in menu.iter("Say")}
    assert offers["Press 9 for English."] == "en-GB"
    # 1-7 are categories, 8 the caller's own details: German gets the hash key, which the
    # menu then reads as a key rather than as "done".
    assert offers["Drücken Sie Raute für Deutsch."] == "de-DE"
    assert menu.find("Gather").get("finishOnKey") == ""
    german_menu = said(phone.post("/ivr/menu?try=1", CallSid=CALL, Digits="#"))
    assert "Willkommen" not in german_menu  # no greeting the second time
    assert "Druk 9 voor Nederlands." in german_menu
    assert request_of(exchange).language == "de"
    assert caller(exchange).language_list[0] == "de"
    assert from_mapping({"ivr": {"default_language": "de"}}).ivr.default_language == "de"


def test_the_default_language_must_have_a_catalogue():
    with pytest.raises(ConfigError, match="ivr.default_language"):
        from_mapping({"ivr": {"default_language": "de"}})


@SQLITE_ONLY
def test_each_language_speaks_with_its_configured_voice(exchange):
    exchange.config = exchange.config.replace(ivr={"voices": {"nl": "Polly.Lotte"},
                                                   "speech_languages": {"en": "en-US"}})
    phone = SignedClient(exchange)
    says = list(ET.fromstring(start(phone).data).iter("Say"))
    assert {(s.get("voice"), s.get("language")) for s in says[:-1]} == {("Polly.Lotte", "nl-NL")}
    assert (says[-1].get("voice"), says[-1].get("language")) == (None, "en-US")


def test_the_report_counts_requests_per_language(phone, exchange):
    start(phone)
    phone.post("/ivr/menu?try=1", CallSid=CALL, Digits="9")
    phone.post("/ivr/menu?try=1", CallSid=CALL, Digits="1")
    other = "CA" + "d" * 32
    start(phone, sid=other, caller=STRANGER)
    phone.post("/ivr/menu?try=1", CallSid=other, Digits="1")
    start(phone, sid="CA" + "b" * 32, caller="+31612888888")  # no category: no request
    with exchange.db.session() as session:
        month = session.scalar(select(HelpRequest.created_at)).strftime("%Y-%m")
        report = monthly_report(session, month)
    assert report["total"]["requests_by_language"] == {"en": 1, "nl": 1}
    assert report["neighbourhoods"][0]["requests_by_language"] == {"en": 1, "nl": 1}


def test_spoken_dates_are_in_the_callers_language():
    from bhc.neighbourhoods.office import spoken_date

    assert spoken_date(datetime(2026, 12, 1, 23, 30), "nl") == "woensdag 2 december"
    assert spoken_date(datetime(2026, 12, 1, 23, 30), "en") == "Wednesday 2 December"


@SQLITE_ONLY
def test_star_repeats_the_call_back_offer_of_an_unmatched_caller(phone, exchange):
    start(phone)
    phone.post("/ivr/menu?try=1", CallSid=CALL, Digits="5")  # nobody covers "a chat"
    exchange.engine.tick()
    again = phone.post("/ivr/caller/callback", CallSid=CALL, Digits="*")
    assert "Druk 1 als u wilt dat we u terugbellen" in said(again)
    assert "Druk sterretje om dit nog eens te horen." in said(again)
    assert request_of(exchange).state == "unmatched"


@SQLITE_ONLY
def test_zero_in_the_own_details_menu_reaches_the_coordinator_too(exchange):
    exchange.config = exchange.config.replace(office={"coordinator_phone": "+31703000000",
                                                      "hours": "mo-su 00:00-24:00"})
    phone = SignedClient(exchange)
    own_details(phone)
    response = choose(phone, "0")
    assert "u wordt doorverbonden met de coördinator" in said(response)
    assert ET.fromstring(response.data).find("Dial").text == "+31703000000"
