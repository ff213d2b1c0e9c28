"""attachments table

Issue and comment files move from a JSON column on their rows to a table of their own (one row
per file, in attach order), so that no list of issues or comments reads them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 08:09:45
"""

from alembic import op
import sqlalchemy as sa

from portalkit._core.data_migrations import attachment_rows

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _files_into_rows(conn: sa.Connection) -> None:
    owners = []
    for table, issue, comment in (("pk_issue", "id", "NULL"), ("pk_comment", "issue_id", "id")):
        owners += [
            dict(row._mapping)
            for row in conn.execute(
                sa.text(f"SELECT {issue} AS issue_id, {comment} AS comment_id, company_id, attachments FROM {table}")
            )
        ]
    rows = attachment_rows(owners)  # the same step Django's 0003 takes
    if rows:
        conn.execute(
            sa.text(
                "INSERT INTO pk_attachment (id, issue_id, comment_id, position, filename, content_type, "
                "file_key, size, shared, company_id, version) VALUES (:id, :issue_id, :comment_id, "
                ":position, :filename, :content_type, :file_key, :size, :shared, :company_id, :version)"
            ),
            rows,
        )


def upgrade() -> None:
    op.create_table(
        "pk_attachment",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("issue_id", sa.Text(), nullable=False),
        sa.Column("comment_id", sa.Text(), nullable=True),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("file_key", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("company_id", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pk_attachment", schema=None) as batch_op:
        batch_op.create_index("ix_pk_attachment_company_id", ["company_id"], unique=False)
        batch_op.create_index(
            "ix_pk_attachment_issue_id_comment_id_position", ["issue_id", "comment_id", "position"], unique=False
        )

    _files_into_rows(op.get_bind())
    with op.batch_alter_table("pk_comment", schema=None) as batch_op:
        batch_op.drop_column("attachments")

    with op.batch_alter_table("pk_issue", schema=None) as batch_op:
        batch_op.drop_column("attachments")


def downgrade() -> None:
    raise NotImplementedError("0006 has no downgrade: restore the backup taken before upgrading")
