"""Alembic environment for the catalog's migrations.

`briskk_pipeline.catalog.db.upgrade` runs migrations with its own connection (already inside
a transaction holding the migration lock) passed as `config.attributes["connection"]`. Without
one (e.g. `command.revision(db.alembic_config(url), ...)` while writing a new migration), this
connects to the config's `sqlalchemy.url`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from briskk_pipeline.catalog.tables import metadata

config = context.config


def _run(connection: sa.Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    """Emit the SQL instead of running it (`alembic upgrade --sql`)."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection and no sqlalchemy.url: use db.alembic_config(url)")
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            _run(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
