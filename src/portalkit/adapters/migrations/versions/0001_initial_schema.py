"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27 15:07:55.572536
"""

from alembic import op
import sqlalchemy as sa
import portalkit.adapters.sql
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "pk_comment",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("issue_id", sa.Text(), nullable=False),
        sa.Column("author_name", sa.Text(), nullable=False),
        sa.Column("by_staff", sa.Boolean(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", portalkit.adapters.sql.Timestamp(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column(
            "attachments", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pk_comment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pk_comment_issue_id"), ["issue_id"], unique=False)

    op.create_table(
        "pk_contact",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.Text(), nullable=False),
        sa.Column("first_name", sa.Text(), nullable=False),
        sa.Column("last_name", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column(
            "property_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("account_wide", sa.Boolean(), nullable=False),
        sa.Column("main_contact_only", sa.Boolean(), nullable=False),
        sa.Column(
            "access", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("portal_status", sa.Text(), nullable=False),
        sa.Column("suspended", sa.Boolean(), nullable=False),
        sa.Column("suspension_note", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("invite_nonce", sa.BigInteger(), nullable=False),
        sa.Column("credential_epoch", sa.BigInteger(), nullable=False),
        sa.Column("receipts_opt_in", sa.Boolean(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    with op.batch_alter_table("pk_contact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pk_contact_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "pk_counter",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "pk_customer",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "pk_invoice",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("property_id", sa.Text(), nullable=False),
        sa.Column("billing_contact_id", sa.Text(), nullable=True),
        sa.Column("amount", portalkit.adapters.sql.Money(), nullable=False),
        sa.Column("amount_due", portalkit.adapters.sql.Money(), nullable=False),
        sa.Column("invoice_date", portalkit.adapters.sql.Day(), nullable=False),
        sa.Column("net_days", sa.BigInteger(), nullable=False),
        sa.Column("pending_amount", portalkit.adapters.sql.Money(), nullable=False),
        sa.Column("paid_on", portalkit.adapters.sql.Day(), nullable=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pk_invoice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pk_invoice_billing_contact_id"), ["billing_contact_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pk_invoice_property_id"), ["property_id"], unique=False)

    op.create_table(
        "pk_issue",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("property_id", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("priority", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("created_by_contact_id", sa.Text(), nullable=True),
        sa.Column("main_contact_id", sa.Text(), nullable=True),
        sa.Column("created_at", portalkit.adapters.sql.Timestamp(), nullable=False),
        sa.Column("last_updated", portalkit.adapters.sql.Timestamp(), nullable=False),
        sa.Column(
            "attachments", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pk_issue", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pk_issue_property_id"), ["property_id"], unique=False)

    op.create_table(
        "pk_login_throttle",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("failures", sa.BigInteger(), nullable=False),
        sa.Column("window_start", portalkit.adapters.sql.Timestamp(), nullable=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "pk_outbox_message",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("dedup_key", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column(
            "payload", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("created_at", portalkit.adapters.sql.Timestamp(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("attempts", sa.BigInteger(), nullable=False),
        sa.Column("next_attempt_at", portalkit.adapters.sql.Timestamp(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("sent_at", portalkit.adapters.sql.Timestamp(), nullable=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedup_key"),
    )
    with op.batch_alter_table("pk_outbox_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pk_outbox_message_status"), ["status"], unique=False)

    op.create_table(
        "pk_payment",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("invoice_id", sa.Text(), nullable=False),
        sa.Column("contact_id", sa.Text(), nullable=False),
        sa.Column("method_id", sa.Text(), nullable=False),
        sa.Column("method_kind", sa.Text(), nullable=False),
        sa.Column("amount", portalkit.adapters.sql.Money(), nullable=False),
        sa.Column("fee", portalkit.adapters.sql.Money(), nullable=False),
        sa.Column("idempotency_key", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("processor_ref", sa.Text(), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=False),
        sa.Column("created_at", portalkit.adapters.sql.Timestamp(), nullable=False),
        sa.Column("settled_at", portalkit.adapters.sql.Timestamp(), nullable=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("pk_payment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pk_payment_invoice_id"), ["invoice_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pk_payment_processor_ref"), ["processor_ref"], unique=False)

    op.create_table(
        "pk_payment_method",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("contact_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("last4", sa.Text(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("exp_month", sa.BigInteger(), nullable=True),
        sa.Column("exp_year", sa.BigInteger(), nullable=True),
        sa.Column("routing_number", sa.Text(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pk_payment_method", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pk_payment_method_contact_id"), ["contact_id"], unique=False)

    op.create_table(
        "pk_property",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("primary_contact_id", sa.Text(), nullable=True),
        sa.Column("account_owner_email", sa.Text(), nullable=True),
        sa.Column("operations_manager_email", sa.Text(), nullable=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pk_property", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pk_property_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "pk_proposal",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("property_id", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("estimated_start", portalkit.adapters.sql.Day(), nullable=False),
        sa.Column(
            "services", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("sales_rep_email", sa.Text(), nullable=True),
        sa.Column("main_contact_id", sa.Text(), nullable=True),
        sa.Column(
            "signature", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
        ),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pk_proposal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pk_proposal_property_id"), ["property_id"], unique=False)

    op.create_table(
        "pk_staff_user",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "permissions", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    op.create_table(
        "pk_status_event",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("contact_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("at", portalkit.adapters.sql.Timestamp(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pk_status_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pk_status_event_contact_id"), ["contact_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("pk_status_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pk_status_event_contact_id"))

    op.drop_table("pk_status_event")
    op.drop_table("pk_staff_user")
    with op.batch_alter_table("pk_proposal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pk_proposal_property_id"))

    op.drop_table("pk_proposal")
    with op.batch_alter_table("pk_property", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pk_property_customer_id"))

    op.drop_table("pk_property")
    with op.batch_alter_table("pk_payment_method", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pk_payment_method_contact_id"))

    op.drop_table("pk_payment_method")
    with op.batch_alter_table("pk_payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pk_payment_processor_ref"))
        batch_op.drop_index(batch_op.f("ix_pk_payment_invoice_id"))

    op.drop_table("pk_payment")
    with op.batch_alter_table("pk_outbox_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pk_outbox_message_status"))

    op.drop_table("pk_outbox_message")
    op.drop_table("pk_login_throttle")
    with op.batch_alter_table("pk_issue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pk_issue_property_id"))

    op.drop_table("pk_issue")
    with op.batch_alter_table("pk_invoice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pk_invoice_property_id"))
        batch_op.drop_index(batch_op.f("ix_pk_invoice_billing_contact_id"))

    op.drop_table("pk_invoice")
    op.drop_table("pk_customer")
    op.drop_table("pk_counter")
    with op.batch_alter_table("pk_contact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pk_contact_customer_id"))

    op.drop_table("pk_contact")
    with op.batch_alter_table("pk_comment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pk_comment_issue_id"))

    op.drop_table("pk_comment")
