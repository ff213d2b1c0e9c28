"""Alembic environment for portalkit's SQL storage. ``SqlStorage`` runs it on start
(``portalkit.adapters.sql.upgrade(engine)``); ``alembic_config(engine)`` gives the Alembic
config for any other Alembic command."""

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
