"""Twilio text messages for portalkit: ``TwilioTextMessenger(account_sid, auth_token,
from_number=... or messaging_service_sid=...)``, or, installed, the ``portalkit`` entry point
reading them from ``TWILIO_*`` (``plugin``)."""

from .messenger import TextRefused, TwilioTextMessenger

__all__ = ["TextRefused", "TwilioTextMessenger"]
