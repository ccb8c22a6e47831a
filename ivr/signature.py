"""Only the carrier may drive the IVR: every webhook must carry a valid X-Twilio-Signature."""

from __future__ import annotations

import functools
import logging

from flask import abort, request
from twilio.request_validator import RequestValidator

from bhc.app import current_exchange

log = logging.getLogger(__name__)


def signed_url() -> str:
    """The URL the carrier signed: our public URL plus the path and query it requested."""
    public_url = current_exchange().config.server.public_url.rstrip("/")
    query = request.query_string.decode("latin-1")
    return public_url + request.script_root + request.path + (f"?{query}" if query else "")


def signed(view):
    @functools.wraps(view)
    def checked(*args, **kwargs):
        signature = request.headers.get("X-Twilio-Signature", "")
        validator = RequestValidator(current_exchange().config.auth_token)
        if not signature or not validator.validate(signed_url(), request.form, signature):
            log.warning("rejected a webhook to %s with a bad or missing signature", request.path)
            abort(403)
        return view(*args, **kwargs)

    return checked
