"""dropped pages

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 21:59:47.476020
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""

    op.create_table(
        "dropped_pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("dropped_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_dropped_pages_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dropped_pages")),
        sa.UniqueConstraint("url", name=op.f("uq_dropped_pages_url")),
    )
    with op.batch_alter_table("dropped_pages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dropped_pages_site_id"), ["site_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""

    with op.batch_alter_table("dropped_pages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dropped_pages_site_id"))

    op.drop_table("dropped_pages")
