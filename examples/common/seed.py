"""Demo data: one landscaping company, two customers, properties, invoices, proposals, issues."""

from __future__ import annotations

from datetime import timedelta

from portalkit import Portal, ProposalStatus
from portalkit.models import Customer

def seed(portal: Portal, staff_email: str) -> bool:
    """Fill an empty portal with demo records; return False when it already had some."""
    if portal.storage.find(Customer):
        return False
    d, today = portal.directory, portal.now().date()
    staff = d.create_first_admin(staff_email, "Morgan Manager")
    hoa = d.add_customer(staff, "Oak Street HOA")
    commons = d.add_property(staff, hoa.id, "Oak Street Commons", account_owner_email="owner@greenacres.example",
                             operations_manager_email="ops@greenacres.example")
    pool = d.add_property(staff, hoa.id, "Oak Street Pool", account_owner_email="owner@greenacres.example")
    alice = d.add_contact(staff, hoa.id, "Alice", "Green", "alice@example.com", property_ids=(commons.id, pool.id))
    d.set_primary_contact(staff, commons.id, alice.id)
    d.set_primary_contact(staff, pool.id, alice.id)
    bob = d.add_contact(staff, hoa.id, "Bob", "Stone", "bob@example.com", property_ids=(commons.id,))
    maple = d.add_customer(staff, "Maple Court Apartments")
    lawn = d.add_property(staff, maple.id, "Maple Court Lawn", account_owner_email="owner@greenacres.example")
    sam = d.add_contact(staff, maple.id, "Sam", "Rivera", "sam@example.com", property_ids=(lawn.id,))
    d.set_primary_contact(staff, lawn.id, sam.id)
    d.add_contact(staff, maple.id, "Nora", "Nomail")

    inv = portal.invoices
    inv.add(staff, commons.id, "INV-1001", "1250.00", today - timedelta(days=20))
    inv.add(staff, commons.id, "INV-1002", "310.50", today - timedelta(days=5), net_days=15, billing_contact_id=bob.id)
    inv.add(staff, commons.id, "INV-0950", "480.00", today - timedelta(days=90), amount_due="0.00")
    inv.add(staff, pool.id, "INV-1003", "95.00", today - timedelta(days=2))
    inv.add(staff, lawn.id, "INV-2001", "640.00", today - timedelta(days=12))

    pr = portal.proposals
    rep = "sales@greenacres.example"
    pr.add(staff, commons.id, "P-501", "Spring cleanup and mulch", today + timedelta(days=14),
           services=[("Spring cleanup", "850.00", False), ("Mulch beds", "420.00", False)], sales_rep_email=rep)
    pr.add(staff, commons.id, "P-502", "Irrigation upgrade", today + timedelta(days=30), status=ProposalStatus.APPROVED,
           services=[("Controller replacement", "1200.00", False), ("Drip line for beds", "380.00", True),
                     ("Rain sensor", "95.00", True)], sales_rep_email=rep)
    pr.add(staff, commons.id, "P-503", "Shade trees for the playground", today + timedelta(days=21),
           services=[("Three red maples, planted", "1350.00", False)], sales_rep_email=rep, deposit="20",
           deposit_percent=True)
    pr.add(staff, commons.id, "P-480", "Weekly mowing 2026", today - timedelta(days=30), status=ProposalStatus.IN_PRODUCTION,
           services=[("Mowing", "5200.00", False)], sales_rep_email=rep)
    pr.add(staff, lawn.id, "P-601", "Tree pruning", today + timedelta(days=7), services=[("Pruning", "700.00", False)],
           sales_rep_email=rep)
    return True
