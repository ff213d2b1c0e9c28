"""Stored enum values become stable codes ("Not Enrolled" → "not_enrolled"); their words live
in portalkit.labels. The same step as Alembic's 0015: portalkit._core.data_migrations.code_changes."""

from typing import Any

from django.db import migrations

from portalkit._core.data_migrations import code_changes


def _recode(apps: Any, *, backwards: bool) -> None:
    for table, column, stored, value in code_changes(backwards=backwards):
        model = apps.get_model("portalkit", "".join(part.title() for part in table.split("_")) + "Record")
        model.objects.filter(**{column: stored}).update(**{column: value})


def forwards(apps: Any, schema_editor: Any) -> None:
    _recode(apps, backwards=False)


def backwards(apps: Any, schema_editor: Any) -> None:
    _recode(apps, backwards=True)


class Migration(migrations.Migration):
    dependencies = [
        ("portalkit", "0011_two_step"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
