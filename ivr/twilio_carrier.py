"""``TwilioCarrier``: the carrier port over the official twilio REST client.

Against Twilio itself the client picks its host from ``region`` and ``edge`` (for example
``api.dublin.ie1.twilio.com``), as "Using the Twilio REST API in a non-US Region" describes.
Any other ``api_base_url`` (a Twilio-compatible API, the simulated carrier of the demo and the
tests) receives every REST request instead, whatever host the client computed.
"""

from __future__ import annotations

import logging
import threading
from urllib.parse import urlsplit, urlunsplit

from requests import Timeout
from requests.adapters import HTTPAdapter
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.util.retry import Retry

from bhc import metrics
from bhc.calls.carrier import CallStatus, CarrierError
from bhc.phones import mask

log = logging.getLogger(__name__)
TWILIO_API = "https://api.twilio.com"
# The statusCallbackEvent names (Call resource): "answered" is an event, not a CallStatus.
# Not "initiated": a ring time counts from the first news, and "ringing" follows "initiated"
# within moments; asking for both cost a webhook per call, a ninth of all of them at a burst.
# Not "answered" either: the call's Url is requested when it is answered ("Call resource",
# https://www.twilio.com/docs/voice/api/call-resource, Url: the TwiML "when the call
# connects"), and every answer webhook records the answer itself (a volunteer's offer marks
# the leg in progress). The event repeated it with one more webhook per answered call, which
# at a burst also queued on the leg's row behind the offer.
STATUS_EVENTS = ["ringing", "completed"]
# "Call is not in-progress. Cannot redirect." (error 21220): the call is over.
CALL_NOT_IN_PROGRESS = 21220


def carrier_retries() -> Retry:
    """Retry only what the carrier surely did not act on: connection failures and explicit
    "try later" answers (429, 503), with backoff. A timeout or a 500 may already have placed
    the call, so those are not retried: the engine moves on to the next volunteer instead of
    risking ringing someone twice."""
    return Retry(total=3, connect=3, read=0, other=0, status=3, backoff_factor=0.25,
                 status_forcelist=(429, 503), allowed_methods=None, raise_on_status=False,
                 respect_retry_after_header=True)


class RetryingHttpClient(TwilioHttpClient):
    """The twilio client's own HTTP client, retrying what :func:`carrier_retries` allows."""

    def __init__(self, timeout: float = 10.0) -> None:
        super().__init__(timeout=timeout)
        adapter = HTTPAdapter(max_retries=carrier_retries())
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)


class BaseUrlHttpClient(RetryingHttpClient):
    """Sends every request to one base URL, whatever Twilio host the client computed."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        super().__init__(timeout=timeout)
        base = urlsplit(base_url.rstrip("/"))
        self._scheme, self._netloc, self._prefix = base.scheme, base.netloc, base.path

    def request(self, method, url, *args, **kwargs):
        parts = urlsplit(url)
        rewritten = urlunsplit(
            (self._scheme, self._netloc, self._prefix + parts.path, parts.query, parts.fragment)
        )
        return super().request(method, rewritten, *args, **kwargs)


def twilio_client(account_sid: str, auth_token: str, api_base_url: str = TWILIO_API,
                  region: str = "", edge: str = "") -> Client:
    """The REST client: Twilio's hosts by region and edge, or everything to ``api_base_url``."""
    http_client = (RetryingHttpClient() if api_base_url.rstrip("/") == TWILIO_API
                   else BaseUrlHttpClient(api_base_url))
    return Client(account_sid, auth_token, region=region or None, edge=edge or None,
                  http_client=http_client)


class TwilioCarrier:
    """Safe to use from many threads at once (the engine's carrier workers): each thread has a
    client of its own, as the twilio client keeps each request's response on itself
    (``TwilioHttpClient._test_only_last_response``), where a second thread's request would
    overwrite it before the first returns it."""

    def __init__(self, account_sid: str, auth_token: str, api_base_url: str = TWILIO_API,
                 region: str = "", edge: str = "") -> None:
        self._settings = (account_sid, auth_token, api_base_url, region, edge)
        self._local = threading.local()
        self._unknown_call_reported = False
        # The client imports its Calls resource on first use, which took seconds on a busy
        # machine: paid here, at start, rather than by the first caller's first call.
        self.client.calls  # noqa: B018

    @property
    def client(self) -> Client:
        """This thread's REST client."""
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = twilio_client(*self._settings)
        return client

    def place_call(self, *, to: str, from_: str, url: str, status_callback: str,
                   timeout_s: int, machine_detection_url: str | None = None) -> str:
        detection = {}
        if machine_detection_url:
            # Asynchronous detection ("Answering Machine Detection"): the callee hears the
            # answer URL's TwiML at once; the verdict is posted to the callback later.
            # DetectMessageEnd tells a voicemail's beep from a person who, after a long
            # greeting, waits in silence (machine_end_silence), whom Enable would call
            # machine_start.
            detection = dict(machine_detection="DetectMessageEnd", async_amd="true",
                             async_amd_status_callback=machine_detection_url,
                             async_amd_status_callback_method="POST")
        try:
            call = self.client.calls.create(
                to=to,
                from_=from_,
                url=url,
                status_callback=status_callback,
                status_callback_event=STATUS_EVENTS,
                timeout=timeout_s,
                **detection,
            )
        except (TwilioException, OSError) as exc:
            log.warning("placing a call to %s failed: %s", mask(to), exc)
            raise _failed("place_call", exc) from exc
        return call.sid

    def end_call(self, sid: str, *, answered: bool) -> None:
        self._update(sid, status=CallStatus.COMPLETED if answered else CallStatus.CANCELED)

    def redirect_call(self, sid: str, url: str) -> None:
        self._update(sid, url=url, method="POST")

    def delete_queue(self, queue_sid: str) -> None:
        try:
            self.client.queues(queue_sid).delete()
        except TwilioRestException as exc:
            if exc.status == 404:
                return  # deleted already
            raise _failed("delete_queue", exc) from exc
        except (TwilioException, OSError) as exc:
            raise _failed("delete_queue", exc) from exc

    def _update(self, sid: str, **changes) -> None:
        operation = "redirect_call" if "url" in changes else "end_call"
        try:
            self.client.calls(sid).update(**changes)
        except TwilioRestException as exc:
            if exc.status == 404:
                self._unknown_call(sid)
                return
            if exc.code == CALL_NOT_IN_PROGRESS:
                return  # the call ended meanwhile: nothing left to stop or redirect
            raise _failed(operation, exc) from exc
        except (TwilioException, OSError) as exc:
            raise _failed(operation, exc) from exc

    def _unknown_call(self, sid: str) -> None:
        """Twilio keeps a call's record after it ends, so a 404 means these credentials and
        this region do not see the call: a configuration problem, said loudly once."""
        if self._unknown_call_reported:
            log.warning("the carrier does not know call %s (404); see the error above", sid)
            return
        self._unknown_call_reported = True
        log.error(
            "CONFIGURATION PROBLEM: the carrier answered 404 for call %s, so the exchange "
            "cannot cancel, end or redirect calls. A call exists only in the Twilio Region "
            "where it was created: the exchange numbers' inbound processing region must be "
            "the one [twilio] region and edge point to (now %s), with credentials of that "
            "region and account.", sid,
            f"{self.client.region} via {self.client.edge}" if self.client.region
            else "the default, US1",
        )


def _failed(operation: str, exc: Exception) -> CarrierError:
    """The error for the engine, counted by kind: the carrier's HTTP status, a timeout, or no
    connection at all."""
    if isinstance(exc, TwilioRestException):
        kind = f"http_{exc.status}"
    elif isinstance(exc, Timeout):
        kind = "timeout"
    elif isinstance(exc, OSError):
        kind = "connection"
    else:
        kind = "other"
    metrics.CARRIER_ERRORS.labels(operation, kind).inc()
    return CarrierError(str(exc))
