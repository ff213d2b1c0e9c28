"""What portalkit promises as a library: loud wiring errors, typed events, overridable mail, a
complete and sorted public API, and a core without an import circle (issue 10)."""

from __future__ import annotations

import ast
import re
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import PASSWORD, build_world, invoice

import portalkit
from portalkit import ConfigurationError, InvitationSent, PaymentSettled, Portal, PortalConfig, ProposalSigned, hookimpl
from portalkit.adapters.payments import card_token
from portalkit.events import EVENT_TYPES
from portalkit.testing import FakeProcessor, InMemoryPlugin, MemoryMailer, MemoryStorage, make_portal

SRC = Path(__file__).resolve().parents[1] / "src" / "portalkit"
SECRET = "contract-secret-0123456789"


# -- 1. no silent defaults -------------------------------------------------------------------------
@pytest.mark.parametrize("missing", ["portalkit_storage", "portalkit_mailer", "portalkit_payment_processor"])
def test_a_missing_adapter_is_a_configuration_error_naming_the_hook(missing):
    class Partial:
        pass

    adapters = {
        "portalkit_storage": MemoryStorage(),
        "portalkit_mailer": MemoryMailer(),
        "portalkit_payment_processor": FakeProcessor(),
    }
    for name, adapter in adapters.items():
        if name != missing:
            setattr(Partial, name, hookimpl(lambda self, adapter=adapter: adapter))
    with pytest.raises(ConfigurationError, match=missing):
        Portal(PortalConfig(), secret_key=SECRET, plugins=[Partial()])


def test_a_misspelt_hook_is_a_configuration_error():
    class Typo(InMemoryPlugin):
        @hookimpl
        def portalkit_stroage(self):
            return MemoryStorage()

    with pytest.raises(ConfigurationError, match="portalkit_stroage"):
        Portal(PortalConfig(), secret_key=SECRET, plugins=[Typo()])


def test_an_adapter_that_is_not_one_is_a_configuration_error():
    class NotAStorage:
        def get(self, cls, id):
            return None

    with pytest.raises(ConfigurationError, match="not a Storage"):
        Portal(PortalConfig(), secret_key=SECRET, plugins=[InMemoryPlugin(storage=NotAStorage())])


def test_memory_adapters_only_when_asked_for():
    portal = make_portal(company_name="Green Acres")
    assert isinstance(portal.shared_storage, MemoryStorage) and isinstance(portal.processor, FakeProcessor)
    assert portal.config.enabled and portal.config.company_name == "Green Acres"


def test_a_short_secret_is_a_configuration_error():
    with pytest.raises(ConfigurationError):
        Portal(PortalConfig(), secret_key="short", plugins=[InMemoryPlugin()])


# -- 2. explicit collaborators: no core module imports the Portal ----------------------------------
def test_no_core_module_imports_the_portal():
    for path in SRC.glob("*.py"):
        if path.name in ("portal.py", "__init__.py", "worker.py"):  # the worker runs built portals
            continue
        tree = ast.parse(path.read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert "portal" not in imported and "portalkit.portal" not in imported, path.name
        assert "self._portal" not in path.read_text(), f"{path.name} still reaches through the Portal"


def test_core_services_import_no_adapter_and_no_framework():
    for path in SRC.glob("*.py"):
        text = path.read_text()
        assert not re.search(r"from \.adapters|from portalkit\.adapters|import flask|import django", text), path.name


# -- 3. typed events ---------------------------------------------------------------------------------
def test_events_are_typed_with_ids_amounts_and_company(enrolled):
    heard = []

    class Listener:
        @hookimpl
        def portalkit_event(self, event):
            heard.append(event)

    w = enrolled
    w.portal.plugins.register(Listener())
    inv = invoice(w, amount="200.00")
    card = w.portal.payments.add_method(w.alice, card_token("4242424242424242", 12, 2031))
    payment = w.portal.payments.pay(w.alice, inv.id, card.id, "150.00", "key-1")
    w.adapters.processor.settle_due(w.portal.payments.handle_webhook)
    [settled] = [e for e in heard if isinstance(e, PaymentSettled)]
    assert (settled.payment_id, settled.invoice_id, settled.contact_id) == (payment.id, inv.id, w.alice.id)
    assert (settled.amount, settled.fee, settled.amount_due) == (Decimal("150.00"), Decimal("4.50"), Decimal("50.00"))
    assert settled.company_id == w.portal.config.company_id and settled.event_id
    w.portal.payments.refund(w.staff, payment.id)
    assert [e.name for e in heard if e.name.startswith("payment.")] == ["payment.settled", "payment.refunded"]
    refunded = heard[-1]
    assert (refunded.amount, refunded.amount_due, refunded.refunded_by) == (
        Decimal("150.00"),
        Decimal("200.00"),
        w.staff.email,
    )


def test_every_event_class_is_registered_by_its_name():
    assert all(cls.name == name and name for name, cls in EVENT_TYPES.items())
    assert {InvitationSent, PaymentSettled, ProposalSigned} <= set(EVENT_TYPES.values())


# -- 4. mail templates ---------------------------------------------------------------------------------
def test_mail_is_rendered_from_templates_with_branding(enrolled):
    w = enrolled
    w.portal.accounts.set_receipts(w.alice, True)
    inv = invoice(w, amount="1287.50")
    card = w.portal.payments.add_method(w.alice, card_token("4242424242424242", 12, 2031))
    w.portal.payments.pay(w.alice, inv.id, card.id, "1287.50", "key-r")
    w.adapters.processor.settle_due(w.portal.payments.handle_webhook)
    receipt = w.mailer.to("alice@example.com")[-1]
    assert receipt.subject == f"Receipt: payment on invoice {inv.number}"
    assert "Amount paid: $1,287.50" in receipt.text and "$1,287.50" in receipt.html
    assert w.portal.config.branding.nav_bar_colour in receipt.html


def test_a_host_overrides_a_mail_template(tmp_path):
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "receipts_on_subject.txt").write_text("Receipts from {{ company }} are on\n")

    class Templates:
        @hookimpl
        def portalkit_template_dirs(self):
            return [str(tmp_path)]

    w = build_world()
    portal = Portal(w.portal.config, secret_key=SECRET, plugins=[w.adapters, Templates()])
    w.enrol(w.alice, PASSWORD)
    portal.accounts.set_receipts(portal.directory.contact(w.alice.id), True)
    assert w.mailer.outbox[-1].subject == "Receipts from Green Acres Landscaping are on"
    assert "subscribed to electronic receipts" in w.mailer.outbox[-1].text  # the rest stays portalkit's


def test_no_mail_text_in_service_code():
    for path in SRC.glob("*.py"):
        if path.name in ("mails.py", "ports.py"):
            continue
        assert "Mail(" not in path.read_text(), f"{path.name} builds a Mail by hand"


# -- 5. public API ---------------------------------------------------------------------------------
def test_public_api_is_complete_sorted_and_versioned():
    assert portalkit.__all__ == sorted(portalkit.__all__)
    assert all(hasattr(portalkit, name) for name in portalkit.__all__)
    assert re.match(r"\d+\.\d+", portalkit.__version__)
    for name in (
        "Portal",
        "PortalConfig",
        "AdapterPlugin",
        "ConfigurationError",
        "PortalError",
        "Event",
        "PortalkitDeprecationWarning",
        "Storage",
        "Mail",
        "hookimpl",
        "Session",
        "BulkResult",
    ):
        assert name in portalkit.__all__


def test_errors_carry_a_public_message_and_no_message_property():
    from portalkit import PermissionDenied, ValidationError

    assert ValidationError("Enter an amount like 125.00.").public_message == "Enter an amount like 125.00."
    assert PermissionDenied("Casey lacks manage_billing").public_message == "You do not have access to this."
    assert not hasattr(portalkit.PortalError(), "message")


def test_the_public_api_has_what_hosts_reached_into_submodules_for():
    """Issue 22: InvalidWebhook, every payment event, the processor's data classes and sync were
    importable only from private-looking modules; MemoryFileStore was not in portalkit.testing."""
    import portalkit.testing

    for name in (
        "InvalidWebhook",
        "PaymentCanceled",
        "PaymentReturned",
        "PaymentDisputed",
        "ChargeRequest",
        "ChargeOutcome",
        "ChargeStatus",
        "MethodDetails",
        "ProcessorEvent",
        "SyncBatch",
        "HostContact",
        "HostInvoice",
        "sync",
        "Refund",
        "WebhookEvent",
    ):
        assert name in portalkit.__all__, name
    assert "MemoryFileStore" in portalkit.testing.__all__ and "make_portals" in portalkit.testing.__all__


def test_make_portals_builds_several_companies_on_one_storage():
    from portalkit.testing import make_portals

    portals = make_portals("north", "south")
    north, south = portals["north"], portals["south"]
    assert north.shared_storage is south.shared_storage and north.mailer is south.mailer
    staff = {name: p.directory.create_first_admin(f"admin@{name}.test", "Ada Admin") for name, p in portals.items()}
    customer = north.directory.add_customer(staff["north"], "North HOA")
    assert south.directory.customers(staff["south"]) == [] and len(north.directory.customers(staff["north"])) == 1
    with pytest.raises(portalkit.NotFound):
        south.directory.get(portalkit.Customer, customer.id)
