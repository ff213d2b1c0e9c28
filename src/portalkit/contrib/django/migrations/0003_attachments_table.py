"""Issue and comment files move from a JSON field on their rows to a table of their own."""

import uuid
from typing import Any

from django.db import migrations, models


def files_into_rows(apps: Any, schema_editor: Any) -> None:
    Attachment = apps.get_model("portalkit", "AttachmentRecord")
    rows = []
    for model, comments in (("IssueRecord", False), ("CommentRecord", True)):
        for owner in apps.get_model("portalkit", model).objects.all().iterator():
            for position, a in enumerate(owner.attachments or []):
                rows.append(Attachment(id=uuid.uuid4().hex, issue_id=owner.issue_id if comments else owner.id,
                                       comment_id=owner.id if comments else None, position=position,
                                       filename=a["filename"], content_type=a["content_type"], file_key=a["file_key"],
                                       size=a["size"], shared=a.get("shared", True), company_id=owner.company_id,
                                       version=0))
    Attachment.objects.bulk_create(rows, batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ('portalkit', '0002_portal_records'),
    ]

    operations = [
        migrations.CreateModel(
            name='AttachmentRecord',
            fields=[
                ('id', models.TextField(primary_key=True, serialize=False)),
                ('issue_id', models.TextField()),
                ('comment_id', models.TextField(null=True)),
                ('position', models.BigIntegerField()),
                ('filename', models.TextField()),
                ('content_type', models.TextField()),
                ('file_key', models.TextField()),
                ('size', models.BigIntegerField()),
                ('shared', models.BooleanField()),
                ('company_id', models.TextField()),
                ('version', models.BigIntegerField()),
            ],
            options={
                'db_table': 'portalkit_attachment',
                'default_permissions': (),
                'indexes': [models.Index(fields=['company_id'], name='pk_attachment_company_id'), models.Index(fields=['issue_id', 'comment_id', 'position'], name='pk_attachment_issue_i_9b129026')],
            },
        ),
        migrations.RunPython(files_into_rows, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='commentrecord',
            name='attachments',
        ),
        migrations.RemoveField(
            model_name='issuerecord',
            name='attachments',
        ),
    ]
