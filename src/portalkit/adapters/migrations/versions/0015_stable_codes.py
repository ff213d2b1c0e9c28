"""stored enum values become stable codes

A contact's portal status, a history entry's kind, a staff member's role, a report's kind, a
proposal's status and an issue's priority and status were stored as their English labels
("Not Enrolled", "In Production"); they are now codes ("not_enrolled", "in_production") and
their words live in portalkit.labels (issue 22). Data only: the step is
portalkit._core.data_migrations.code_changes, the same one Django's 0012 takes.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-17 09:00:00
"""

from alembic import op
import sqlalchemy as sa

from portalkit._core.data_migrations import code_changes


revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def _recode(*, backwards: bool) -> None:
    for table, column, stored, value in code_changes(backwards=backwards):
        op.execute(
            sa.text(f"UPDATE pk_{table} SET {column} = :value WHERE {column} = :stored").bindparams(
                value=value, stored=stored
            )
        )


def upgrade() -> None:
    _recode(backwards=False)


def downgrade() -> None:
    _recode(backwards=True)
