"""Stripe for portalkit: ``StripeProcessor(api_key, webhook_secret, publishable_key)``."""

from .processor import StripeProcessor

__all__ = ["StripeProcessor"]
