"""The IncomingPhoneNumbers resource: list (filtered by PhoneNumber), fetch and update of an
exchange number's voice webhooks (https://www.twilio.com/docs/phone-numbers/api/
incomingphonenumber-resource).

PhoneNumber filters by "partial numbers" with '*' as a wildcard for any digit; VoiceFallbackUrl is
"A URL that Twilio will request if an error occurs requesting or executing the TwiML defined by
VoiceUrl" (error 21405: "Cannot set VoiceFallbackUrl without setting Url"). Numbers are added
with SimulatedNetwork.add_number (provisioning through AvailablePhoneNumbers is not simulated).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from flask import Blueprint, jsonify, request

if TYPE_CHECKING:
    from .network import SimulatedNetwork
    from .phones import ExchangeNumber

API = "/2010-04-01/Accounts/<account_sid>"
CREATED = datetime.now(UTC)
UPDATABLE = {  # form parameter -> ExchangeNumber field
    "VoiceUrl": "voice_url",
    "VoiceMethod": "voice_method",
    "VoiceFallbackUrl": "voice_fallback_url",
    "VoiceFallbackMethod": "voice_fallback_method",
    "StatusCallback": "status_callback",
    "StatusCallbackMethod": "status_callback_method",
    "FriendlyName": "friendly_name",
}


def number_resource(net: SimulatedNetwork, entry: ExchangeNumber) -> dict:
    from .rest import rfc2822

    with net.lock:
        return {
            "account_sid": net.account_sid,
            "address_requirements": "none",
            "api_version": "2010-04-01",
            "beta": False,
            "capabilities": {"voice": True, "sms": False, "mms": False, "fax": False},
            "date_created": rfc2822(CREATED),
            "date_updated": rfc2822(CREATED),
            "friendly_name": entry.friendly_name or entry.number,
            "phone_number": entry.number,
            "origin": "twilio",
            "sid": entry.sid,
            "sms_application_sid": None,
            "sms_fallback_method": "POST",
            "sms_fallback_url": "",
            "sms_method": "POST",
            "sms_url": "",
            "status_callback": entry.status_callback or "",
            "status_callback_method": entry.status_callback_method,
            "trunk_sid": None,
            "uri": f"/2010-04-01/Accounts/{net.account_sid}/IncomingPhoneNumbers/{entry.sid}.json",
            "voice_application_sid": None,
            "voice_caller_id_lookup": False,
            "voice_fallback_method": entry.voice_fallback_method,
            "voice_fallback_url": entry.voice_fallback_url or "",
            "voice_method": entry.voice_method,
            "voice_url": entry.voice_url or "",
            "status": "in-use",
        }


def matches(pattern: str, number: str) -> bool:
    """PhoneNumber filter: a partial number, '*' standing for any one digit."""
    regex = "".join(r"\d" if ch == "*" else re.escape(ch) for ch in pattern.strip())
    return re.search(regex, number) is not None


def register(bp: Blueprint, net: SimulatedNetwork) -> None:
    from .rest import http_method, not_found, page, twilio_error

    @bp.get(API + "/IncomingPhoneNumbers.json")
    def list_numbers(account_sid: str):
        wanted = request.args.get("PhoneNumber")
        friendly = request.args.get("FriendlyName")
        entries = [
            e
            for e in net.all_numbers()
            if (not wanted or matches(wanted, e.number))
            and (not friendly or (e.friendly_name or e.number) == friendly)
        ]
        uri = f"/2010-04-01/Accounts/{net.account_sid}/IncomingPhoneNumbers.json"
        return jsonify(
            page("incoming_phone_numbers", [number_resource(net, e) for e in entries], uri)
        )

    @bp.get(API + "/IncomingPhoneNumbers/<sid>.json")
    def fetch_number(account_sid: str, sid: str):
        entry = net.number_by_sid(sid)
        if entry is None:
            return not_found(sid, "IncomingPhoneNumbers")
        return jsonify(number_resource(net, entry))

    @bp.post(API + "/IncomingPhoneNumbers/<sid>.json")
    def update_number(account_sid: str, sid: str):
        entry = net.number_by_sid(sid)
        if entry is None:
            return not_found(sid, "IncomingPhoneNumbers")
        changes = {}
        for param, name in UPDATABLE.items():
            if param in request.form:
                value = request.form[param]
                if name.endswith("method"):
                    value = http_method(value)
                changes[name] = value or (
                    None if name.endswith("url") or name == "status_callback" else value
                )
        voice_url = changes.get("voice_url", entry.voice_url)
        if changes.get("voice_fallback_url") and not voice_url:
            return twilio_error(400, 21405, "Cannot set VoiceFallbackUrl without setting Url")
        net.update_number(entry.number, **changes)
        return jsonify(number_resource(net, entry))
