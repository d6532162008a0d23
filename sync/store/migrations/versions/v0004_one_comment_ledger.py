"""One ledger of forewarn's comments: summaries and retrospectives join the alerts.

Every comment forewarn writes is now one row of ``comments``, whatever it
says (``kind``: alert, summary, retro), written by the one publisher. The
``summaries`` table keeps only what a summary said (its payload, per period),
which "what changed since" compares with.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"


def upgrade() -> None:
    op.add_column("comments", sa.Column("kind", sa.String(20), nullable=False,
                                        server_default="alert"))
    connection = op.get_bind()
    summaries = sa.table(
        "summaries", sa.column("project", sa.String), sa.column("period", sa.String),
        sa.column("target", sa.String), sa.column("comment_id", sa.String),
        sa.column("body_hash", sa.String), sa.column("created_at", sa.DateTime(timezone=True)),
    )
    comments = sa.table(
        "comments", sa.column("project", sa.String), sa.column("marker", sa.String),
        sa.column("fingerprint", sa.String), sa.column("target", sa.String),
        sa.column("comment_id", sa.String), sa.column("body_hash", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)), sa.column("kind", sa.String),
    )
    rows = connection.execute(sa.select(summaries).where(
        summaries.c.comment_id.is_not(None), summaries.c.target.is_not(None))).all()
    for row in rows:
        # The markers these comments carry (sync/summary/plan.py): summary.<period>,
        # and retro.<key> for the period "retro:<key>".
        retro = row.period.startswith("retro:")
        subject = f"retro.{row.period[6:]}" if retro else f"summary.{row.period}"
        connection.execute(sa.insert(comments).values(
            project=row.project, marker=f"{subject}:info", fingerprint=subject,
            target=row.target, comment_id=row.comment_id, body_hash=row.body_hash or "",
            created_at=row.created_at, kind="retro" if retro else "summary",
        ))
    with op.batch_alter_table("summaries") as batch:
        batch.drop_column("target")
        batch.drop_column("comment_id")
        batch.drop_column("body_hash")


def downgrade() -> None:
    with op.batch_alter_table("summaries") as batch:
        batch.add_column(sa.Column("target", sa.String(300)))
        batch.add_column(sa.Column("comment_id", sa.String(100)))
        batch.add_column(sa.Column("body_hash", sa.String(64)))
    op.execute("DELETE FROM comments WHERE kind <> 'alert'")
    with op.batch_alter_table("comments") as batch:
        batch.drop_column("kind")
