"""jobs and visits, text messages

Jobs at a property and their visits (arrival windows, technicians, status), the photos and files
staff share on them, contacts' requests to reschedule or cancel a visit, their ratings, and
requests for new work (issue 26); a report names the job it is on. Contacts get a mobile number (verified by a code before any
text), STOP, quiet hours, a time zone, their choice of channel per notice and a private calendar
feed's nonce. Existing rows get the defaults.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 09:00:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
import portalkit.adapters.sql


revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pk_job",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("property_id", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("job_type", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("main_contact_id", sa.Text(), nullable=True),
        sa.Column("proposal_id", sa.Text(), nullable=True),
        sa.Column(
            "invoice_ids", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("created_at", portalkit.adapters.sql.Timestamp(), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("company_id", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("company_id", "external_id", name="uq_pk_job_company_id_external_id"),
    )
    with op.batch_alter_table("pk_job", schema=None) as batch_op:
        batch_op.create_index("ix_pk_job_company_id", ["company_id"], unique=False)
        batch_op.create_index("ix_pk_job_company_id_main_contact_id", ["company_id", "main_contact_id"], unique=False)
        batch_op.create_index(
            "ix_pk_job_company_id_property_id_archived_created_at_id",
            ["company_id", "property_id", "archived", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_pk_job_company_id_status_created_at_id", ["company_id", "status", "created_at", "id"], unique=False
        )

    op.create_table(
        "pk_job_file",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("job_id", sa.Text(), nullable=False),
        sa.Column("visit_id", sa.Text(), nullable=True),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("file_key", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("added_at", portalkit.adapters.sql.Timestamp(), nullable=False),
        sa.Column("company_id", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pk_job_file", schema=None) as batch_op:
        batch_op.create_index("ix_pk_job_file_company_id", ["company_id"], unique=False)
        batch_op.create_index(
            "ix_pk_job_file_company_id_job_id_added_at", ["company_id", "job_id", "added_at"], unique=False
        )

    op.create_table(
        "pk_job_request",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("contact_id", sa.Text(), nullable=False),
        sa.Column("property_id", sa.Text(), nullable=False),
        sa.Column("job_type", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("preferred_dates", sa.Text(), nullable=False),
        sa.Column(
            "file_keys", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("created_at", portalkit.adapters.sql.Timestamp(), nullable=False),
        sa.Column("handled", sa.Boolean(), nullable=False),
        sa.Column("company_id", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pk_job_request", schema=None) as batch_op:
        batch_op.create_index("ix_pk_job_request_company_id", ["company_id"], unique=False)
        batch_op.create_index(
            "ix_pk_job_request_company_id_handled_created_at", ["company_id", "handled", "created_at"], unique=False
        )

    op.create_table(
        "pk_visit",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("job_id", sa.Text(), nullable=False),
        sa.Column("property_id", sa.Text(), nullable=False),
        sa.Column("starts_at", portalkit.adapters.sql.Timestamp(), nullable=False),
        sa.Column("ends_at", portalkit.adapters.sql.Timestamp(), nullable=False),
        sa.Column(
            "technicians", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("eta", portalkit.adapters.sql.Timestamp(), nullable=True),
        sa.Column("completion_notes", sa.Text(), nullable=False),
        sa.Column("completed_at", portalkit.adapters.sql.Timestamp(), nullable=True),
        sa.Column("external_id", sa.Text(), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("company_id", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("company_id", "external_id", name="uq_pk_visit_company_id_external_id"),
    )
    with op.batch_alter_table("pk_visit", schema=None) as batch_op:
        batch_op.create_index("ix_pk_visit_company_id", ["company_id"], unique=False)
        batch_op.create_index(
            "ix_pk_visit_company_id_job_id_starts_at", ["company_id", "job_id", "starts_at"], unique=False
        )
        batch_op.create_index(
            "ix_pk_visit_company_id_property_id_archived_starts_at_id",
            ["company_id", "property_id", "archived", "starts_at", "id"],
            unique=False,
        )
        batch_op.create_index("ix_pk_visit_company_id_starts_at_id", ["company_id", "starts_at", "id"], unique=False)
        batch_op.create_index(
            "ix_pk_visit_company_id_status_starts_at_id", ["company_id", "status", "starts_at", "id"], unique=False
        )

    op.create_table(
        "pk_visit_rating",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("visit_id", sa.Text(), nullable=False),
        sa.Column("contact_id", sa.Text(), nullable=False),
        sa.Column("stars", sa.BigInteger(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", portalkit.adapters.sql.Timestamp(), nullable=False),
        sa.Column("company_id", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "company_id", "visit_id", "contact_id", name="uq_pk_visit_rating_company_id_visit_id_contact_id"
        ),
    )
    with op.batch_alter_table("pk_visit_rating", schema=None) as batch_op:
        batch_op.create_index("ix_pk_visit_rating_company_id", ["company_id"], unique=False)
        batch_op.create_index("ix_pk_visit_rating_company_id_created_at", ["company_id", "created_at"], unique=False)
        batch_op.create_index("ix_pk_visit_rating_company_id_visit_id", ["company_id", "visit_id"], unique=False)

    op.create_table(
        "pk_visit_request",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("visit_id", sa.Text(), nullable=False),
        sa.Column("contact_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("preferred_times", sa.Text(), nullable=False),
        sa.Column("created_at", portalkit.adapters.sql.Timestamp(), nullable=False),
        sa.Column("handled", sa.Boolean(), nullable=False),
        sa.Column("company_id", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pk_visit_request", schema=None) as batch_op:
        batch_op.create_index("ix_pk_visit_request_company_id", ["company_id"], unique=False)
        batch_op.create_index(
            "ix_pk_visit_request_company_id_handled_created_at", ["company_id", "handled", "created_at"], unique=False
        )
        batch_op.create_index("ix_pk_visit_request_company_id_visit_id", ["company_id", "visit_id"], unique=False)

    with op.batch_alter_table("pk_contact", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("phone_verified", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("phone_code_hash", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("phone_code_sent_at", portalkit.adapters.sql.Timestamp(), nullable=True))
        batch_op.add_column(sa.Column("phone_code_attempts", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("texts_stopped", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(
            sa.Column(
                "quiet_hours",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("time_zone", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column(
                "notices",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=False,
                server_default="{}",
            )
        )
        batch_op.add_column(sa.Column("calendar_nonce", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.create_index("ix_pk_contact_company_id_phone", ["company_id", "phone"], unique=False)

    with op.batch_alter_table("pk_report", schema=None) as batch_op:
        batch_op.add_column(sa.Column("job_id", sa.Text(), nullable=True))
        batch_op.create_index("ix_pk_report_company_id_job_id", ["company_id", "job_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pk_report", schema=None) as batch_op:
        batch_op.drop_index("ix_pk_report_company_id_job_id")
        batch_op.drop_column("job_id")
    with op.batch_alter_table("pk_contact", schema=None) as batch_op:
        batch_op.drop_index("ix_pk_contact_company_id_phone")
        for column in (
            "calendar_nonce",
            "notices",
            "time_zone",
            "quiet_hours",
            "texts_stopped",
            "phone_code_attempts",
            "phone_code_sent_at",
            "phone_code_hash",
            "phone_verified",
            "phone",
        ):
            batch_op.drop_column(column)
    for table in ("pk_visit_request", "pk_visit_rating", "pk_visit", "pk_job_request", "pk_job_file", "pk_job"):
        op.drop_table(table)
