"""companies, external ids, file references, persisted settings, list indexes

Every record gets a company (existing ones: "default"); host-owned records get the host's id and
an archived flag; unique values become unique per company; invoices store their due date; issue
and comment files and drawn signatures move out of the rows into the file store (the local one
under PORTALKIT_FILES_DIR, the default adapter's), leaving references; lists get indexes in the
order they are shown.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 05:03:47
"""

import base64
import hashlib
import json
from typing import Any

from alembic import op
import sqlalchemy as sa
import portalkit.adapters.sql
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLES = (
    "pk_comment",
    "pk_contact",
    "pk_counter",
    "pk_customer",
    "pk_invoice",
    "pk_issue",
    "pk_login_session",
    "pk_login_throttle",
    "pk_outbox_message",
    "pk_payment",
    "pk_payment_method",
    "pk_processed_event",
    "pk_property",
    "pk_proposal",
    "pk_quote_request",
    "pk_staff_user",
    "pk_status_event",
)
HOST_OWNED = ("pk_staff_user", "pk_customer", "pk_property", "pk_contact", "pk_invoice", "pk_proposal")
# the unnamed single-column UNIQUEs of revision 0001, now unique per company
OLD_UNIQUE = {
    "pk_contact": "email",
    "pk_staff_user": "email",
    "pk_payment": "idempotency_key",
    "pk_outbox_message": "dedup_key",
}
NEW_UNIQUE = {
    "pk_contact": ["company_id", "email"],
    "pk_staff_user": ["company_id", "email"],
    "pk_payment": ["company_id", "idempotency_key"],
    "pk_outbox_message": ["company_id", "dedup_key"],
}
INDEXES: dict[str, tuple[str, list[tuple[str, list[str]]]]] = {  # table: (index dropped, [(name, columns)])
    "pk_comment": ("ix_pk_comment_issue_id", [("ix_pk_comment_issue_id_at", ["issue_id", "at"])]),
    "pk_invoice": (
        "ix_pk_invoice_property_id",
        [("ix_pk_invoice_property_id_paid_on_due_date_number", ["property_id", "paid_on", "due_date", "number"])],
    ),
    "pk_issue": (
        "ix_pk_issue_property_id",
        [
            ("ix_pk_issue_property_id_status_last_updated_number", ["property_id", "status", "last_updated", "number"]),
            ("ix_pk_issue_status_last_updated_number", ["status", "last_updated", "number"]),
        ],
    ),
    "pk_outbox_message": (
        "ix_pk_outbox_message_status",
        [("ix_pk_outbox_message_status_created_at", ["status", "created_at"])],
    ),
    "pk_proposal": (
        "ix_pk_proposal_property_id",
        [("ix_pk_proposal_property_id_estimated_start_number", ["property_id", "estimated_start", "number"])],
    ),
}
NEW_INDEXES = {
    "pk_payment": [("ix_pk_payment_contact_id", ["contact_id"]), ("ix_pk_payment_created_at", ["created_at"])],
    "pk_contact": [("ix_pk_contact_portal_status_last_name_first_name", ["portal_status", "last_name", "first_name"])],
}
SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _store_file(data: bytes) -> str:
    from portalkit.adapters.files import LocalFileStore

    return LocalFileStore().put("default", data)


def _files_out_of_rows(conn: sa.Connection) -> None:
    """Inline attachment bytes and signature images go to the file store; rows keep a reference."""

    def moved(attachments: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
        out = []
        for a in attachments or []:
            data = base64.b64decode(a.pop("data", "") or "")
            out.append(
                {**a, "file_key": _store_file(data) if data else hashlib.sha256(b"").hexdigest(), "size": len(data)}
            )
        return out

    def loaded(value: Any) -> Any:
        return value if not isinstance(value, str) else json.loads(value)

    issue_bytes: dict[str, int] = {}
    for table in ("pk_issue", "pk_comment"):
        owner = "id" if table == "pk_issue" else "issue_id"
        for row in conn.execute(sa.text(f"SELECT id, {owner} AS owner, attachments FROM {table}")).all():
            files = moved(loaded(row.attachments))
            issue_bytes[row.owner] = issue_bytes.get(row.owner, 0) + sum(f["size"] for f in files)
            conn.execute(
                sa.text(f"UPDATE {table} SET attachments = :a WHERE id = :id"), {"a": json.dumps(files), "id": row.id}
            )
    for issue_id, size in issue_bytes.items():
        conn.execute(sa.text("UPDATE pk_issue SET attachment_bytes = :n WHERE id = :id"), {"n": size, "id": issue_id})
    for row in conn.execute(sa.text("SELECT id, signature FROM pk_proposal WHERE signature IS NOT NULL")).all():
        signature = loaded(row.signature)
        if not signature or "image_data_url" not in signature:
            continue
        url = signature.pop("image_data_url")
        signature["image_key"] = _store_file(base64.b64decode(url.split(",", 1)[1]))
        signature["image_type"] = "image/png"
        conn.execute(
            sa.text("UPDATE pk_proposal SET signature = :s WHERE id = :id"), {"s": json.dumps(signature), "id": row.id}
        )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "pk_settings_revision",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("staff_id", sa.Text(), nullable=False),
        sa.Column("staff_name", sa.Text(), nullable=False),
        sa.Column("at", portalkit.adapters.sql.Timestamp(), nullable=False),
        sa.Column(
            "changed", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "config", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("company_id", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pk_settings_revision", schema=None) as batch_op:
        batch_op.create_index("ix_pk_settings_revision_company_id", ["company_id"], unique=False)
        batch_op.create_index("ix_pk_settings_revision_revision", ["revision"], unique=False)

    op.create_table(
        "pk_stored_settings",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column(
            "config", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("company_id", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pk_stored_settings", schema=None) as batch_op:
        batch_op.create_index("ix_pk_stored_settings_company_id", ["company_id"], unique=False)

    for table in TABLES:
        with op.batch_alter_table(table, naming_convention=SQLITE_NAMES if dialect == "sqlite" else None) as batch:
            batch.add_column(sa.Column("company_id", sa.Text(), nullable=False, server_default="default"))
            if table in HOST_OWNED:
                batch.add_column(sa.Column("external_id", sa.Text(), nullable=True))
                batch.add_column(sa.Column("archived", sa.Boolean(), nullable=False, server_default=sa.false()))
            if table == "pk_invoice":
                batch.add_column(sa.Column("due_date", portalkit.adapters.sql.Day(), nullable=True))
            if table == "pk_issue":
                batch.add_column(sa.Column("attachment_bytes", sa.BigInteger(), nullable=False, server_default="0"))
            if table in OLD_UNIQUE:
                column, together = OLD_UNIQUE[table], NEW_UNIQUE[table]
                batch.drop_constraint(
                    f"uq_{table}_{column}" if dialect == "sqlite" else f"{table}_{column}_key", type_="unique"
                )
                batch.create_unique_constraint(f"uq_{table}_{'_'.join(together)}", together)
            if table in HOST_OWNED:
                batch.create_unique_constraint(f"uq_{table}_company_id_external_id", ["company_id", "external_id"])
            batch.create_index(f"ix_{table}_company_id", ["company_id"], unique=False)
            if table in INDEXES:
                old, created = INDEXES[table]
                batch.drop_index(old)
                for name, columns in created:
                    batch.create_index(name, columns, unique=False)
        if table in NEW_INDEXES:
            with op.batch_alter_table(table) as batch:
                for name, columns in NEW_INDEXES[table]:
                    batch.create_index(name, columns, unique=False)
    op.create_index(
        "ix_pk_invoice_property_id_due_date_number_id_where_paid_on",
        "pk_invoice",
        ["property_id", "due_date", "number", "id"],
        unique=False,
        postgresql_where=sa.column("paid_on").is_(None),
        sqlite_where=sa.column("paid_on").is_(None),
    )
    if dialect == "postgresql":
        op.execute("UPDATE pk_invoice SET due_date = invoice_date + CAST(net_days AS integer)")
    else:
        op.execute("UPDATE pk_invoice SET due_date = date(invoice_date, '+' || net_days || ' days')")
    _files_out_of_rows(op.get_bind())
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("company_id", server_default=None)
            if table in HOST_OWNED:
                batch.alter_column("archived", server_default=None)
            if table == "pk_invoice":
                batch.alter_column("due_date", nullable=False)
            if table == "pk_issue":
                batch.alter_column("attachment_bytes", server_default=None)


def downgrade() -> None:
    raise NotImplementedError(
        "0005 moves files out of the database and makes values unique per company; restore a backup to go back."
    )
