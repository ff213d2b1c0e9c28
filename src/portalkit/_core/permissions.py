"""Deny by default: every staff action names the permission it needs (INV-2)."""

from __future__ import annotations

from ..errors import PermissionDenied
from ..models import Permission, Role, StaffUser


def require(staff: object, permission: Permission, company_id: str) -> StaffUser:
    """``staff`` must be a staff user of company ``company_id`` holding ``permission``; anything
    else is ``PermissionDenied`` (a staff user never acts on another company's portal)."""
    if not isinstance(staff, StaffUser) or staff.company_id != company_id:
        raise PermissionDenied("Only a signed-in staff user can do this.")
    if permission not in staff.permissions:
        raise PermissionDenied(f"{staff.name} lacks the {permission.value} permission")
    return staff


_ACCOUNTS = frozenset(
    {
        Permission.SEND_PORTAL_INVITATION,
        Permission.MANAGE_CONTACTS,
        Permission.MANAGE_PROPOSALS,
        Permission.MANAGE_ISSUES,
        Permission.MANAGE_REPORTS,
        Permission.MANAGE_JOBS,
    }
)
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.SYSTEM_ADMINISTRATOR: frozenset(Permission),
    Role.BRANCH_ADMINISTRATOR: frozenset(Permission) - {Permission.MANAGE_SETTINGS},
    Role.BRANCH_MANAGER: _ACCOUNTS | {Permission.MANAGE_BILLING},
    Role.ACCOUNT_MANAGER: _ACCOUNTS,
}
"""INV-2: every default role sends portal invitations; the portal's settings (switch, look,
fees) stay with system administrators, staff management with administrators, refunds and
payments with managers up."""
