"""The fake processor passes the processor conformance suite every adapter must pass."""

import pytest

from portalkit.adapters.payments import FakeProcessor, card_token
from portalkit.testing.processors import ProcessorConformance


class TestFakeProcessor(ProcessorConformance):
    @pytest.fixture
    def processor(self):
        return FakeProcessor()

    def token(self, processor, number, exp_month=12, exp_year=2031):
        return card_token(number, exp_month, exp_year)

    def signed_webhook(self, processor, body):
        return {"Fake-Signature": processor.signature(body)}

    def settle(self, processor, ref):
        processor.settle_due(lambda headers, body: None)
