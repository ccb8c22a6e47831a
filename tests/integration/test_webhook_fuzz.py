"""Every webhook, fed random and malformed form fields: never a 500, always sensible TwiML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bhc import urls
from tests.integration.conftest import CALLER, EXCHANGE

PATHS = [urls.VOICE, urls.CALLER_STATUS, urls.CALLER_NUMBER, urls.MENU, urls.HOLD,
         urls.QUEUE_ENDED, urls.CONNECTING, urls.UNMATCHED, urls.OFFER, urls.OFFER_ANSWER,
         urls.VOLUNTEER_STATUS, urls.CLOSED, urls.AFTER_BRIDGE]
FIELDS = ["CallSid", "To", "From", "Digits", "CallStatus", "AnsweredBy", "QueueResult",
          "DialCallStatus", "AccountSid", "Junk"]
text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", "1", "2", "9", "#", "*", "0612345678#", EXCHANGE, CALLER, "anonymous",
                     "completed", "in-progress", "no-answer", "ringing", "machine_start",
                     "hangup", "bridged", "leave", "CA" + "c" * 32, "-1", "99999999999"]),
)
query_value = st.one_of(st.integers(-5, 10**12).map(str), st.text(max_size=10))
# The sandbox runs only SQLite here: the fuzzing is about the web edge, not the database.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    path=st.sampled_from(PATHS),
    form=st.dictionaries(st.sampled_from(FIELDS), text, max_size=6),
    query=st.dictionaries(st.sampled_from(["leg", "try", "request", "x"]), query_value,
                          max_size=3),
)
def test_no_webhook_input_gives_a_server_error(phone, path, form, query):
    from urllib.parse import urlencode

    target = path + ("?" + urlencode(query) if query else "")
    response = phone.post(target, **form)
    assert response.status_code in (200, 204, 400), response.data[:500]
    if response.status_code == 200 and response.mimetype == "text/xml":
        root = ET.fromstring(response.data)
        assert root.tag == "Response"


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=st.dictionaries(st.sampled_from(FIELDS), text, max_size=6),
       signature=st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=30))
def test_a_forged_signature_is_always_refused(phone, form, signature):
    response = phone.post(urls.VOICE, signature=signature or "x", **form)
    assert response.status_code == 403
