"""refunds as records, confirmed email changes, server-side staff sessions

Refunds become records of their own, reserved on their payment (``refunding_amount``) before the
processor is asked; contacts get a pending email and its confirmation nonce; staff of hosts
without server-side sessions (Flask) get a session table. Existing rows get the defaults.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 09:00:00
"""

from alembic import op
import sqlalchemy as sa
import portalkit.adapters.sql


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pk_refund",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("payment_id", sa.Text(), nullable=False),
        sa.Column("amount", portalkit.adapters.sql.Money(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("request_key", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("created_at", portalkit.adapters.sql.Timestamp(), nullable=False),
        sa.Column("completed_at", portalkit.adapters.sql.Timestamp(), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=False),
        sa.Column("company_id", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("company_id", "request_key", name="uq_pk_refund_company_id_request_key"),
    )
    with op.batch_alter_table("pk_refund", schema=None) as batch_op:
        batch_op.create_index("ix_pk_refund_company_id", ["company_id"], unique=False)
        batch_op.create_index("ix_pk_refund_payment_id_status", ["payment_id", "status"], unique=False)

    op.create_table(
        "pk_staff_session",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("staff_id", sa.Text(), nullable=False),
        sa.Column("created_at", portalkit.adapters.sql.Timestamp(), nullable=False),
        sa.Column("company_id", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pk_staff_session", schema=None) as batch_op:
        batch_op.create_index("ix_pk_staff_session_company_id", ["company_id"], unique=False)
        batch_op.create_index("ix_pk_staff_session_staff_id", ["staff_id"], unique=False)

    with op.batch_alter_table("pk_contact", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending_email", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("email_change_nonce", sa.BigInteger(), nullable=False, server_default="0"))

    with op.batch_alter_table("pk_payment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("refunding_amount", portalkit.adapters.sql.Money(), nullable=False, server_default="0.00")
        )


def downgrade() -> None:
    with op.batch_alter_table("pk_payment", schema=None) as batch_op:
        batch_op.drop_column("refunding_amount")
    with op.batch_alter_table("pk_contact", schema=None) as batch_op:
        batch_op.drop_column("email_change_nonce")
        batch_op.drop_column("pending_email")
    op.drop_table("pk_staff_session")
    op.drop_table("pk_refund")
