"""SMTP mailer on the standard library's smtplib (STARTTLS or SMTPS, optional login)."""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from ..ports import Mail


def message_id(dedup_key: str, domain: str) -> str:
    """A stable Message-ID for a dedup key, so a resent message is recognisable as the same."""
    return f"<pk.{hashlib.sha256(dedup_key.encode()).hexdigest()[:32]}@{domain}>"


class SmtpMailer:
    def __init__(self, host: str, port: int = 587, *, username: str | None = None, password: str | None = None,
                 default_sender: str = "portal@localhost", starttls: bool = False, use_ssl: bool = False,
                 timeout: float = 30.0):
        self.host, self.port = host, port
        self.username, self.password = username, password
        self.default_sender = default_sender
        self.starttls, self.use_ssl, self.timeout = starttls, use_ssl, timeout

    def build(self, mail: Mail) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = mail.sender or self.default_sender
        msg["To"] = ", ".join(mail.to)
        msg["Subject"] = mail.subject
        msg["Date"] = formatdate(localtime=False)
        domain = (mail.sender or self.default_sender).rpartition("@")[2] or "localhost"
        msg["Message-ID"] = message_id(mail.message_id, domain) if mail.message_id else make_msgid(domain=domain)
        if mail.reply_to:
            msg["Reply-To"] = mail.reply_to
        msg.set_content(mail.text)
        if mail.html:
            msg.add_alternative(mail.html, subtype="html")
        return msg

    def send(self, mail: Mail) -> None:
        msg = self.build(mail)
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if self.use_ssl:
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if self.starttls:
                client.starttls(context=context)
            if self.username:
                client.login(self.username, self.password or "")
            client.send_message(msg)
