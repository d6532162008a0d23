"""Findings remember whether forewarn found them already there when it first looked.

``findings.backfilled`` is the severity at which a finding was listed in the
backfill digest of a project's first cycle (``backfill: digest``), 0 for one
found later. Such a finding gets no alert of its own at that level; an
escalation past it does. Rows written before this revision found their
findings in the ordinary way: 0.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"


def upgrade() -> None:
    op.add_column("findings", sa.Column("backfilled", sa.Integer, nullable=False,
                                        server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.drop_column("backfilled")
