"""A ready-made plugin for hosts that already hold their adapters."""

from __future__ import annotations

from typing import Any

from .hookspecs import hookimpl


class AdapterPlugin:
    """Answers the adapter hooks with the objects it was given; the ones left ``None`` fall back
    to the next plugin. Only the clock, the PDF renderer and the file store (the local filesystem)
    have defaults: storage, mailer and
    processor must come from some plugin, or the ``Portal`` raises ``ConfigurationError``.

    ``Portal(config, secret_key=..., plugins=[AdapterPlugin(storage=SqlStorage(url), mailer=...)])``
    """

    def __init__(
        self,
        *,
        storage: Any = None,
        mailer: Any = None,
        pdf: Any = None,
        processor: Any = None,
        clock: Any = None,
        file_store: Any = None,
        texts: Any = None,
    ):
        self.storage, self.mailer, self.pdf, self.processor, self.clock = storage, mailer, pdf, processor, clock
        self.file_store, self.texts = file_store, texts

    @hookimpl
    def portalkit_storage(self) -> Any:
        return self.storage

    @hookimpl
    def portalkit_mailer(self) -> Any:
        return self.mailer

    @hookimpl
    def portalkit_pdf_renderer(self) -> Any:
        return self.pdf

    @hookimpl
    def portalkit_payment_processor(self) -> Any:
        return self.processor

    @hookimpl
    def portalkit_clock(self) -> Any:
        return self.clock

    @hookimpl
    def portalkit_file_store(self) -> Any:
        return self.file_store

    @hookimpl
    def portalkit_text_messenger(self) -> Any:
        return self.texts
