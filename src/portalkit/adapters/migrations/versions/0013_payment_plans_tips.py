"""payment plans, tips

Payment plans (issue 27): a plan splits an open invoice's amount due into instalments offered to
one contact, who accepts it with a recorded consent (the words shown, the method, when, from
which address and browser). Payments carry the tip paid with them (never part of the invoice's
amount) and the plan instalment they pay. Staff find an invoice by its number. Existing payments
get no tip and no instalment.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-14 09:00:00
"""

from alembic import op
import sqlalchemy as sa
import portalkit.adapters.sql


revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pk_payment_plan",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("invoice_id", sa.Text(), nullable=False),
        sa.Column("contact_id", sa.Text(), nullable=False),
        sa.Column("amount", portalkit.adapters.sql.Money(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("interval", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("offered_by", sa.Text(), nullable=False),
        sa.Column("created_at", portalkit.adapters.sql.Timestamp(), nullable=False),
        sa.Column("accepted_at", portalkit.adapters.sql.Timestamp(), nullable=True),
        sa.Column("ended_at", portalkit.adapters.sql.Timestamp(), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=False),
        sa.Column("company_id", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pk_payment_plan", schema=None) as batch_op:
        batch_op.create_index("ix_pk_payment_plan_company_id", ["company_id"], unique=False)
        batch_op.create_index(
            "ix_pk_payment_plan_company_id_contact_id_status", ["company_id", "contact_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_pk_payment_plan_company_id_invoice_id_status", ["company_id", "invoice_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_pk_payment_plan_company_id_status_created_at_id",
            ["company_id", "status", "created_at", "id"],
            unique=False,
        )

    op.create_table(
        "pk_instalment",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("plan_id", sa.Text(), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("due_on", portalkit.adapters.sql.Day(), nullable=False),
        sa.Column("amount", portalkit.adapters.sql.Money(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("attempts", sa.BigInteger(), nullable=False),
        sa.Column("paid_at", portalkit.adapters.sql.Timestamp(), nullable=True),
        sa.Column("company_id", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pk_instalment", schema=None) as batch_op:
        batch_op.create_index("ix_pk_instalment_company_id", ["company_id"], unique=False)
        batch_op.create_index(
            "ix_pk_instalment_company_id_plan_id_number", ["company_id", "plan_id", "number"], unique=False
        )
        batch_op.create_index(
            "ix_pk_instalment_company_id_status_due_on", ["company_id", "status", "due_on"], unique=False
        )

    op.create_table(
        "pk_plan_consent",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("plan_id", sa.Text(), nullable=False),
        sa.Column("contact_id", sa.Text(), nullable=False),
        sa.Column("method_id", sa.Text(), nullable=False),
        sa.Column("method_label", sa.Text(), nullable=False),
        sa.Column("consent_text", sa.Text(), nullable=False),
        sa.Column("accepted_at", portalkit.adapters.sql.Timestamp(), nullable=False),
        sa.Column("ip_address", sa.Text(), nullable=False),
        sa.Column("user_agent", sa.Text(), nullable=False),
        sa.Column("revoked_at", portalkit.adapters.sql.Timestamp(), nullable=True),
        sa.Column("company_id", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pk_plan_consent", schema=None) as batch_op:
        batch_op.create_index("ix_pk_plan_consent_company_id", ["company_id"], unique=False)
        batch_op.create_index(
            "ix_pk_plan_consent_company_id_plan_id_revoked_at", ["company_id", "plan_id", "revoked_at"], unique=False
        )

    with op.batch_alter_table("pk_payment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tip", portalkit.adapters.sql.Money(), nullable=False, server_default="0.00"))
        batch_op.add_column(sa.Column("instalment_id", sa.Text(), nullable=True))

    with op.batch_alter_table("pk_invoice", schema=None) as batch_op:
        batch_op.create_index("ix_pk_invoice_company_id_number", ["company_id", "number"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pk_invoice", schema=None) as batch_op:
        batch_op.drop_index("ix_pk_invoice_company_id_number")
    with op.batch_alter_table("pk_payment", schema=None) as batch_op:
        batch_op.drop_column("instalment_id")
        batch_op.drop_column("tip")
    for table in ("pk_plan_consent", "pk_instalment", "pk_payment_plan"):
        op.drop_table(table)
