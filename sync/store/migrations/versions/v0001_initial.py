"""The state store as it was before forewarn used Alembic.

Idempotent on purpose: a database created by ``metadata.create_all`` in an
earlier forewarn holds some or all of these tables already (the oldest lack
``summaries``). Only what is missing is created, so adopting such a database
stamps it at the schema it really holds and keeps its rows.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None

_WHEN = sa.DateTime(timezone=True)


def frozen_schema() -> sa.MetaData:
    """A frozen copy of the tables of that time: later edits of the store don't touch it."""
    meta = sa.MetaData()
    sa.Table(
        "cursors", meta,
        sa.Column("project", sa.String(100), primary_key=True),
        sa.Column("cursor", sa.String(100)),
        sa.Column("updated_at", _WHEN, nullable=False),
    )
    sa.Table(
        "snapshots", meta,
        sa.Column("project", sa.String(100), primary_key=True),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
    )
    sa.Table(
        "memos", meta,
        sa.Column("project", sa.String(100), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    sa.Table(
        "due_dates", meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("project", sa.String(100), nullable=False, index=True),
        sa.Column("milestone_key", sa.String(300), nullable=False),
        sa.Column("seen_at", _WHEN, nullable=False),
        sa.Column("due_on", sa.String(10)),
    )
    sa.Table(
        "findings", meta,
        sa.Column("project", sa.String(100), primary_key=True),
        sa.Column("fingerprint", sa.String(100), primary_key=True),
        sa.Column("rule_id", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("cause", sa.String(100), nullable=False),
        sa.Column("subject_key", sa.String(300), nullable=False),
        sa.Column("severity", sa.Integer, nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("first_seen", _WHEN, nullable=False),
        sa.Column("last_seen", _WHEN, nullable=False),
    )
    sa.Table(
        "comments", meta,
        sa.Column("project", sa.String(100), primary_key=True),
        sa.Column("marker", sa.String(120), primary_key=True),
        sa.Column("fingerprint", sa.String(100), nullable=False, index=True),
        sa.Column("target", sa.String(300), nullable=False),
        sa.Column("comment_id", sa.String(100), nullable=False),
        sa.Column("body_hash", sa.String(64), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("resolved_at", _WHEN),
    )
    sa.Table(
        "labels", meta,
        sa.Column("project", sa.String(100), primary_key=True),
        sa.Column("target", sa.String(300), primary_key=True),
        sa.Column("label", sa.String(100), primary_key=True),
        sa.Column("applied_at", _WHEN, nullable=False),
    )
    sa.Table(
        "summaries", meta,
        sa.Column("project", sa.String(100), primary_key=True),
        sa.Column("period", sa.String(40), primary_key=True),
        sa.Column("target", sa.String(300)),
        sa.Column("comment_id", sa.String(100)),
        sa.Column("body_hash", sa.String(64)),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
    )
    sa.Table(
        "runs", meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("project", sa.String(100), nullable=False, index=True),
        sa.Column("started_at", _WHEN, nullable=False),
        sa.Column("finished_at", _WHEN),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("findings", sa.Integer, nullable=False),
        sa.Column("writes", sa.Integer, nullable=False),
        sa.Column("skipped", sa.Integer, nullable=False),
        sa.Column("message", sa.Text),
    )
    return meta


def upgrade() -> None:
    # checkfirst: create only the tables an older database does not have yet.
    frozen_schema().create_all(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    frozen_schema().drop_all(op.get_bind())
