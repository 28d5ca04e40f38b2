"""band index epochs: rows keyed (epoch, bucket, article_id), sealed epochs' Bloom filters

Revision ID: 0006_band_index_epochs
Revises: 0005_band_index_without_rowid
Create Date: 2026-11-27 15:20:00

Each article's ~80 band rows went to random places of one B-tree over the whole archive, so
the pages a run of articles dirtied (and a checkpoint wrote back) grew with the archive. Keyed
by epoch first, new rows land in the newest epoch's part of the tree alone. Existing rows take
the epoch their article id gives (``id // 8192``, the code's ``EPOCH_ARTICLES`` when this was
written); their filters are built by the first store after the upgrade (``pipelines.epochs``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_band_index_epochs"
down_revision: str | None = "0005_band_index_without_rowid"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EPOCH_ARTICLES = 8192
_REBUILT = "_lsh_buckets_rebuilt"


def _rebuild_sqlite(key: tuple[str, ...]) -> None:
    """Copy SQLite's band index into a WITHOUT ROWID table keyed by ``key``, in key order."""
    columns = [
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("band", sa.SmallInteger(), nullable=False),
    ]
    if "epoch" in key:
        columns.insert(0, sa.Column("epoch", sa.Integer(), nullable=False))
    op.create_table(
        _REBUILT,
        *columns,
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name="fk_lsh_buckets_article_id_articles",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(*key, name="pk_lsh_buckets"),
        sqlite_with_rowid=False,
    )
    epoch = f"article_id / {_EPOCH_ARTICLES} AS epoch, " if "epoch" in key else ""
    op.execute(
        f"INSERT INTO {_REBUILT} ({', '.join(c.name for c in columns)}) "
        f"SELECT {epoch}bucket, article_id, band FROM lsh_buckets ORDER BY {', '.join(key)}"
    )
    op.drop_table("lsh_buckets")  # and its index with it
    op.rename_table(_REBUILT, "lsh_buckets")
    op.create_index("ix_lsh_buckets_article_id", "lsh_buckets", ["article_id"], unique=False)


def upgrade() -> None:
    """Apply this revision: key the band index by epoch; add the sealed epochs' filters."""
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(("epoch", "bucket", "article_id"))
    else:
        op.add_column("lsh_buckets", sa.Column("epoch", sa.Integer(), nullable=True))
        op.execute(f"UPDATE lsh_buckets SET epoch = article_id / {_EPOCH_ARTICLES}")
        op.alter_column("lsh_buckets", "epoch", nullable=False)
        op.drop_constraint("pk_lsh_buckets", "lsh_buckets", type_="primary")
        op.create_primary_key("pk_lsh_buckets", "lsh_buckets", ["epoch", "bucket", "article_id"])
    op.create_table(
        "band_filters",
        sa.Column("epoch", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("epoch", name=op.f("pk_band_filters")),
    )


def downgrade() -> None:
    """Revert this revision: one (bucket, article_id) index again, no filters."""
    op.drop_table("band_filters")
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(("bucket", "article_id"))
    else:
        op.drop_constraint("pk_lsh_buckets", "lsh_buckets", type_="primary")
        op.create_primary_key("pk_lsh_buckets", "lsh_buckets", ["bucket", "article_id"])
        op.drop_column("lsh_buckets", "epoch")
