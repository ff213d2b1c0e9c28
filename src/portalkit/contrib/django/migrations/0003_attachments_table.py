"""Issue and comment files move from a JSON field on their rows to a table of their own."""

from typing import Any

from django.db import migrations, models

from portalkit._core.data_migrations import attachment_rows


def files_into_rows(apps: Any, schema_editor: Any) -> None:
    Attachment = apps.get_model("portalkit", "AttachmentRecord")
    owners = [
        {"issue_id": o.id, "comment_id": None, "company_id": o.company_id, "attachments": o.attachments}
        for o in apps.get_model("portalkit", "IssueRecord").objects.all().iterator()
    ]
    owners += [
        {"issue_id": o.issue_id, "comment_id": o.id, "company_id": o.company_id, "attachments": o.attachments}
        for o in apps.get_model("portalkit", "CommentRecord").objects.all().iterator()
    ]
    rows = attachment_rows(owners)  # the same step Alembic's 0006 takes
    Attachment.objects.bulk_create([Attachment(**row) for row in rows], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("portalkit", "0002_portal_records"),
    ]

    operations = [
        migrations.CreateModel(
            name="AttachmentRecord",
            fields=[
                ("id", models.TextField(primary_key=True, serialize=False)),
                ("issue_id", models.TextField()),
                ("comment_id", models.TextField(null=True)),
                ("position", models.BigIntegerField()),
                ("filename", models.TextField()),
                ("content_type", models.TextField()),
                ("file_key", models.TextField()),
                ("size", models.BigIntegerField()),
                ("shared", models.BooleanField()),
                ("company_id", models.TextField()),
                ("version", models.BigIntegerField()),
            ],
            options={
                "db_table": "portalkit_attachment",
                "default_permissions": (),
                "indexes": [
                    models.Index(fields=["company_id"], name="pk_attachment_company_id"),
                    models.Index(fields=["issue_id", "comment_id", "position"], name="pk_attachment_issue_i_9b129026"),
                ],
            },
        ),
        migrations.RunPython(files_into_rows, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="commentrecord",
            name="attachments",
        ),
        migrations.RemoveField(
            model_name="issuerecord",
            name="attachments",
        ),
    ]
