"""quote requests

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 15:25:44.674830
"""

from alembic import op
import sqlalchemy as sa
import portalkit.adapters.sql


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "pk_quote_request",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("contact_id", sa.Text(), nullable=False),
        sa.Column("property_id", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", portalkit.adapters.sql.Timestamp(), nullable=False),
        sa.Column("handled", sa.Boolean(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pk_quote_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pk_quote_request_handled"), ["handled"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("pk_quote_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pk_quote_request_handled"))

    op.drop_table("pk_quote_request")
