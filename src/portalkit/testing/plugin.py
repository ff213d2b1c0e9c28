"""The in-memory adapters as an explicit plugin, and a ready portal for host test suites.

Nothing here is ever a silent default: a host opts in by registering ``InMemoryPlugin()`` or
calling ``make_portal()``. Records live in memory and vanish with the process; the payment
processor is the fake one.
"""

from __future__ import annotations

from typing import Any

import attrs

from ..adapters.memory import FrozenClock, MemoryFileStore, MemoryMailer, MemoryStorage
from ..adapters.payments import FakeProcessor
from ..config import PortalConfig
from ..hookspecs import hookimpl
from ..portal import Portal
from ..ports import Clock, FileStore, Mailer, PaymentProcessor, Storage, TextMessenger

TEST_SECRET = "portalkit-testing-secret-key"


class InMemoryPlugin:
    """Answers storage, mailer, processor and file store (and the clock, when given) with in-memory and fake
    adapters; pass any of them to use your own. Its attributes are the adapters, to inspect."""

    def __init__(
        self,
        *,
        storage: Storage | None = None,
        mailer: Mailer | None = None,
        processor: PaymentProcessor | None = None,
        clock: Clock | None = None,
        file_store: FileStore | None = None,
        texts: TextMessenger | None = None,
    ):
        self.storage: Any = storage or MemoryStorage()
        self.mailer: Any = mailer or MemoryMailer()
        self.processor: Any = processor or FakeProcessor()
        self.clock: Any = clock
        self.file_store: Any = file_store or MemoryFileStore()
        self.texts: Any = texts  # None: no text messages, as a host without a provider

    @hookimpl
    def portalkit_storage(self) -> Storage:
        return self.storage  # type: ignore[no-any-return]

    @hookimpl
    def portalkit_mailer(self) -> Mailer:
        return self.mailer  # type: ignore[no-any-return]

    @hookimpl
    def portalkit_payment_processor(self) -> PaymentProcessor:
        return self.processor  # type: ignore[no-any-return]

    @hookimpl
    def portalkit_file_store(self) -> FileStore:
        return self.file_store  # type: ignore[no-any-return]

    @hookimpl
    def portalkit_text_messenger(self) -> TextMessenger | None:
        return self.texts  # type: ignore[no-any-return]

    @hookimpl
    def portalkit_clock(self) -> Clock | None:
        return self.clock  # type: ignore[no-any-return]


def make_portal(
    *, plugins: tuple[Any, ...] = (), secret_key: str = TEST_SECRET, frozen_clock: bool = False, **config: Any
) -> Portal:
    """A ready ``Portal`` on in-memory adapters, enabled, with cheap bcrypt; ``config`` overrides
    any ``PortalConfig`` field. The adapters are ``portal.storage``, ``portal.mailer`` (a
    ``MemoryMailer``), ``portal.processor`` (a ``FakeProcessor``) and ``portal.clock``."""
    settings = attrs.evolve(PortalConfig(enabled=True, bcrypt_rounds=4, sender_email="portal@example.test"), **config)
    adapters = InMemoryPlugin(clock=FrozenClock() if frozen_clock else None)
    return Portal(settings, secret_key=secret_key, plugins=[adapters, *plugins])


def make_portals(
    *company_ids: str,
    plugins: tuple[Any, ...] = (),
    secret_key: str = TEST_SECRET,
    frozen_clock: bool = False,
    **config: Any,
) -> dict[str, Portal]:
    """Ready portals of several companies on ONE set of in-memory adapters (one storage, one
    mailer, one processor, one file store), as a multi-company host runs them: each sees only
    its own records (``portalkit._core.tenancy``). ``config`` applies to every company."""
    if not company_ids or len(set(company_ids)) != len(company_ids):
        raise ValueError("name each company once: make_portals('north', 'south')")
    adapters = InMemoryPlugin(clock=FrozenClock() if frozen_clock else None)
    base = PortalConfig(enabled=True, bcrypt_rounds=4, sender_email="portal@example.test")
    return {
        company: Portal(
            attrs.evolve(base, company_id=company, **config), secret_key=secret_key, plugins=[adapters, *plugins]
        )
        for company in company_ids
    }
