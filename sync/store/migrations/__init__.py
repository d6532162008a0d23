"""Schema migrations of the state store, with Alembic.

``StateStore`` calls :func:`upgrade` when it opens a database: an empty
database gets every revision, an older one the revisions it lacks, and one
created before forewarn used Alembic (tables but no ``alembic_version``) is
adopted: revision 0001 creates only the tables it does not have yet, then
records itself, so the database is stamped at the schema it really holds.

Two processes opening one database at once (replicas starting together)
migrate one after the other: PostgreSQL through an advisory lock held by the
migrating transaction, SQLite through a lock file beside the database.

A new revision: change ``sync/store/state.py``, then

    FOREWARN_STATE_URL=sqlite:///scratch.db python -m sync.store.migrations upgrade head
    FOREWARN_STATE_URL=sqlite:///scratch.db python -m sync.store.migrations revision \\
        --autogenerate -m "what changed"

and review the file written to ``sync/store/migrations/versions/`` (give it a
sequential ``revision`` id, like the others). ``python -m sync.store.migrations``
takes every Alembic command (``current``, ``history``, ``upgrade``,
``downgrade``, ``stamp``) against ``FOREWARN_STATE_URL``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.engine import Connection

log = logging.getLogger(__name__)

SCRIPT_LOCATION = Path(__file__).resolve().parent
#: Any table of the first schema: its presence without ``alembic_version`` marks a
#: database created by forewarn before it used Alembic.
PRE_ALEMBIC_MARK = "cursors"
#: pg_advisory_xact_lock key that serialises migrations of one PostgreSQL database.
ADVISORY_LOCK_KEY = 0x666F726577  # "forew"


def alembic_config(*, connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic Config for forewarn's scripts; no alembic.ini needed."""
    config = Config(stdout=sys.stdout)  # the current one: Alembic's default is bound at import
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    if url is not None:
        # ConfigParser interpolation: a literal % must be doubled.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


class NewerSchema(Exception):
    """The database was migrated by a newer forewarn: this one must not write to it."""


def _known(revision: str) -> bool:
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except Exception:  # Alembic's ResolutionError, CommandError: not one of ours
        return False


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest schema (a no-op when it is there already); a schema
    this forewarn does not know (a newer one's) raises NewerSchema."""
    with _migration_lock(engine), engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(select(func.pg_advisory_xact_lock(ADVISORY_LOCK_KEY)))
        current = current_revision(connection)
        if current == head_revision():
            return
        if current is not None and not _known(current):
            msg = (f"its schema is {current}, from a newer forewarn (this one knows up to "
                   f"{head_revision()}): run that version, or restore a backup from before it")
            raise NewerSchema(msg)
        if current is None and inspect(connection).has_table(PRE_ALEMBIC_MARK):
            log.info("the state database predates schema migrations: adopting it at 0001")
        elif current is not None:
            log.info("upgrading the state database from schema %s to %s", current,
                     head_revision())
        command.upgrade(alembic_config(connection=connection), "head")


@contextlib.contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """SQLite has no advisory locks: an exclusive lock on a file beside the database."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    try:
        import fcntl
    except ImportError:  # not on POSIX: one process at a time is the operator's business
        yield
        return
    with open(os.fspath(database) + ".migrate-lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
