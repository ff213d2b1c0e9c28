"""``DjangoMailer``: the portal's mail through Django's own ``django.core.mail``, so the host's
``EMAIL_BACKEND`` sends it — SMTP, django-anymail (Postmark, SES, Mailgun...), the console in
development, ``locmem`` in tests::

    class DjangoAdapters:
        @hookimpl
        def portalkit_mailer(self):
            return DjangoMailer()

Each mail is an ``EmailMultiAlternatives``: the text part, the HTML alternative, From the
company's sender, Reply-To when set, and a Message-ID made from the outbox's dedup key, so a
message sent again after a crash is recognisable as the same one.
"""

from __future__ import annotations

from typing import Any

from django.core.mail import EmailMultiAlternatives, get_connection

from ...adapters.smtp import message_id
from ...ports import Mail


class DjangoMailer:
    def __init__(self, *, backend: str | None = None, **backend_options: Any):
        """``backend`` (a dotted path) and its options override ``settings.EMAIL_BACKEND``."""
        self._backend, self._options = backend, backend_options

    def send(self, mail: Mail) -> None:
        if not mail.sender:
            raise ValueError("a mail needs a sender: set PortalConfig.sender_email")
        domain = mail.sender.rpartition("@")[2].rstrip(">") or "localhost"
        headers = {"Message-ID": message_id(mail.message_id, domain)} if mail.message_id else {}
        message = EmailMultiAlternatives(
            subject=mail.subject,
            body=mail.text,
            from_email=mail.sender,
            to=list(mail.to),
            reply_to=[mail.reply_to] if mail.reply_to else None,
            headers=headers,
            connection=get_connection(self._backend, **self._options),
        )
        if mail.html:
            message.attach_alternative(mail.html, "text/html")
        message.send()
