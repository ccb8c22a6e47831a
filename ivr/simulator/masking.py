"""Masking of phone numbers for log lines: the project treats numbers as personal data."""


def mask(number: str | None) -> str:
    """Return the number with all but its last 4 digits hidden, e.g. '***4567'."""
    if not number:
        return "-"
    digits = [ch for ch in number if ch.isdigit()]
    if len(digits) <= 4:
        return number if not digits else "***"
    return "***" + "".join(digits[-4:])
