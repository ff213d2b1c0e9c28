"""portalkit-stripe against localstripe: the processor conformance suite, and a portal taking
card payments through Stripe (3-D Secure, declines, refunds, verified webhooks)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.request
from decimal import Decimal

import pytest
import stripe
from portalkit_stripe import StripeProcessor

from portalkit import PaymentStatus
from portalkit.errors import ValidationError
from portalkit.models import Invoice, Payment
from portalkit.testing import InMemoryPlugin, make_portal
from portalkit.testing.processors import DECLINED, THREE_D_SECURE, VISA, ProcessorConformance

SECRET = "whsec_portalkit_test_0123456789"


def processor_for(url: str) -> StripeProcessor:
    return StripeProcessor(
        api_key="sk_test_portalkit",
        webhook_secret=SECRET,
        publishable_key="pk_test_portalkit",
        api_base=url,
        js_url=f"{url}/js.stripe.com/v3/",
    )


def elements_token(url: str, number: str, exp_month: int = 12, exp_year: int = 2031) -> str:
    """What Stripe Elements hands the browser: a PaymentMethod made from the card (tests only)."""
    client = stripe.StripeClient("sk_test_portalkit", base_addresses={"api": url})  # localstripe: pk only via Stripe.js
    method = client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": number, "exp_month": exp_month, "exp_year": exp_year, "cvc": "123"}}
    )
    return str(method.id)


def stripe_signature(body: bytes, secret: str = SECRET, at: int | None = None) -> str:
    stamp = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


class TestStripeProcessor(ProcessorConformance):
    @pytest.fixture
    def processor(self, localstripe_url):
        return processor_for(localstripe_url)

    def token(self, processor, number, exp_month=12, exp_year=2031):
        return elements_token(processor._api_base, number, exp_month, exp_year)

    def signed_webhook(self, processor, body):
        return {"Stripe-Signature": stripe_signature(body)}


@pytest.fixture
def shop(localstripe_url):
    """A portal on Stripe with one enrolled customer and a 500.00 invoice."""
    portal = make_portal(
        company_name="Green Acres", plugins=(InMemoryPlugin(processor=processor_for(localstripe_url)),)
    )
    admin = portal.directory.create_first_admin("owner@greenacres.test", "Olive Owner")
    customer = portal.directory.add_customer(admin, "Oak Street HOA")
    prop = portal.directory.add_property(admin, customer.id, "Oak Street Commons")
    alice = portal.directory.add_contact(
        admin, customer.id, "Alice", "Green", "alice@example.com", property_ids=(prop.id,), invite=True
    )
    portal.directory.set_primary_contact(admin, prop.id, alice.id)
    token = portal.invitations.link_for(portal.directory.contact(alice.id)).split("#", 1)[1]
    alice = portal.accounts.sign_up(token, "garden-2026", "garden-2026")
    from datetime import date

    invoice = portal.invoices.add(admin, prop.id, "INV-1", "500.00", date(2026, 11, 1))
    return portal, admin, alice, invoice, localstripe_url


def test_a_card_payment_settles_and_refunds_through_stripe(shop):
    portal, admin, alice, invoice, url = shop
    method = portal.payments.add_method(alice, elements_token(url, VISA))
    assert (method.label, method.funding) == ("Visa ending 4242", "credit")
    payment = portal.payments.pay(alice, invoice.id, method.id, "100.00", "key-1")
    assert payment.status is PaymentStatus.SETTLED and payment.processor_ref.startswith("pi_")
    assert portal.storage.get(Invoice, invoice.id).amount_due == Decimal("400.00")
    portal.payments.refund(admin, payment.id, "25.00")
    assert portal.storage.get(Payment, payment.id).status is PaymentStatus.PARTIALLY_REFUNDED
    assert portal.storage.get(Invoice, invoice.id).amount_due == Decimal("425.00")


def test_a_declined_card_is_never_saved(shop):
    portal, _, alice, _, url = shop
    with pytest.raises(ValidationError):
        portal.payments.add_method(alice, elements_token(url, DECLINED))
    assert portal.payments.methods(alice) == []


def test_three_d_secure_waits_for_the_customer_then_settles(shop):
    portal, _, alice, invoice, url = shop
    method = portal.payments.add_method(alice, elements_token(url, THREE_D_SECURE))
    payment = portal.payments.pay(alice, invoice.id, method.id, "100.00", "key-3ds")
    assert payment.status is PaymentStatus.REQUIRES_ACTION and payment.action_secret
    # what Stripe.js does when the customer completes the bank's challenge
    body = json.dumps({"key": "pk_test_portalkit", "client_secret": payment.action_secret}).encode()
    request = urllib.request.Request(
        f"{url}/v1/payment_intents/{payment.processor_ref}/_authenticate?success=true", data=body, method="POST"
    )
    urllib.request.urlopen(request, timeout=10).read()
    portal.clock.now  # noqa: B018 - the real clock: reconcile asks about payments open this long
    assert portal.payments.reconcile(older_than=__import__("datetime").timedelta(0)) == 1
    assert portal.storage.get(Payment, payment.id).status is PaymentStatus.SETTLED


def test_a_signed_webhook_is_applied_once_and_a_forged_one_never(shop):
    portal, _, alice, invoice, url = shop
    method = portal.payments.add_method(alice, elements_token(url, THREE_D_SECURE))
    payment = portal.payments.pay(alice, invoice.id, method.id, "100.00", "key-wh")
    event = {
        "id": "evt_portalkit_1",
        "object": "event",
        "type": "payment_intent.succeeded",
        "api_version": "2024-06-20",
        "data": {
            "object": {
                "id": payment.processor_ref,
                "object": "payment_intent",
                "status": "succeeded",
                "metadata": {"portalkit_payment": payment.id},
            }
        },
    }
    body = json.dumps(event).encode()
    from portalkit.errors import InvalidWebhook

    with pytest.raises(InvalidWebhook):
        portal.payments.handle_webhook({"Stripe-Signature": stripe_signature(body, "whsec_wrong")}, body)
    with pytest.raises(InvalidWebhook):
        portal.payments.handle_webhook({"Stripe-Signature": stripe_signature(body, at=int(time.time()) - 3600)}, body)
    assert portal.storage.get(Payment, payment.id).status is PaymentStatus.REQUIRES_ACTION
    for _ in range(2):
        portal.payments.handle_webhook({"Stripe-Signature": stripe_signature(body)}, body)
    assert portal.storage.get(Payment, payment.id).status is PaymentStatus.SETTLED
    assert portal.storage.get(Invoice, invoice.id).amount_due == Decimal("400.00")


def stripe_environment(monkeypatch, localstripe_url: str) -> None:
    for variable in ("STRIPE_JS_URL", "STRIPE_METHOD_TYPES"):
        monkeypatch.delenv(variable, raising=False)
    for variable, value in (
        ("STRIPE_API_KEY", "sk_test_portalkit"),
        ("STRIPE_PUBLISHABLE_KEY", "pk_test_portalkit"),
        ("STRIPE_WEBHOOK_SECRET", SECRET),
        ("STRIPE_API_BASE", localstripe_url),
    ):
        monkeypatch.setenv(variable, value)


def test_the_entry_point_answers_only_with_a_key(monkeypatch, localstripe_url):
    from portalkit_stripe import plugin

    for variable in ("STRIPE_API_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET"):
        monkeypatch.delenv(variable, raising=False)
    assert plugin.portalkit_payment_processor() is None
    stripe_environment(monkeypatch, localstripe_url)
    assert isinstance(plugin.portalkit_payment_processor(), StripeProcessor)


def test_an_installed_portalkit_stripe_registers_itself_through_its_entry_point(monkeypatch, localstripe_url):
    from portalkit import AdapterPlugin, Portal, PortalConfig
    from portalkit.testing import MemoryMailer, MemoryStorage

    stripe_environment(monkeypatch, localstripe_url)
    portal = Portal(
        PortalConfig(sender_email="portal@example.test"),
        secret_key="entry-point-secret-0123",
        plugins=[AdapterPlugin(storage=MemoryStorage(), mailer=MemoryMailer())],
    )
    assert isinstance(portal.processor, StripeProcessor)
    assert portal.processor.hosted_fields()["js_url"] == f"{localstripe_url}/js.stripe.com/v3/"  # not Stripe's own
