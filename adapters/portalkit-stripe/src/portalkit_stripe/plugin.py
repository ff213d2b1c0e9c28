"""The ``portalkit`` entry point: a ``StripeProcessor`` built from the environment.

Every setting of ``StripeProcessor`` is read from one variable (``processor.ENVIRONMENT``):

- ``STRIPE_API_KEY`` (``sk_...`` or ``rk_...``), ``STRIPE_PUBLISHABLE_KEY`` (``pk_...``),
  ``STRIPE_WEBHOOK_SECRET`` (``whsec_...``): required once Stripe is configured at all;
- ``STRIPE_API_BASE``: the API elsewhere (localstripe, ``http://localhost:8420``);
- ``STRIPE_JS_URL``: Stripe.js; by default ``<STRIPE_API_BASE>/js.stripe.com/v3/`` when
  ``STRIPE_API_BASE`` is set (localstripe serves its Stripe.js there), else Stripe's own;
- ``STRIPE_METHOD_TYPES``: comma-separated, ``card`` (default) or ``card,us_bank_account``.

With none of the three keys set this plugin answers nothing and another one is used; with some
of them set, a missing or malformed one is a ``portalkit.errors.ConfigurationError`` when the
``Portal`` is built (naming the variable), never a failing webhook later.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from portalkit import hookimpl

from .processor import ENVIRONMENT, StripeProcessor

_KEYS = ("api_key", "publishable_key", "webhook_secret")


def settings_from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any] | None:
    """``StripeProcessor``'s keyword arguments from ``environ`` (default ``os.environ``), or None
    when none of the keys is set. Values are stripped of surrounding whitespace (a secret read
    from a file ends in a newline); blank ones count as unset and are then refused by the
    processor."""
    env = os.environ if environ is None else environ
    values = {name: (env.get(variable) or "").strip() for name, variable in ENVIRONMENT.items()}
    if not any(values[name] for name in _KEYS):
        return None
    settings: dict[str, Any] = {name: values[name] for name in _KEYS}
    settings["api_base"] = values["api_base"] or None
    settings["js_url"] = values["js_url"] or None  # None: the processor derives it from api_base
    if values["method_types"]:
        settings["method_types"] = tuple(t.strip() for t in values["method_types"].split(",") if t.strip())
    return settings


def processor_from_environment(environ: Mapping[str, str] | None = None) -> StripeProcessor | None:
    """The ``StripeProcessor`` the environment describes (see the module), or None when Stripe is
    not configured there."""
    settings = settings_from_environment(environ)
    return None if settings is None else StripeProcessor(**settings)


@hookimpl
def portalkit_payment_processor() -> StripeProcessor | None:
    return processor_from_environment()
