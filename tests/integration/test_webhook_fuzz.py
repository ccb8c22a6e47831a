"""Every webhook, fed random and malformed form fields: never a 500, always sensible TwiML.

The webhooks are read from the app's URL map (every POST rule under /ivr), so a webhook added
later is fuzzed without anyone having to remember this file; ``NEEDS`` must say what it cannot
do without, since a 400 is accepted only when exactly that is missing.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Callable
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
QUERY_KEYS = ["leg", "try", "request", "followup", "signup", "question", "match",
              "reconnection", "category", "x"]
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


ENDED = ("completed", "busy", "failed", "no-answer", "canceled")


def has_ended(form: dict) -> bool:
    return form.get("CallStatus") in ENDED


@dataclass(frozen=True)
class Needs:
    """What a webhook cannot answer without: form fields (present, even if empty) and integer
    query parameters, the latter only when ``only_if(form)`` holds."""

    form: tuple[str, ...] = ()
    query: tuple[str, ...] = ()
    only_if: Callable[[dict], bool] = lambda form: True

    def missing(self, form: dict, query: dict) -> list[str]:
        if not self.only_if(form):
            return []
        return ([name for name in self.form if name not in form]
                + [name for name in self.query if not is_int(query.get(name))])


def is_int(value: str | None) -> bool:
    """Whether Flask's ``request.args.get(name, type=int)`` reads a number from the value."""
    try:
        int(value)
    except (TypeError, ValueError):
        return False
    return True


CALL = Needs(form=("CallSid",))
LEG = Needs(query=("leg",))
NEEDS = {
    "/ivr/voice": Needs(form=("CallSid", "To")),
    "/ivr/menu": CALL,
    "/ivr/menu/confirm": CALL,
    "/ivr/caller/number": CALL,
    "/ivr/caller/hold": CALL,
    "/ivr/caller/queue-ended": CALL,
    "/ivr/caller/unmatched": CALL,
    "/ivr/caller/callback": CALL,
    "/ivr/caller/own-details": CALL,
    "/ivr/caller/own-details/choice": CALL,
    "/ivr/caller/connecting": Needs(),
    "/ivr/caller/status": Needs(form=("CallSid",), only_if=has_ended),
    "/ivr/volunteer/offer": LEG,
    "/ivr/volunteer/answer": LEG,
    "/ivr/volunteer/closed": LEG,
    "/ivr/volunteer/after-bridge": LEG,
    "/ivr/volunteer/hold": LEG,
    "/ivr/volunteer/status": Needs(form=("CallStatus",), query=("leg",)),
    "/ivr/callback/answer": Needs(query=("request",)),
    "/ivr/callback/choice": Needs(query=("request",)),
    "/ivr/callback/status": Needs(query=("request",)),
    "/ivr/followup/answer": Needs(query=("followup",)),
    "/ivr/followup/key": Needs(query=("followup",)),
    # Progress before the end is acknowledged without looking the follow-up up.
    "/ivr/followup/status": Needs(query=("followup",), only_if=lambda form: form.get(
        "CallStatus", "") not in ("queued", "initiated", "ringing", "in-progress")),
    "/ivr/reconnect/choice": Needs(form=("CallSid",), query=("match",)),
    "/ivr/reconnect/hold": Needs(query=("reconnection",)),
    "/ivr/reconnect/waited": Needs(form=("CallSid",), query=("reconnection",)),
    "/ivr/reconnect/connecting": Needs(),
    "/ivr/reconnect/answer": Needs(query=("reconnection",)),
    "/ivr/reconnect/key": Needs(query=("reconnection",)),
    "/ivr/reconnect/after": Needs(query=("reconnection",)),
    "/ivr/reconnect/status": Needs(query=("reconnection",), only_if=has_ended),
    "/ivr/verify/code": Needs(query=("signup",)),
    "/ivr/verify/status": Needs(query=("signup",), only_if=has_ended),
    "/ivr/caller/office-ended": CALL,
    "/ivr/callback/after-bridge": Needs(query=("request",)),
    "/ivr/volunteer/amd/status": LEG,
    "/ivr/callback/amd/status": Needs(query=("request",)),
    "/ivr/followup/amd/status": Needs(query=("followup",)),
    "/ivr/fallback": Needs(),
}


def assert_sensible(rule, response, form: dict, query: dict) -> None:
    """A 400 exactly when the request lacks what the webhook needs; otherwise a status
    callback is acknowledged and every other webhook gives the person on the line something
    to hear."""
    shown = (rule.rule, form, query, response.status_code, response.data[:500])
    missing = NEEDS[rule.rule].missing(form, query)
    if missing:
        assert response.status_code == 400, shown
        return
    if is_status_callback(rule):
        assert response.status_code == 204, shown
        return
    assert response.status_code == 200, shown
    assert response.mimetype in ("text/xml", "application/xml"), shown
    root = ET.fromstring(response.data)
    assert root.tag == "Response", shown
    assert {child.tag for child in root} & HEARD, shown


@pytest.fixture
def mid_call(phone, exchange, carrier):
    """Signed webhooks over an exchange with one caller on hold and one volunteer rung."""
    phone.post("/ivr/voice", CallSid="CA" + "1" * 32, To=EXCHANGE, From=CALLER)
    phone.post("/ivr/menu?try=1", CallSid="CA" + "1" * 32, Digits="1")
    exchange.engine.tick()
    assert carrier.placed, "the fixture's search rang somebody"
    return phone


def test_the_ivr_webhooks_are_found_and_each_says_what_it_needs(phone):
    paths = {rule.rule for rule in webhook_rules(phone.client.application)}
    assert {"/ivr/voice", "/ivr/menu", "/ivr/volunteer/offer", "/ivr/caller/status"} <= paths
    assert paths == set(NEEDS), "add the new webhook's required fields to NEEDS"


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
    assert_sensible(rule, mid_call.post(target, **form), form, query)


def test_every_webhook_answers_an_empty_signed_request_sensibly(mid_call):
    for rule in webhook_rules(mid_call.client.application):
        assert_sensible(rule, mid_call.post(path_of(rule, {})), {}, {})
        query = {"leg": "1", "request": "1"}
        assert_sensible(rule, mid_call.post(path_of(rule, {}) + "?" + urlencode(query)), {},
                        query)


def test_a_webhook_given_what_it_needs_never_answers_400(mid_call):
    """The fixture's own call, leg and request, each webhook given every field it needs:
    never a 400, and a person on the line always hears something."""
    form = {"CallSid": "CA" + "1" * 32, "To": EXCHANGE, "From": CALLER,
            "CallStatus": "completed"}
    query = {"leg": "1", "request": "1", "followup": "1", "signup": "1"}
    for rule in webhook_rules(mid_call.client.application):
        assert_sensible(rule, mid_call.post(path_of(rule, {}) + "?" + urlencode(query), **form),
                        form, query)


def test_every_webhook_refuses_a_missing_or_wrong_signature(phone):
    for rule in webhook_rules(phone.client.application):
        path = path_of(rule, {})
        for signature in ("", "bm90IGEgc2lnbmF0dXJl"):
            response = phone.client.post(path, data={"CallSid": "CA1", "To": EXCHANGE},
                                         headers={"X-Twilio-Signature": signature})
            assert response.status_code == 403, rule.rule


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data(),
       form=st.dictionaries(st.sampled_from(FIELDS), text, max_size=6),
       signature=st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=30))
def test_a_forged_signature_is_always_refused(phone, data, form, signature):
    rule = data.draw(st.sampled_from(webhook_rules(phone.client.application)), label="webhook")
    response = phone.post(path_of(rule, {}), signature=signature or "x", **form)
    assert response.status_code == 403
