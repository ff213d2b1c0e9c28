"""Deny by default: every staff action names the permission it needs (INV-2)."""

from __future__ import annotations

from .errors import PermissionDenied
from .models import Permission, StaffUser


def require(staff: object, permission: Permission, company_id: str) -> StaffUser:
    """``staff`` must be a staff user of company ``company_id`` holding ``permission``; anything
    else is ``PermissionDenied`` (a staff user never acts on another company's portal)."""
    if not isinstance(staff, StaffUser) or staff.company_id != company_id:
        raise PermissionDenied("Only a signed-in staff user can do this.")
    if permission not in staff.permissions:
        raise PermissionDenied(f"{staff.name} lacks the {permission.value} permission")
    return staff
