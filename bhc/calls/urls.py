"""Webhook paths the engine hands to the carrier; the ivr blueprint serves the same paths."""

from __future__ import annotations

from urllib.parse import urlencode

VOICE = "/ivr/voice"
CALLER_STATUS = "/ivr/caller/status"
CALLER_NUMBER = "/ivr/caller/number"
MENU = "/ivr/menu"
MENU_CONFIRM = "/ivr/menu/confirm"
HOLD = "/ivr/caller/hold"
QUEUE_ENDED = "/ivr/caller/queue-ended"
CONNECTING = "/ivr/caller/connecting"
UNMATCHED = "/ivr/caller/unmatched"
OFFER = "/ivr/volunteer/offer"
OFFER_ANSWER = "/ivr/volunteer/answer"
VOLUNTEER_STATUS = "/ivr/volunteer/status"
CLOSED = "/ivr/volunteer/closed"
AFTER_BRIDGE = "/ivr/volunteer/after-bridge"
VOLUNTEER_HOLD = "/ivr/volunteer/hold"
CALLBACK_CHOICE = "/ivr/caller/callback"
RESIDENT_ANSWER = "/ivr/callback/answer"
RESIDENT_CHOICE = "/ivr/callback/choice"
RESIDENT_STATUS = "/ivr/callback/status"
RECONNECT_CHOICE = "/ivr/reconnect/choice"
RECONNECT_HOLD = "/ivr/reconnect/hold"
RECONNECT_WAITED = "/ivr/reconnect/waited"
RECONNECT_CONNECTING = "/ivr/reconnect/connecting"
RECONNECT_ANSWER = "/ivr/reconnect/answer"
RECONNECT_KEY = "/ivr/reconnect/key"
RECONNECT_STATUS = "/ivr/reconnect/status"
RECONNECT_AFTER = "/ivr/reconnect/after"
OWN_DETAILS = "/ivr/caller/own-details"
OWN_DETAILS_CHOICE = "/ivr/caller/own-details/choice"
AUDIO = "/ivr/audio"  # GET: recorded prompts, fetched by the carrier without a signature
FOLLOWUP_ANSWER = "/ivr/followup/answer"
FOLLOWUP_KEY = "/ivr/followup/key"
FOLLOWUP_STATUS = "/ivr/followup/status"
VERIFY_CALL = "/ivr/verify/code"
VERIFY_STATUS = "/ivr/verify/status"
# Issue 17: asynchronous machine detection's verdicts, the coordinator's <Dial> action, the
# called-back resident's <Dial> action, and the numbers' voice fallback URL (static TwiML).
VOLUNTEER_AMD = "/ivr/volunteer/amd/status"
RESIDENT_AMD = "/ivr/callback/amd/status"
FOLLOWUP_AMD = "/ivr/followup/amd/status"
OFFICE_ENDED = "/ivr/caller/office-ended"
RESIDENT_AFTER_BRIDGE = "/ivr/callback/after-bridge"
FALLBACK = "/ivr/fallback"


class WebhookUrls:
    """Absolute URLs under ``public_url``, which is also what signatures are computed on."""

    def __init__(self, public_url: str) -> None:
        self.base = public_url.rstrip("/")

    def url(self, path: str, **query: object) -> str:
        return self.base + path + ("?" + urlencode(query) if query else "")
