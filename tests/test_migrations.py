"""Alembic migrations: upgrading keeps data, and the models never drift from the migrations."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portalkit.adapters.sql import METADATA, SqlStorage, make_engine, upgrade
from portalkit.models import Contact, QuoteRequest


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
            "'Enrolled', 0, '', 'hash', 2, 3, 1, 4)")
    storage = SqlStorage(url)  # migrates to head on start
    contact = storage.get(Contact, "c1")
    assert (contact.email, contact.portal_status.value, contact.credential_epoch, contact.receipts_opt_in,
            contact.processor_customer, contact.version) == ("a@b.co", "Enrolled", 3, True, None, 4)
    assert storage.find(QuoteRequest) == []


def test_models_match_the_migrations(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/head.sqlite3")
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), METADATA)
    assert diff == [], "models changed without a migration: run alembic revision --autogenerate"
