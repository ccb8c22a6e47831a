"""Every webhook, fed random and malformed form fields: never a 500, always sensible TwiML.

The webhooks are read from the app's URL map (every POST rule under /ivr), so a webhook added
later is fuzzed without anyone having to remember this file.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.conftest import CALLER, EXCHANGE

FIELDS = ["CallSid", "To", "From", "Digits", "CallStatus", "AnsweredBy", "QueueResult",
          "DialCallStatus", "AccountSid", "SpeechResult", "RecordingUrl", "Junk"]
text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", "1", "2", "9", "#", "*", "0612345678#", EXCHANGE, CALLER, "anonymous",
                     "completed", "in-progress", "no-answer", "ringing", "machine_start",
                     "hangup", "bridged", "leave", "CA" + "c" * 32, "-1", "99999999999"]),
)
# Small ids often: the fixture's own call has request 1 and leg 1, so fuzzing reaches past the
# lookups into what a live call does.
query_value = st.one_of(st.integers(0, 3).map(str), st.integers(-5, 10**12).map(str),
                        st.text(max_size=10))
QUERY_KEYS = ["leg", "try", "request", "followup", "signup", "question", "x"]
# Verbs that make a person on the line hear something or move on; an empty <Response/> to a
# call-answering webhook would hang up on them in silence.
HEARD = {"Say", "Play", "Gather", "Redirect", "Enqueue", "Leave", "Dial", "Hangup", "Reject",
         "Pause"}
# The sandbox runs only SQLite here: the fuzzing is about the web edge, not the database.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def webhook_rules(app):
    """Every webhook the carrier can reach: the POST rules under /ivr."""
    rules = [rule for rule in app.url_map.iter_rules()
             if rule.rule.startswith("/ivr/") and "POST" in (rule.methods or ())]
    return sorted(rules, key=lambda rule: rule.rule)


def path_of(rule, values: dict[str, str]) -> str:
    """The rule's path with its variable parts (if any) filled in; values a converter refuses
    (text for an <int:...>) become 1."""
    values = {name: values.get(name) or "1" for name in rule.arguments}
    try:
        return rule.build(values)[1]
    except ValueError:
        return rule.build(dict.fromkeys(rule.arguments, "1"))[1]


def is_status_callback(rule) -> bool:
    """Status callbacks only report; the carrier plays nothing they answer."""
    return rule.rule.endswith("/status")


def assert_sensible(rule, response) -> None:
    assert response.status_code in (200, 204, 400), (rule.rule, response.data[:500])
    if response.status_code == 200 and response.mimetype in ("text/xml", "application/xml"):
        root = ET.fromstring(response.data)
        assert root.tag == "Response"
        if not is_status_callback(rule):
            assert {child.tag for child in root} & HEARD, (rule.rule, response.data[:500])


@pytest.fixture
def mid_call(phone, exchange, carrier):
    """Signed webhooks over an exchange with one caller on hold and one volunteer rung."""
    phone.post("/ivr/voice", CallSid="CA" + "1" * 32, To=EXCHANGE, From=CALLER)
    phone.post("/ivr/menu?try=1", CallSid="CA" + "1" * 32, Digits="1")
    exchange.engine.tick()
    assert carrier.placed, "the fixture's search rang somebody"
    return phone


def test_the_ivr_webhooks_are_found(phone):
    paths = {rule.rule for rule in webhook_rules(phone.client.application)}
    assert {"/ivr/voice", "/ivr/menu", "/ivr/volunteer/offer", "/ivr/caller/status"} <= paths


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data(),
       form=st.dictionaries(st.sampled_from(FIELDS), text, max_size=6),
       query=st.dictionaries(st.sampled_from(QUERY_KEYS), query_value, max_size=3))
def test_no_webhook_input_gives_a_server_error(mid_call, data, form, query):
    rule = data.draw(st.sampled_from(webhook_rules(mid_call.client.application)),
                     label="webhook")
    values = {name: data.draw(st.text(max_size=12), label=name) for name in rule.arguments}
    target = path_of(rule, values) + ("?" + urlencode(query) if query else "")
    assert_sensible(rule, mid_call.post(target, **form))


def test_every_webhook_answers_an_empty_signed_request_sensibly(mid_call):
    for rule in webhook_rules(mid_call.client.application):
        assert_sensible(rule, mid_call.post(path_of(rule, {})))
        assert_sensible(rule, mid_call.post(path_of(rule, {}) + "?leg=1&request=1"))


def test_every_webhook_refuses_a_missing_or_wrong_signature(phone):
    for rule in webhook_rules(phone.client.application):
        path = path_of(rule, {})
        for signature in ("", "bm90IGEgc2lnbmF0dXJl"):
            response = phone.client.post(path, data={"CallSid": "CA1", "To": EXCHANGE},
                                         headers={"X-Twilio-Signature": signature})
            assert response.status_code == 403, rule.rule


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(),
       form=st.dictionaries(st.sampled_from(FIELDS), text, max_size=6),
       signature=st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=30))
def test_a_forged_signature_is_always_refused(phone, data, form, signature):
    rule = data.draw(st.sampled_from(webhook_rules(phone.client.application)), label="webhook")
    response = phone.post(path_of(rule, {}), signature=signature or "x", **form)
    assert response.status_code == 403
