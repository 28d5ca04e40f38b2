"""Scaling mode of the attribution bench: per-document cost at 10k and at N stored documents.

The store is filled cheaply: synthetic articles (a short placeholder text) with as many
bucket rows as a real article has (word and skeleton bands, anchors), written with bulk
executemany, no pipeline. Their buckets are random, so they add index depth and table size
but no candidates; that is what a large archive of *unrelated* articles does, and it is the
cost that must stay flat. After an untimed warm-up batch, real articles (BBC, read at run
time) and spun copies of them go through the whole pipeline at 10k and again at N (other
articles at each level), timed whole and in the match and store stages, and ``attribute``
(matching one pasted document, nothing stored) is timed at each level. The candidate query's
plan is printed.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from attribution import T0, Doc, page, read_articles
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker
from thesaurus import Spinner, load_thesaurus

from copycat.db import open_database
from copycat.ingest import PipelineChain, parse_record, standalone_stats
from copycat.models import Article, LshBucket, Site
from copycat.queries import attribute_document
from pipelines.match import DocumentView, candidate_plan

ROWS_PER_DOC = 115
"""Bucket rows of a typical article: 44 word bands, 28 skeleton bands, ~43 anchors."""


def fill(sessions: sessionmaker[Session], upto: int, rng: random.Random) -> None:
    """Add synthetic articles (and their bucket rows) until ``upto`` are stored."""
    with sessions() as session, session.begin():
        site_id = session.scalar(select(Site.id).where(Site.origin == "https://filler.example"))
        if site_id is None:
            site_id = session.execute(
                insert(Site).values(
                    origin="https://filler.example", name="filler", role="unknown",
                    feeds=[], sitemaps=[], added_at=datetime.now(UTC),
                ).returning(Site.id)
            ).scalar_one()  # fmt: skip
        have = session.scalar(select(func.count()).select_from(Article)) or 0
        now = datetime.now(UTC)
        batch = 5000
        for start in range(have, upto, batch):
            n = min(batch, upto - start)
            articles = [
                {
                    "site_id": site_id, "url": f"https://filler.example/a/{start + i}",
                    "fetched_url": f"https://filler.example/a/{start + i}", "canonical_url": None,
                    "title": "filler", "author": None, "language": "en",
                    "text": f"filler article {start + i}", "word_count": 3,
                    "text_hash": rng.randbytes(16), "minhash": b"", "published_at": None,
                    "published_source": None, "page_published_at": None,
                    "first_seen_at": now - timedelta(days=30), "fetched_at": now,
                    "discovered_via": "bench", "source_url_hint": None, "links": [],
                }
                for i in range(n)
            ]  # fmt: skip
            session.execute(insert(Article.__table__), articles)
            first_id = session.scalar(
                select(Article.id).where(Article.url == f"https://filler.example/a/{start}")
            )
            assert first_id is not None
            session.execute(
                insert(LshBucket.__table__),
                [
                    {"bucket": rng.getrandbits(63), "band": band, "article_id": first_id + i}
                    for i in range(n)
                    for band in range(ROWS_PER_DOC)
                ],
            )
    # The fill is one transaction of millions of rows: its whole WAL would be copied back into
    # the (SQLite) database during the first timed commits. An archive built article by
    # article is checkpointed as it grows (every 40 MB of WAL), so do that now.
    with sessions() as session:
        session.connection().exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


INDEX_STAGES = ("match", "store")
"""The stages that read and write the band index: their cost is the one that could grow."""


def ingest_batch(
    chain: PipelineChain, docs: list[Doc], rng: random.Random
) -> tuple[float, float, int]:
    """Run pages through the pipeline.

    Returns (seconds per document, of which in the match and store stages, pairs found).
    """
    pages = [(d, page(d, rng)) for d in docs]

    def counters() -> tuple[float, int]:
        get = chain.stats.get_value
        return sum(get(f"{s}/seconds", 0.0) for s in INDEX_STAGES), get("store/pairs", 0)

    index_before, pairs_before = counters()
    started = time.perf_counter()
    for doc, html in pages:
        record = json.dumps({"url": doc.url, "html": html, "site": doc.site,
                             "published_at": doc.published.isoformat()})  # fmt: skip
        chain.process(parse_record(record, datetime.now(UTC)))
    elapsed = time.perf_counter() - started
    index_after, pairs_after = counters()
    return (
        elapsed / len(docs),
        (index_after - index_before) / len(docs),
        pairs_after - pairs_before,
    )


def make_batch(
    articles: list[tuple[str, str, list[str]]], spinner: Spinner, rng: random.Random, tag: str
) -> tuple[list[Doc], list[Doc]]:
    """Return (originals, 30 %-spun copies) for a batch of real articles."""
    originals, copies = [], []
    for n, (_key, title, paragraphs) in enumerate(articles):
        when = T0 + timedelta(minutes=n)
        original = Doc(f"https://news{n % 3}.example/{tag}/{n}", f"https://news{n % 3}.example",
                       title, paragraphs, when, n % 3)  # fmt: skip
        spun, _, _ = spinner.spin("\n\n".join(paragraphs), 0.3, rng)
        copy = Doc(f"https://copies.example/{tag}/{n}", "https://copies.example", title,
                   spun.split("\n\n"), when + timedelta(hours=3), (n + 1) % 3, kind="spun30",
                   originals=[original.url])  # fmt: skip
        originals.append(original)
        copies.append(copy)
    return originals, copies


def run_scaling(args: argparse.Namespace) -> dict[str, Any]:
    """Measure per-document pipeline cost at 10k and ``args.scale`` stored docs."""
    rng = random.Random(args.seed)
    articles = read_articles(args.data_dir)
    rng.shuffle(articles)
    spinner = Spinner(load_thesaurus(args.thesaurus))
    per_batch = 200
    warm_up = 30
    result: dict[str, Any] = {"stored_levels": {}}
    with tempfile.TemporaryDirectory() as tmp:
        _, sessions = open_database(f"sqlite:///{tmp}/scale.db")
        chain = PipelineChain(sessions, standalone_stats())
        # Untimed: the first pages pay for empty caches and first calls (trafilatura, the
        # word caches); timed, they would make the first level look the dearer one.
        for batch in make_batch(articles[-warm_up:], spinner, rng, "w"):
            ingest_batch(chain, batch, rng)
        for n, (level, tag) in enumerate(((10_000, "a"), (args.scale, "b"))):
            started = time.perf_counter()
            fill(sessions, level, rng)
            fill_seconds = time.perf_counter() - started
            # each level its own articles (a copy of one stored already would pair twice)
            chosen = articles[n * per_batch : (n + 1) * per_batch]
            originals, copies = make_batch(chosen, spinner, rng, tag)
            per_original, index_original, _ = ingest_batch(chain, originals, rng)
            per_copy, index_copy, pairs = ingest_batch(chain, copies, rng)
            with sessions() as session:
                stored = session.scalar(select(func.count()).select_from(Article))
                rows = session.scalar(select(func.count()).select_from(LshBucket))
                latencies = []
                found = 0
                for copy in copies[:30]:
                    document = DocumentView(url=copy.url + "/pasted", site="https://pasted.example",
                                            text=copy.body)  # fmt: skip
                    t = time.perf_counter()
                    attribution = attribute_document(session, document)
                    latencies.append(time.perf_counter() - t)
                    found += copy.originals[0] in [
                        o["original_url"] for o in attribution["originals"]
                    ]
            result["stored_levels"][str(level)] = {
                "stored_articles": stored,
                "bucket_rows": rows,
                "fill_seconds": round(fill_seconds, 1),
                "mean_words_per_doc": round(
                    statistics.mean(len(d.body.split()) for d in originals)
                ),
                "ms_per_original_doc_pipeline": round(per_original * 1000, 2),
                "ms_per_copy_doc_pipeline": round(per_copy * 1000, 2),
                "ms_per_original_doc_match_store": round(index_original * 1000, 2),
                "ms_per_copy_doc_match_store": round(index_copy * 1000, 2),
                "copies_paired": f"{pairs}/{len(copies)}",
                "attribute_ms_median": round(statistics.median(latencies) * 1000, 2),
                "attribute_ms_p90": round(statistics.quantiles(latencies, n=10)[-1] * 1000, 2),
                "attribute_ms_max": round(max(latencies) * 1000, 2),
                "attribute_found_original": f"{found}/{len(latencies)}",
            }
        with sessions() as session:
            buckets = [rng.getrandbits(63) for _ in range(105)]
            result["candidate_query_plan"] = candidate_plan(session, buckets, 50, 2)
    low, high = (result["stored_levels"][str(k)] for k in (10_000, args.scale))
    for what in ("pipeline", "match_store"):
        result[f"copy_{what}_cost_ratio_high_vs_10k"] = round(
            high[f"ms_per_copy_doc_{what}"] / low[f"ms_per_copy_doc_{what}"], 3
        )
    return result
