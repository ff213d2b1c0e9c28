"""Alembic environment for portalkit's SQL storage. Run through ``portalkit.adapters.sql.upgrade``
or the CLI: ``python -m portalkit.adapters.sql_cli upgrade --url sqlite:///portal.db``."""

from alembic import context

from portalkit.adapters.sql import METADATA

config = context.config
engine = config.attributes.get("engine")
if engine is None:
    import sqlalchemy as sa

    engine = sa.create_engine(str(config.get_main_option("sqlalchemy.url")))

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=METADATA, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
