from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PortalkitConfig(AppConfig):
    name = "portalkit.contrib.django"
    label = "portalkit"
    verbose_name = "Customer portal"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)

        post_migrate.connect(_build_portal_storage, sender=self)
        post_migrate.connect(create_role_groups, sender=self)


def role_group_name(role: Any) -> str:
    return f"Portal {role.value}"


def create_role_groups(apps: Any = None, **_kwargs: Any) -> None:
    """The default roles (INV-2) as Django groups, "Portal Account Manager" and so on, holding
    their ``portalkit.*`` permissions: a host assigns a role by adding a user to a group in the
    admin. A group that exists is left as the host has made it. Nothing to do yet while
    ``django.contrib.auth`` is not migrated (a host migrating app by app)."""
    from django.apps import apps as installed

    try:
        Group: Any = (apps or installed).get_model("auth", "Group")
        DjangoPermission: Any = (apps or installed).get_model("auth", "Permission")
    except LookupError:
        return

    from ...models import Role
    from ...permissions import ROLE_PERMISSIONS

    known = {p.codename: p for p in DjangoPermission.objects.filter(content_type__app_label="portalkit")}
    for role in Role:
        group, created = Group.objects.get_or_create(name=role_group_name(role))
        if created:
            group.permissions.set([known[p.value] for p in ROLE_PERMISSIONS[role] if p.value in known])


def _build_portal_storage(**_kwargs: Any) -> None:
    """``manage.py migrate`` also brings a SQLAlchemy storage's tables up to date: building the
    portal builds its storage, which runs portalkit's migrations (``DjangoStorage``'s tables are
    this app's own models, migrated by Django itself)."""
    from .conf import get_portal, options

    if options().get("PORTAL"):
        get_portal()
