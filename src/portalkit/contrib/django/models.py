"""portalkit's permissions as Django permissions (``portalkit.send_portal_invitation``, ...):
grant them to users or groups; superusers hold them all (that model has no table).

And the portal's records as Django models (``ContactRecord``, ``InvoiceRecord``, ...), one per
record type, generated from the attrs classes so they never drift: the tables of
:class:`portalkit.contrib.django.storage.DjangoStorage`, created by ``manage.py migrate``."""

from __future__ import annotations

import enum
import hashlib
import re
import typing
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs
from django.db import models

from ..._core.serialization import unwrap_optional
from ...models import INDEXED, NULL_INDEXED, RECORD_TYPES, UNIQUE, Permission

LABELS = {
    Permission.SEND_PORTAL_INVITATION: "Send customer portal invitations",
    Permission.MANAGE_CONTACTS: "Manage portal contacts and access",
    Permission.MANAGE_BILLING: "Manage portal payments",
    Permission.MANAGE_PROPOSALS: "Manage portal proposals and quote requests",
    Permission.MANAGE_ISSUES: "Answer portal issues",
    Permission.MANAGE_SETTINGS: "Change the portal's settings and look",
    Permission.MANAGE_STAFF: "Manage portal staff",
    Permission.MANAGE_REPORTS: "Publish inspection and service reports",
    Permission.MANAGE_JOBS: "Schedule portal jobs and visits, share their photos",
}


class PortalPermissions(models.Model):
    class Meta:
        managed = False
        default_permissions = ()
        permissions = [(p.value, LABELS[p]) for p in Permission]


# -- the portal's own tables, for DjangoStorage -----------------------------------------------------
def _django_field(name: str, tp: Any) -> models.Field[Any, Any]:
    """The Django field for one attrs field: scalars native, enums as their value, the rest JSON."""
    inner, nullable = unwrap_optional(tp)
    if name == "id":
        return models.TextField(primary_key=True)
    options: dict[str, Any] = {"null": nullable}
    if inner is str:
        return models.TextField(**options)
    if inner is bool:
        return models.BooleanField(**options)
    if inner is int:
        return models.BigIntegerField(**options)
    if inner is Decimal:
        return models.DecimalField(max_digits=18, decimal_places=2, **options)
    if inner is datetime:
        return models.DateTimeField(**options)
    if inner is date:
        return models.DateField(**options)
    if isinstance(inner, type) and issubclass(inner, enum.Enum):
        return models.TextField(**options)
    return models.JSONField(**options)


def _record_model(cls: type) -> type[models.Model]:
    hints = typing.get_type_hints(cls)
    name = cls.__name__ + "Record"
    table = "portalkit_" + re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()
    indexes = [
        models.Index(fields=list(cols), name=_short(f"pk_{table[10:]}_{'_'.join(cols)}"))
        for cols in (("company_id",), *INDEXED.get(cls, ()))
    ]
    indexes += [
        models.Index(
            fields=list(cols),
            condition=models.Q(**{f"{null}__isnull": True}),
            name=_short(f"pk_{table[10:]}_{'_'.join(cols)}_open"),
        )
        for cols, null in NULL_INDEXED.get(cls, ())
    ]
    uniques = [
        models.UniqueConstraint(fields=list(cols), name=_short(f"uq_{table[10:]}_{'_'.join(cols)}"))
        for cols in UNIQUE.get(cls, ())
    ]
    meta = type(
        "Meta",
        (),
        {
            "db_table": table,
            "indexes": indexes,
            "constraints": uniques,
            "app_label": "portalkit",
            "default_permissions": (),
        },
    )
    attributes: dict[str, Any] = {f.name: _django_field(f.name, hints[f.name]) for f in attrs.fields(cls)}
    return type(name, (models.Model,), {"__module__": __name__, "Meta": meta, **attributes})


def _short(name: str) -> str:
    """Django caps index and constraint names at 30 characters: keep them unique and short."""
    return name if len(name) <= 30 else name[:21] + "_" + hashlib.sha1(name.encode()).hexdigest()[:8]


RECORD_MODELS: dict[type, type[models.Model]] = {cls: _record_model(cls) for cls in RECORD_TYPES}
globals().update({model.__name__: model for model in RECORD_MODELS.values()})
