"""The ``portalkit`` entry point: a ``TwilioTextMessenger`` built from the environment.

Every setting of ``TwilioTextMessenger`` is read from one variable (``messenger.ENVIRONMENT``):

- ``TWILIO_ACCOUNT_SID`` (``AC...``) and ``TWILIO_AUTH_TOKEN``: required once Twilio is
  configured at all;
- ``TWILIO_FROM_NUMBER`` (E.164) or ``TWILIO_MESSAGING_SERVICE_SID`` (``MG...``): exactly one;
- ``TWILIO_API_BASE``: the API elsewhere (a regional edge, a proxy, a local test server).

With none of the first four set this plugin answers nothing (the portal then sends every notice
by mail); with some of them set, a missing, doubled or malformed one is a
``portalkit.errors.ConfigurationError`` naming the variable, never a failing text later.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from portalkit import hookimpl

from .messenger import ENVIRONMENT, TwilioTextMessenger

_CONFIGURING = ("account_sid", "auth_token", "from_number", "messaging_service_sid")


def settings_from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any] | None:
    """``TwilioTextMessenger``'s keyword arguments from ``environ`` (default ``os.environ``), or
    None when none of ``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN``, ``TWILIO_FROM_NUMBER`` and
    ``TWILIO_MESSAGING_SERVICE_SID`` is set. Values are stripped of surrounding whitespace (a
    secret read from a file ends in a newline); blank ones count as unset, and are then refused
    by the messenger when required."""
    env = os.environ if environ is None else environ
    values = {name: (env.get(variable) or "").strip() for name, variable in ENVIRONMENT.items()}
    if not any(values[name] for name in _CONFIGURING):
        return None
    return {
        "account_sid": values["account_sid"],
        "auth_token": values["auth_token"],
        "from_number": values["from_number"] or None,
        "messaging_service_sid": values["messaging_service_sid"] or None,
        "api_base": values["api_base"] or None,
    }


def messenger_from_environment(environ: Mapping[str, str] | None = None) -> TwilioTextMessenger | None:
    """The ``TwilioTextMessenger`` the environment describes (see the module), or None when
    Twilio is not configured there."""
    settings = settings_from_environment(environ)
    return None if settings is None else TwilioTextMessenger(**settings)


@hookimpl
def portalkit_text_messenger() -> TwilioTextMessenger | None:
    return messenger_from_environment()
