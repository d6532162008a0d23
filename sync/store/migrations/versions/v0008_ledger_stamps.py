"""A stamp per project that changes with every write to its findings, comments or labels.

A daemon keeps what it wrote for a project in memory between cycles
(``sync/store/ledger.py``) and reads those tables again only when the stamp
says another process wrote since. Each project with records gets its first stamp here.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"


def upgrade() -> None:
    stamps = op.create_table(
        "ledger_stamps",
        sa.Column("project", sa.String(100), primary_key=True),
        sa.Column("stamp", sa.String(32), nullable=False),
    )
    connection = op.get_bind()
    projects: set[str] = set()
    for name in ("findings", "comments", "labels"):
        table = sa.table(name, sa.column("project", sa.String))
        projects |= {row[0] for row in connection.execute(
            sa.select(table.c.project).distinct())}
    if projects:
        op.bulk_insert(stamps, [{"project": project, "stamp": uuid.uuid4().hex}
                                for project in sorted(projects)])


def downgrade() -> None:
    op.drop_table("ledger_stamps")
