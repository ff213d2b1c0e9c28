"""tokenized payment methods, payment state machine v2, processed processor events

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 04:00:00
"""

from alembic import op
import sqlalchemy as sa
import portalkit.adapters.sql


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pk_processed_event",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("payment_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("received_at", portalkit.adapters.sql.Timestamp(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pk_contact", schema=None) as batch_op:
        batch_op.add_column(sa.Column("processor_customer", sa.Text(), nullable=True))
    # Card and bank numbers never reach portalkit again: methods saved before tokens existed
    # cannot be charged, so they are removed (customers add them again through the processor).
    op.execute("DELETE FROM pk_payment_method")
    with op.batch_alter_table("pk_payment_method", schema=None) as batch_op:
        batch_op.drop_column("routing_number")
        batch_op.add_column(sa.Column("token", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("funding", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("mandate", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("mandate_accepted_at", portalkit.adapters.sql.Timestamp(), nullable=True))
    with op.batch_alter_table("pk_payment_method", schema=None) as batch_op:
        batch_op.alter_column("token", server_default=None)
        batch_op.alter_column("funding", server_default=None)
        batch_op.alter_column("mandate", server_default=None)
    with op.batch_alter_table("pk_payment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("action_secret", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("refunded_amount", portalkit.adapters.sql.Money(), nullable=False, server_default="0.00")
        )
        batch_op.create_index(batch_op.f("ix_pk_payment_status"), ["status"], unique=False)
    with op.batch_alter_table("pk_payment", schema=None) as batch_op:
        batch_op.alter_column("action_secret", server_default=None)
        batch_op.alter_column("refunded_amount", server_default=None)
    op.execute("UPDATE pk_payment SET status = 'processing' WHERE status = 'pending'")


def downgrade() -> None:
    op.execute("UPDATE pk_payment SET status = 'pending' WHERE status = 'processing'")
    with op.batch_alter_table("pk_payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pk_payment_status"))
        batch_op.drop_column("refunded_amount")
        batch_op.drop_column("action_secret")
    with op.batch_alter_table("pk_payment_method", schema=None) as batch_op:
        batch_op.drop_column("mandate_accepted_at")
        batch_op.drop_column("mandate")
        batch_op.drop_column("funding")
        batch_op.drop_column("token")
        batch_op.add_column(sa.Column("routing_number", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("pk_contact", schema=None) as batch_op:
        batch_op.drop_column("processor_customer")
    op.drop_table("pk_processed_event")
