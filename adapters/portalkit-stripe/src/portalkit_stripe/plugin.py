"""The ``portalkit`` entry point: with ``STRIPE_API_KEY`` (and ``STRIPE_WEBHOOK_SECRET``,
``STRIPE_PUBLISHABLE_KEY``, optionally ``STRIPE_API_BASE``) in the environment, portalkit takes
payments through Stripe; without a key this plugin answers nothing and another one is used."""

from __future__ import annotations

import os

from portalkit import hookimpl

from .processor import StripeProcessor


@hookimpl
def portalkit_payment_processor() -> StripeProcessor | None:
    key = os.environ.get("STRIPE_API_KEY")
    if not key:
        return None
    return StripeProcessor(api_key=key, webhook_secret=os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
                           publishable_key=os.environ.get("STRIPE_PUBLISHABLE_KEY", ""),
                           api_base=os.environ.get("STRIPE_API_BASE") or None)
