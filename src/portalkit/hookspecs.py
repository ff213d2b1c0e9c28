"""Pluggy hooks through which a host supplies adapters and hears events.

A host registers a plugin object (a module or class instance) whose methods are decorated with
``portalkit.hookimpl``. Adapter hooks are ``firstresult``: the last registered plugin that
answers wins, so a host's plugin overrides the defaults.

Example::

    class MyHost:
        @hookimpl
        def portalkit_mailer(self):
            return SmtpMailer("smtp.example.com", 587)

        @hookimpl
        def portalkit_event(self, name, payload):
            audit_log.write(name, payload)

    portal = Portal(config, plugins=[MyHost()])
"""

from __future__ import annotations

from typing import Any

import pluggy

PROJECT = "portalkit"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec(firstresult=True)
def portalkit_storage() -> Any:
    """Return the :class:`portalkit.ports.Storage` to keep records in."""


@hookspec(firstresult=True)
def portalkit_mailer() -> Any:
    """Return the :class:`portalkit.ports.Mailer` that delivers mail."""


@hookspec(firstresult=True)
def portalkit_pdf_renderer() -> Any:
    """Return the :class:`portalkit.ports.PdfRenderer` for invoice and proposal PDFs."""


@hookspec(firstresult=True)
def portalkit_payment_processor() -> Any:
    """Return the :class:`portalkit.ports.PaymentProcessor` that charges payment methods."""


@hookspec(firstresult=True)
def portalkit_clock() -> Any:
    """Return the :class:`portalkit.ports.Clock` (timezone-aware UTC ``now()``)."""


@hookspec
def portalkit_event(name: str, payload: dict) -> None:
    """Hear a committed portal event (``invitation.sent``, ``payment.settled``, ...).

    Called by the outbox dispatcher after the change committed, at least once per event; the
    payload carries a ``dedup_key`` for hosts that must act exactly once.
    """
