"""A text-message provider kept in memory, for tests and demos: what a real one (the
``fieldportalkit-twilio`` adapter) does, without a network."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping

from ..errors import InvalidWebhook
from ..ports import InboundText, TextMessage


class MemoryTextMessenger:
    """Keeps every sent text in ``sent`` (newest last); numbers in ``unreachable`` refuse
    messages, as a landline would. An inbound reply verifies when signed over the webhook's URL
    and form with this messenger's secret, as Twilio signs (``inbound()`` builds one)."""

    name = "memory"

    def __init__(self, secret: str | None = None) -> None:
        self._secret = (secret or secrets.token_urlsafe(16)).encode()
        self.sent: list[TextMessage] = []
        self.unreachable: set[str] = set()

    def send(self, message: TextMessage) -> str:
        if message.to in self.unreachable:
            raise ValueError("that number cannot receive text messages")
        self.sent.append(message)
        return f"SM{len(self.sent):032d}"

    def to(self, number: str) -> list[TextMessage]:
        return [m for m in self.sent if m.to == number]

    def parse_inbound(self, url: str, headers: Mapping[str, str], form: Mapping[str, str]) -> InboundText:
        given = next((v for k, v in headers.items() if k.lower() == "x-memory-signature"), "")
        if not hmac.compare_digest(given, self._sign(url, form)):
            raise InvalidWebhook("the inbound text's signature does not verify")
        return InboundText(
            sender=str(form.get("From", "")),
            body=str(form.get("Body", "")),
            provider_id=str(form.get("MessageSid", "")),
        )

    def inbound(self, url: str, sender: str, body: str) -> tuple[dict[str, str], dict[str, str]]:
        """The headers and form a contact's reply arrives with (what the provider posts)."""
        form = {"From": sender, "Body": body, "MessageSid": "SM" + secrets.token_hex(16)}
        return {"X-Memory-Signature": self._sign(url, form)}, form

    def _sign(self, url: str, form: Mapping[str, str]) -> str:
        data = url + "".join(f"{k}{form[k]}" for k in sorted(form))
        return hmac.new(self._secret, data.encode(), hashlib.sha256).hexdigest()
