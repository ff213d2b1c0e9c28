"""portalkit's permissions as Django permissions (``portalkit.send_portal_invitation``, ...):
grant them to users or groups; superusers hold them all. The model has no table."""

from __future__ import annotations

from django.db import models

from ...models import Permission

LABELS = {
    Permission.SEND_PORTAL_INVITATION: "Send customer portal invitations",
    Permission.MANAGE_CONTACTS: "Manage portal contacts and access",
    Permission.MANAGE_BILLING: "Manage portal payments",
    Permission.MANAGE_PROPOSALS: "Manage portal proposals and quote requests",
    Permission.MANAGE_ISSUES: "Answer portal issues",
    Permission.MANAGE_SETTINGS: "Change the portal's settings and look",
    Permission.MANAGE_STAFF: "Manage portal staff",
}


class PortalPermissions(models.Model):
    class Meta:
        managed = False
        default_permissions = ()
        permissions = [(p.value, LABELS[p]) for p in Permission]
