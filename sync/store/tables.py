"""The state store's tables (SQLAlchemy Core), one schema for SQLite and PostgreSQL.

Every change here is an Alembic revision in ``sync/store/migrations/versions/``
(a test compares the migrated schema with this metadata).

The cached snapshot is kept by record (migration 0007): issues, comments,
changes, milestones and people are rows, so a cycle writes only the records
that changed. On SQLite these tables are ``WITHOUT ROWID``: rows are stored in
key order, so a project's rows are read in one sequential pass and a changed
record rewrites one B-tree page, not a table page and an index page.
Timestamps of cached records are integers (microseconds since
the Unix epoch, UTC): they load without parsing, which is most of what a cold
start costs at 100,000 issues (docs/benchmarks.md).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

cursors = Table(
    "cursors", metadata,
    Column("project", String(100), primary_key=True),
    Column("cursor", String(100)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
memos = Table(
    "memos", metadata,
    Column("project", String(100), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("value", Text, nullable=False),
)
due_dates = Table(
    "due_dates", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project", String(100), nullable=False, index=True),
    Column("milestone_key", String(300), nullable=False),
    Column("seen_at", DateTime(timezone=True), nullable=False),
    Column("due_on", String(10)),
)
findings = Table(
    "findings", metadata,
    Column("project", String(100), primary_key=True),
    Column("fingerprint", String(100), primary_key=True),
    Column("rule_id", String(100), nullable=False),
    Column("kind", String(100), nullable=False),
    Column("cause", String(100), nullable=False),
    Column("subject_key", String(300), nullable=False),
    Column("severity", Integer, nullable=False),
    Column("evidence", Text, nullable=False),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    # The severity at which the backfill digest listed the finding, 0 if it did not;
    # added by migration 0005.
    Column("backfilled", Integer, nullable=False, server_default="0"),
)
comments = Table(
    "comments", metadata,
    Column("project", String(100), primary_key=True),
    Column("marker", String(120), primary_key=True),
    Column("fingerprint", String(100), nullable=False, index=True),
    Column("target", String(300), nullable=False),
    Column("comment_id", String(100), nullable=False),
    Column("body_hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
    # What the body was rendered from (sync.render.alert_key): equal inputs, equal body,
    # so a steady-state cycle skips rendering altogether.
    Column("input_hash", String(64)),
    # alert, summary or retro (sync.actions.CommentKind); added by migration 0004.
    Column("kind", String(20), nullable=False, server_default="alert"),
)
labels = Table(
    "labels", metadata,
    Column("project", String(100), primary_key=True),
    Column("target", String(300), primary_key=True),
    Column("label", String(100), primary_key=True),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)
summaries = Table(
    "summaries", metadata,
    Column("project", String(100), primary_key=True),
    Column("period", String(40), primary_key=True),
    Column("payload", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project", String(100), nullable=False, index=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("status", String(20), nullable=False),
    Column("findings", Integer, nullable=False, default=0),
    Column("writes", Integer, nullable=False, default=0),
    Column("skipped", Integer, nullable=False, default=0),
    Column("message", Text),
)
#: One replica at a time per project (sync/store/lease.py); added by migration 0002.
leases = Table(
    "leases", metadata,
    Column("project", String(100), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("fence", Integer, nullable=False),
    Column("acquired_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)
#: What forewarn sent to notification channels, one row per message key and channel
#: (sync/store/notifications.py); added by migration 0006.
notifications = Table(
    "notifications", metadata,
    Column("project", String(100), primary_key=True),
    Column("channel", String(100), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("kind", String(20), nullable=False),
    # intent (claimed, being sent), sent, failed (refused: sent again), unknown (may have
    # arrived: never sent again), baseline (open when the channel was enrolled)
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("error", Text),
    # What a channel digest listed: the next one says what was resolved since.
    Column("payload", Text),
)

#: One row per project: ``stamp`` changes with every write to its findings, comments or
#: labels, so a process holding them in memory (sync/store/ledger.py) can tell whether
#: anyone wrote since; added by migration 0008.
ledger_stamps = Table(
    "ledger_stamps", metadata,
    Column("project", String(100), primary_key=True),
    Column("stamp", String(32), nullable=False),
)


# -- the cached snapshot, by record (migration 0007) ---------------------------------------

#: One row per project whose snapshot is cached: ``stamp`` changes with every save, so a
#: daemon holding the snapshot in memory can tell whether another replica wrote since.
cached_projects = Table(
    "cached_projects", metadata,
    Column("project", String(100), primary_key=True),
    Column("stamp", String(32), nullable=False),
    Column("fetched_at", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
cached_issues = Table(
    "cached_issues", metadata,
    Column("project", String(100), primary_key=True),
    Column("key", String(300), primary_key=True),
    Column("title", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("state", String(10), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("author", String(300), nullable=False),
    Column("closed_at", BigInteger),
    Column("updated_at", BigInteger),
    # Lists of strings as JSON arrays; NULL for an empty one (most issues).
    Column("assignees", Text),
    Column("labels", Text),
    Column("milestone_keys", Text),
    Column("due_on", String(10)),
    Column("estimate", Float),
    Column("priority", String(100)),
    # What the risk rule reads: open blockers (keys as JSON, or GitHub's count), the flag.
    Column("blocked_by", Text),
    Column("open_blockers", Integer),
    Column("flagged", Boolean),
    Column("status_category", String(20)),
    sqlite_with_rowid=False,
)
#: What rules and reconcile use of a comment: author, times, forewarn's marker and its
#: checkbox, and the first 500 characters (connectors.model.EXCERPT_CHARS), never the body.
cached_comments = Table(
    "cached_comments", metadata,
    Column("project", String(100), primary_key=True),
    Column("id", String(100), primary_key=True),
    Column("issue_key", String(300), nullable=False),
    Column("author", String(300), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger),
    Column("excerpt", Text, nullable=False),
    Column("is_ours", Boolean, nullable=False),
    Column("marker", String(120)),
    Column("acked", Boolean, nullable=False),
    # NULL for a public comment (nearly all); "role:NAME", "group:NAME" or "internal".
    Column("visibility", String(300)),
    sqlite_with_rowid=False,
)
#: Changes have no id of their own: ``id`` is a digest of all their fields.
cached_changes = Table(
    "cached_changes", metadata,
    Column("project", String(100), primary_key=True),
    Column("id", String(32), primary_key=True),
    Column("issue_key", String(300), nullable=False),
    Column("field", String(20), nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("before", Text),
    Column("after", Text),
    Column("actor", String(300)),
    sqlite_with_rowid=False,
)
cached_milestones = Table(
    "cached_milestones", metadata,
    Column("project", String(100), primary_key=True),
    Column("key", String(300), primary_key=True),
    Column("title", Text, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("state", String(10), nullable=False),
    Column("created_at", BigInteger),
    Column("start_on", BigInteger),
    Column("due_on", String(10)),
    Column("closed_at", BigInteger),
    sqlite_with_rowid=False,
)
cached_people = Table(
    "cached_people", metadata,
    Column("project", String(100), primary_key=True),
    Column("id", String(300), primary_key=True),
    Column("name", Text, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("email", Text),
    Column("association", String(50)),
    Column("account_type", String(50)),
    sqlite_with_rowid=False,
)
#: What a project's cached snapshot is made of, in the order a snapshot is rebuilt.
CACHE_TABLES = (cached_people, cached_milestones, cached_issues, cached_comments,
                cached_changes)
