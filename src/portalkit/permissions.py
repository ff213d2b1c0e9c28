"""Deny by default: every staff action names the permission it needs (INV-2)."""

from __future__ import annotations

from .errors import PermissionDenied
from .models import Permission, StaffUser


def require(staff: object, permission: Permission) -> StaffUser:
    """``staff`` must be a staff user holding ``permission``; anything else is ``PermissionDenied``."""
    if not isinstance(staff, StaffUser):
        raise PermissionDenied("Only a signed-in staff user can do this.")
    if permission not in staff.permissions:
        raise PermissionDenied(f"{staff.name} lacks the {permission.value} permission")
    return staff
