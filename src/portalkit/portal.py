"""The ``Portal``: what a host builds once, with its config, secret key and plugins.

This is the composition root: it asks the plugins for the adapters, checks them, and hands
each service exactly the collaborators it uses. No other module of the core imports it.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pluggy

from . import hookspecs
from ._core.files import Files
from ._core.paging import Page
from ._core.permissions import require
from ._core.tenancy import CompanyStorage
from ._core.throttle import Throttle
from ._core.tokens import TokenSigner
from ._core.uow import UnitOfWork
from ._core.visibility import Visibility
from .accounts._accounts import Accounts
from .accounts._email_change import EmailChanges
from .accounts._invitations import Invitations
from .accounts._staff_sessions import StaffSessions
from .billing._autopay import Autopay
from .billing._documents import Documents
from .billing._invoices import Invoices
from .billing._payments import Payments
from .billing._plans import PaymentPlans
from .billing._statements import Statements
from .billing._webhooks import Webhooks
from .config import PortalConfig
from .directory._directory import Directory
from .directory._phones import Phones
from .errors import ConfigurationError
from .events import Event
from .issues._issues import Issues
from .jobs import Jobs
from .models import OutboxMessage, Permission, StaffUser
from .notify import Notifier, TextTemplates
from .notify._mails import MailTemplates
from .notify._outbox import Outbox
from .ports import Clock, FileStore, Mailer, PaymentProcessor, PdfRenderer, Storage, TextMessenger
from .proposals._proposals import Proposals
from .reports._reports import Reports
from .settings import Settings, checked_config
from .sync._sync import Sync
from .twostep import TwoStep

# The defaults are ordinary plugins (as datasette's are): a clock and a PDF renderer. Storage,
# mail and payments have no default: a portal that silently kept records in memory or took fake
# payments would lose data in production.
DEFAULT_PLUGINS = ("portalkit.adapters.defaults",)
REQUIRED: dict[str, type] = {
    "portalkit_storage": Storage,
    "portalkit_mailer": Mailer,
    "portalkit_payment_processor": PaymentProcessor,
    "portalkit_pdf_renderer": PdfRenderer,
    "portalkit_clock": Clock,
    "portalkit_file_store": FileStore,
}


class Portal:
    """One company's customer portal (``config.company_id``); many companies' portals may share
    one storage and one file store, each seeing only its own records (``portalkit.CompanyStorage``).

    ``plugins`` are objects with ``@hookimpl`` methods (see :mod:`portalkit.hookspecs`); a
    hook name that matches no hookspec, or a required adapter that no plugin supplies, is a
    ``ConfigurationError`` naming it. With ``dispatch_inline`` the outbox is delivered right
    after each operation commits; turn it off when a worker runs ``portal.outbox.dispatch()``.
    """

    def __init__(
        self, config: PortalConfig, *, secret_key: str, plugins: Iterable[Any] = (), dispatch_inline: bool = True
    ):
        config = checked_config(config)
        self.plugins = pluggy.PluginManager(hookspecs.PROJECT)
        self.plugins.add_hookspecs(hookspecs)
        for name in DEFAULT_PLUGINS:
            self.plugins.register(importlib.import_module(name), name=name)
        self.plugins.load_setuptools_entrypoints(hookspecs.PROJECT)  # installed adapters (portalkit-stripe, ...)
        for plugin in plugins:
            self.plugins.register(plugin)
        try:
            self.plugins.check_pending()
        except pluggy.PluginValidationError as exc:
            raise ConfigurationError(
                f"A plugin implements a hook that portalkit does not have: {exc}. "
                "Check the spelling against docs/hooks.md."
            ) from exc
        self.hook = self.plugins.hook
        adapters = {name: self._adapter(name, port) for name, port in REQUIRED.items()}
        self.shared_storage: Storage = adapters["portalkit_storage"]
        self.storage: Storage = CompanyStorage(self.shared_storage, config.company_id)
        self.file_store: FileStore = adapters["portalkit_file_store"]
        self.mailer: Mailer = adapters["portalkit_mailer"]
        self.processor: PaymentProcessor = adapters["portalkit_payment_processor"]
        self.pdf: PdfRenderer = adapters["portalkit_pdf_renderer"]
        self.clock: Clock = adapters["portalkit_clock"]
        self.texts: TextMessenger | None = self._optional_adapter("portalkit_text_messenger", TextMessenger)
        if not secret_key or len(secret_key) < 16:
            raise ConfigurationError("secret_key must be at least 16 characters")
        if not config.sender_email:
            raise ConfigurationError(
                "PortalConfig.sender_email is required: the address the company's mail is sent "
                "from (one your mail provider lets you send from, e.g. portal@yourcompany.com); "
                "invitations are sent from it with the staff member as Reply-To"
            )

        self.settings = Settings(self.storage, self.clock, config)
        self.signer = TokenSigner(secret_key, self.clock)
        self.outbox = Outbox(self.storage, self.clock, self.mailer, self._emit, self.texts)
        self.unit_of_work = UnitOfWork(self.storage, scope=self.settings.pinned)
        self.files = Files(self.file_store, self.storage, self.settings)
        self.dispatch_inline = dispatch_inline
        self.mails = MailTemplates(self.settings, self._template_dirs())
        self.notifier = Notifier(
            self.storage,
            self.clock,
            self.settings,
            self.mails,
            TextTemplates(self.settings, self._template_dirs()),
            self.outbox,
            texting=self.texts is not None,
        )
        core = dict(storage=self.storage, clock=self.clock, uow=self.unit_of_work, settings=self.settings)
        self.visibility = Visibility(self.storage, self.settings)
        self.invitations = Invitations(**core, signer=self.signer, outbox=self.outbox, notifier=self.notifier)
        email_changes = EmailChanges(**core, signer=self.signer, notifier=self.notifier)
        self.directory = Directory(**core, invitations=self.invitations, email_changes=email_changes)
        self.throttle = Throttle(self.storage, self.clock, self.storage.transaction, self.settings.company_id)
        self.accounts = Accounts(
            **core,
            signer=self.signer,
            outbox=self.outbox,
            notifier=self.notifier,
            invitations=self.invitations,
            throttle=self.throttle,
            email_changes=email_changes,
        )
        self.documents = Documents(self.settings, self.files, self.pdf, storage=self.storage, clock=self.clock)
        self.invoices = Invoices(**core, visibility=self.visibility, documents=self.documents)
        self.payments = Payments(
            **core, visibility=self.visibility, outbox=self.outbox, notifier=self.notifier, processor=self.processor
        )
        self.proposals = Proposals(
            **core,
            visibility=self.visibility,
            outbox=self.outbox,
            notifier=self.notifier,
            documents=self.documents,
            files=self.files,
            payments=self.payments,
        )
        self.sync = Sync(self.storage, self.unit_of_work, self.settings.company_id, email_changes, self.clock)
        self.issues = Issues(
            **core, visibility=self.visibility, outbox=self.outbox, notifier=self.notifier, files=self.files
        )
        self.autopay = Autopay(**core, visibility=self.visibility, payments=self.payments)
        self.statements = Statements(self.storage, self.settings, self.visibility, self.documents)
        self.reports = Reports(self.storage, self.unit_of_work, self.settings, self.visibility, self.files)
        self.staff_sessions = StaffSessions(self.storage, self.clock, self.unit_of_work)
        self.webhooks = Webhooks(
            self.storage, self.clock, self.unit_of_work, self.processor, self.payments, self.settings.company_id
        )
        self.plans = PaymentPlans(
            **core, visibility=self.visibility, payments=self.payments, notifier=self.notifier, outbox=self.outbox
        )
        self.payments.instalment_listeners.append(self.plans.payment_moved)  # a plan follows its payments
        self.statements.plans = self.plans  # statements list the contact's plans
        self.phones = Phones(
            **core, notifier=self.notifier, throttle=self.throttle, messenger=self.texts, secret=secret_key
        )
        self.jobs = Jobs(
            **core,
            visibility=self.visibility,
            outbox=self.outbox,
            notifier=self.notifier,
            files=self.files,
            signer=self.signer,
            throttle=self.throttle,
        )
        self.twostep = TwoStep(
            **core,
            signer=self.signer,
            notifier=self.notifier,
            throttle=self.throttle,
            accounts=self.accounts,
            secret_key=secret_key,
        )
        self.accounts.second_step = self.twostep.gate  # a second step before any session (issue 27)

    @property
    def dispatch_inline(self) -> bool:
        """Whether each operation's own mail and events are delivered right after it commits
        (a backlog, and retries, are the worker's: ``portal.outbox.dispatch()``)."""
        return self.unit_of_work.after_commit is not None

    @dispatch_inline.setter
    def dispatch_inline(self, inline: bool) -> None:
        self.outbox.track_recent = inline
        self.unit_of_work.after_commit = self.outbox.dispatch_recent if inline else None

    def _adapter(self, hook_name: str, port: type) -> Any:
        adapter = getattr(self.hook, hook_name)()
        if adapter is None:
            raise ConfigurationError(
                f"No plugin supplies {hook_name}: register a plugin whose @hookimpl {hook_name}() returns a "
                f"{port.__name__} (docs/hooks.md), or portalkit.testing.InMemoryPlugin() in tests and demos."
            )
        if not isinstance(adapter, port):
            raise ConfigurationError(
                f"{hook_name} returned {type(adapter).__name__}, which is not a {port.__name__}: "
                f"it lacks {', '.join(_missing(adapter, port))}."
            )
        return adapter

    def _optional_adapter(self, hook_name: str, port: type) -> Any:
        """An adapter no portal needs (text messages): ``None`` when no plugin supplies one."""
        adapter = getattr(self.hook, hook_name)()
        if adapter is not None and not isinstance(adapter, port):
            raise ConfigurationError(
                f"{hook_name} returned {type(adapter).__name__}, which is not a {port.__name__}: "
                f"it lacks {', '.join(_missing(adapter, port))}."
            )
        return adapter

    def _template_dirs(self) -> list[Path]:
        return [Path(d) for found in self.hook.portalkit_template_dirs() for d in found]

    def _emit(self, event: Event) -> None:
        self.hook.portalkit_event(event=event)

    @contextmanager
    def page_scope(self) -> Iterator[None]:
        """One request's scope (the pages and the API open it around each handler): the
        company's settings read once and the request's reads on one connection
        (``Settings.pinned``), and the properties a contact can see read once
        (``Visibility.request``). Nothing outlives the block."""
        with self.settings.pinned(), self.visibility.request():
            yield

    @property
    def config(self) -> PortalConfig:
        """The portal's current settings."""
        return self.settings.current

    def update_config(self, staff: StaffUser, config: PortalConfig) -> PortalConfig:
        """``MANAGE_SETTINGS``: save the company's settings (BRD-1), for every worker's next request."""
        return self.settings.replace(staff, config)

    def outbox_messages(
        self, staff: StaffUser, status: str = "pending", *, after: str | None = None, limit: int = 50
    ) -> Page[OutboxMessage]:
        """``MANAGE_SETTINGS``: the company's outgoing mail and events in ``status``, newest first;
        one page (what is stuck, what died and why)."""
        require(staff, Permission.MANAGE_SETTINGS, self.settings.company_id)
        return self.outbox.messages(status, after=after, limit=limit)

    def now(self) -> datetime:
        return self.clock.now()


def _missing(adapter: object, port: type) -> Iterator[str]:
    for name in dir(port):
        if not name.startswith("_") and not hasattr(adapter, name):
            yield name
