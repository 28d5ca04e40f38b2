"""Where the band index's per-document cost grows on SQLite: lookup, insert, commit, checkpoint.

Builds two band indexes of random rows (as many per article as a real article has) for 10k and
100k articles in a scratch directory, then, for each, times what the store and match stages do
to the index per new document: the candidate lookup, the insert of its rows and the commit,
with SQLite's automatic WAL checkpoint on (every ``WAL_CHECKPOINT_PAGES`` pages, as copycat
sets it) and off. With it off, nothing is written back to the database file during the timed
documents, so the difference is what the checkpoints cost.

    python bench/checkpoint.py /tmp/copycat-checkpoint      # ~5 min, ~1 GB of scratch files
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import time
from pathlib import Path

from copycat.db import WAL_CHECKPOINT_PAGES, make_engine, upgrade
from pipelines.fingerprint import FingerprintConfig
from pipelines.match import candidate_sql

ANCHORS_PER_ARTICLE = 46
"""Anchors a BBC article indexes on average (``make bench-views`` prints the rows)."""
_CONFIG = FingerprintConfig()
ROWS_PER_ARTICLE = _CONFIG.bands_rows[0] + _CONFIG.skeleton_bands_rows[0] + ANCHORS_PER_ARTICLE
"""Bucket rows of a typical article: the word and skeleton views' bands, and its anchors."""
LOOKUP = candidate_sql("qmark", ROWS_PER_ARTICLE)


def build(path: Path, articles: int) -> None:
    """Create the band index of ``articles`` random articles at ``path`` (kept between runs).

    The schema is copycat's own, made by its migrations; the rows are then written with the
    driver alone (no article rows: plain sqlite3 does not enforce the foreign key).
    """
    if path.exists():
        return
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    connection = sqlite3.connect(path)
    rng = random.Random(articles)
    for start in range(1, articles + 1, 1000):
        rows = [
            (rng.getrandbits(62), article, band)
            for article in range(start, min(articles + 1, start + 1000))
            for band in range(ROWS_PER_ARTICLE)
        ]
        connection.executemany(
            "INSERT OR IGNORE INTO lsh_buckets (bucket, article_id, band) VALUES (?, ?, ?)", rows
        )
        connection.commit()
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


def measure(path: Path, articles: int, documents: int, autocheckpoint: int) -> dict[str, float]:
    """Milliseconds per document for lookup, insert and commit; the added rows are removed."""
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-65536"):
        connection.execute(f"PRAGMA {pragma}")
    connection.execute(f"PRAGMA wal_autocheckpoint={autocheckpoint}")
    rng = random.Random(7)
    spent = {"lookup": 0.0, "insert": 0.0, "commit": 0.0}
    for n in range(documents):
        buckets = [rng.getrandbits(62) for _ in range(ROWS_PER_ARTICLE)]
        started = time.perf_counter()
        connection.execute(LOOKUP, (*buckets, 0, 2, 100)).fetchall()
        looked = time.perf_counter()
        connection.execute("BEGIN")
        connection.executemany(
            "INSERT INTO lsh_buckets (band, bucket, article_id) VALUES (?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            [(band, bucket, articles + 1 + n) for band, bucket in enumerate(buckets)],
        )
        inserted = time.perf_counter()
        connection.execute("COMMIT")
        committed = time.perf_counter()
        spent["lookup"] += looked - started
        spent["insert"] += inserted - looked
        spent["commit"] += committed - inserted
    connection.execute("DELETE FROM lsh_buckets WHERE article_id > ?", (articles,))
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return {name: round(seconds / documents * 1000, 3) for name, seconds in spent.items()}


def main() -> int:
    """Build both indexes, time them with and without automatic checkpoints, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("scratch", type=Path, help="directory for the two scratch databases")
    parser.add_argument("--documents", type=int, default=1200, help="a few checkpoints' worth")
    args = parser.parse_args()
    args.scratch.mkdir(parents=True, exist_ok=True)
    sizes = (10_000, 100_000)
    for articles in sizes:
        build(args.scratch / f"band-index-{articles}.sqlite", articles)
    print("articles  autocheckpoint  lookup  insert  commit  (ms per document)")
    for articles in sizes:
        for autocheckpoint in (WAL_CHECKPOINT_PAGES, 0):
            path = args.scratch / f"band-index-{articles}.sqlite"
            times = measure(path, articles, args.documents, autocheckpoint)
            print(
                f"{articles:>8}  {autocheckpoint or 'off':>14}  {times['lookup']:>6.3f}"
                f"  {times['insert']:>6.3f}  {times['commit']:>6.3f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
