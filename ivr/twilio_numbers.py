"""Wiring an exchange number at Twilio (the IncomingPhoneNumbers resource): the voice URL every
call fetches, the status callback that tells a caller's hang-up, and the voice fallback URL
fetched when the voice URL fails or takes longer than 15 s (error 11205).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from bhc.calls import urls

BAD_CREDENTIALS = 20003  # "Authenticate" (HTTP 401)


class NumberSetupError(Exception):
    """A one-line reason the number cannot be checked or set up."""


@dataclass(frozen=True)
class NumberSettings:
    """What an exchange number should say, in the IncomingPhoneNumber's own field names."""

    voice_url: str
    voice_method: str
    status_callback: str
    status_callback_method: str
    voice_fallback_url: str
    voice_fallback_method: str

    @classmethod
    def for_exchange(cls, public_url: str) -> NumberSettings:
        web = urls.WebhookUrls(public_url)
        return cls(web.url(urls.VOICE), "POST", web.url(urls.CALLER_STATUS), "POST",
                   web.url(urls.FALLBACK), "POST")


LABELS = {"voice_url": "voice URL", "voice_method": "voice method",
          "status_callback": "status callback", "status_callback_method": "status callback method",
          "voice_fallback_url": "voice fallback URL",
          "voice_fallback_method": "voice fallback method"}


@dataclass(frozen=True)
class Setting:
    name: str
    current: str
    wanted: str

    @property
    def label(self) -> str:
        return LABELS[self.name]

    @property
    def differs(self) -> bool:
        if self.name.endswith("method"):
            return (self.current or "POST").upper() != self.wanted.upper()
        return self.current != self.wanted


def _find(client: Client, number: str):
    try:
        found = client.incoming_phone_numbers.list(phone_number=number, limit=50)
    except (TwilioException, OSError) as exc:
        raise _explained(exc) from None
    exact = [entry for entry in found if entry.phone_number == number]
    if not exact:
        raise NumberSetupError(f"{number} is not a number of this Twilio account (check "
                               "[twilio] account_sid, and region for a number of another "
                               "region)")
    return exact[0]


def _explained(exc: Exception) -> NumberSetupError:
    """One line for what Twilio said. A list request fails with the page's response in a plain
    TwilioException ("Unable to fetch page"), a single resource with a TwilioRestException."""
    status, code = None, None
    if isinstance(exc, TwilioRestException):
        status, code = exc.status, exc.code
    elif isinstance(exc, TwilioException) and len(exc.args) > 1:
        response = exc.args[1]
        status = getattr(response, "status_code", None)
        try:
            code = json.loads(getattr(response, "text", "") or "{}").get("code")
        except ValueError:
            code = None
    if status == 401 or code == BAD_CREDENTIALS:
        return NumberSetupError("Twilio refused the credentials (error 20003): check [twilio] "
                                "account_sid and auth_token; a region such as ie1 needs that "
                                "region's own credentials")
    if status is not None:
        return NumberSetupError(f"Twilio answered HTTP {status} (error {code})")
    return NumberSetupError(f"could not reach Twilio: {exc}")


def check(client: Client, number: str, wanted: NumberSettings) -> list[Setting]:
    """The number's settings beside what they should be."""
    entry = _find(client, number)
    return [Setting(f.name, getattr(entry, f.name) or "", getattr(wanted, f.name))
            for f in fields(NumberSettings)]


def configure(client: Client, number: str, wanted: NumberSettings) -> list[Setting]:
    """Set every setting that differs; returns the settings as they were."""
    entry = _find(client, number)
    before = [Setting(f.name, getattr(entry, f.name) or "", getattr(wanted, f.name))
              for f in fields(NumberSettings)]
    try:
        client.incoming_phone_numbers(entry.sid).update(
            **{f.name: getattr(wanted, f.name) for f in fields(NumberSettings)})
    except (TwilioException, OSError) as exc:
        raise _explained(exc) from None
    return before
