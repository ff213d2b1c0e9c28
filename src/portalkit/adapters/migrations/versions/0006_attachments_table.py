"""attachments table

Issue and comment files move from a JSON column on their rows to a table of their own (one row
per file, in attach order), so that no list of issues or comments reads them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 08:09:45
"""
import json
import uuid
from typing import Any

from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def _files_into_rows(conn: sa.Connection) -> None:
    def loaded(value: Any) -> list[dict[str, Any]]:
        return (json.loads(value) if isinstance(value, str) else value) or []

    rows = []
    for table, issue, comment in (('pk_issue', 'id', 'NULL'), ('pk_comment', 'issue_id', 'id')):
        found = conn.execute(sa.text(f"SELECT {issue} AS issue_id, {comment} AS comment_id, company_id, attachments "
                                     f"FROM {table}")).all()
        for row in found:
            for position, a in enumerate(loaded(row.attachments)):
                rows.append({'id': uuid.uuid4().hex, 'issue_id': row.issue_id, 'comment_id': row.comment_id,
                             'position': position, 'filename': a['filename'], 'content_type': a['content_type'],
                             'file_key': a['file_key'], 'size': a['size'], 'shared': bool(a.get('shared', True)),
                             'company_id': row.company_id, 'version': 0})
    if rows:
        conn.execute(sa.text("INSERT INTO pk_attachment (id, issue_id, comment_id, position, filename, content_type, "
                             "file_key, size, shared, company_id, version) VALUES (:id, :issue_id, :comment_id, "
                             ":position, :filename, :content_type, :file_key, :size, :shared, :company_id, :version)"),
                     rows)


def upgrade() -> None:
    op.create_table('pk_attachment',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('issue_id', sa.Text(), nullable=False),
    sa.Column('comment_id', sa.Text(), nullable=True),
    sa.Column('position', sa.BigInteger(), nullable=False),
    sa.Column('filename', sa.Text(), nullable=False),
    sa.Column('content_type', sa.Text(), nullable=False),
    sa.Column('file_key', sa.Text(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.Column('company_id', sa.Text(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('pk_attachment', schema=None) as batch_op:
        batch_op.create_index('ix_pk_attachment_company_id', ['company_id'], unique=False)
        batch_op.create_index('ix_pk_attachment_issue_id_comment_id_position', ['issue_id', 'comment_id', 'position'], unique=False)

    _files_into_rows(op.get_bind())
    with op.batch_alter_table('pk_comment', schema=None) as batch_op:
        batch_op.drop_column('attachments')

    with op.batch_alter_table('pk_issue', schema=None) as batch_op:
        batch_op.drop_column('attachments')



def downgrade() -> None:
    raise NotImplementedError("0006 has no downgrade: restore the backup taken before upgrading")
