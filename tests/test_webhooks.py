"""Processor webhooks stored before they are processed (issue 23, as dj-stripe does): validity,
the event, the outcome and the exception; a failed one processed again; the Django admin's
actions on them and on the outbox; Django's own mail."""

from __future__ import annotations

import json
import re

import pytest
from conftest import invoice
from test_hosts import app, django_ready, portal  # noqa: F401 - fixtures

from portalkit import PaymentStatus, Permission
from portalkit.adapters.payments import bank_token
from portalkit.errors import InvalidWebhook, PermissionDenied
from portalkit.models import Payment, WebhookEvent


@pytest.fixture
def paying(enrolled):
    w = enrolled
    w.inv = invoice(w, "INV-W", "100.00")
    method = w.portal.payments.add_method(w.alice, bank_token("011000015", "123456789"))
    w.payment = w.portal.payments.pay(w.alice, w.inv.id, method.id, "100.00", "pay-w")
    return w


def signed(w, **event):
    body = json.dumps(
        {"id": "evt_1", "kind": "succeeded", "ref": w.payment.processor_ref, "payment_id": w.payment.id, **event}
    ).encode()
    return {"Fake-Signature": w.adapters.processor.signature(body)}, body


def test_pay_6_every_webhook_is_stored_with_its_validity_and_outcome(paying):
    w = paying
    headers, body = signed(w)
    with pytest.raises(InvalidWebhook):
        w.portal.webhooks.receive({"Fake-Signature": "t=1,v1=forged"}, body)
    applied = w.portal.webhooks.receive(headers, body)
    repeat = w.portal.webhooks.receive(headers, body)
    assert (applied.valid, applied.outcome, applied.event_id, applied.kind) == (True, "applied", "evt_1", "succeeded")
    assert repeat.outcome == "ignored"  # applied once only
    [invalid] = w.portal.webhooks.events(w.staff, "invalid")
    assert not invalid.valid and invalid.exception and invalid.event is None
    assert w.portal.storage.get(Payment, w.payment.id).status is PaymentStatus.SETTLED
    assert len(w.portal.webhooks.events(w.staff)) == 3


def test_pay_6_a_webhook_that_failed_is_kept_with_its_error_and_processed_again(paying, monkeypatch):
    w = paying
    headers, body = signed(w)
    real = w.portal.payments.apply_event

    def broken(event):
        raise RuntimeError("the database was down")

    monkeypatch.setattr(w.portal.payments, "apply_event", broken)
    with pytest.raises(RuntimeError):
        w.portal.webhooks.receive(headers, body)
    [failed] = w.portal.webhooks.events(w.staff, "error")
    assert "the database was down" in failed.exception and failed.attempts == 1
    assert w.portal.storage.get(Payment, w.payment.id).status is PaymentStatus.PROCESSING
    monkeypatch.setattr(w.portal.payments, "apply_event", real)
    assert w.portal.webhooks.reprocess_failed() == 1  # long after its signature's timestamp
    again = w.portal.storage.get(WebhookEvent, failed.id)
    assert (again.outcome, again.attempts, again.exception) == ("applied", 2, "")
    assert w.portal.storage.get(Payment, w.payment.id).status is PaymentStatus.SETTLED


def test_pay_6_webhook_events_are_for_billing_staff(paying):
    w = paying
    clerk = w.portal.directory.add_staff(w.staff, "clerk@greenacres.test", "Casey Clerk", [Permission.MANAGE_ISSUES])
    with pytest.raises(PermissionDenied):
        w.portal.webhooks.events(clerk)
    [event] = w.portal.storage.find(WebhookEvent) or [None]  # none yet
    assert event is None


def test_pay_6_hosts_store_what_the_webhook_endpoint_receives(app, portal):
    from hosts import PREFIX

    body = b'{"id": "evt_x", "kind": "succeeded", "ref": "ch_x", "payment_id": "x"}'
    if app[0] == "flask":
        status = (
            app[1]
            .test_client()
            .post(PREFIX + "/webhooks/processor", data=body, headers={"Fake-Signature": "t=1,v1=bad"})
            .status_code
        )
    else:
        from django.test import Client

        status = (
            Client()
            .post(
                PREFIX + "/webhooks/processor", body, content_type="application/json", HTTP_FAKE_SIGNATURE="t=1,v1=bad"
            )
            .status_code
        )
    assert status == 400
    [stored] = portal.storage.find(WebhookEvent)
    assert stored.outcome == "invalid" and "evt_x" in stored.body


@pytest.fixture
def django_portal(django_ready, tmp_path):
    """The Django host's portal, in Django's own database (where the admin reads)."""
    from hosts import demo_portal, make_app

    from portalkit.contrib.django.storage import DjangoStorage

    storage = DjangoStorage()
    storage.truncate_all()
    built = demo_portal(tmp_path, storage=storage)
    make_app("django", built)
    return built


def test_django_admin_processes_webhooks_again_and_sends_mail_again(django_portal):
    from django.contrib.auth.models import User
    from django.test import Client

    from portalkit.models import OutboxMessage

    portal = django_portal
    admin_user = User.objects.filter(username="admin-w").first() or User.objects.create_superuser(
        "admin-w", "admin-w@greenacres.example", "admin-pass-0123"
    )
    client = Client()
    client.force_login(admin_user)
    portal.storage.insert(
        WebhookEvent(
            processor="fake",
            received_at=portal.clock.now(),
            body="{}",
            valid=True,
            event={
                "id": "evt_z",
                "kind": "succeeded",
                "ref": "ch_none",
                "payment_id": "",
                "amount": None,
                "reason": "",
                "refund_keys": None,
            },
            event_id="evt_z",
            kind="succeeded",
            outcome="error",
            exception="boom",
        )
    )
    page = client.get("/admin/portalkit/webhookeventrecord/")
    assert page.status_code == 200 and "evt_z" in page.content.decode()
    [record] = portal.storage.find(WebhookEvent)
    done = client.post(
        "/admin/portalkit/webhookeventrecord/", {"action": "process_again", "_selected_action": [record.id]}
    )
    assert done.status_code == 302 and portal.storage.get(WebhookEvent, record.id).outcome == "ignored"
    dead = portal.storage.insert(
        OutboxMessage(
            dedup_key="dead-1", kind="mail", status="dead", attempts=8, payload={}, created_at=portal.clock.now()
        )
    )
    client.post("/admin/portalkit/outboxmessagerecord/", {"action": "send_again", "_selected_action": [dead.id]})
    assert portal.storage.get(OutboxMessage, dead.id).status == "pending"
    contacts = client.get("/admin/portalkit/contactrecord/")
    assert contacts.status_code == 200 and "alice@example.com" in contacts.content.decode()
    cells = re.findall(r'<td class="field-status">([^<]*)</td>', contacts.content.decode())
    assert cells and set(cells) <= {"Not Enrolled", "Invited", "Enrolled"}  # the words, not the stored codes
    assert client.get("/admin/portalkit/contactrecord/?portal_status=not_enrolled").status_code == 200
    assert client.get("/admin/portalkit/contactrecord/add/").status_code == 403  # read-only
    assert (
        "password_hash"
        not in client.get(
            f"/admin/portalkit/contactrecord/{portal.directory.contact_by_email('alice@example.com').id}/change/"
        ).content.decode()
    )


def test_django_mailer_sends_through_djangos_own_mail(django_ready):
    from django.core import mail as django_mail

    from portalkit.contrib.django.mail import DjangoMailer
    from portalkit.ports import Mail

    django_mail.outbox = []
    DjangoMailer(backend="django.core.mail.backends.locmem.EmailBackend").send(
        Mail(
            to=("alice@example.com",),
            subject="Receipt",
            text="Paid.",
            html="<p>Paid.</p>",
            sender="Green Acres <portal@greenacres.example>",
            reply_to="office@greenacres.example",
            message_id="k-1",
        )
    )
    [sent] = django_mail.outbox
    assert (sent.subject, sent.from_email, sent.reply_to, sent.to) == (
        "Receipt",
        "Green Acres <portal@greenacres.example>",
        ["office@greenacres.example"],
        ["alice@example.com"],
    )
    assert sent.alternatives[0][1] == "text/html" and sent.extra_headers["Message-ID"].endswith("@greenacres.example>")
