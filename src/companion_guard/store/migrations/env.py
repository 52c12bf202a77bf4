"""Alembic environment: runs against the engine handed in by :func:`companion_guard.store.migrate.upgrade`."""

from __future__ import annotations

from alembic import context

from companion_guard.store.metadata import all_metadata

config = context.config
target_metadata = all_metadata()


def run_migrations() -> None:
    """Online migrations on the connection in ``config.attributes`` (or the configured URL)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    from companion_guard.store.db import make_engine

    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
