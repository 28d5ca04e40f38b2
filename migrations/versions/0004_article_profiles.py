"""article profiles: serialised alignment profiles, shared by the processes that match

Revision ID: 0004_article_profiles
Revises: 0003_incremental
Create Date: 2026-11-26 10:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_article_profiles"
down_revision: str | None = "0003_incremental"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision (no data to move: profiles are stored as articles are matched)."""
    op.create_table(
        "article_profiles",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_profiles_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_article_profiles")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("article_profiles")
