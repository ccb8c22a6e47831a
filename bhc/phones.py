"""Phone numbers: parse to E.164 (region NL), mask for display and logs."""

from __future__ import annotations

import phonenumbers

WITHHELD = {"", "anonymous", "restricted", "unknown", "private", "+266696687", "+7378742833"}


class InvalidPhoneNumber(ValueError):
    """The text is not a dialable phone number."""


def to_e164(text: str, region: str = "NL") -> str:
    """Normalise any common notation (06 or +31 or 0031, with spaces or dashes) to E.164."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumber(f"{text!r} is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(f"{text!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_withheld(caller: str | None) -> bool:
    """Carriers send one of a few placeholders when the caller hides their number."""
    return (caller or "").strip().lower() in WITHHELD


def mask(e164: str | None) -> str:
    """A mobile number becomes '+31 6 ****5678': enough to recognise, not enough to dial."""
    if not e164:
        return "-"
    try:
        number = phonenumbers.parse(e164, "NL")
        national = phonenumbers.national_significant_number(number)
        return f"+{number.country_code} {national[:1]} ****{national[-4:]}"
    except phonenumbers.NumberParseException:
        return "****" + e164[-4:]
