"""A host's portal factory for the outbox worker test: ``python -m portalkit.worker --factory ...``."""

import os

from conftest import SECRET, make_config

from portalkit import Portal, hookimpl
from portalkit.adapters.memory import MemoryFileStore
from portalkit.adapters.payments import FakeProcessor
from portalkit.adapters.smtp import SmtpMailer
from portalkit.adapters.sql import SqlStorage


class Plugin:
    @hookimpl
    def portalkit_storage(self):
        return SqlStorage(os.environ["WORKER_DB_URL"])

    @hookimpl
    def portalkit_mailer(self):
        return SmtpMailer("127.0.0.1", int(os.environ["WORKER_SMTP_PORT"]))

    @hookimpl
    def portalkit_payment_processor(self):
        return FakeProcessor()

    @hookimpl
    def portalkit_file_store(self):
        return MemoryFileStore()


def build() -> Portal:
    return Portal(make_config(), secret_key=SECRET, plugins=[Plugin()], dispatch_inline=False)


def build_companies() -> list[Portal]:
    """One worker for every company on the shared database."""
    return [
        Portal(make_config(company_id=company), secret_key=SECRET, plugins=[Plugin()], dispatch_inline=False)
        for company in ("north", "south")
    ]
