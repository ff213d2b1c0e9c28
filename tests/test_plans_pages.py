"""Payment plans and tips through both reference hosts (Flask and Django test clients), on the
demo's seeded invoices: staff turn tips and customers' own plans on, preview and offer a plan;
the customer reads the schedule and the authorisation for the method chosen, accepts it, sees it
on the dashboard and the statement page, and revokes it; the pay page's tip, shown in the total
before anything is charged, then on the receipt page (PLN-2..4, PLN-7, TIP-1, TIP-5, TIP-6)."""

from __future__ import annotations

import re
from decimal import Decimal

import test_hosts
from hosts import PREFIX, Browser, add_staff_user
from markupsafe import escape
from test_hosts import enrol, staff_browser

from portalkit.adapters.payments import card_token
from portalkit.models import Invoice, Payment, PaymentMethod, PaymentPlan, Permission, PlanConsent, PlanStatus

app, django_ready, portal = test_hosts.app, test_hosts.django_ready, test_hosts.portal  # the hosts' fixtures

ALICE = "alice@example.com"


def _invoice(portal, number) -> Invoice:
    return next(i for i in portal.storage.find(Invoice) if i.number == number)


def _settings(staff, **fields):
    form = {
        "tip_percents": "10, 15, 20",
        "tip_max_percent": "50",
        "plan_max_instalments": "6",
        "plan_min_instalment": "25.00",
        **fields,
    }
    r = staff.post("/staff/plans/settings", form, page="/staff/plans")
    assert r.status_code == 303


def _card(alice, portal, funding="debit"):
    alice.post("/payment-methods", {"action": "add", "token": card_token("4242424242424242", 12, 2031, funding)})
    return next(m for m in portal.storage.find(PaymentMethod) if not m.removed and m.funding == funding)


def _offer(staff, portal, number="INV-1001", count="4"):
    contact = portal.directory.contact_by_email(ALICE)
    form = {"invoice": number, "count": count, "first_due": portal.plans.today().isoformat(), "interval": "monthly"}
    preview = staff.post("/staff/plans", {**form, "action": "preview"})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Offer this plan" in html and "$312.50" in html  # $1,250.00 in 4
    r = staff.post("/staff/plans", {**form, "action": "offer", "contact": contact.id})
    assert r.status_code == 303
    return next(p for p in portal.storage.find(PaymentPlan) if p.status is PlanStatus.OFFERED)


def test_pln_3_host_staff_offer_the_customer_accepts_with_the_authorisation_shown_then_revokes(app, portal):
    alice = enrol(app, portal, ALICE)
    card = _card(alice, portal)
    staff = staff_browser(app)
    plan = _offer(staff, portal)
    mail = [m for m in portal.mailer.mails if ALICE in m.to][-1]
    assert "A payment plan for invoice INV-1001" in mail.subject and f"/plans/{plan.id}" in mail.text
    dashboard = alice.get("/dashboard").get_data(as_text=True)
    assert 'id="plans"' in dashboard and "Review and accept" in dashboard
    page = alice.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert "$312.50" in page and "Visa ending 4242" in page and "I authorise Green Acres Landscaping" in page
    shown = re.search(r'name="shown" value="([^"]+)"', page).group(1)
    refused = alice.post(f"/plans/{plan.id}", {"action": "accept", "method": card.id, "shown": shown})
    assert refused.status_code == 400 and "Tick the authorisation" in refused.get_data(as_text=True)
    stale = alice.post(f"/plans/{plan.id}", {"action": "accept", "method": card.id, "shown": "0" * 32, "agreed": "1"})
    assert stale.status_code == 400 and "read them again" in stale.get_data(as_text=True)
    r = alice.post(f"/plans/{plan.id}", {"action": "accept", "method": card.id, "shown": shown, "agreed": "1"})
    assert r.status_code == 303 and r.location.endswith(f"/plans/{plan.id}")
    [consent] = portal.storage.find(PlanConsent)
    assert consent.method_id == card.id and consent.ip_address and "Visa ending 4242" in consent.consent_text
    page = alice.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert "Your payment plan is accepted" in page and "Revoke the authorisation" in page
    statement = alice.get("/statement").get_data(as_text=True)
    assert 'id="statement-plans"' in statement and "INV-1001" in statement and "$1,250.00" in statement
    staff_page = staff.get(f"/staff/plans/{plan.id}").get_data(as_text=True)
    assert str(escape(consent.consent_text)) in staff_page and consent.ip_address in staff_page
    r = alice.post(f"/plans/{plan.id}", {"action": "revoke"})
    assert r.status_code == 303
    assert portal.storage.get(PaymentPlan, plan.id).status is PlanStatus.REVOKED
    assert "no more payments of this plan will be charged" in alice.get(f"/plans/{plan.id}").get_data(as_text=True)


def test_pln_2_host_plan_pages_are_the_contacts_and_billing_staffs_only(app, portal):
    alice = enrol(app, portal, ALICE)
    _card(alice, portal)
    plan = _offer(staff_browser(app), portal)
    bob = enrol(app, portal, "bob@example.com")
    assert bob.get(f"/plans/{plan.id}").status_code == 404
    assert Browser(app).get(f"/plans/{plan.id}").status_code in (302, 303)  # to the login page
    add_staff_user(app, "clerk@greenacres.example", (Permission.MANAGE_CONTACTS,))
    clerk = staff_browser(app, "clerk@greenacres.example")
    assert clerk.get("/staff/plans").status_code == 403 and clerk.get(f"/staff/plans/{plan.id}").status_code == 403
    r = clerk.post("/staff/plans", {"invoice": "INV-1003", "count": "2", "action": "offer"}, page="/staff")
    assert r.status_code == 403 and len(portal.storage.find(PaymentPlan)) == 1
    r = clerk.post("/staff/plans/settings", {"tips_enabled": "1"}, page="/staff")
    assert r.status_code == 403 and portal.config.tips_enabled is False


def test_pln_2_host_a_customer_sets_up_a_plan_only_where_the_company_allows_it(app, portal):
    alice = enrol(app, portal, ALICE)
    inv = _invoice(portal, "INV-1001")
    assert alice.get(f"/invoices/{inv.id}/plan").status_code == 403
    assert "in instalments" not in alice.get(f"/invoices/{inv.id}/pay").get_data(as_text=True)
    _settings(staff_browser(app), plans_customer_choice="1")
    pay = alice.get(f"/invoices/{inv.id}/pay").get_data(as_text=True)
    assert "Pay invoice INV-1001 in instalments instead" in pay
    page = alice.get(f"/invoices/{inv.id}/plan?count=5").get_data(as_text=True)
    assert "$250.00" in page and '<option value="6"' in page
    r = alice.post(f"/invoices/{inv.id}/plan", {"count": "5", "first_due": portal.plans.today().isoformat()})
    assert r.status_code == 303
    plan = portal.storage.find(PaymentPlan)[0]
    assert (plan.count, plan.offered_by, plan.status) == (5, "customer", PlanStatus.OFFERED)
    assert r.location.endswith(f"/plans/{plan.id}")
    too_many = alice.post(f"/invoices/{inv.id}/plan", {"count": "7", "first_due": portal.plans.today().isoformat()})
    assert too_many.status_code == 400


def test_tip_6_host_the_pay_page_shows_the_total_with_the_tip_before_anything_is_charged(app, portal):
    alice = enrol(app, portal, ALICE)
    card = _card(alice, portal)
    inv = _invoice(portal, "INV-1003")
    page = alice.get(f"/invoices/{inv.id}/pay").get_data(as_text=True)
    assert 'id="tip-section"' not in page  # off by default
    _settings(staff_browser(app), tips_enabled="1")
    page = alice.get(f"/invoices/{inv.id}/pay").get_data(as_text=True)
    assert 'id="tip-section"' in page and "$14.25" in page and "No tip" in page  # 15 % of $95.00
    form = {
        "invoice": inv.id,
        f"amount-{inv.id}": "95.00",
        "method": card.id,
        "key": "tip-form-1",
        "tip_choice": "15",
        "tip_shown": "0.00",
    }
    shown = alice.post(f"/invoices/{inv.id}/pay", form)  # the page showed no tip: it shows this one first
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200 and "Your tip of $14.25 is added" in html and "$109.25" in html
    assert portal.storage.find(Payment) == []
    bad = alice.post(
        f"/invoices/{inv.id}/pay", {**form, "tip_choice": "custom", "tip_custom": "-5", "tip_shown": "0.00"}
    )
    assert bad.status_code == 400 and "Enter a tip like 5.00" in bad.get_data(as_text=True)
    assert portal.storage.find(Payment) == []
    r = alice.post(f"/invoices/{inv.id}/pay", {**form, "tip_shown": "14.25"})
    assert r.status_code == 303
    [payment] = portal.storage.find(Payment)
    assert (payment.amount, payment.fee, payment.tip) == (Decimal("95.00"), Decimal("0.00"), Decimal("14.25"))
    receipt = alice.get(r.location[len(PREFIX) :]).get_data(as_text=True)
    assert ">Tip<" in receipt and "$14.25" in receipt and "$109.25" in receipt
    staff_page = staff_browser(app).get("/staff/payments").get_data(as_text=True)
    assert "+ $14.25 tip" in staff_page
