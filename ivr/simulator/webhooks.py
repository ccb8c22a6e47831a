"""Signed HTTP requests from the simulated carrier to the app: TwiML fetches, status callbacks."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests
from twilio.request_validator import RequestValidator

from .errors import AppError, CallOver

if TYPE_CHECKING:
    from .call import Call

logger = logging.getLogger(__name__)

API_VERSION = "2010-04-01"
TIMEOUT_S = 15.0  # Twilio gives up on a webhook after 15 s


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


def parse_twiml(body: bytes) -> ET.Element:
    """Parse a TwiML document; anything that is not a <Response> is an application error."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise AppError(f"unparsable TwiML ({exc})") from None
    if root.tag != "Response":
        raise AppError(f"TwiML root is <{root.tag}>, expected <Response>")
    return root


class Webhooks:
    """Sends requests signed with X-Twilio-Signature exactly as RequestValidator expects them."""

    def __init__(self, auth_token: str, is_closing: Callable[[], bool]):
        self._validator = RequestValidator(auth_token)
        self._is_closing = is_closing

    def send(self, url: str, method: str, params: dict) -> requests.Response:
        """Send one signed webhook request (POST form body, or GET with the params in the query)."""
        params = {key: str(value) for key, value in params.items() if value is not None}
        headers = {"User-Agent": "TwilioProxy/1.1 (simulator)", "Accept": "*/*"}
        if method.upper() == "GET":
            parts = urlsplit(url)
            query = "&".join(q for q in (parts.query, urlencode(params)) if q)
            full = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
            headers["X-Twilio-Signature"] = self._validator.compute_signature(full, {})
            return requests.get(full, headers=headers, timeout=TIMEOUT_S)
        headers["X-Twilio-Signature"] = self._validator.compute_signature(url, params)
        return requests.post(url, data=params, headers=headers, timeout=TIMEOUT_S)

    def fetch_twiml(self, url: str, method: str, params: dict) -> ET.Element:
        """Fetch and parse TwiML; raise AppError the way Twilio turns failures into 'application
        error'.
        """
        if self._is_closing():
            raise CallOver()
        try:
            response = self.send(url, method, params)
        except requests.RequestException as exc:
            raise AppError(f"{loggable(url)} unreachable ({exc.__class__.__name__})") from None
        logger.debug("TwiML %s %s -> %s", method, loggable(url), response.status_code)
        if not 200 <= response.status_code < 300:
            raise AppError(f"{loggable(url)} answered HTTP {response.status_code}")
        return parse_twiml(response.content)

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
