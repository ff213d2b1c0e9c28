"""The staff side the manuals describe (issue 14): default roles, staff users, contacts,
proposal decisions, payments and documents, each behind the permission it needs."""

from __future__ import annotations

import pytest
from conftest import invoice

from portalkit import ROLE_PERMISSIONS, Permission, Role
from portalkit.errors import PermissionDenied, ValidationError
from portalkit.sync import HostStaff, SyncBatch


@pytest.mark.parametrize("role", list(Role))
def test_inv_2_every_default_role_sends_portal_invitations(world, role):
    d = world.portal.directory
    user = d.add_staff(world.staff, f"{role.name.lower()}@greenacres.test", role.value, role=role)
    assert user.role is role and user.permissions == ROLE_PERMISSIONS[role]
    result = world.portal.invitations.send(user, [world.alice.id])
    assert list(result.sent) == [world.alice.id]


def test_roles_hold_what_their_name_says(world):
    d, p = world.portal.directory, world.portal
    account = d.add_staff(world.staff, "am@greenacres.test", "Ann Account", role=Role.ACCOUNT_MANAGER)
    branch = d.add_staff(world.staff, "ba@greenacres.test", "Ben Branch", role=Role.BRANCH_ADMINISTRATOR)
    inv = invoice(world)
    with pytest.raises(PermissionDenied):  # refunds and staff payments are managers' and up
        p.payments.staff_payments(account)
    with pytest.raises(PermissionDenied):  # the portal's settings are system administrators'
        p.settings.replace(branch, p.config)
    with pytest.raises(PermissionDenied):
        d.add_staff(account, "x@greenacres.test", "X", role=Role.ACCOUNT_MANAGER)
    assert inv.number and Permission.MANAGE_STAFF in branch.permissions


def test_staff_roles_are_granted_only_by_who_holds_them(world):
    d = world.portal.directory
    branch = d.add_staff(world.staff, "ba@greenacres.test", "Ben Branch", role=Role.BRANCH_ADMINISTRATOR)
    clerk = d.add_staff(world.staff, "am@greenacres.test", "Ann Account", role=Role.ACCOUNT_MANAGER)
    with pytest.raises(PermissionDenied):  # a branch administrator lacks manage_settings
        d.set_role(branch, clerk.id, Role.SYSTEM_ADMINISTRATOR)
    with pytest.raises(PermissionDenied):
        d.set_role(branch, branch.id, Role.ACCOUNT_MANAGER)  # never one's own role
    with pytest.raises(ValidationError):
        d.set_role(world.staff, clerk.id, "System Administrator")  # typed, never a string
    moved = d.set_role(branch, clerk.id, Role.BRANCH_MANAGER)
    assert (moved.role, moved.permissions) == (Role.BRANCH_MANAGER, ROLE_PERMISSIONS[Role.BRANCH_MANAGER])
    assert [u.email for u in d.staff_users(world.staff)] == [
        "am@greenacres.test",
        "ba@greenacres.test",
        "manager@greenacres.test",
    ]
    assert world.staff.role is Role.SYSTEM_ADMINISTRATOR


def test_sync_gives_host_staff_a_default_role(world):
    world.portal.sync.apply(
        SyncBatch(
            staff=[HostStaff(external_id="u7", email="rep@greenacres.test", name="Rep", role=Role.ACCOUNT_MANAGER)]
        )
    )
    [rep] = [u for u in world.portal.directory.staff_users(world.staff) if u.external_id == "u7"]
    assert rep.role is Role.ACCOUNT_MANAGER and rep.permissions == ROLE_PERMISSIONS[Role.ACCOUNT_MANAGER]


def test_vis_2_the_propertys_billing_contact_sees_all_its_invoices(enrolled):
    w = enrolled
    inv = invoice(w)
    d, invoices = w.portal.directory, w.portal.invoices
    assert [r.invoice.id for r in invoices.list(w.bob, w.prop.id)] == []
    d.set_billing_contact(w.staff, w.prop.id, w.bob.id)
    bob = d.contact(w.bob.id)
    assert [r.invoice.id for r in invoices.list(bob, w.prop.id)] == [inv.id] and invoices.get(bob, inv.id) == inv
    d.unlink_property(w.staff, bob.id, w.prop.id)
    prop = d.get(type(w.prop), w.prop.id)
    assert prop.billing_contact_id is None and d.contact(bob.id).property_ids == ()
    with pytest.raises(PermissionDenied):
        d.set_billing_contact(
            d.add_staff(w.staff, "x@greenacres.test", "X", [Permission.MANAGE_ISSUES]), w.prop.id, w.bob.id
        )


def test_staff_list_customers_and_their_properties(world):
    d = world.portal.directory
    assert [c.name for c in d.customers(world.staff)] == ["Maple Court", "Oak Street HOA"]
    assert [p.name for p in d.properties_of(world.staff, world.customer.id)] == [
        "Oak Street Commons",
        "Oak Street Pool",
    ]


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_vis_3_reports_show_only_behind_their_access_flag(enrolled):
    from datetime import date

    from portalkit import Access, ReportKind, Section, Upload
    from portalkit.errors import NotFound

    w = enrolled
    reports, d = w.portal.reports, w.portal.directory
    inspection = reports.add(
        w.staff,
        w.prop.id,
        ReportKind.INSPECTION,
        "Backflow test",
        date(2026, 3, 2),
        Upload(filename="backflow.pdf", data=PDF),
    )
    service = reports.add(
        w.staff,
        w.prop.id,
        ReportKind.SERVICE,
        "Spring start-up",
        date(2026, 3, 9),
        Upload(filename="startup.pdf", data=PDF + b"2"),
    )
    assert [r.id for r in reports.list(w.alice, w.prop.id)] == [service.id, inspection.id]
    assert reports.pdf(w.alice, inspection.id) == PDF
    alice = d.update_contact(w.staff, w.alice.id, access=Access(inspection_reports=False))
    assert [r.id for r in reports.list(alice, w.prop.id)] == [service.id]
    with pytest.raises(NotFound):
        reports.pdf(alice, inspection.id)
    none = d.update_contact(w.staff, w.alice.id, access=Access(inspection_reports=False, service_reports=False))
    assert Section.REPORTS not in w.portal.visibility.dashboard_sections(none)
    with pytest.raises(PermissionDenied):
        reports.list(none, w.prop.id)
    with pytest.raises(NotFound):  # another customer's contact
        reports.pdf(w.stranger, service.id)
    with pytest.raises(ValidationError):
        reports.add(
            w.staff,
            w.prop.id,
            ReportKind.SERVICE,
            "Photo",
            date(2026, 3, 9),
            Upload(filename="x.pdf", data=b"\x89PNG\r\n\x1a\nnot a pdf"),
        )
    clerk = d.add_staff(w.staff, "clerk@greenacres.test", "Clerk", [Permission.MANAGE_ISSUES])
    with pytest.raises(PermissionDenied):
        reports.add(clerk, w.prop.id, ReportKind.SERVICE, "Nope", date(2026, 3, 9), Upload(filename="a.pdf", data=PDF))


def test_reports_from_the_host_replace_by_their_id_and_can_be_removed(enrolled):
    from datetime import date

    from portalkit import ReportKind, Upload

    w = enrolled
    reports = w.portal.reports
    first = reports.add(
        w.staff,
        w.prop.id,
        ReportKind.SERVICE,
        "Visit",
        date(2026, 3, 9),
        Upload(filename="v.pdf", data=PDF),
        external_id="R-9",
    )
    again = reports.add(
        w.staff,
        w.prop.id,
        ReportKind.SERVICE,
        "Visit (corrected)",
        date(2026, 3, 9),
        Upload(filename="v2.pdf", data=PDF + b"v2"),
        external_id="R-9",
    )
    assert again.id == first.id and reports.pdf(w.alice, first.id) == PDF + b"v2"
    reports.remove(w.staff, first.id)
    assert list(reports.list(w.alice, w.prop.id)) == [] and list(reports.staff_reports(w.staff)) == []
