"""The cached snapshot by record: issues, comments, changes, milestones and people as rows.

Until now each project's snapshot was one zlib-compressed JSON blob
(``snapshots``), read, rebuilt and rewritten whole by every cycle. Each blob
is moved over, record by record; a blob that cannot be read is dropped with
its cursor, so that project is synced again from scratch. Downgrading writes
each project's rows back into one blob.
"""

from __future__ import annotations

import json
import logging
import uuid
import zlib
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from connectors.codec import snapshot_from, snapshot_to
from connectors.model import Snapshot
from sync.store.snapshot import (
    Loaded,
    change_row,
    comment_row,
    issue_row,
    micros,
    milestone_row,
    person_row,
)
from sync.store.snapshot import load as load_rows

revision: str = "0007"
down_revision: str | None = "0006"

log = logging.getLogger(__name__)
_KEY = sa.String(300)
_WHEN = sa.DateTime(timezone=True)


def _project() -> sa.Column[str]:
    return sa.Column("project", sa.String(100), primary_key=True)


def _tables() -> dict[str, sa.Table]:
    """The tables of this revision, frozen (later edits of the store don't touch them)."""
    meta = sa.MetaData()
    tables = [
        sa.Table("cached_projects", meta, _project(),
                 sa.Column("stamp", sa.String(32), nullable=False),
                 sa.Column("fetched_at", sa.BigInteger, nullable=False),
                 sa.Column("updated_at", _WHEN, nullable=False)),
        sa.Table("cached_issues", meta, _project(), sa.Column("key", _KEY, primary_key=True),
                 sa.Column("title", sa.Text, nullable=False),
                 sa.Column("url", sa.Text, nullable=False),
                 sa.Column("state", sa.String(10), nullable=False),
                 sa.Column("created_at", sa.BigInteger, nullable=False),
                 sa.Column("author", _KEY, nullable=False),
                 sa.Column("closed_at", sa.BigInteger), sa.Column("updated_at", sa.BigInteger),
                 sa.Column("assignees", sa.Text), sa.Column("labels", sa.Text),
                 sa.Column("milestone_keys", sa.Text), sa.Column("due_on", sa.String(10)),
                 sa.Column("estimate", sa.Float), sa.Column("priority", sa.String(100)),
                 sa.Column("blocked_by", sa.Text), sa.Column("open_blockers", sa.Integer),
                 sa.Column("flagged", sa.Boolean), sa.Column("status_category", sa.String(20)),
                 sqlite_with_rowid=False),
        sa.Table("cached_comments", meta, _project(),
                 sa.Column("id", sa.String(100), primary_key=True),
                 sa.Column("issue_key", _KEY, nullable=False),
                 sa.Column("author", _KEY, nullable=False),
                 sa.Column("created_at", sa.BigInteger, nullable=False),
                 sa.Column("updated_at", sa.BigInteger),
                 sa.Column("excerpt", sa.Text, nullable=False),
                 sa.Column("is_ours", sa.Boolean, nullable=False),
                 sa.Column("marker", sa.String(120)),
                 sa.Column("acked", sa.Boolean, nullable=False),
                 sa.Column("visibility", sa.String(300)),
                 sqlite_with_rowid=False),
        sa.Table("cached_changes", meta, _project(),
                 sa.Column("id", sa.String(32), primary_key=True),
                 sa.Column("issue_key", _KEY, nullable=False),
                 sa.Column("field", sa.String(20), nullable=False),
                 sa.Column("at", sa.BigInteger, nullable=False),
                 sa.Column("before", sa.Text), sa.Column("after", sa.Text),
                 sa.Column("actor", _KEY),
                 sqlite_with_rowid=False),
        sa.Table("cached_milestones", meta, _project(), sa.Column("key", _KEY, primary_key=True),
                 sa.Column("title", sa.Text, nullable=False),
                 sa.Column("kind", sa.String(20), nullable=False),
                 sa.Column("state", sa.String(10), nullable=False),
                 sa.Column("created_at", sa.BigInteger), sa.Column("start_on", sa.BigInteger),
                 sa.Column("due_on", sa.String(10)), sa.Column("closed_at", sa.BigInteger),
                 sqlite_with_rowid=False),
        sa.Table("cached_people", meta, _project(), sa.Column("id", _KEY, primary_key=True),
                 sa.Column("name", sa.Text, nullable=False),
                 sa.Column("kind", sa.String(20), nullable=False),
                 sa.Column("email", sa.Text), sa.Column("association", sa.String(50)),
                 sa.Column("account_type", sa.String(50)),
                 sqlite_with_rowid=False),
    ]
    return {table.name: table for table in tables}


def upgrade() -> None:
    tables = _tables()
    connection = op.get_bind()
    for table in tables.values():
        table.create(connection)
    snapshots = sa.table("snapshots", sa.column("project", sa.String),
                         sa.column("payload", sa.LargeBinary))
    cursors = sa.table("cursors", sa.column("project", sa.String))
    for project, payload in connection.execute(sa.select(snapshots)).all():
        try:
            snapshot = snapshot_from(json.loads(zlib.decompress(payload)))
        except (zlib.error, ValueError, TypeError, KeyError) as error:
            log.warning("%s: the cached snapshot cannot be read (%s): the project will be "
                        "synced again", project, error)
            connection.execute(sa.delete(cursors).where(cursors.c.project == project))
            continue
        _move(connection, tables, project, snapshot)
    op.drop_table("snapshots")


def _move(connection: sa.Connection, tables: dict[str, sa.Table], project: str,
          snapshot: Snapshot) -> None:
    batches = {
        "cached_people": [person_row(p) for p in snapshot.people.values()],
        "cached_milestones": [milestone_row(m) for m in snapshot.milestones],
        "cached_issues": [issue_row(i) for i in snapshot.issues],
        "cached_comments": [comment_row(c) for c in snapshot.comments],
        "cached_changes": list({row["id"]: row
                                for row in map(change_row, snapshot.changes)}.values()),
    }
    for name, rows in batches.items():
        if rows:
            connection.execute(sa.insert(tables[name]), [{"project": project, **row}
                                                         for row in rows])
    connection.execute(sa.insert(tables["cached_projects"]).values(
        project=project, stamp=uuid.uuid4().hex, fetched_at=micros(snapshot.fetched_at),
        updated_at=datetime.now(UTC)))


def downgrade() -> None:
    connection = op.get_bind()
    projects = [row[0] for row in connection.execute(sa.text(
        "SELECT project FROM cached_projects")).all()]
    loaded = {project: load_rows(connection, project) for project in projects}
    snapshots = op.create_table(
        "snapshots",
        sa.Column("project", sa.String(100), primary_key=True),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
    )
    for project, kept in loaded.items():
        if isinstance(kept, Loaded):
            blob = zlib.compress(json.dumps(snapshot_to(kept.snapshot)).encode(), 6)
            connection.execute(sa.insert(snapshots).values(
                project=project, payload=blob, updated_at=datetime.now(UTC)))
    for name in ("cached_changes", "cached_comments", "cached_issues", "cached_milestones",
                 "cached_people", "cached_projects"):
        op.drop_table(name)
