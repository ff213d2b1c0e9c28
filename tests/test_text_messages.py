"""The in-memory text messenger passes the conformance suite every text-message adapter must pass."""

import pytest

from portalkit.adapters.texts import MemoryTextMessenger
from portalkit.testing.texts import TextMessengerConformance


class TestMemoryTextMessenger(TextMessengerConformance):
    @pytest.fixture
    def messenger(self):
        return MemoryTextMessenger()

    def received(self, messenger):
        return [(m.to, m.body) for m in messenger.sent]

    def unreachable(self, messenger):
        messenger.unreachable.add("+15005550009")
        return "+15005550009"

    def signed_inbound(self, messenger, url, sender, body):
        return messenger.inbound(url, sender, body)
