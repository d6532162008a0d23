"""Comments remember what their body was rendered from, so unchanged alerts skip rendering."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"


def upgrade() -> None:
    op.add_column("comments", sa.Column("input_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.drop_column("input_hash")
