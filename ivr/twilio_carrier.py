"""``TwilioCarrier``: the carrier port over the official twilio REST client.

Every REST request goes to ``api_base_url``, so the same adapter serves Twilio itself and any
Twilio-compatible API, such as the simulated carrier of the demo and the tests.
"""

from __future__ import annotations

import logging
import threading
from urllib.parse import urlsplit, urlunsplit

from requests.adapters import HTTPAdapter
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.util.retry import Retry

from bhc.calls.carrier import CallStatus, CarrierError
from bhc.phones import mask

log = logging.getLogger(__name__)
# The statusCallbackEvent names (Call resource): "answered" is an event, not a CallStatus.
STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"]


def carrier_retries() -> Retry:
    """Retry only what the carrier surely did not act on: connection failures and explicit
    "try later" answers (429, 503), with backoff. A timeout or a 500 may already have placed
    the call, so those are not retried: the engine moves on to the next volunteer instead of
    risking ringing someone twice."""
    return Retry(total=3, connect=3, read=0, other=0, status=3, backoff_factor=0.25,
                 status_forcelist=(429, 503), allowed_methods=None, raise_on_status=False,
                 respect_retry_after_header=True)


class BaseUrlHttpClient(TwilioHttpClient):
    """Sends every request to one base URL, whatever Twilio host the client computed."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        super().__init__(timeout=timeout)
        adapter = HTTPAdapter(max_retries=carrier_retries())
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        base = urlsplit(base_url.rstrip("/"))
        self._scheme, self._netloc, self._prefix = base.scheme, base.netloc, base.path

    def request(self, method, url, *args, **kwargs):
        parts = urlsplit(url)
        rewritten = urlunsplit(
            (self._scheme, self._netloc, self._prefix + parts.path, parts.query, parts.fragment)
        )
        return super().request(method, rewritten, *args, **kwargs)


class TwilioCarrier:
    """Safe to use from many threads at once (the engine's carrier workers): each thread has a
    client of its own, as the twilio client keeps each request's response on itself
    (``TwilioHttpClient._test_only_last_response``), where a second thread's request would
    overwrite it before the first returns it."""

    def __init__(self, account_sid: str, auth_token: str, api_base_url: str) -> None:
        self._credentials = (account_sid, auth_token, api_base_url)
        self._local = threading.local()
        # The client imports its Calls resource on first use, which took seconds on a busy
        # machine: paid here, at start, rather than by the first caller's first call.
        self.client.calls  # noqa: B018

    @property
    def client(self) -> Client:
        client = getattr(self._local, "client", None)
        if client is None:
            account_sid, auth_token, api_base_url = self._credentials
            client = Client(account_sid, auth_token,
                            http_client=BaseUrlHttpClient(api_base_url))
            self._local.client = client
        return client

    def place_call(self, *, to: str, from_: str, url: str, status_callback: str,
                   timeout_s: int) -> str:
        try:
            call = self.client.calls.create(
                to=to,
                from_=from_,
                url=url,
                status_callback=status_callback,
                status_callback_event=STATUS_EVENTS,
                timeout=timeout_s,
                machine_detection="Enable",
            )
        except (TwilioException, OSError) as exc:
            log.warning("placing a call to %s failed: %s", mask(to), exc)
            raise CarrierError(str(exc)) from exc
        return call.sid

    def end_call(self, sid: str, *, answered: bool) -> None:
        self._update(sid, status=CallStatus.COMPLETED if answered else CallStatus.CANCELED)

    def redirect_call(self, sid: str, url: str) -> None:
        self._update(sid, url=url, method="POST")

    def _update(self, sid: str, **changes) -> None:
        try:
            self.client.calls(sid).update(**changes)
        except TwilioRestException as exc:
            if exc.status == 404:
                return  # the call is already gone: nothing left to stop
            raise CarrierError(str(exc)) from exc
        except (TwilioException, OSError) as exc:
            raise CarrierError(str(exc)) from exc
