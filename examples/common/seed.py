"""Demo data: one landscaping company, two customers, properties, invoices, proposals, jobs and
their visits."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from portalkit import Portal, ProposalStatus, Upload
from portalkit.models import Customer, Technician

# A small green square: the demo's "after" photo of a completed visit.
PHOTO = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c49444154789c63"
    "d0cb360400019500cbad1c03850000000049454e44ae426082"
)


def seed(portal: Portal, staff_email: str) -> bool:
    """Fill an empty portal with demo records; return False when it already had some."""
    if portal.storage.find(Customer):
        return False
    d, today = portal.directory, portal.now().date()
    staff = d.create_first_admin(staff_email, "Morgan Manager")
    hoa = d.add_customer(staff, "Oak Street HOA")
    commons = d.add_property(
        staff,
        hoa.id,
        "Oak Street Commons",
        account_owner_email="owner@greenacres.example",
        operations_manager_email="ops@greenacres.example",
    )
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
    pr.add(
        staff,
        commons.id,
        "P-501",
        "Spring cleanup and mulch",
        today + timedelta(days=14),
        services=[("Spring cleanup", "850.00", False), ("Mulch beds", "420.00", False)],
        sales_rep_email=rep,
    )
    pr.add(
        staff,
        commons.id,
        "P-502",
        "Irrigation upgrade",
        today + timedelta(days=30),
        status=ProposalStatus.APPROVED,
        services=[
            ("Controller replacement", "1200.00", False),
            ("Drip line for beds", "380.00", True),
            ("Rain sensor", "95.00", True),
        ],
        sales_rep_email=rep,
    )
    pr.add(
        staff,
        commons.id,
        "P-503",
        "Shade trees for the playground",
        today + timedelta(days=21),
        services=[("Three red maples, planted", "1350.00", False)],
        sales_rep_email=rep,
        deposit="20",
        deposit_percent=True,
    )
    mowing_proposal = pr.add(
        staff,
        commons.id,
        "P-480",
        "Weekly mowing 2026",
        today - timedelta(days=30),
        status=ProposalStatus.IN_PRODUCTION,
        services=[("Mowing", "5200.00", False)],
        sales_rep_email=rep,
    )
    pr.add(
        staff,
        lawn.id,
        "P-601",
        "Tree pruning",
        today + timedelta(days=7),
        services=[("Pruning", "700.00", False)],
        sales_rep_email=rep,
    )
    seed_jobs(portal, staff, commons.id, lawn.id, mowing_proposal.id)
    return True


def seed_jobs(portal: Portal, staff: object, commons_id: str, lawn_id: str, proposal_id: str) -> None:
    """Weekly mowing at the Commons (done last week with a photo, next visit in two days), an
    irrigation repair being scheduled, and pruning at Maple Court."""
    jobs, zone = portal.jobs, ZoneInfo(portal.config.time_zone)
    today = datetime.now(zone).date()

    def window(days: int, start: int, hours: int = 2) -> tuple[datetime, datetime]:
        begins = datetime.combine(today + timedelta(days=days), time(start), tzinfo=zone)
        return begins, begins + timedelta(hours=hours)

    tess, raj = Technician(name="Tess Martinez"), Technician(name="Raj Patel")
    mowing = jobs.add_job(
        staff,
        commons_id,
        "J-1040",
        "Weekly mowing",
        job_type="Maintenance",
        description="Mow, edge and blow the common lawns every week, April to October.",
        proposal_id=proposal_id,
    )
    done = jobs.schedule_visit(staff, mowing.id, *window(-7, 9), technicians=(tess,))
    jobs.complete_visit(
        staff,
        done.id,
        "Mowed and edged all lawns; the sprinkler by the gate is leaking.",
        [Upload(filename="after.png", content_type="image/png", data=PHOTO)],
    )
    jobs.schedule_visit(staff, mowing.id, *window(2, 9), technicians=(tess, raj))
    jobs.schedule_visit(staff, mowing.id, *window(9, 9), technicians=(tess,))
    repair = jobs.add_job(staff, commons_id, "J-1041", "Irrigation repair by the gate", job_type="Irrigation repair")
    jobs.schedule_visit(staff, repair.id, *window(4, 13, 3), technicians=(raj,))
    pruning = jobs.add_job(staff, lawn_id, "J-2001", "Tree pruning", job_type="Tree care")
    jobs.schedule_visit(staff, pruning.id, *window(6, 8, 4))
