"""indexes that lead with the company for every list and its keyset order

Every list reads one company's rows in the order it shows them: each index starts with
``company_id``, then the list's equality filters, then its keyset order and ``id``, so a page
is one index range read, whatever the size of the company or of the others in the database
(issue 25). The open invoices of a property (all, or billed to one contact) and the outbox's
never-tried messages get partial indexes (``WHERE paid_on IS NULL``, ``WHERE next_attempt_at
IS NULL``), which PostgreSQL can walk in order. The indexes they replace (not led by the
company) are dropped after the new ones are built.

On a large PostgreSQL database ``CREATE INDEX`` blocks writes to its table while it builds: run
this migration in a quiet hour.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-14 09:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_pk_attachment_company_id_issue_id_comment_id_position",
        "pk_attachment",
        ["company_id", "issue_id", "comment_id", "position"],
        unique=False,
    )
    op.create_index(
        "ix_pk_autopay_consent_company_id_contact_id_revoked_at",
        "pk_autopay_consent",
        ["company_id", "contact_id", "revoked_at"],
        unique=False,
    )
    op.create_index(
        "ix_pk_autopay_consent_company_id_revoked_at", "pk_autopay_consent", ["company_id", "revoked_at"], unique=False
    )
    op.create_index(
        "ix_pk_comment_company_id_issue_id_at", "pk_comment", ["company_id", "issue_id", "at"], unique=False
    )
    op.create_index(
        "ix_pk_contact_company_id_archived_last_name_first_name_id",
        "pk_contact",
        ["company_id", "archived", "last_name", "first_name", "id"],
        unique=False,
    )
    op.create_index(
        "ix_pk_contact_company_id_customer_id_archived_last_nam_edbc665f",
        "pk_contact",
        ["company_id", "customer_id", "archived", "last_name", "first_name", "id"],
        unique=False,
    )
    op.create_index(
        "ix_pk_contact_company_id_portal_status_archived_last_n_284cb2ba",
        "pk_contact",
        ["company_id", "portal_status", "archived", "last_name", "first_name", "id"],
        unique=False,
    )
    op.create_index(
        "ix_pk_customer_company_id_archived_name_id",
        "pk_customer",
        ["company_id", "archived", "name", "id"],
        unique=False,
    )
    op.create_index(
        "ix_pk_invoice_company_id_billing_contact_id_property_i_0b17bb60",
        "pk_invoice",
        ["company_id", "billing_contact_id", "property_id", "archived", "due_date", "number", "id"],
        unique=False,
        postgresql_where=sa.column("paid_on").is_(None),
        sqlite_where=sa.column("paid_on").is_(None),
    )
    op.create_index(
        "ix_pk_invoice_company_id_billing_contact_id_property_i_e21648c7",
        "pk_invoice",
        ["company_id", "billing_contact_id", "property_id", "archived", "paid_on", "number", "id"],
        unique=False,
    )
    op.create_index(
        "ix_pk_invoice_company_id_property_id_archived_due_date_5f52a829",
        "pk_invoice",
        ["company_id", "property_id", "archived", "due_date", "number", "id"],
        unique=False,
        postgresql_where=sa.column("paid_on").is_(None),
        sqlite_where=sa.column("paid_on").is_(None),
    )
    op.create_index(
        "ix_pk_invoice_company_id_property_id_archived_paid_on_number_id",
        "pk_invoice",
        ["company_id", "property_id", "archived", "paid_on", "number", "id"],
        unique=False,
    )
    op.create_index("ix_pk_invoice_company_id_proposal_id", "pk_invoice", ["company_id", "proposal_id"], unique=False)
    op.create_index(
        "ix_pk_invoice_line_company_id_invoice_id_position",
        "pk_invoice_line",
        ["company_id", "invoice_id", "position"],
        unique=False,
    )
    op.create_index(
        "ix_pk_issue_company_id_property_id_status_last_updated_d11d8d7d",
        "pk_issue",
        ["company_id", "property_id", "status", "last_updated", "number", "id"],
        unique=False,
    )
    op.create_index(
        "ix_pk_issue_company_id_status_last_updated_number_id",
        "pk_issue",
        ["company_id", "status", "last_updated", "number", "id"],
        unique=False,
    )
    op.create_index(
        "ix_pk_login_session_company_id_contact_id", "pk_login_session", ["company_id", "contact_id"], unique=False
    )
    op.create_index(
        "ix_pk_outbox_message_company_id_status_created_at_id",
        "pk_outbox_message",
        ["company_id", "status", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_pk_outbox_message_company_id_status_created_at_id_w_23eb7f0b",
        "pk_outbox_message",
        ["company_id", "status", "created_at", "id"],
        unique=False,
        postgresql_where=sa.column("next_attempt_at").is_(None),
        sqlite_where=sa.column("next_attempt_at").is_(None),
    )
    op.create_index(
        "ix_pk_outbox_message_company_id_status_next_attempt_at_id",
        "pk_outbox_message",
        ["company_id", "status", "next_attempt_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_pk_payment_company_id_contact_id_created_at_id",
        "pk_payment",
        ["company_id", "contact_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_pk_payment_company_id_created_at_id", "pk_payment", ["company_id", "created_at", "id"], unique=False
    )
    op.create_index(
        "ix_pk_payment_company_id_invoice_id_created_at",
        "pk_payment",
        ["company_id", "invoice_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_pk_payment_company_id_processor_ref", "pk_payment", ["company_id", "processor_ref"], unique=False
    )
    op.create_index(
        "ix_pk_payment_company_id_status_created_at", "pk_payment", ["company_id", "status", "created_at"], unique=False
    )
    op.create_index(
        "ix_pk_payment_method_company_id_contact_id", "pk_payment_method", ["company_id", "contact_id"], unique=False
    )
    op.create_index(
        "ix_pk_property_company_id_billing_contact_id",
        "pk_property",
        ["company_id", "billing_contact_id"],
        unique=False,
    )
    op.create_index(
        "ix_pk_property_company_id_customer_id_archived_name",
        "pk_property",
        ["company_id", "customer_id", "archived", "name"],
        unique=False,
    )
    op.create_index(
        "ix_pk_property_company_id_primary_contact_id",
        "pk_property",
        ["company_id", "primary_contact_id"],
        unique=False,
    )
    op.create_index(
        "ix_pk_proposal_company_id_archived_estimated_start_number_id",
        "pk_proposal",
        ["company_id", "archived", "estimated_start", "number", "id"],
        unique=False,
    )
    op.create_index(
        "ix_pk_proposal_company_id_main_contact_id", "pk_proposal", ["company_id", "main_contact_id"], unique=False
    )
    op.create_index(
        "ix_pk_proposal_company_id_property_id_archived_estimat_0bb8a57f",
        "pk_proposal",
        ["company_id", "property_id", "archived", "estimated_start", "number", "id"],
        unique=False,
    )
    op.create_index(
        "ix_pk_proposal_company_id_status_archived_estimated_st_296cb44d",
        "pk_proposal",
        ["company_id", "status", "archived", "estimated_start", "number", "id"],
        unique=False,
    )
    op.create_index(
        "ix_pk_quote_request_company_id_handled_created_at",
        "pk_quote_request",
        ["company_id", "handled", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_pk_refund_company_id_payment_id_status", "pk_refund", ["company_id", "payment_id", "status"], unique=False
    )
    op.create_index("ix_pk_refund_company_id_status", "pk_refund", ["company_id", "status"], unique=False)
    op.create_index(
        "ix_pk_report_company_id_archived_performed_on_id",
        "pk_report",
        ["company_id", "archived", "performed_on", "id"],
        unique=False,
    )
    op.create_index(
        "ix_pk_report_company_id_property_id_archived_performed_on_id",
        "pk_report",
        ["company_id", "property_id", "archived", "performed_on", "id"],
        unique=False,
    )
    op.create_index(
        "ix_pk_settings_revision_company_id_revision_id",
        "pk_settings_revision",
        ["company_id", "revision", "id"],
        unique=False,
    )
    op.create_index(
        "ix_pk_staff_session_company_id_staff_id", "pk_staff_session", ["company_id", "staff_id"], unique=False
    )
    op.create_index(
        "ix_pk_status_event_company_id_contact_id_at",
        "pk_status_event",
        ["company_id", "contact_id", "at"],
        unique=False,
    )
    op.create_index(
        "ix_pk_webhook_event_company_id_outcome_received_at_id",
        "pk_webhook_event",
        ["company_id", "outcome", "received_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_pk_webhook_event_company_id_received_at_id",
        "pk_webhook_event",
        ["company_id", "received_at", "id"],
        unique=False,
    )
    op.drop_index("ix_pk_attachment_issue_id_comment_id_position", table_name="pk_attachment")
    op.drop_index("ix_pk_autopay_consent_contact_id", table_name="pk_autopay_consent")
    op.drop_index("ix_pk_autopay_consent_revoked_at", table_name="pk_autopay_consent")
    op.drop_index("ix_pk_comment_issue_id_at", table_name="pk_comment")
    op.drop_index("ix_pk_contact_customer_id", table_name="pk_contact")
    op.drop_index("ix_pk_contact_portal_status_last_name_first_name", table_name="pk_contact")
    op.drop_index("ix_pk_customer_name", table_name="pk_customer")
    op.drop_index("ix_pk_invoice_billing_contact_id", table_name="pk_invoice")
    op.drop_index("ix_pk_invoice_property_id_due_date_number_id_where_paid_on", table_name="pk_invoice")
    op.drop_index("ix_pk_invoice_property_id_paid_on_due_date_number", table_name="pk_invoice")
    op.drop_index("ix_pk_invoice_line_invoice_id_position", table_name="pk_invoice_line")
    op.drop_index("ix_pk_issue_property_id_status_last_updated_number", table_name="pk_issue")
    op.drop_index("ix_pk_issue_status_last_updated_number", table_name="pk_issue")
    op.drop_index("ix_pk_login_session_contact_id", table_name="pk_login_session")
    op.drop_index("ix_pk_outbox_message_status_created_at", table_name="pk_outbox_message")
    op.drop_index("ix_pk_payment_contact_id", table_name="pk_payment")
    op.drop_index("ix_pk_payment_created_at", table_name="pk_payment")
    op.drop_index("ix_pk_payment_invoice_id", table_name="pk_payment")
    op.drop_index("ix_pk_payment_processor_ref", table_name="pk_payment")
    op.drop_index("ix_pk_payment_status", table_name="pk_payment")
    op.drop_index("ix_pk_payment_method_contact_id", table_name="pk_payment_method")
    op.drop_index("ix_pk_property_customer_id", table_name="pk_property")
    op.drop_index("ix_pk_proposal_estimated_start_number", table_name="pk_proposal")
    op.drop_index("ix_pk_proposal_property_id_estimated_start_number", table_name="pk_proposal")
    op.drop_index("ix_pk_proposal_status_estimated_start_number", table_name="pk_proposal")
    op.drop_index("ix_pk_quote_request_handled", table_name="pk_quote_request")
    op.drop_index("ix_pk_refund_payment_id_status", table_name="pk_refund")
    op.drop_index("ix_pk_report_property_id_performed_on", table_name="pk_report")
    op.drop_index("ix_pk_settings_revision_revision", table_name="pk_settings_revision")
    op.drop_index("ix_pk_staff_session_staff_id", table_name="pk_staff_session")
    op.drop_index("ix_pk_status_event_contact_id", table_name="pk_status_event")
    op.drop_index("ix_pk_webhook_event_outcome_received_at", table_name="pk_webhook_event")
    op.drop_index("ix_pk_webhook_event_received_at", table_name="pk_webhook_event")


def downgrade() -> None:
    op.create_index(
        "ix_pk_attachment_issue_id_comment_id_position",
        "pk_attachment",
        ["issue_id", "comment_id", "position"],
        unique=False,
    )
    op.create_index("ix_pk_autopay_consent_contact_id", "pk_autopay_consent", ["contact_id"], unique=False)
    op.create_index("ix_pk_autopay_consent_revoked_at", "pk_autopay_consent", ["revoked_at"], unique=False)
    op.create_index("ix_pk_comment_issue_id_at", "pk_comment", ["issue_id", "at"], unique=False)
    op.create_index("ix_pk_contact_customer_id", "pk_contact", ["customer_id"], unique=False)
    op.create_index(
        "ix_pk_contact_portal_status_last_name_first_name",
        "pk_contact",
        ["portal_status", "last_name", "first_name"],
        unique=False,
    )
    op.create_index("ix_pk_customer_name", "pk_customer", ["name"], unique=False)
    op.create_index("ix_pk_invoice_billing_contact_id", "pk_invoice", ["billing_contact_id"], unique=False)
    op.create_index(
        "ix_pk_invoice_property_id_due_date_number_id_where_paid_on",
        "pk_invoice",
        ["property_id", "due_date", "number", "id"],
        unique=False,
        postgresql_where=sa.column("paid_on").is_(None),
        sqlite_where=sa.column("paid_on").is_(None),
    )
    op.create_index(
        "ix_pk_invoice_property_id_paid_on_due_date_number",
        "pk_invoice",
        ["property_id", "paid_on", "due_date", "number"],
        unique=False,
    )
    op.create_index(
        "ix_pk_invoice_line_invoice_id_position", "pk_invoice_line", ["invoice_id", "position"], unique=False
    )
    op.create_index(
        "ix_pk_issue_property_id_status_last_updated_number",
        "pk_issue",
        ["property_id", "status", "last_updated", "number"],
        unique=False,
    )
    op.create_index(
        "ix_pk_issue_status_last_updated_number", "pk_issue", ["status", "last_updated", "number"], unique=False
    )
    op.create_index("ix_pk_login_session_contact_id", "pk_login_session", ["contact_id"], unique=False)
    op.create_index(
        "ix_pk_outbox_message_status_created_at", "pk_outbox_message", ["status", "created_at"], unique=False
    )
    op.create_index("ix_pk_payment_contact_id", "pk_payment", ["contact_id"], unique=False)
    op.create_index("ix_pk_payment_created_at", "pk_payment", ["created_at"], unique=False)
    op.create_index("ix_pk_payment_invoice_id", "pk_payment", ["invoice_id"], unique=False)
    op.create_index("ix_pk_payment_processor_ref", "pk_payment", ["processor_ref"], unique=False)
    op.create_index("ix_pk_payment_status", "pk_payment", ["status"], unique=False)
    op.create_index("ix_pk_payment_method_contact_id", "pk_payment_method", ["contact_id"], unique=False)
    op.create_index("ix_pk_property_customer_id", "pk_property", ["customer_id"], unique=False)
    op.create_index("ix_pk_proposal_estimated_start_number", "pk_proposal", ["estimated_start", "number"], unique=False)
    op.create_index(
        "ix_pk_proposal_property_id_estimated_start_number",
        "pk_proposal",
        ["property_id", "estimated_start", "number"],
        unique=False,
    )
    op.create_index(
        "ix_pk_proposal_status_estimated_start_number",
        "pk_proposal",
        ["status", "estimated_start", "number"],
        unique=False,
    )
    op.create_index("ix_pk_quote_request_handled", "pk_quote_request", ["handled"], unique=False)
    op.create_index("ix_pk_refund_payment_id_status", "pk_refund", ["payment_id", "status"], unique=False)
    op.create_index("ix_pk_report_property_id_performed_on", "pk_report", ["property_id", "performed_on"], unique=False)
    op.create_index("ix_pk_settings_revision_revision", "pk_settings_revision", ["revision"], unique=False)
    op.create_index("ix_pk_staff_session_staff_id", "pk_staff_session", ["staff_id"], unique=False)
    op.create_index("ix_pk_status_event_contact_id", "pk_status_event", ["contact_id"], unique=False)
    op.create_index(
        "ix_pk_webhook_event_outcome_received_at", "pk_webhook_event", ["outcome", "received_at"], unique=False
    )
    op.create_index("ix_pk_webhook_event_received_at", "pk_webhook_event", ["received_at"], unique=False)
    op.drop_index("ix_pk_attachment_company_id_issue_id_comment_id_position", table_name="pk_attachment")
    op.drop_index("ix_pk_autopay_consent_company_id_contact_id_revoked_at", table_name="pk_autopay_consent")
    op.drop_index("ix_pk_autopay_consent_company_id_revoked_at", table_name="pk_autopay_consent")
    op.drop_index("ix_pk_comment_company_id_issue_id_at", table_name="pk_comment")
    op.drop_index("ix_pk_contact_company_id_archived_last_name_first_name_id", table_name="pk_contact")
    op.drop_index("ix_pk_contact_company_id_customer_id_archived_last_nam_edbc665f", table_name="pk_contact")
    op.drop_index("ix_pk_contact_company_id_portal_status_archived_last_n_284cb2ba", table_name="pk_contact")
    op.drop_index("ix_pk_customer_company_id_archived_name_id", table_name="pk_customer")
    op.drop_index("ix_pk_invoice_company_id_billing_contact_id_property_i_0b17bb60", table_name="pk_invoice")
    op.drop_index("ix_pk_invoice_company_id_billing_contact_id_property_i_e21648c7", table_name="pk_invoice")
    op.drop_index("ix_pk_invoice_company_id_property_id_archived_due_date_5f52a829", table_name="pk_invoice")
    op.drop_index("ix_pk_invoice_company_id_property_id_archived_paid_on_number_id", table_name="pk_invoice")
    op.drop_index("ix_pk_invoice_company_id_proposal_id", table_name="pk_invoice")
    op.drop_index("ix_pk_invoice_line_company_id_invoice_id_position", table_name="pk_invoice_line")
    op.drop_index("ix_pk_issue_company_id_property_id_status_last_updated_d11d8d7d", table_name="pk_issue")
    op.drop_index("ix_pk_issue_company_id_status_last_updated_number_id", table_name="pk_issue")
    op.drop_index("ix_pk_login_session_company_id_contact_id", table_name="pk_login_session")
    op.drop_index("ix_pk_outbox_message_company_id_status_created_at_id", table_name="pk_outbox_message")
    op.drop_index("ix_pk_outbox_message_company_id_status_created_at_id_w_23eb7f0b", table_name="pk_outbox_message")
    op.drop_index("ix_pk_outbox_message_company_id_status_next_attempt_at_id", table_name="pk_outbox_message")
    op.drop_index("ix_pk_payment_company_id_contact_id_created_at_id", table_name="pk_payment")
    op.drop_index("ix_pk_payment_company_id_created_at_id", table_name="pk_payment")
    op.drop_index("ix_pk_payment_company_id_invoice_id_created_at", table_name="pk_payment")
    op.drop_index("ix_pk_payment_company_id_processor_ref", table_name="pk_payment")
    op.drop_index("ix_pk_payment_company_id_status_created_at", table_name="pk_payment")
    op.drop_index("ix_pk_payment_method_company_id_contact_id", table_name="pk_payment_method")
    op.drop_index("ix_pk_property_company_id_billing_contact_id", table_name="pk_property")
    op.drop_index("ix_pk_property_company_id_customer_id_archived_name", table_name="pk_property")
    op.drop_index("ix_pk_property_company_id_primary_contact_id", table_name="pk_property")
    op.drop_index("ix_pk_proposal_company_id_archived_estimated_start_number_id", table_name="pk_proposal")
    op.drop_index("ix_pk_proposal_company_id_main_contact_id", table_name="pk_proposal")
    op.drop_index("ix_pk_proposal_company_id_property_id_archived_estimat_0bb8a57f", table_name="pk_proposal")
    op.drop_index("ix_pk_proposal_company_id_status_archived_estimated_st_296cb44d", table_name="pk_proposal")
    op.drop_index("ix_pk_quote_request_company_id_handled_created_at", table_name="pk_quote_request")
    op.drop_index("ix_pk_refund_company_id_payment_id_status", table_name="pk_refund")
    op.drop_index("ix_pk_refund_company_id_status", table_name="pk_refund")
    op.drop_index("ix_pk_report_company_id_archived_performed_on_id", table_name="pk_report")
    op.drop_index("ix_pk_report_company_id_property_id_archived_performed_on_id", table_name="pk_report")
    op.drop_index("ix_pk_settings_revision_company_id_revision_id", table_name="pk_settings_revision")
    op.drop_index("ix_pk_staff_session_company_id_staff_id", table_name="pk_staff_session")
    op.drop_index("ix_pk_status_event_company_id_contact_id_at", table_name="pk_status_event")
    op.drop_index("ix_pk_webhook_event_company_id_outcome_received_at_id", table_name="pk_webhook_event")
    op.drop_index("ix_pk_webhook_event_company_id_received_at_id", table_name="pk_webhook_event")
