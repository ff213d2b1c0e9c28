"""Alembic migrations: upgrading keeps data, and the models never drift from the migrations."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portalkit.adapters.sql import METADATA, SqlStorage, make_engine, upgrade
from portalkit.models import Contact, PortalStatus, QuoteRequest


def test_upgrade_from_first_revision_keeps_data(tmp_path):
    url = f"sqlite:///{tmp_path}/old.sqlite3"
    engine = make_engine(url)
    upgrade(engine, "0001")
    assert "pk_quote_request" not in sa.inspect(engine).get_table_names()
    with engine.begin() as conn:  # a contact as the first release stored it
        conn.exec_driver_sql(
            "INSERT INTO pk_contact (id, customer_id, first_name, last_name, email, property_ids, account_wide, "
            "main_contact_only, access, portal_status, suspended, suspension_note, password_hash, invite_nonce, "
            "credential_epoch, receipts_opt_in, version) VALUES ('c1', 'c', 'Ab', 'Cd', 'a@b.co', '[]', 0, 0, '{}', "
            "'Enrolled', 0, '', 'hash', 2, 3, 1, 4)"
        )
    storage = SqlStorage(url)  # migrates to head on start
    contact = storage.get(Contact, "c1")
    assert (
        contact.email,
        contact.portal_status,
        contact.credential_epoch,
        contact.receipts_opt_in,
        contact.processor_customer,
        contact.version,
    ) == ("a@b.co", PortalStatus.ENROLLED, 3, True, None, 4)
    assert storage.find(QuoteRequest) == []


def test_models_match_the_migrations(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/head.sqlite3")
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), METADATA)
    assert diff == [], "models changed without a migration: run alembic revision --autogenerate"


def test_upgrade_to_0005_moves_files_out_of_rows_and_keeps_data(tmp_path, monkeypatch):
    """Inline attachment bytes and signatures move to the file store; companies and due dates are filled."""
    import base64
    import json

    from portalkit.adapters.files import LocalFileStore
    from portalkit.models import Attachment, Invoice, Issue, Proposal

    monkeypatch.setenv("PORTALKIT_FILES_DIR", str(tmp_path / "files"))
    url = f"sqlite:///{tmp_path}/old.sqlite3"
    engine = make_engine(url)
    upgrade(engine, "0004")
    photo, ink = b"\x89PNG\r\n\x1a\nphoto", b"\x89PNG\r\n\x1a\nink"
    files = json.dumps(
        [{"filename": "a.png", "content_type": "image/png", "shared": True, "data": base64.b64encode(photo).decode()}]
    )
    signature = json.dumps(
        {
            "image_data_url": "data:image/png;base64," + base64.b64encode(ink).decode(),
            "signer_contact_id": "c1",
            "signer_name": "Ab",
            "signed_at": "2026-01-01T00:00:00+00:00",
            "ip_address": "::1",
            "selected_service_ids": [],
            "total": "10.00",
        }
    )
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO pk_issue (id, number, property_id, subject, priority, notes, status, created_by_contact_id, "
                "main_contact_id, created_at, last_updated, attachments, version) VALUES ('i1', 1, 'p', 's', 'High', '', "
                "'Open', NULL, NULL, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00', :a, 0)"
            ),
            {"a": files},
        )
        conn.execute(
            sa.text(
                "INSERT INTO pk_proposal (id, number, property_id, description, status, estimated_start, services, "
                "sales_rep_email, main_contact_id, signature, version) VALUES ('pr1', 'P-1', 'p', 'd', 'Delivered', "
                "'2026-02-01', '[]', NULL, NULL, :s, 0)"
            ),
            {"s": signature},
        )
        conn.exec_driver_sql(
            "INSERT INTO pk_invoice (id, number, property_id, billing_contact_id, amount, amount_due, invoice_date, "
            "net_days, pending_amount, paid_on, version) VALUES ('in1', 'I-1', 'p', NULL, '10.00', '10.00', "
            "'2026-01-30', 5, '0.00', NULL, 0)"
        )
    storage = SqlStorage(url)
    issue, proposal, invoice = storage.get(Issue, "i1"), storage.get(Proposal, "pr1"), storage.get(Invoice, "in1")
    store = LocalFileStore(tmp_path / "files")
    [attachment] = storage.find(Attachment, issue_id="i1")  # 0006: in a table of their own
    assert (attachment.comment_id, attachment.position, attachment.filename) == (None, 0, "a.png")
    assert store.get("default", attachment.file_key) == photo and attachment.size == len(photo)
    assert issue.attachment_bytes == len(photo) and store.get("default", proposal.signature.image_key) == ink
    assert (issue.company_id, str(invoice.due_date), invoice.archived) == ("default", "2026-02-04", False)


def test_upgrade_to_0015_stores_stable_codes_and_downgrade_gives_labels_back(tmp_path):
    """Issue 22: enum values stored as English labels become codes, read back as the same members."""
    from datetime import UTC, date, datetime

    from alembic import command

    from portalkit.adapters.sql import alembic_config
    from portalkit.models import Issue, IssueStatus, Priority, Proposal, ProposalStatus

    url = f"sqlite:///{tmp_path}/labels.sqlite3"
    storage = SqlStorage(url)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    storage.insert(
        Issue(
            id="i1",
            number=1,
            property_id="p",
            subject="s",
            priority=Priority.HIGH,
            status=IssueStatus.CLOSED,
            created_at=at,
            last_updated=at,
        )
    )
    storage.insert(
        Proposal(
            id="pr1",
            number="P-1",
            property_id="p",
            description="d",
            status=ProposalStatus.IN_PRODUCTION,
            estimated_start=date(2026, 2, 1),
        )
    )
    command.downgrade(alembic_config(storage.engine), "0014")  # as a release before codes stored them
    with storage.engine.connect() as conn:
        assert tuple(conn.exec_driver_sql("SELECT priority, status FROM pk_issue").one()) == ("High", "Closed")
        assert conn.exec_driver_sql("SELECT status FROM pk_proposal").scalar() == "In Production"
    upgrade(storage.engine)
    with storage.engine.connect() as conn:
        assert tuple(conn.exec_driver_sql("SELECT priority, status FROM pk_issue").one()) == ("high", "closed")
        assert conn.exec_driver_sql("SELECT status FROM pk_proposal").scalar() == "in_production"
    issue, proposal = storage.get(Issue, "i1"), storage.get(Proposal, "pr1")
    assert (issue.priority, issue.status, proposal.status) == (
        Priority.HIGH,
        IssueStatus.CLOSED,
        ProposalStatus.IN_PRODUCTION,
    )
    assert ProposalStatus("In Production") is ProposalStatus.IN_PRODUCTION  # an old label still names its member
    storage.dispose()
