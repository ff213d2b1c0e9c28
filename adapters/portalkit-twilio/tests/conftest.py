"""The local Twilio (``fake_twilio.FakeTwilio``) and a messenger pointed at it."""

from __future__ import annotations

import pytest
from fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, SERVICE_SID, FakeTwilio
from portalkit_twilio import TwilioTextMessenger


@pytest.fixture(scope="session")
def twilio_server():
    with FakeTwilio() as server:
        yield server


@pytest.fixture
def twilio(twilio_server):
    """The local Twilio, knowing only the test account (its number and Messaging Service)."""
    twilio_server.reset()
    twilio_server.add_account(ACCOUNT_SID, AUTH_TOKEN, numbers=[FROM_NUMBER], services=[SERVICE_SID])
    return twilio_server


@pytest.fixture
def messenger_for(twilio):
    """``messenger_for(sender="from_number" or "messaging_service_sid", **overrides)``."""

    def make(sender: str = "from_number", **overrides) -> TwilioTextMessenger:
        settings = {
            "account_sid": ACCOUNT_SID,
            "auth_token": AUTH_TOKEN,
            "api_base": twilio.url,
            sender: FROM_NUMBER if sender == "from_number" else SERVICE_SID,
            **overrides,
        }
        return TwilioTextMessenger(**settings)

    return make
