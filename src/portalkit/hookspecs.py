"""Pluggy hooks through which a host supplies adapters and hears events.

A host registers a plugin object (a module or class instance) whose methods are decorated with
``portalkit.hookimpl``. Adapter hooks are ``firstresult``: the last registered plugin that
answers (returns something other than ``None``) wins, so a host's plugin overrides the defaults.

Example::

    class MyHost:
        @hookimpl
        def portalkit_mailer(self):
            return SmtpMailer("smtp.example.com", 587)

        @hookimpl
        def portalkit_event(self, event):
            audit_log.write(event.name, event.event_id)

    portal = Portal(config, secret_key=..., plugins=[MyHost(), ...])

Storage, mailer and payment processor have no default: a portal without them, or with a
misspelt hook name, raises ``ConfigurationError`` when it is built.
"""

from __future__ import annotations

from typing import Any

import pluggy

from .events import Event

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
def portalkit_file_store() -> Any:
    """Return the :class:`portalkit.ports.FileStore` for uploaded files (default: the local
    filesystem under ``PORTALKIT_FILES_DIR``, see :mod:`portalkit.adapters.files`)."""


@hookspec(firstresult=True)
def portalkit_text_messenger() -> Any:
    """Return the :class:`portalkit.ports.TextMessenger` that sends text messages (optional:
    without one, every notice goes by mail). The ``fieldportalkit-twilio`` adapter supplies one."""


@hookspec(firstresult=True)
def portalkit_clock() -> Any:
    """Return the :class:`portalkit.ports.Clock` (timezone-aware UTC ``now()``)."""


@hookspec
def portalkit_template_dirs() -> list[str]:  # type: ignore[empty-body]
    """Return folders whose templates override portalkit's own, searched before the package's.

    Mail templates are looked up in ``<folder>/mail/<name>_subject.txt``, ``<name>.txt`` and
    ``<name>.html`` (see ``portalkit.notify.MAIL_NAMES``).
    """


@hookspec
def portalkit_event(event: Event) -> None:
    """Hear a committed portal event: one of the classes in :mod:`portalkit.events`.

    Called by the outbox dispatcher after the change committed, at least once per event; the
    event's ``event_id`` is the same on every delivery, for hosts that must act exactly once.
    """
