"""Wiring an exchange number at Twilio (the IncomingPhoneNumbers resource): the voice URL every
call fetches, the status callback that tells a caller's hang-up, and the voice fallback URL
fetched when the voice URL fails or takes longer than 15 s (error 11205).
"""

from __future__ import annotations

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
    except TwilioRestException as exc:
        raise _explained(exc) from None
    except (TwilioException, OSError) as exc:
        raise NumberSetupError(f"could not reach Twilio: {exc}") from None
    exact = [entry for entry in found if entry.phone_number == number]
    if not exact:
        raise NumberSetupError(f"{number} is not a number of this Twilio account (check "
                               "[twilio] account_sid, and region for a number of another "
                               "region)")
    return exact[0]


def _explained(exc: TwilioRestException) -> NumberSetupError:
    if exc.status == 401 or exc.code == BAD_CREDENTIALS:
        return NumberSetupError("Twilio refused the credentials (error 20003): check [twilio] "
                                "account_sid and auth_token; a region such as ie1 needs that "
                                "region's own credentials")
    return NumberSetupError(f"Twilio answered HTTP {exc.status} (error {exc.code}): {exc.msg}")


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
    except TwilioRestException as exc:
        raise _explained(exc) from None
    except (TwilioException, OSError) as exc:
        raise NumberSetupError(f"could not reach Twilio: {exc}") from None
    return before
