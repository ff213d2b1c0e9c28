"""The ``Portal``: what a host builds once, with its config, secret key and plugins."""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Iterable, Iterator

import pluggy

from . import hookspecs
from .config import PortalConfig
from .errors import ValidationError
from .directory import require
from .hookspecs import hookimpl
from .models import Permission, StaffUser
from .outbox import Outbox
from .tokens import TokenSigner

log = logging.getLogger(__name__)


class _Defaults:
    """Fallback adapters, consulted only when no host plugin answers a hook."""

    @hookimpl
    def portalkit_storage(self):
        from .adapters.memory import MemoryStorage

        return MemoryStorage()

    @hookimpl
    def portalkit_mailer(self):
        from .adapters.memory import MemoryMailer

        return MemoryMailer()

    @hookimpl
    def portalkit_clock(self):
        from .adapters.memory import SystemClock

        return SystemClock()

    @hookimpl
    def portalkit_payment_processor(self):
        from .adapters.payments import FakeProcessor

        return FakeProcessor()

    @hookimpl
    def portalkit_pdf_renderer(self):
        from .adapters.pdf import SimplePdfRenderer

        return SimplePdfRenderer()


class Portal:
    """One company's customer portal.

    ``plugins`` are objects with ``@hookimpl`` methods (see :mod:`portalkit.hookspecs`).
    With ``dispatch_inline`` the outbox is delivered right after each operation commits; turn
    it off when a separate worker runs ``portal.outbox.dispatch()``.
    """

    def __init__(
        self,
        config: PortalConfig,
        *,
        secret_key: str,
        plugins: Iterable[Any] = (),
        dispatch_inline: bool = True,
    ):
        self.config = config
        self.plugins = pluggy.PluginManager(hookspecs.PROJECT)
        self.plugins.add_hookspecs(hookspecs)
        self.plugins.register(_Defaults(), name="portalkit-defaults")
        for plugin in plugins:
            self.plugins.register(plugin)
        self.hook = self.plugins.hook
        self.storage = self.hook.portalkit_storage()
        self.mailer = self.hook.portalkit_mailer()
        self.clock = self.hook.portalkit_clock()
        self.processor = self.hook.portalkit_payment_processor()
        self.pdf = self.hook.portalkit_pdf_renderer()
        self.signer = TokenSigner(secret_key, self.clock)
        self.dispatch_inline = dispatch_inline
        self.outbox = Outbox(self)
        self._local = threading.local()

        from .accounts import Accounts
        from .directory import Directory
        from .invitations import Invitations
        from .invoices import Invoices
        from .issues import Issues
        from .payments import Payments
        from .proposals import Proposals
        from .visibility import Visibility

        self.directory = Directory(self)
        self.invitations = Invitations(self)
        self.accounts = Accounts(self)
        self.visibility = Visibility(self)
        self.invoices = Invoices(self)
        self.payments = Payments(self)
        self.proposals = Proposals(self)
        self.issues = Issues(self)

    def now(self) -> datetime:
        return self.clock.now()

    @contextmanager
    def unit_of_work(self) -> Iterator[None]:
        """One transaction; the outbox is delivered after the outermost one commits.

        The operation has committed by then, so a delivery problem is logged and left to the
        outbox's retries (or the worker): it never turns a done operation into an error.
        """
        depth = getattr(self._local, "depth", 0)
        self._local.depth = depth + 1
        try:
            with self.storage.transaction():
                yield
        finally:
            self._local.depth = depth
        if depth == 0 and self.dispatch_inline:
            try:
                self.outbox.dispatch()
            except Exception:
                log.exception("inline outbox delivery failed; the messages stay queued for a retry")

    def update_config(self, staff: StaffUser, config: PortalConfig) -> None:
        """``MANAGE_SETTINGS``: replace the portal's configuration (BRD-1)."""
        require(staff, Permission.MANAGE_SETTINGS)
        if not isinstance(config, PortalConfig):
            raise ValidationError("update_config takes a PortalConfig", field="config")
        self.config = config
