"""A ready-made plugin for hosts that already hold their adapters."""

from __future__ import annotations

from typing import Any

from ..hookspecs import hookimpl


class AdapterPlugin:
    """Answers the adapter hooks with the objects it was given; the ones left ``None`` fall back
    to the next plugin (or portalkit's defaults).

    ``Portal(config, secret_key=..., plugins=[AdapterPlugin(storage=SqlStorage(url), mailer=...)])``
    """

    def __init__(self, *, storage: Any = None, mailer: Any = None, pdf: Any = None, processor: Any = None,
                 clock: Any = None):
        self.storage, self.mailer, self.pdf, self.processor, self.clock = storage, mailer, pdf, processor, clock

    @hookimpl
    def portalkit_storage(self):
        return self.storage

    @hookimpl
    def portalkit_mailer(self):
        return self.mailer

    @hookimpl
    def portalkit_pdf_renderer(self):
        return self.pdf

    @hookimpl
    def portalkit_payment_processor(self):
        return self.processor

    @hookimpl
    def portalkit_clock(self):
        return self.clock
