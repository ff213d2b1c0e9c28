"""webhook events

Every webhook the processor sends is stored before it is processed (dj-stripe's way): validity,
the event, the outcome and any exception, so a failed one can be processed again.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 10:00:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
import portalkit.adapters.sql


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pk_webhook_event",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("processor", sa.Text(), nullable=False),
        sa.Column("received_at", portalkit.adapters.sql.Timestamp(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column(
            "event", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
        ),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("exception", sa.Text(), nullable=False),
        sa.Column("attempts", sa.BigInteger(), nullable=False),
        sa.Column("processed_at", portalkit.adapters.sql.Timestamp(), nullable=True),
        sa.Column("company_id", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pk_webhook_event", schema=None) as batch_op:
        batch_op.create_index("ix_pk_webhook_event_company_id", ["company_id"], unique=False)
        batch_op.create_index("ix_pk_webhook_event_outcome_received_at", ["outcome", "received_at"], unique=False)
        batch_op.create_index("ix_pk_webhook_event_received_at", ["received_at"], unique=False)


def downgrade() -> None:
    op.drop_table("pk_webhook_event")
