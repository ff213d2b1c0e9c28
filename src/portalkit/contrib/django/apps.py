from __future__ import annotations

import logging
import re
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate

# The secret part of a URL Django's own loggers would write: a calendar feed's signed token.
SECRET_IN_PATH = re.compile(r"(/calendar/)[^/\s]+(\.ics)")


class MaskSecretPaths(logging.Filter):
    """Write ``/calendar/…/x.ics`` for a feed's URL in ``django.request`` and ``django.server``
    lines (a 404 of a replaced link, a 500): the token is a key, and log files are read by many."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(SECRET_IN_PATH.sub(r"\1…\2", a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = SECRET_IN_PATH.sub(r"\1…\2", record.msg)
        request = getattr(record, "request", None)
        if request is not None and SECRET_IN_PATH.search(getattr(request, "path", "")):
            record.request = None  # Django's admin mails and formatters print it whole
        return True


class PortalkitConfig(AppConfig):
    name = "portalkit.contrib.django"
    label = "portalkit"
    verbose_name = "Customer portal"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)

        post_migrate.connect(_build_portal_storage, sender=self)
        post_migrate.connect(create_role_groups, sender=self)
        for name in ("django.request", "django.server"):
            logging.getLogger(name).addFilter(MaskSecretPaths())


def role_group_name(role: Any) -> str:
    from ...labels import english

    return f"Portal {english(role)}"


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

    from ..._core.permissions import ROLE_PERMISSIONS
    from ...models import Role

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
