"""What a new adopter meets first (issue 23): safe defaults, the company's sender, the shipped
texts in the customer's language, lookups by the host's own ids."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import PASSWORD
from test_hosts import django_ready  # noqa: F401 - fixture

from portalkit import ConfigurationError, Portal, PortalConfig
from portalkit.adapters.payments import card_token
from portalkit.models import Invoice
from portalkit.testing import InMemoryPlugin, make_portal

VISA = "4242 4242 4242 4242"


def test_pay_5_no_fee_unless_the_company_turns_one_on():
    """A customer paid $355.35 on a $345.00 invoice although nobody had set a fee."""
    assert PortalConfig().convenience_fee_percent == 0 and PortalConfig().fee_disclosure_text == ""
    portal = make_portal(company_name="Plain Co")
    admin = portal.directory.create_first_admin("owner@plain.test", "Olive Owner")
    customer = portal.directory.add_customer(admin, "Oak")
    prop = portal.directory.add_property(admin, customer.id, "Oak 1")
    alice = portal.directory.add_contact(
        admin, customer.id, "Alice", "Green", "alice@example.com", property_ids=(prop.id,)
    )
    portal.directory.set_primary_contact(admin, prop.id, alice.id)
    portal.invitations.send(admin, [alice.id])
    portal.accounts.sign_up(
        portal.invitations.link_for(portal.directory.contact(alice.id)).split("#", 1)[1], PASSWORD, PASSWORD
    )
    alice = portal.directory.contact(alice.id)
    inv = portal.invoices.add(admin, prop.id, "INV-1", "345.00", __import__("datetime").date(2026, 1, 5))
    card = portal.payments.add_method(alice, card_token(VISA, 12, 2031))
    payment = portal.payments.pay(alice, inv.id, card.id, "345.00", "k-1")
    assert (payment.fee, payment.total) == (Decimal("0.00"), Decimal("345.00"))
    assert "fee" not in portal.config.autopay_consent_text


def test_pay_5_a_fee_the_company_turned_on_is_disclosed_in_the_customers_language(enrolled):
    from portalkit import i18n

    text = enrolled.portal.config.fee_disclosure_text
    assert "3.00 percent" in text and "bank accounts pay no fee" in text
    with i18n.override("es"):
        assert "3.00 por ciento" in enrolled.portal.config.fee_disclosure_text


def test_a_portal_without_a_sender_address_is_a_configuration_error():
    with pytest.raises(ConfigurationError) as refused:
        Portal(PortalConfig(enabled=True), secret_key="x" * 32, plugins=[InMemoryPlugin()])
    assert "sender_email" in str(refused.value)


def test_inv_3_every_mail_is_from_the_company_and_invitations_reply_to_the_staff_member(world):
    world.portal.invitations.send(world.staff, [world.alice.id])
    [mail] = world.mailer.to("alice@example.com")
    assert mail.sender.endswith("<portal@greenacres.test>") and "Morgan Manager" in mail.sender
    assert mail.reply_to == "manager@greenacres.test"
    world.portal.invitations.send_as_company([world.bob.id])
    [auto] = world.mailer.to("bob@example.com")
    assert auto.sender == "Green Acres Landscaping <portal@greenacres.test>" and auto.reply_to is None


def test_inv_4_the_shipped_invitation_reaches_a_spanish_contact_in_spanish(world):
    """The company never edited the invitation: each contact reads it in their language."""
    world.portal.directory.update_contact(world.staff, world.bob.id, language="es")
    world.portal.invitations.send(world.staff, [world.alice.id, world.bob.id])
    [english], [spanish] = world.mailer.to("alice@example.com"), world.mailer.to("bob@example.com")
    assert english.subject.startswith("Alice Green, you've been invited")
    assert spanish.subject.startswith("Bob Stone, le invitamos") and "Regístrese en el Portal" in spanish.html
    assert "Hola, Bob Stone" in spanish.html and "válido durante 30 días" in spanish.text


def test_inv_4_a_companys_own_invitation_stays_as_written_for_every_contact(world):
    import attrs

    world.portal.update_config(
        world.staff, attrs.evolve(world.portal.config, invite_subject="Our portal, [ContactName]")
    )
    world.portal.directory.update_contact(world.staff, world.bob.id, language="es")
    world.portal.invitations.send(world.staff, [world.bob.id])
    assert world.mailer.to("bob@example.com")[0].subject == "Our portal, Bob Stone"


def test_inv_3_a_host_invites_and_finds_its_contacts_by_its_own_ids(world):
    """Sending an invitation by the host's contact id failed (``NotFound: No contact co-1``), and
    the sync report gave only host ids, so hosts reached into ``portal.storage``."""
    from portalkit.errors import NotFound
    from portalkit.sync import HostContact, HostCustomer, HostProperty, SyncBatch

    report = world.portal.sync.apply(
        SyncBatch(
            customers=[HostCustomer(external_id="cu-1", name="Birch Lane")],
            properties=[
                HostProperty(external_id="site-1", customer="cu-1", name="Birch Lane 4", primary_contact="co-1")
            ],
            contacts=[
                HostContact(
                    external_id="co-1",
                    customer="cu-1",
                    first_name="Dana",
                    last_name="Birch",
                    email="dana@example.com",
                    properties=("site-1",),
                )
            ],
        )
    )
    dana = world.portal.directory.contact_by_host_id("co-1")
    assert report["contacts"].ids == {"co-1": dana.id}
    assert report["properties"].ids == {"site-1": world.portal.directory.property_by_host_id("site-1").id}
    result = world.portal.invitations.send_by_host_ids(world.staff, ["co-1"])
    assert result.sent == (dana.id,) and world.mailer.to("dana@example.com")
    with pytest.raises(NotFound) as missing:
        world.portal.invitations.send_by_host_ids(world.staff, ["co-1", "co-404"])
    assert "co-404" in str(missing.value)
    assert len(world.mailer.to("dana@example.com")) == 1  # nothing sent when one id is unknown


def test_a_django_signal_sync_never_fails_the_hosts_request(tmp_path, django_ready):
    """The docs' signal recipe turned the host's own save of an invoice for a site the portal had
    not seen into a 500 after the row was committed. ``sync_on_commit`` applies after commit and
    logs a failure (with the batch's host ids) instead of raising; sent with its chain, it works."""
    import logging
    from datetime import date

    from django.db import transaction
    from hosts import demo_portal, use_portal_in_django

    from portalkit.contrib.django import sync as django_sync
    from portalkit.sync import HostCustomer, HostInvoice, HostProperty, SyncBatch

    portal = demo_portal(tmp_path)
    use_portal_in_django(portal)
    logged: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: logged.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger("portalkit.sync").addHandler(handler)
    invoice = HostInvoice(
        external_id="inv-9",
        property="site-3",
        number="H-9",
        amount="80.00",
        amount_due="80.00",
        invoice_date=date(2026, 1, 5),
    )
    before = django_sync.failures
    with transaction.atomic():
        django_sync.sync_on_commit(lambda: SyncBatch(invoices=[invoice]))  # the host's own save goes on
    assert django_sync.failures == before + 1 and "site-3" not in str(portal.storage.find(Invoice))
    logging.getLogger("portalkit.sync").removeHandler(handler)
    assert "inv-9" in logged[0] and "nightly complete sync" in logged[0]
    with transaction.atomic():
        django_sync.sync_on_commit(
            lambda: SyncBatch(  # the chain sent with it: applied
                customers=[HostCustomer(external_id="cu-3", name="Cedar")],
                properties=[HostProperty(external_id="site-3", customer="cu-3", name="Cedar 3")],
                invoices=[invoice],
            )
        )
    assert [i.number for i in portal.storage.find(Invoice, external_id="inv-9")] == ["H-9"]
