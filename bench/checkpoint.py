"""The band index alone on SQLite: per-document cost at 10k and 100k articles, epochs or not.

Builds band indexes of random rows (as many per article as a real article has) for 10k and
100k articles in a scratch directory, then times, for each, what the match and store stages
do to the index per new document, as a crawl does it: the candidate lookup (copycat's own,
through the sealed epochs' filters), the insert of the article's rows and the commit, with
SQLite's automatic WAL checkpoints as copycat sets them, and the sealing of an epoch when one
fills (amortised over the documents). The timed documents span a whole epoch, so every
fill level of the newest epoch is in the mean, whatever the archive's size.

Besides the time of each step it counts, per document, the bytes the process handed to
``write()`` during the commit (``/proc/self/io``: the WAL frames, and the pages a checkpoint
writes back) and the commit's CPU time split into user and kernel time: the work the commit
does, apart from how fast this host happens to do it.

The baseline, in the same run: every row in one epoch that is never sealed, which is the band
index as it was before epochs (one B-tree keyed by bucket).

    python bench/checkpoint.py /tmp/copycat-checkpoint      # ~8 min, ~1 GB of scratch files
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import time
from pathlib import Path
from typing import cast

from sqlalchemy import Table, insert, text
from sqlalchemy.orm import Session, sessionmaker

from copycat.db import SQLITE_CACHE_MB, make_engine, session_factory, upgrade
from copycat.models import EPOCH_ARTICLES, Article, Site, utcnow
from pipelines.epochs import epoch_for_new, seal_epochs
from pipelines.fingerprint import FingerprintConfig
from pipelines.match import candidate_ids

ANCHORS_PER_ARTICLE = 46
"""Anchors a BBC article indexes on average (``make bench-views`` prints the rows)."""
_CONFIG = FingerprintConfig()
ROWS_PER_ARTICLE = _CONFIG.bands_rows[0] + _CONFIG.skeleton_bands_rows[0] + ANCHORS_PER_ARTICLE
"""Bucket rows of a typical article: the word and skeleton views' bands, and its anchors."""
LAYOUTS = ("one-epoch", "epochs")


def _bytes_written() -> int:
    """Bytes this process has handed to ``write()`` so far (Linux's ``/proc/self/io``)."""
    with open("/proc/self/io") as counters:
        for line in counters:
            if line.startswith("wchar:"):
                return int(line.split()[1])
    raise RuntimeError("no wchar line in /proc/self/io")


def _cpu() -> tuple[float, float]:
    """This process's user and kernel CPU seconds so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime


def _epoch(layout: str, article_id: int) -> int:
    return epoch_for_new(article_id) if layout == "epochs" else 0


def _article(site_id: int, article_id: int) -> dict[str, object]:
    now = utcnow()
    url = f"https://filler.example/{article_id}"
    return {
        "id": article_id, "site_id": site_id, "url": url, "fetched_url": url, "text": "x",
        "word_count": 1, "text_hash": b"\0", "minhash": b"", "first_seen_at": now,
        "fetched_at": now, "discovered_via": "bench", "links": [],
    }  # fmt: skip


def build(path: Path, articles: int, layout: str) -> None:
    """Create the band index of ``articles`` random articles at ``path`` (kept between runs)."""
    if path.exists():
        return
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    sessions = session_factory(engine)
    rng = random.Random(articles)
    with sessions() as session, session.begin():
        session.execute(insert(Site).values(id=1, origin="https://filler.example", name="f"))
    for start in range(1, articles + 1, 2000):
        ids = range(start, min(articles + 1, start + 2000))
        rows = sorted(
            (_epoch(layout, a), rng.getrandbits(62), a, band)
            for a in ids
            for band in range(ROWS_PER_ARTICLE)
        )
        with sessions() as session, session.begin():
            session.execute(insert(cast(Table, Article.__table__)), [_article(1, a) for a in ids])
            session.connection().exec_driver_sql(
                "INSERT INTO lsh_buckets (epoch, bucket, article_id, band) VALUES (?, ?, ?, ?)",
                rows,
            )
    if layout == "epochs":
        seal_epochs(sessions)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()


class Case:
    """One layout at one size and page cache: its database, and what its documents cost so far."""

    def __init__(self, scratch: Path, layout: str, articles: int, cache_mb: int | None) -> None:
        self.layout, self.articles, self.cache_mb = layout, articles, cache_mb
        built = scratch / f"{layout}-{articles}.sqlite"
        build(built, articles, layout)
        self.path = built
        if cache_mb is not None:
            # a copy of its own, so that cases differing only in their cache do not share rows
            self.path = scratch / f"{layout}-{articles}-{cache_mb}mb.sqlite"
            if not self.path.exists():
                shutil.copyfile(built, self.path)
        self.engine = make_engine(f"sqlite:///{self.path}", cache_mb or SQLITE_CACHE_MB)
        self.sessions: sessionmaker[Session] = session_factory(self.engine)
        self.rng = random.Random(7)
        self.documents = 0
        self.spent = {"lookup": 0.0, "insert": 0.0, "commit": 0.0, "seal": 0.0}
        self.commit_work = {"user": 0.0, "kernel": 0.0, "written": 0.0}
        """The commits' user and kernel CPU seconds and the bytes they wrote."""

    def run(self, documents: int) -> None:
        """Store ``documents`` more documents as the match and store stages do, timed."""
        for _ in range(documents):
            self.documents += 1
            article_id = self.articles + self.documents
            buckets = [self.rng.getrandbits(62) for _ in range(ROWS_PER_ARTICLE)]
            rows = [(_epoch(self.layout, article_id), b, article_id, i)
                    for i, b in enumerate(buckets)]  # fmt: skip
            with self.sessions() as session:
                started = time.perf_counter()
                candidate_ids(session, buckets, limit=50, min_shared=2)
                looked = time.perf_counter()
                session.execute(insert(cast(Table, Article.__table__)), [_article(1, article_id)])
                session.connection().exec_driver_sql(
                    "INSERT INTO lsh_buckets (epoch, bucket, article_id, band) VALUES (?, ?, ?, ?)",
                    rows,
                )
                inserted = time.perf_counter()
                (user, kernel), written = _cpu(), _bytes_written()
                session.commit()  # SQLite checkpoints every WAL_CHECKPOINT_PAGES, as set
                committed = time.perf_counter()
                (user_after, kernel_after), written_after = _cpu(), _bytes_written()
            self.commit_work["user"] += user_after - user
            self.commit_work["kernel"] += kernel_after - kernel
            self.commit_work["written"] += written_after - written
            sealed = committed
            if self.layout == "epochs" and article_id % EPOCH_ARTICLES == 0:
                seal_epochs(self.sessions)  # as the store stage does once an epoch fills
                sealed = time.perf_counter()
            self.spent["lookup"] += looked - started
            self.spent["insert"] += inserted - looked
            self.spent["commit"] += committed - inserted
            self.spent["seal"] += sealed - committed

    def result(self) -> dict[str, float]:
        """Milliseconds a document, by step and in all."""
        result = {k: round(v / self.documents * 1000, 3) for k, v in self.spent.items()}
        result["total"] = round(sum(result.values()), 3)
        result["commit_user"] = round(self.commit_work["user"] / self.documents * 1000, 3)
        result["commit_kernel"] = round(self.commit_work["kernel"] / self.documents * 1000, 3)
        result["commit_kb"] = round(self.commit_work["written"] / self.documents / 1024, 1)
        return result

    def close(self) -> None:
        """Take the documents added out again, so that the next run starts where this one did."""
        with self.sessions() as session, session.begin():
            first_open = epoch_for_new(self.articles) if self.layout == "epochs" else 0
            session.execute(text("DELETE FROM band_filters WHERE epoch >= :e"), {"e": first_open})
            session.execute(text("DELETE FROM articles WHERE id > :a"), {"a": self.articles})
        with self.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        self.engine.dispose()


def main() -> int:
    """Build the indexes, time each layout at each size in alternating blocks, print the table.

    The cases take turns, a block of documents each, so that the host's drift (large on a
    shared machine) falls on all of them alike.
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("scratch", type=Path, help="directory for the scratch databases")
    parser.add_argument("--documents", type=int, default=EPOCH_ARTICLES, help="one epoch's worth")
    parser.add_argument("--block", type=int, default=256, help="documents a case runs per turn")
    parser.add_argument(
        "--layouts", type=lambda v: v.split(","), default=list(LAYOUTS),
        help=f"comma-separated, of {', '.join(LAYOUTS)}",
    )  # fmt: skip
    parser.add_argument(
        "--cache-mb", type=lambda v: [int(mb) for mb in v.split(",")], default=[None],
        help="SQLite page cache sizes to compare, in MB, comma-separated (default: copycat's)",
    )  # fmt: skip
    args = parser.parse_args()
    args.scratch.mkdir(parents=True, exist_ok=True)
    cases = [Case(args.scratch, layout, articles, cache_mb) for layout in args.layouts
             for cache_mb in args.cache_mb for articles in (10_000, 100_000)]  # fmt: skip
    try:
        for _ in range(0, args.documents, args.block):
            for case in cases:
                case.run(args.block)
    finally:
        for case in cases:
            case.close()
    print(
        "layout     cache  articles  lookup  insert  commit    seal   total  (ms a document)"
        "   commit: user  kernel (CPU ms)  written (KB)"
    )
    for case in cases:
        times = case.result()
        cache = "default" if case.cache_mb is None else f"{case.cache_mb} MB"
        print(
            f"{case.layout:<10} {cache:>7}  {case.articles:>8}  {times['lookup']:>6.3f}"
            f"  {times['insert']:>6.3f}  {times['commit']:>6.3f}  {times['seal']:>6.3f}"
            f"  {times['total']:>6.3f}                  {times['commit_user']:>6.3f}"
            f"  {times['commit_kernel']:>6.3f}                {times['commit_kb']:>7.1f}"
        )
    for layout in args.layouts:
        for cache_mb in args.cache_mb:
            low, high = (
                c.result()["total"] for c in cases if (c.layout, c.cache_mb) == (layout, cache_mb)
            )
            cache = "" if cache_mb is None else f", {cache_mb} MB page cache"
            print(f"{layout}{cache}: 100k ÷ 10k = {high / low:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
