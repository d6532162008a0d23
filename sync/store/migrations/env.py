"""Alembic's environment for forewarn's state store.

forewarn hands in an open connection (``config.attributes["connection"]``)
inside its own transaction; ``python -m sync.store.migrations`` gives a URL instead.
``target_metadata`` is the schema in ``sync/store/state.py``, what ``revision
--autogenerate`` compares the database with.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import Connection

from sync.store.state import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite alters a table by copying it: let autogenerate write batch operations.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url"),
                          target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        msg = "no database URL: set FOREWARN_STATE_URL"
        raise SystemExit(msg)
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection_:
            _run(connection_)
    finally:
        engine.dispose()


_main()
