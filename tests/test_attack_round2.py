"""A second attack on the issue-21 fixes (money, access, tenancy), by an independent tester:
each test is a defect that round found (fixed since) or a property that held under attack."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import build_world, invoice

from portalkit.adapters.payments import bank_token
from portalkit.models import Invoice, Payment, PaymentStatus, Refund, RefundStatus
from portalkit.ports import ProcessorEvent

ACH = ("011000015", "123456789")


@pytest.fixture
def w(enrolled):
    return enrolled


def settled(w, amount="1000.00"):
    w.inv = invoice(w, "INV-A", amount)
    method = w.portal.payments.add_method(w.alice, bank_token(*ACH))
    payment = w.portal.payments.pay(w.alice, w.inv.id, method.id, amount, "pay-a")
    w.adapters.processor.settle_due(w.portal.payments.handle_webhook)
    payment = w.portal.storage.get(Payment, payment.id)
    assert payment.status is PaymentStatus.SETTLED
    return payment


def deliver(w):
    return w.adapters.processor.settle_due(w.portal.payments.handle_webhook)


def event(w, payment, kind, **kw):
    import secrets

    return w.portal.payments.apply_event(
        ProcessorEvent(
            id=f"evt_{secrets.token_hex(6)}", kind=kind, ref=payment.processor_ref, payment_id=payment.id, **kw
        )
    )


def books(w, pid):
    p = w.portal.storage.get(Payment, pid)
    return p, w.portal.storage.get(Invoice, p.invoice_id)


# -- money ---------------------------------------------------------------------------------------
def test_pay_8_a_refund_that_completes_during_a_dispute_the_company_wins_is_due_again(w):
    """A refund of 300.00 asked while the payment is settled; the processor refunds it, but its
    answer is recorded after a dispute opened; the dispute is won. The customer has 300.00 back
    yet the invoice says paid (amount due 0) — had the answer come before the dispute, 300.00
    would be due again. The books depend on the order of the webhooks."""
    payment = settled(w)
    processor = w.adapters.processor
    real = processor.refund

    def refund_then_dispute(ref, amount, key):
        real(ref, amount, key)
        event(w, payment, "disputed")  # the dispute's webhook is applied before refund() returns

    processor.refund = refund_then_dispute
    w.portal.payments.refund(w.staff, payment.id, "300.00")
    processor.refund = real
    event(w, payment, "dispute_won")
    deliver(w)
    paid, inv = books(w, payment.id)
    assert processor.refunded(payment.processor_ref) == Decimal("300.00")
    assert paid.refunded_amount == Decimal("300.00")
    assert inv.amount_due == Decimal("300.00"), (inv.amount_due, paid.status)
    assert paid.status is PaymentStatus.PARTIALLY_REFUNDED


def test_pay_8_a_refund_recorded_before_a_won_dispute_keeps_the_payment_partially_refunded(w):
    """Order the other way: refund recorded (partially refunded, 300.00 due), dispute, won. The
    payment comes back as plain 'settled' though 300.00 of it went back."""
    payment = settled(w)
    w.portal.payments.refund(w.staff, payment.id, "300.00")
    event(w, payment, "disputed")
    event(w, payment, "dispute_won")
    paid, inv = books(w, payment.id)
    assert inv.amount_due == Decimal("300.00")
    assert paid.status is PaymentStatus.PARTIALLY_REFUNDED, paid.status


def test_pay_8_an_event_without_refund_keys_never_settles_the_wrong_pending_refund(w):
    """A processor whose "refunded" event gives only an amount (no refund keys): two refunds run
    at once, R1 20.00 (still waiting) and R2 30.00, whose event (30.00 in all) beats its call's
    answer. An amount never says which request it answers: nothing is guessed; each refund is
    recorded by its own answer, and the books end at what the processor refunded."""
    payment = settled(w, "100.00")
    processor = w.adapters.processor
    real = processor.refund
    state = {"nested": False}

    def amount_only_event():
        event(w, payment, "refunded", amount=processor.refunded(payment.processor_ref), refund_keys=None)

    def hooked(ref, amount, key):
        if amount == Decimal("20.00") and not state["nested"]:
            state["nested"] = True
            w.portal.payments.refund(w.staff, payment.id, "30.00")  # R2, in another request meanwhile
            real(ref, amount, key)
            return
        real(ref, amount, key)
        amount_only_event()  # the webhook beats the call's answer

    processor.refund = hooked
    w.portal.payments.refund(w.staff, payment.id, "20.00")  # R1
    processor.refund = real
    amount_only_event()  # the event of R1's refund (50.00 in all)
    paid, inv = books(w, payment.id)
    refunds = w.portal.storage.find(Refund, payment_id=payment.id)
    assert processor.refunded(payment.processor_ref) == Decimal("50.00")
    assert paid.refunded_amount == Decimal("50.00"), (
        [(r.amount, r.requested_by, r.status.value) for r in refunds],
        paid.refunded_amount,
    )
    assert inv.amount_due == Decimal("50.00") and {r.requested_by for r in refunds} == {w.staff.email}


def test_pay_8_resubmitting_a_refused_refund_form_says_refused_again(w):
    """The processor refused a refund; staff press Refund again on the same form (the same
    request key): it is refused again, never reported as done."""
    from portalkit.errors import RefundRefused

    payment = settled(w, "400.00")
    w.adapters.processor.refund_outside(payment.processor_ref, Decimal("350.00"))  # not reported yet
    with pytest.raises(RefundRefused):
        w.portal.payments.refund(w.staff, payment.id, "100.00", request_key="form-1")
    with pytest.raises(RefundRefused):
        w.portal.payments.refund(w.staff, payment.id, "100.00", request_key="form-1")  # the same form again
    paid, _inv = books(w, payment.id)
    assert (paid.refunded_amount, paid.refunding_amount) == (0, 0)


def test_pay_8_a_refund_whose_answer_was_lost_stays_reserved_and_is_reconciled_once(w):
    """The processor refunds, then the connection drops (the outcome is unknown, as a charge's can
    be). The refund stays pending with its amount reserved (a second request cannot take it
    again); the processor's event, or ``reconcile`` asking again with the same key, records it:
    one 100.00 refund pays out 100.00, never 200.00."""
    from datetime import timedelta

    payment = settled(w, "400.00")
    processor = w.adapters.processor
    real = processor.refund

    def answer_lost(ref, amount, key):
        real(ref, amount, key)
        raise TimeoutError("read timed out")

    processor.refund = answer_lost
    pending = w.portal.payments.refund(w.staff, payment.id, "100.00", request_key="form-1")
    processor.refund = real
    assert (pending.refunded_amount, pending.refunding_amount) == (0, Decimal("100.00"))
    with pytest.raises(ValidationError):  # the reservation holds: not 400.00 more
        w.portal.payments.refund(w.staff, payment.id, "400.00", request_key="form-2")
    w.clock.advance(hours=1)
    w.portal.payments.reconcile(timedelta(minutes=30))  # asks again with the same key: replayed
    deliver(w)
    paid, inv = books(w, payment.id)
    assert processor.refunded(payment.processor_ref) == Decimal("100.00") == paid.refunded_amount
    assert paid.refunding_amount == 0 and inv.amount_due == Decimal("100.00")


class DeclinesAtAttach(__import__("portalkit.adapters.payments", fromlist=["FakeProcessor"]).FakeProcessor):
    """As Stripe (and the conformance suite) do: a declined card reads fine but is refused when
    attached to a customer."""

    def attach(self, customer_ref, token):
        if "_0002_" in token:
            raise ValueError("Your card was declined.")
        return super().attach(customer_ref, token)


def test_pay_4_a_card_declined_at_attach_leaves_the_contact_as_it_was(storage):
    """Stripe refuses a declined card only when attaching it to a customer, so one may have been
    made at the processor; the contact keeps no customer it has no method with (a later method
    makes its own), and no method is saved."""
    from portalkit.adapters.payments import card_token

    w = build_world(storage, processor=DeclinesAtAttach())
    alice = w.enrol(w.alice)
    before = w.portal.storage.get(Contact, alice.id)
    with pytest.raises(ValidationError):
        w.portal.payments.add_method(alice, card_token("4000000000000002", 12, 2031))
    assert w.portal.storage.get(Contact, alice.id) == before and w.portal.payments.methods(alice) == []


# -- hosts: both integrations through their test clients ----------------------------------------
import test_hosts  # noqa: E402
from hosts import CUSTOMER_PASSWORD, Browser, link_in_mail  # noqa: E402
from test_hardening import post_unread  # noqa: E402
from test_hosts import enrol, staff_browser  # noqa: E402

app, portal, django_ready = test_hosts.app, test_hosts.portal, test_hosts.django_ready

FORTY_MB = 40 * 1024 * 1024


def test_host_a_dead_customer_session_does_not_unlock_upload_sized_bodies(app, portal):
    """The body limit asks only whether the session *holds* a customer token, not whether it is
    valid: after the contact changed their password in another browser (logging out everywhere),
    the first browser's session — or, on Flask, any copy of a customer cookie, kept for the cookie's
    31 days — still gets the upload limit (5 x 10 MB) on /issues/new; the body is read before the
    page finds the session dead. Item 12 wanted large bodies only for signed-in visitors."""
    first = enrol(app, portal, "alice@example.com")
    other = Browser(app)
    assert other.post("/login", {"email": "alice@example.com", "password": CUSTOMER_PASSWORD}).status_code == 303
    r = other.post(
        "/profile",
        {
            "action": "password",
            "current": CUSTOMER_PASSWORD,
            "password": "new-garden-2027!",
            "confirm": "new-garden-2027!",
        },
    )
    assert r.status_code == 303
    stale = first  # it has loaded no page since, so its session still holds the (dead) token
    try:
        r = post_unread(stale, "/issues/new", FORTY_MB, "multipart/form-data; boundary=x")
    except AssertionError as exc:  # the glue read the 40 MB body
        pytest.fail(f"a dead session's 40 MB body was read: {exc}")
    assert r.status_code == 413, r.status_code


# -- tenancy and sync ----------------------------------------------------------------------------
from test_sync import by_external, host_batch  # noqa: E402

from portalkit.models import Contact, Property, StoredSettings  # noqa: E402
from portalkit.sync import HostContact, HostCustomer, SyncBatch  # noqa: E402


def test_sync_moving_a_contact_to_another_customer_while_it_is_primary_of_the_old_ones_property_is_refused(world):
    """Item 15's symptom by another road: CO-1 is primary contact of CU-1's PR-1; the host moves
    CO-1 to CU-2 and sends only the contact. Sync accepts it and PR-1 keeps a primary contact of
    another customer: nobody sees PR-1's invoices (VIS-2 needs the primary, and the primary
    fails the same-customer check) and nothing is raised — the batch that sends PR-1 with that
    primary would have been refused."""
    world.portal.sync.apply(host_batch())
    moved = attrs.evolve(host_batch().contacts[0], customer="CU-2", properties=())
    try:
        world.portal.sync.apply(
            SyncBatch(customers=[HostCustomer(external_id="CU-2", name="Cedar Court")], contacts=[moved])
        )
    except ValidationError:
        return  # refused: fine
    prop = by_external(world.portal, Property, "PR-1")
    dana = by_external(world.portal, Contact, "CO-1")
    assert prop.primary_contact_id != dana.id or prop.customer_id == dana.customer_id, (
        "a CU-2 contact is primary contact of a CU-1 property"
    )


def test_acc_8_sync_changing_an_enrolled_contacts_email_voids_what_was_mailed_to_the_old_address(enrolled):
    """ACC-8 says an email change ends every session and link of the contact and tells the old
    address. When the host changes an enrolled contact's email by sync, the sign-in and reset
    links already mailed to the old address keep working, and the old address hears nothing."""
    w = enrolled
    acc = w.portal.accounts
    w.portal.sync.apply(
        SyncBatch(
            customers=[HostCustomer(external_id="CU-9", name="Birch Lane")],
            contacts=[
                HostContact(
                    external_id="CO-9", customer="CU-9", first_name="Dana", last_name="Birch", email="dana@example.com"
                )
            ],
        )
    )
    dana = w.enrol(w.portal.directory.contact_by_email("dana@example.com"))
    acc.request_reset("dana@example.com")
    import re

    old_reset = re.search(r"/reset-password#([\w.\-]+)", w.mailer.to("dana@example.com")[-1].text).group(1)
    before = len(w.mailer.to("dana@example.com"))
    w.portal.sync.apply(
        SyncBatch(
            customers=[HostCustomer(external_id="CU-9", name="Birch Lane")],
            contacts=[
                HostContact(
                    external_id="CO-9",
                    customer="CU-9",
                    first_name="Dana",
                    last_name="Birch",
                    email="mallory@example.net",
                )
            ],
        )
    )
    assert w.portal.storage.get(Contact, dana.id).email == "mallory@example.net"  # the host's word, at once
    told = len(w.mailer.to("dana@example.com")) > before
    from portalkit.errors import InvalidToken

    try:
        acc.check_reset_link(old_reset)
        voided = False
    except InvalidToken:
        voided = True
    assert voided and told, f"old reset link voided: {voided}; old address told: {told}"


# -- settings --------------------------------------------------------------------------------------
import attrs  # noqa: E402
from conftest import SECRET, Adapters, make_config  # noqa: E402

from portalkit import Portal, ValidationError  # noqa: E402


def test_brd_1_a_saved_setting_of_a_type_a_newer_release_refuses_is_dropped_not_fatal(world):
    """Settings promise a saved value a newer release refuses is dropped with a warning. Only
    ``ValidationError``s are: a saved value of another type (a field whose type changed) makes
    cattrs raise ``ClassValidationError`` and no Portal can be built, nor any page read."""
    portal = world.portal
    portal.update_config(world.staff, attrs.evolve(portal.config, company_name="Kept Name"))
    stored = portal.shared_storage.get(StoredSettings, "default")
    portal.shared_storage.update(
        attrs.evolve(stored, config={**stored.config, "max_issue_attachments": "five"}, revision=stored.revision + 1)
    )
    again = Portal(make_config(), secret_key=SECRET, plugins=[Adapters(portal.shared_storage)])
    assert again.config.company_name == "Kept Name"
    assert again.config.max_issue_attachments == make_config().max_issue_attachments


def test_pay_5_staff_cannot_lift_the_card_network_fee_cap(world):
    """``max_fee_percent`` is the surcharge cap card networks and states impose (3 %); it is a
    staff-saved field, not deploy-time: a settings manager raises it to 100 and sets a 100 %
    convenience fee, and a redeploy that lowers the cap changes nothing once staff saved."""
    portal = world.portal
    refused = False
    try:
        portal.update_config(
            world.staff,
            attrs.evolve(portal.config, max_fee_percent=Decimal("100"), convenience_fee_percent=Decimal("100")),
        )
    except ValidationError:
        refused = True
    redeployed = Portal(
        make_config(max_fee_percent=Decimal("2.00"), convenience_fee_percent=Decimal("1.00")),
        secret_key=SECRET,
        plugins=[Adapters(portal.shared_storage)],
    )
    assert refused and redeployed.config.max_fee_percent == Decimal("2.00"), (
        refused,
        redeployed.config.max_fee_percent,
        redeployed.config.convenience_fee_percent,
    )


# -- properties that held ---------------------------------------------------------------------------
import threading  # noqa: E402

from portalkit.errors import PortalError  # noqa: E402


def run_at_once(functions):
    barrier = threading.Barrier(len(functions))
    results: list[object] = [None] * len(functions)

    def run(i, function):
        barrier.wait()
        try:
            results[i] = function()
        except PortalError as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    return results


def test_pay_8_parallel_refunds_racing_an_ach_return_never_exceed_the_payment_and_end_due_in_full(w):
    """Refunds of 300.00 x 6 (one request key shared by two) at once with the ACH return's
    webhook and event deliveries: never more than paid, no reservation left, the invoice due in
    full afterwards whatever the order (a return brings back what was not refunded)."""
    payment = settled(w)
    w.adapters.processor.return_payment(payment.processor_ref)
    work = [
        lambda i=i: w.portal.payments.refund(w.staff, payment.id, "300.00", request_key=f"k{min(i, 4)}")
        for i in range(6)
    ]
    work += [lambda: deliver(w)] * 2
    for result in run_at_once(work):
        assert result is None or isinstance(result, (Payment, int, PortalError)), result
    deliver(w)
    paid, inv = books(w, payment.id)
    refunds = w.portal.storage.find(Refund, payment_id=payment.id)
    assert paid.refunded_amount <= paid.amount and paid.refunding_amount == 0
    assert all(r.status is not RefundStatus.PENDING for r in refunds)
    assert paid.status is PaymentStatus.RETURNED or paid.refunded_amount <= Decimal("900.00")
    if paid.status is PaymentStatus.RETURNED:
        assert inv.amount_due == inv.amount


def test_pay_8_a_refund_request_key_is_bound_to_its_payment(w):
    first = settled(w, "200.00")
    w.portal.payments.refund(w.staff, first.id, "50.00", request_key="form-x")
    other_inv = invoice(w, "INV-B", "80.00")
    method = w.portal.payments.methods(w.alice)[0]
    second = w.portal.payments.pay(w.alice, other_inv.id, method.id, "80.00", "pay-b")
    deliver(w)
    with pytest.raises(ValidationError):
        w.portal.payments.refund(w.staff, second.id, "10.00", request_key="form-x")
    assert books(w, second.id)[0].refunded_amount == 0


def test_acc_8_confirming_an_address_another_contact_took_meanwhile_is_refused_on_every_storage(enrolled):
    """Alice and Bob both asked for shared@example.org; Bob confirmed first. Alice's confirmation
    should be refused with "That email is already used" — on PostgreSQL the unique violation
    aborts the transaction, ``confirm`` then queries inside it, and a ``StorageError``
    (InFailedSqlTransaction: a 500 page) escapes instead."""
    w = enrolled
    import re

    w.portal.directory.change_email(w.staff, w.alice.id, "shared@example.org")
    t1 = re.search(r"/confirm-email#([\w.\-]+)", w.mailer.to("shared@example.org")[-1].text).group(1)
    w.portal.directory.change_email(w.staff, w.bob.id, "shared@example.org")
    t2 = re.search(r"/confirm-email#([\w.\-]+)", w.mailer.to("shared@example.org")[-1].text).group(1)
    w.portal.accounts.confirm_email_change(t2)
    with pytest.raises(ValidationError):
        w.portal.accounts.confirm_email_change(t1)


def test_acc_3_tokens_of_one_purpose_are_refused_for_every_other(enrolled):
    w = enrolled
    import re

    acc = w.portal.accounts
    acc.request_login_link("alice@example.com")
    sign_in = re.search(r"/sign-in#([\w.\-]+)", w.mailer.to("alice@example.com")[-1].text).group(1)
    acc.request_reset("alice@example.com")
    reset = re.search(r"/reset-password#([\w.\-]+)", w.mailer.to("alice@example.com")[-1].text).group(1)
    session = acc.login("alice@example.com", "garden-2026").token
    w.portal.directory.change_email(w.staff, w.alice.id, "alice2@example.org")
    confirm = re.search(r"/confirm-email#([\w.\-]+)", w.mailer.to("alice2@example.org")[-1].text).group(1)
    for token in (sign_in, reset, session, confirm):
        for check in (
            acc.check_login_link,
            acc.check_reset_link,
            acc.check_email_change,
            acc.authenticate,
            w.portal.invitations.check_link,
        ):
            if (token, check) in (
                (sign_in, acc.check_login_link),
                (reset, acc.check_reset_link),
                (confirm, acc.check_email_change),
                (session, acc.authenticate),
            ):
                continue
            with pytest.raises(PortalError):
                check(token)


def test_inv_2_host_a_copied_staff_cookie_is_dead_after_logout(app, portal):
    staff = staff_browser(app)
    stolen = staff.clone(app)
    assert stolen.get("/staff").status_code == 200
    assert staff.post("/staff/logout", {}, page="/staff").status_code == 303
    assert stolen.get("/staff").status_code in (302, 303)


def test_acc_3_host_a_mailed_token_posted_to_another_purposes_page_is_refused_and_not_kept(app, portal):
    """A sign-in link's token posted to the reset and confirm-email pages, a reset token to the
    sign-in page: each refused, nothing kept in the session; without the CSRF field, refused."""
    enrol(app, portal, "alice@example.com")
    portal.accounts.request_login_link("alice@example.com")
    sign_in = link_in_mail(portal, "alice@example.com", "sign-in").partition("#")[2]
    portal.accounts.request_reset("alice@example.com")
    reset = link_in_mail(portal, "alice@example.com", "reset-password").partition("#")[2]
    for path, token in (
        ("/reset-password", sign_in),
        ("/confirm-email", sign_in),
        ("/sign-in", reset),
        ("/signup", sign_in),
        ("/sign-in", "x" * 5000),
        ("/sign-in", sign_in + "A"),
    ):
        b = Browser(app)
        r = b.post(path, {"link": f"https://evil.example/whatever#{token}"})
        assert r.status_code in (400, 403, 404), (path, r.status_code)
        page = b.get(path)
        assert page.status_code == 200 and 'id="link-form"' in page.get_data(as_text=True), path
    b = Browser(app)
    b.get("/sign-in")
    assert b.raw_post("/sign-in", {"link_token": sign_in}).status_code in (400, 403)  # no CSRF field
    assert 'id="link-form"' in b.get("/sign-in").get_data(as_text=True)
    assert b.get("/dashboard").status_code in (302, 303)


def test_host_flask_a_customer_cookie_copied_before_logout_does_not_unlock_upload_sized_bodies(app, portal):
    if app[0] != "flask":
        pytest.skip("Django's session is on the server: logout flushes every copy")
    alice = enrol(app, portal, "alice@example.com")
    copy = alice.clone(app)
    assert alice.post("/logout", {}, page="/dashboard").status_code == 303
    try:
        r = post_unread(copy, "/issues/new", FORTY_MB, "multipart/form-data; boundary=x")
    except AssertionError as exc:
        pytest.fail(f"a logged-out cookie's 40 MB body was read: {exc}")
    assert r.status_code == 413, r.status_code


def test_acc_8_flask_on_postgres_confirming_an_address_taken_meanwhile_says_already_used(request, tmp_path):
    """Over HTTP on the Flask host with PostgreSQL: Bob took the address Alice asked for; Alice
    opens her confirmation link and confirms — "The portal is temporarily unavailable. Please
    try again." (a StorageError: InFailedSqlTransaction) instead of "That email is already used
    by another contact"; trying again fails the same way."""
    from hosts import demo_portal, make_app

    storage = request.getfixturevalue("pg_storage")
    storage.truncate_all()
    portal = demo_portal(tmp_path, storage=storage)
    app = make_app("flask", portal)
    enrol(app, portal, "alice@example.com")
    alice = portal.directory.contact_by_email("alice@example.com")
    staff = staff_browser(app)
    r = staff.post(
        f"/staff/contacts/{alice.id}/details",
        {"first_name": "Alice", "last_name": "Green", "email": "taken@example.org", "language": "en"},
        page=f"/staff/contacts/{alice.id}",
    )
    assert r.status_code == 303
    link = link_in_mail(portal, "taken@example.org", "confirm-email")
    other = next(c for c in portal.storage.find(Contact) if c.id != alice.id and c.email)
    r = staff.post(
        f"/staff/contacts/{other.id}/details",
        {
            "first_name": other.first_name,
            "last_name": other.last_name or "X",
            "email": "taken@example.org",
            "language": "en",
        },
        page=f"/staff/contacts/{other.id}",
    )
    assert r.status_code == 303
    assert portal.directory.contact_by_email("taken@example.org") is not None  # changed at once (not enrolled)
    visitor = Browser(app)
    assert visitor.open_link(link).status_code == 303
    r = visitor.post("/confirm-email", {})
    assert r.status_code == 400 and "already used" in r.get_data(as_text=True), (
        r.status_code,
        __import__("re").findall(r"<main.*?</main>", r.get_data(as_text=True), __import__("re").S),
    )
