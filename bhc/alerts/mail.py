"""Sending an e-mail through the SMTP server of ``[mail]``."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from bhc.config import MailConfig

TIMEOUT_S = 10.0


class MailError(RuntimeError):
    """The SMTP server could not be reached or refused the message."""


def send(settings: MailConfig, to: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_S) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.user:
                smtp.login(settings.user, settings.password)
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"{settings.host}:{settings.port}: {exc}") from exc
