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


def _build_portal_storage(**_kwargs: Any) -> None:
    """``manage.py migrate`` also brings a SQLAlchemy storage's tables up to date: building the
    portal builds its storage, which runs portalkit's migrations (``DjangoStorage``'s tables are
    this app's own models, migrated by Django itself)."""
    from .conf import get_portal, options

    if options().get("PORTAL"):
        get_portal()
