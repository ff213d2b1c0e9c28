"""The text-message conformance suite: what every ``portalkit.ports.TextMessenger`` adapter must
do. Subclass it with a ``messenger`` fixture and the helpers::

    class TestMyTexts(TextMessengerConformance):
        @pytest.fixture
        def messenger(self):
            return MyTexts(...)

        def received(self, messenger):
            return [...]  # (to, body) of every message the provider got, oldest first

        def unreachable(self, messenger):
            return "+1..."  # a number the provider refuses to text (a landline, say)

        def signed_inbound(self, messenger, url, sender, body):
            return headers, form  # as the provider's inbound webhook would post a reply
"""

from __future__ import annotations

from typing import Any

import pytest

from ..errors import InvalidWebhook
from ..ports import TextMessage, TextMessenger

URL = "https://portal.example.test/portal/webhooks/texts"


class TextMessengerConformance:
    def received(self, messenger: Any) -> list[tuple[str, str]]:
        raise NotImplementedError

    def unreachable(self, messenger: Any) -> str:
        raise NotImplementedError

    def signed_inbound(self, messenger: Any, url: str, sender: str, body: str) -> tuple[dict[str, str], dict[str, str]]:
        raise NotImplementedError

    def test_is_a_text_messenger(self, messenger: Any) -> None:
        assert isinstance(messenger, TextMessenger) and messenger.name

    def test_send_hands_the_message_to_the_provider_and_returns_its_id(self, messenger: Any) -> None:
        message_id = messenger.send(TextMessage(to="+15555550123", body="Your technician is on the way ✓"))
        assert message_id
        assert ("+15555550123", "Your technician is on the way ✓") in self.received(messenger)

    def test_a_number_the_provider_refuses_is_a_value_error(self, messenger: Any) -> None:
        with pytest.raises(ValueError):
            messenger.send(TextMessage(to=self.unreachable(messenger), body="Hello"))

    def test_an_inbound_text_is_read_only_when_its_signature_verifies(self, messenger: Any) -> None:
        headers, form = self.signed_inbound(messenger, URL, "+15555550123", "STOP")
        reply = messenger.parse_inbound(URL, headers, form)
        assert (reply.sender, reply.body.strip().upper()) == ("+15555550123", "STOP")
        with pytest.raises(InvalidWebhook):
            messenger.parse_inbound(URL, headers, {**form, "Body": "START"})  # tampered
        with pytest.raises(InvalidWebhook):
            messenger.parse_inbound(URL + "/other", headers, form)  # signed for another address
