"""E-mail through the council's SMTP relay: STARTTLS and a login when the settings say so."""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from app.core.clock import now
from app.core.config import MailSettings


class ChannelNotConfigured(RuntimeError):
    """The channel has no relay or key: the message waits and is tried again (then dead-lettered)."""


def build(settings: MailSettings, *, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(now())
    domain = settings.mail_from.rsplit("@", 1)[-1].strip(" >") or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)
    return message


def send_email(settings: MailSettings, *, to: str, subject: str, body: str) -> str:
    """Send one message; returns its Message-ID. Raises on any refusal (the sender counts it and retries)."""
    if not settings.smtp_host:
        raise ChannelNotConfigured("MASH_SMTP_HOST is not set")
    message = build(settings, to=to, subject=subject, body=body)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
        smtp.send_message(message)
    return str(message["Message-ID"])
