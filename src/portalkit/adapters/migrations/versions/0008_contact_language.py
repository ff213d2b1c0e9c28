"""contact language

Each contact gets the language of their pages and mails (``i18n.LANGUAGES``); existing contacts
keep English.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 11:20:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pk_contact", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.Text(), nullable=False, server_default="en"))


def downgrade() -> None:
    with op.batch_alter_table("pk_contact", schema=None) as batch_op:
        batch_op.drop_column("language")
