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
    old = SqlStorage(url, migrate=False, engine=engine)
    contact = old.insert(Contact(customer_id="c", first_name="Ab", last_name="Cd", email="a@b.co"))
    storage = SqlStorage(url)  # migrates to head on start
    assert storage.get(Contact, contact.id) == contact
    assert storage.find(QuoteRequest) == []


def test_models_match_the_migrations(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/head.sqlite3")
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), METADATA)
    assert diff == [], "models changed without a migration: run alembic revision --autogenerate"
