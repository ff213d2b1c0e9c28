"""a second step at sign-in

Passkeys, authenticator apps and recovery codes of contacts, and the sign-in steps under way
(issue 27, portalkit.twostep): a passkey's credential id (unique within a company), public key,
signature counter, name and transports; an authenticator app's secret (encrypted) and the last
time step accepted; recovery codes hashed, each used once; a sign-in step's purpose, contact and
WebAuthn challenge. New tables only: existing rows are untouched.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-16 09:00:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
import portalkit.adapters.sql


revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pk_passkey",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("contact_id", sa.Text(), nullable=False),
        sa.Column("credential_id", sa.Text(), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "transports", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("backed_up", sa.Boolean(), nullable=False),
        sa.Column("created_at", portalkit.adapters.sql.Timestamp(), nullable=False),
        sa.Column("last_used_at", portalkit.adapters.sql.Timestamp(), nullable=True),
        sa.Column("company_id", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("company_id", "credential_id", name="uq_pk_passkey_company_id_credential_id"),
    )
    with op.batch_alter_table("pk_passkey", schema=None) as batch_op:
        batch_op.create_index("ix_pk_passkey_company_id", ["company_id"], unique=False)
        batch_op.create_index("ix_pk_passkey_company_id_contact_id", ["company_id", "contact_id"], unique=False)

    op.create_table(
        "pk_authenticator_app",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("contact_id", sa.Text(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("confirmed_at", portalkit.adapters.sql.Timestamp(), nullable=True),
        sa.Column("last_step", sa.BigInteger(), nullable=False),
        sa.Column("created_at", portalkit.adapters.sql.Timestamp(), nullable=False),
        sa.Column("company_id", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pk_authenticator_app", schema=None) as batch_op:
        batch_op.create_index("ix_pk_authenticator_app_company_id", ["company_id"], unique=False)
        batch_op.create_index(
            "ix_pk_authenticator_app_company_id_contact_id", ["company_id", "contact_id"], unique=False
        )

    op.create_table(
        "pk_recovery_code",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("contact_id", sa.Text(), nullable=False),
        sa.Column("code_hash", sa.Text(), nullable=False),
        sa.Column("created_at", portalkit.adapters.sql.Timestamp(), nullable=False),
        sa.Column("used_at", portalkit.adapters.sql.Timestamp(), nullable=True),
        sa.Column("company_id", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pk_recovery_code", schema=None) as batch_op:
        batch_op.create_index("ix_pk_recovery_code_company_id", ["company_id"], unique=False)
        batch_op.create_index("ix_pk_recovery_code_company_id_contact_id", ["company_id", "contact_id"], unique=False)

    op.create_table(
        "pk_sign_in_step",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("contact_id", sa.Text(), nullable=False),
        sa.Column("challenge", sa.Text(), nullable=False),
        sa.Column("created_at", portalkit.adapters.sql.Timestamp(), nullable=False),
        sa.Column("company_id", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pk_sign_in_step", schema=None) as batch_op:
        batch_op.create_index("ix_pk_sign_in_step_company_id", ["company_id"], unique=False)
        batch_op.create_index("ix_pk_sign_in_step_company_id_created_at", ["company_id", "created_at"], unique=False)


def downgrade() -> None:
    for table in ("pk_sign_in_step", "pk_recovery_code", "pk_authenticator_app", "pk_passkey"):
        op.drop_table(table)
