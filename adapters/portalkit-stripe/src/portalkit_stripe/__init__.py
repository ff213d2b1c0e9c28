"""Stripe for portalkit: ``StripeProcessor(api_key=..., publishable_key=..., webhook_secret=...)``,
or, installed, the ``portalkit`` entry point reading them from ``STRIPE_*`` (``plugin``)."""

from .processor import StripeProcessor

__all__ = ["StripeProcessor"]
