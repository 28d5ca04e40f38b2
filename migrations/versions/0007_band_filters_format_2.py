"""band filters of format 2: drop the stored ones, the first store builds them again

Revision ID: 0007_band_filters_format_2
Revises: 0006_band_index_epochs
Create Date: 2026-11-27 21:40:00

A sealed epoch's Bloom filter set its bits in a block by double hashing, whose overlapping
arithmetic progressions let through ~3 × the buckets the block design allows (0.18 % against
0.064 % for an epoch of 8,192 articles). Format 2 (``pipelines.bloom``) gives each hash
function bits of its own. The filters are derived from the band index, so the old ones are
deleted and the first store after the upgrade seals the epochs again (~0.6 s an epoch of
8,192 articles), as it did after 0006; until then lookups search those epochs by index.
The downgrade deletes them too: the code before this revision reads format 1 only.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007_band_filters_format_2"
down_revision: str | None = "0006_band_index_epochs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision: delete the format-1 filters (sealed again by the next store)."""
    op.execute("DELETE FROM band_filters")


def downgrade() -> None:
    """Revert this revision: delete the format-2 filters, which the older code cannot read."""
    op.execute("DELETE FROM band_filters")
