"""login sessions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 03:30:00
"""

from alembic import op
import sqlalchemy as sa
import portalkit.adapters.sql


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pk_login_session",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("contact_id", sa.Text(), nullable=False),
        sa.Column("created_at", portalkit.adapters.sql.Timestamp(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pk_login_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pk_login_session_contact_id"), ["contact_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pk_login_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pk_login_session_contact_id"))
    op.drop_table("pk_login_session")
