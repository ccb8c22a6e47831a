"""Signed HTTP requests from the simulated carrier to the app: TwiML fetches, status callbacks.

Failures of a TwiML fetch become an AppError carrying the code Twilio logs for it
(https://www.twilio.com/docs/api/errors): 11200 "HTTP retrieval failure" for a non-2xx answer,
11205 "HTTP connection failure" when the app cannot be reached or does not answer within the
webhook timeout (15 s on Twilio: "Twilio will wait for a total of 15 seconds to receive an HTTP
response", error 11205), 12100 "Document parse failure" for a body that is not TwiML.
"""

from __future__ import annotations

import logging
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests
from twilio.request_validator import RequestValidator

from .errors import AppError, CallOver, SimulatorError

if TYPE_CHECKING:
    from .call import Call

logger = logging.getLogger(__name__)

API_VERSION = "2010-04-01"
TIMEOUT_S = 15.0  # Twilio gives up on a webhook after 15 s in total (error 11205)
CONNECT_TIMEOUT_S = 10.0  # "Twilio will try for 10 seconds to establish a TCP connection"
FAULTS = {"http-500": 11200, "unreachable": 11205, "timeout": 11205, "invalid-twiml": 12100}


def call_params(call: Call, account_sid: str) -> dict:
    """The parameters Twilio sends with every voice webhook of this call."""
    params = {
        "AccountSid": account_sid,
        "CallSid": call.sid,
        "From": call.from_,
        "To": call.to,
        "Caller": call.from_,
        "Called": call.to,
        "Direction": call.direction,
        "CallStatus": call.status,
        "ApiVersion": API_VERSION,
    }
    if call.parent_sid:
        params["ParentCallSid"] = call.parent_sid
    return params


def loggable(url: str) -> str:
    """The URL without query string or fragment (they may carry personal data)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def parse_twiml(body: bytes, url: str | None = None) -> ET.Element:
    """Parse a TwiML document; anything that is not a <Response> is an application error."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise AppError(f"unparsable TwiML ({exc})", 12100, url) from None
    if root.tag != "Response":
        raise AppError(f"TwiML root is <{root.tag}>, expected <Response>", 12100, url)
    return root


@dataclass
class Fault:
    """A scripted failure of the next TwiML fetch(es) whose URL contains `match`."""

    match: str
    how: str
    remaining: int


class Webhooks:
    """Sends requests signed with X-Twilio-Signature exactly as RequestValidator expects them,
    now or later (on a timer thread, for delayed or repeated status callbacks).
    """

    def __init__(
        self, auth_token: str, is_closing: Callable[[], bool], timeout_s: float = TIMEOUT_S
    ):
        self._validator = RequestValidator(auth_token)
        self._is_closing = is_closing
        self.timeout_s = float(timeout_s)
        self._faults: list[Fault] = []
        self._after: list[tuple[str, Callable[[], None]]] = []
        self._timers: set[threading.Timer] = set()
        self._lock = threading.Lock()

    # --- scripted failures ---------------------------------------------------------------
    def fail_next(self, match: str, how: str = "http-500", times: int = 1) -> None:
        if how not in FAULTS:
            raise SimulatorError(f"how must be one of {sorted(FAULTS)}, not {how!r}")
        with self._lock:
            self._faults.append(Fault(match, how, max(1, int(times))))

    def after_next(self, match: str, action: Callable[[], None]) -> None:
        """Run ``action`` once, when the app has answered the next TwiML request whose URL
        contains ``match`` and before its TwiML runs (a test's way to make something happen
        at exactly that point of a call, such as the caller hanging up between the volunteer's
        1 and the bridge)."""
        with self._lock:
            self._after.append((match, action))

    def _take_after(self, url: str) -> Callable[[], None] | None:
        with self._lock:
            for entry in self._after:
                if entry[0] in url:
                    self._after.remove(entry)
                    return entry[1]
        return None

    def _take_fault(self, url: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.match in url:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    # --- sending -------------------------------------------------------------------------
    def send(self, url: str, method: str, params: dict) -> requests.Response:
        """Send one signed webhook request (POST form body, or GET with the params in the query)."""
        params = {key: str(value) for key, value in params.items() if value is not None}
        headers = {"User-Agent": "TwilioProxy/1.1 (simulator)", "Accept": "*/*"}
        timeout = (min(CONNECT_TIMEOUT_S, self.timeout_s), self.timeout_s)
        if method.upper() == "GET":
            parts = urlsplit(url)
            query = "&".join(q for q in (parts.query, urlencode(params)) if q)
            full = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
            headers["X-Twilio-Signature"] = self._validator.compute_signature(full, {})
            return requests.get(full, headers=headers, timeout=timeout)
        headers["X-Twilio-Signature"] = self._validator.compute_signature(url, params)
        return requests.post(url, data=params, headers=headers, timeout=timeout)

    def fetch_twiml(self, url: str, method: str, params: dict) -> ET.Element:
        """Fetch and parse TwiML; raise AppError (with Twilio's error code) on any failure."""
        if self._is_closing():
            raise CallOver()
        fault = self._take_fault(url)
        if fault is not None:
            logger.info("TwiML %s %s: scripted failure %s", method, loggable(url), fault.how)
            if fault.how == "invalid-twiml":
                return parse_twiml(b"<Response><Say>broken", url)
            raise AppError(f"{loggable(url)}: scripted {fault.how}", FAULTS[fault.how], url)
        try:
            response = self.send(url, method, params)
        except requests.Timeout:
            raise AppError(f"{loggable(url)} did not answer in time", 11205, url) from None
        except requests.RequestException as exc:
            raise AppError(
                f"{loggable(url)} unreachable ({exc.__class__.__name__})", 11205, url
            ) from None
        logger.debug("TwiML %s %s -> %s", method, loggable(url), response.status_code)
        if not 200 <= response.status_code < 300:
            raise AppError(f"{loggable(url)} answered HTTP {response.status_code}", 11200, url)
        twiml = parse_twiml(response.content, url)
        if (action := self._take_after(url)) is not None:
            action()
        return twiml

    def notify(self, url: str, method: str, params: dict) -> int | None:
        """Send a request whose answer does not matter (status callbacks, final actions); never
        raises.
        """
        if self._is_closing():
            return None
        try:
            status = self.send(url, method, params).status_code
        except requests.RequestException as exc:
            logger.warning("webhook %s failed: %s", loggable(url), exc.__class__.__name__)
            return None
        logger.debug("webhook %s %s -> %s", method, loggable(url), status)
        return status

    def later(self, delay_real_s: float, action: Callable[[], None]) -> None:
        """Run `action` (typically a notify) on a timer thread after a real delay."""

        def run() -> None:
            try:
                if not self._is_closing():
                    action()
            finally:
                with self._lock:
                    self._timers.discard(timer)

        timer = threading.Timer(max(0.0, delay_real_s), run)
        timer.daemon = True
        timer.name = "sim-webhook-later"
        with self._lock:
            self._timers.add(timer)
        timer.start()

    def shutdown(self, deadline_s: float = 1.0) -> None:
        """Cancel webhooks not yet sent and wait briefly for those under way."""
        with self._lock:
            timers = list(self._timers)
        for timer in timers:
            timer.cancel()
        for timer in timers:
            timer.join(deadline_s)
