"""Scaling mode of the attribution bench: per-document cost at 10k and at N stored documents.

The store is filled cheaply: synthetic articles (a short placeholder text) with as many
bucket rows as a real article has (word and skeleton bands, anchors), written in bulk
(executemany on SQLite, COPY on PostgreSQL), no pipeline. Their buckets are random, so they
add index depth and table size but no candidates; that is what a large archive of *unrelated*
articles does, and it is the cost that must stay flat. At each level, after untimed articles
(first calls, then the page cache the fill emptied), real articles (BBC, read at run time) in
their outlet's page chrome, as in the attribution bench (``--thin``: the bare article page),
and spun copies of them go through the whole pipeline: the same pages at each level but for
their URLs, the previous level's deleted. They are timed whole (wall and CPU), in the match
and store stages, and against bare ``trafilatura.extract`` on the same pages, each batch
paying for writing its pages back (a checkpoint after it); ``attribute`` (matching one pasted
document, nothing stored) is timed too, and the candidate query's plan printed. Another 200
unrelated articles go in at each level as ``copycat ingest`` takes them (``--workers``
processes extracting, the writer thread matching and storing in order, batched commits), timed
by the wall clock against bare extraction: the throughput a user sees at that size.

``--database postgresql://…`` runs it on a scratch database of that server (made and dropped)
instead of a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any, cast

from attribution import (
    BASE_LEVEL,
    T0,
    Doc,
    bare_extraction,
    dated_item,
    dated_record,
    page,
    read_articles,
)
from checkpoint import ROWS_PER_ARTICLE
from chrome import Chrome, site_chrome
from sqlalchemy import Connection, Engine, Table, delete, func, insert, select
from sqlalchemy.orm import Session, sessionmaker
from thesaurus import Spinner, load_thesaurus

from copycat.db import WAL_CHECKPOINT_PAGES, make_engine, open_database
from copycat.ingest import PipelineChain, ingest_lines, standalone_stats
from copycat.models import EPOCH_ARTICLES, Article, LshBucket, Site
from copycat.queries import attribute_document
from pipelines.epochs import epoch_for_new, seal_epochs
from pipelines.match import DocumentView, candidate_plan

Render = Callable[[Doc], str]
"""Turns a document into the HTML page the pipeline is given."""


def insert_bucket_rows(session: Session, rows: list[tuple[int, int, int]]) -> None:
    """Bulk-insert (bucket, band, article_id) rows, each in the epoch its article's id gives (as
    the store stage writes them): COPY on PostgreSQL, executemany on SQLite."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        copy_sql = "COPY lsh_buckets (epoch, bucket, band, article_id) FROM STDIN"
        with connection.connection.cursor() as cursor, cursor.copy(copy_sql) as copy:  # type: ignore[attr-defined]
            for bucket, band, article in rows:
                copy.write_row((epoch_for_new(article), bucket, band, article))
        return
    session.execute(
        insert(cast(Table, LshBucket.__table__)),
        [
            {"epoch": epoch_for_new(article), "bucket": bucket, "band": band, "article_id": article}
            for bucket, band, article in rows
        ],
    )


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
            articles: list[dict[str, Any]] = [
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
            session.execute(insert(cast(Table, Article.__table__)), articles)
            first_id = session.scalar(
                select(Article.id).where(Article.url == f"https://filler.example/a/{start}")
            )
            assert first_id is not None
            rows = [
                (rng.getrandbits(63), band, first_id + i)
                for i in range(n)
                for band in range(ROWS_PER_ARTICLE)
            ]
            insert_bucket_rows(session, rows)
    # The epochs the fill filled are sealed, as the store stage seals them in a crawl.
    seal_epochs(sessions)
    # The fill is one transaction of millions of rows, all to be written back during the
    # first timed articles; an archive built article by article is written back as it grows.
    write_back(sessions)
    with autocommit_connection(sessions) as connection:
        if connection.dialect.name == "postgresql":
            # Bulk-loaded rows: let the planner and visibility map know them, as autovacuum
            # would have by the time an archive grew this big article by article.
            connection.exec_driver_sql("VACUUM ANALYZE")


@contextmanager
def scratch_database(server_url: str | None, tmp: str, name: str = "scale") -> Iterator[str]:
    """Yield the URL of an empty database: a SQLite file in ``tmp``, or a new database on the
    PostgreSQL server at ``server_url``, dropped afterwards."""
    if server_url is None:
        yield f"sqlite:///{tmp}/{name}.db"
        return
    server = make_engine(server_url)
    name = f"copycat_bench_{name}_{os.getpid()}"
    with server.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield server.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        server.dispose()


def band_index_pages(session: Session) -> tuple[int, float]:
    """Return the pages of the band index's B-tree, and the share of its rows in the newest
    epoch (the part new rows go to)."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":  # a WITHOUT ROWID table: the key's B-tree is all
        sql = f"SELECT count(*) FROM dbstat WHERE name = '{LshBucket.__tablename__}'"
    else:
        index = cast(Table, LshBucket.__table__).primary_key.name  # the naming convention's
        sql = f"SELECT pg_relation_size('{index}') / current_setting('block_size')::int"
    pages = int(connection.exec_driver_sql(sql).scalar_one())
    table = LshBucket.__tablename__
    newest, rows = connection.exec_driver_sql(
        f"SELECT count(*) FILTER (WHERE epoch = (SELECT max(epoch) FROM {table})), count(*) "
        f"FROM {table}"
    ).one()
    return pages, newest / max(rows, 1)


def pages_touched(rows: float, pages: float) -> float:
    """Expected distinct pages that ``rows`` inserts at random keys touch in a B-tree of
    ``pages`` leaves: what a checkpoint after them writes back (a page written by several
    articles is written once)."""
    return pages * -math.expm1(rows * math.log1p(-1 / pages)) if pages > 1 else min(rows, 1)


def crawl_write_back_model(rows_per_page: float) -> dict[str, float]:
    """Pages written back per article in a crawl, at archive sizes up to a million articles.

    A crawl commits each article and SQLite checkpoints every ``WAL_CHECKPOINT_PAGES`` pages
    of WAL: about that many band rows, since each row of an article dirties a page of its
    own. Per article, ``pages_touched`` of those rows over the rows per checkpoint, in the
    newest epoch's part of the index, which never holds more than ``EPOCH_ARTICLES``
    articles' rows: so it grows with the archive up to that size, and no further.
    """
    per_checkpoint = WAL_CHECKPOINT_PAGES / ROWS_PER_ARTICLE  # articles between checkpoints
    return {
        str(articles): round(
            pages_touched(
                WAL_CHECKPOINT_PAGES,
                min(articles, EPOCH_ARTICLES) * ROWS_PER_ARTICLE / rows_per_page,
            )
            / per_checkpoint,
            1,
        )
        for articles in (10_000, 30_000, 100_000, 300_000, 1_000_000)
    }


@dataclass(frozen=True)
class BatchCost:
    """What a batch of pages cost the pipeline, per document."""

    wall_ms: float
    cpu_ms: float
    match_ms: float
    store_ms: float
    write_back_ms: float
    """Writing the batch's pages back into the database file (the checkpoint after it)."""
    pairs: int

    @property
    def index_stages_ms(self) -> float:
        """Of the wall time, in the match and store stages (the band index's readers and
        writer) and writing the pages back."""
        return self.match_ms + self.store_ms + self.write_back_ms


@contextmanager
def autocommit_connection(sessions: sessionmaker[Session]) -> Iterator[Connection]:
    """Yield a connection of the sessions' engine outside any transaction (for statements that
    cannot run in one: VACUUM, CHECKPOINT, a WAL checkpoint)."""
    with sessions() as session:
        engine = session.get_bind()
    assert isinstance(engine, Engine)  # the sessions are bound to an engine
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        yield connection


def write_back(sessions: sessionmaker[Session]) -> None:
    """Write every committed page back into the database files (SQLite: checkpoint the WAL and
    empty it; PostgreSQL: CHECKPOINT, which needs a superuser or ``pg_checkpoint``)."""
    with autocommit_connection(sessions) as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            connection.exec_driver_sql("CHECKPOINT")


def ingest_batch(
    chain: PipelineChain, docs: list[Doc], render: Render, settle: bool = False
) -> BatchCost:
    """Run the pages of ``docs`` through the pipeline, one by one, and say what it cost.

    Unless ``settle``, the batch pays for writing its pages back too: the database starts it
    with nothing left to write back, and the checkpoint after it is timed with it. Otherwise
    whether one of the database's own checkpoints (SQLite: every 40,000 pages of WAL, a few
    hundred articles) fell inside a batch would decide its cost.
    """
    pages = [(d, render(d)) for d in docs]
    if not settle:
        write_back(chain.store.sessions)

    def counters() -> tuple[float, float, int]:
        get = chain.stats.get_value
        return get("match/seconds", 0.0), get("store/seconds", 0.0), get("store/pairs", 0)

    match_before, store_before, pairs_before = counters()
    started, cpu_started = time.perf_counter(), time.process_time()
    for doc, html in pages:
        chain.process(dated_item(doc, html))
    processed = time.perf_counter()
    if not settle:
        write_back(chain.store.sessions)
    ended, cpu = time.perf_counter(), time.process_time() - cpu_started
    match_after, store_after, pairs_after = counters()
    per_doc_ms = 1000 / len(docs)
    return BatchCost(
        wall_ms=(ended - started) * per_doc_ms,
        cpu_ms=cpu * per_doc_ms,
        match_ms=(match_after - match_before) * per_doc_ms,
        store_ms=(store_after - store_before) * per_doc_ms,
        write_back_ms=(ended - processed) * per_doc_ms,
        pairs=pairs_after - pairs_before,
    )


def ingest_with_workers_ms(chain: PipelineChain, pages: list[tuple[Doc, str]]) -> float:
    """Wall milliseconds per page of ``copycat ingest``'s own path on ``pages``: extracted and
    fingerprinted in the chain's worker processes, matched and stored in order by its writer
    thread, committed in batches; the checkpoint after it included, as in
    :func:`ingest_batch`."""
    lines = [dated_record(doc, html) for doc, html in pages]
    write_back(chain.store.sessions)
    started = time.perf_counter()
    ingest_lines(lines, chain)
    write_back(chain.store.sessions)
    return (time.perf_counter() - started) / len(pages) * 1000


def bare_extraction_ms(docs: list[Doc], render: Render) -> float:
    """Milliseconds per page of bare ``trafilatura.extract`` on pages like ``docs``'s: the floor."""
    wall, _ = bare_extraction([render(d) for d in docs])
    return wall / len(docs) * 1000


def first_attribute_ms(url: str, copy: Doc) -> float:
    """Milliseconds of ``attribute`` on a new engine, as in a ``copycat attribute`` process:
    its first lookup loads every sealed epoch's filter."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            document = DocumentView(url=copy.url + "/first", site="https://pasted.example",
                                    text=copy.body)  # fmt: skip
            started = time.perf_counter()
            attribute_document(session, document)
            return (time.perf_counter() - started) * 1000
    finally:
        engine.dispose()


def page_renderer(
    articles: list[tuple[str, str, list[str]]], thin: bool, rng: random.Random
) -> Render:
    """Return what turns a document into its page: in its outlet's realistic page chrome (as in
    the attribution bench), or the thin article page alone."""
    if thin:
        return lambda doc: page(doc, rng)
    headlines = [title for _, title, _ in articles]
    chromes: dict[str, Chrome] = {}

    def render(doc: Doc) -> str:
        chrome = chromes.setdefault(doc.site, site_chrome(doc.site))
        return chrome.wrap(page(doc, rng), headlines, rng)

    return render


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
    """Measure per-document pipeline cost at 10k and at each level of ``args.scale``."""
    rng = random.Random(args.seed)
    articles = read_articles(args.data_dir)
    rng.shuffle(articles)
    spinner = Spinner(load_thesaurus(args.thesaurus))
    render = page_renderer(articles, args.thin, rng)
    per_batch = 200
    warm_up = 30
    settle_docs = 100
    result: dict[str, Any] = {"stored_levels": {}}
    with (
        tempfile.TemporaryDirectory() as tmp,
        scratch_database(args.database, tmp) as url,
        ExitStack() as stack,
    ):
        engine, sessions = open_database(url)
        result["database"] = engine.dialect.name
        chain = PipelineChain(sessions, standalone_stats())
        # copycat ingest's own path, beside the one-page-at-a-time chain (none: --workers 0)
        pooled = PipelineChain(sessions, standalone_stats(), workers=args.workers)
        stack.callback(pooled.close)
        # Untimed: the first pages pay for empty caches and first calls (trafilatura, the
        # word caches, the workers' start); timed, they would make the first level look the
        # dearer one.
        for batch in make_batch(articles[-warm_up:], spinner, rng, "w"):
            ingest_batch(chain, batch, render, settle=True)
        if args.workers:
            warm = make_batch(articles[-2 * warm_up : -warm_up], spinner, rng, "ww")[0]
            ingest_with_workers_ms(pooled, [(d, render(d)) for d in warm])
        levels = [BASE_LEVEL, *sorted(set(args.scale) - {BASE_LEVEL})]
        for n, level in enumerate(levels):
            tag = f"l{n}"
            started = time.perf_counter()
            fill(sessions, level, rng)
            fill_seconds = time.perf_counter() - started
            # The fill wrote from another connection, which empties this one's page cache; an
            # archive that grew through this process would have its index's upper levels
            # cached. Untimed articles bring it there, at each level alike.
            settle = articles[-warm_up - (n + 1) * settle_docs : -warm_up - n * settle_docs]
            for batch in make_batch(settle, spinner, rng, f"s{n}"):
                ingest_batch(chain, batch, render, settle=True)
            # The same articles and copies at each level, in the same pages (same seed), only
            # their URLs differ; the previous level's are deleted first, so nothing pairs
            # across levels.
            level_rng = random.Random(args.seed + 1)
            render = page_renderer(articles, args.thin, level_rng)
            originals, copies = make_batch(articles[:per_batch], spinner, level_rng, tag)
            original_cost = ingest_batch(chain, originals, render)
            copy_cost = ingest_batch(chain, copies, render)
            floor = bare_extraction_ms(originals, render)
            # other unrelated articles, the same at every level, through copycat ingest's path,
            # and bare extraction on the very same pages
            fresh = make_batch(articles[per_batch : 2 * per_batch], spinner, level_rng, f"{tag}i")
            fresh_pages = [(d, render(d)) for d in fresh[0]]
            with_workers = ingest_with_workers_ms(pooled, fresh_pages) if args.workers else None
            fresh_floor = bare_extraction([html for _, html in fresh_pages])[0] / per_batch * 1000
            with sessions() as session:
                stored = session.scalar(select(func.count()).select_from(Article))
                rows = session.scalar(select(func.count()).select_from(LshBucket)) or 0
                pages, newest_share = band_index_pages(session)
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
            first_attribute = first_attribute_ms(url, copies[0])
            with sessions() as session, session.begin():
                for batch_tag in (tag, f"{tag}i"):
                    session.execute(
                        delete(Article).where(Article.url.like(f"%.example/{batch_tag}/%"))
                    )
            result["stored_levels"][str(level)] = {
                "stored_articles": stored,
                "bucket_rows": rows,
                "fill_seconds": round(fill_seconds, 1),
                "mean_words_per_doc": round(
                    statistics.mean(len(d.body.split()) for d in originals)
                ),
                "ms_per_doc_bare_trafilatura": round(floor, 2),
                "ms_per_original_doc_pipeline": round(original_cost.wall_ms, 2),
                "ms_per_copy_doc_pipeline": round(copy_cost.wall_ms, 2),
                "cpu_ms_per_original_doc_pipeline": round(original_cost.cpu_ms, 2),
                "cpu_ms_per_copy_doc_pipeline": round(copy_cost.cpu_ms, 2),
                # wall time a page, ingest workers extracting side by side (None: no workers)
                "ms_per_original_doc_ingest_with_workers": with_workers and round(with_workers, 2),
                # the throughput figure at this size: docs/s against bare extraction's
                "ingest_with_workers_throughput_ratio_to_bare": with_workers
                and round(fresh_floor / with_workers, 3),
                "ms_per_original_doc_match_store": round(original_cost.index_stages_ms, 2),
                "ms_per_copy_doc_match_store": round(copy_cost.index_stages_ms, 2),
                # where the index stages' time goes, for the originals: lookup (and reading
                # candidates), inserts and commits, the checkpoint after the batch
                "ms_per_original_doc_match_store_write_back": [
                    round(original_cost.match_ms, 2),
                    round(original_cost.store_ms, 2),
                    round(original_cost.write_back_ms, 2),
                ],
                "band_index_pages": pages,
                "band_index_newest_epoch_share": round(newest_share, 3),
                # what the checkpoint after the 200 originals writes back of the band index,
                # modelled (see pages_touched): of the newest epoch, where their rows go
                "modelled_index_pages_written_back_per_original_doc": round(
                    pages_touched(per_batch * ROWS_PER_ARTICLE, pages * newest_share) / per_batch,
                    1,
                ),
                "copies_paired": f"{copy_cost.pairs}/{len(copies)}",
                "attribute_ms_median": round(statistics.median(latencies) * 1000, 2),
                "attribute_ms_p90": round(statistics.quantiles(latencies, n=10)[-1] * 1000, 2),
                "attribute_ms_max": round(max(latencies) * 1000, 2),
                # a process's first: it loads the sealed epochs' filters too
                "attribute_ms_first_in_new_engine": round(first_attribute, 2),
                "attribute_found_original": f"{found}/{len(latencies)}",
            }
        with sessions() as session:
            buckets = [rng.getrandbits(63) for _ in range(105)]
            plan = candidate_plan(session, buckets, 50, 2)
            # PostgreSQL spells out the 105 bucket values; they say nothing about the plan
            result["candidate_query_plan"] = [
                re.sub(r"'\{[^}]*\}'", "'{...}'", line) for line in plan
            ]
        engine.dispose()
    measured = list(result["stored_levels"].values())
    for previous, level in pairwise(measured):
        for doc in ("copy", "original"):
            key = f"ms_per_{doc}_doc_pipeline"
            level[f"{doc}_pipeline_cost_ratio_vs_previous_level"] = round(
                level[key] / previous[key], 3
            )
    low, high = measured[0], measured[-1]
    result["crawl_model_index_pages_written_back_per_article"] = crawl_write_back_model(
        high["bucket_rows"] / high["band_index_pages"]
    )
    for doc in ("copy", "original"):
        for what in ("pipeline", "match_store"):
            key = f"ms_per_{doc}_doc_{what}"
            result[f"{doc}_{what}_cost_ratio_high_vs_10k"] = round(high[key] / low[key], 3)
        key = f"cpu_ms_per_{doc}_doc_pipeline"
        result[f"{doc}_pipeline_cpu_ratio_high_vs_10k"] = round(high[key] / low[key], 3)
    if args.workers:
        key = "ms_per_original_doc_ingest_with_workers"
        result["original_ingest_with_workers_cost_ratio_high_vs_10k"] = round(
            high[key] / low[key], 3
        )
    return result


def run_interleaved(
    args: argparse.Namespace, rounds: int = 16, per_round: int = 25
) -> dict[str, Any]:
    """Per-document cost at 10k and at the largest ``--scale`` level, measured by turns.

    Two databases, one filled to each size, take turns: each round sends the same real
    articles (but for their URLs) and then their 30 %-spun copies through a chain on each, in
    alternating order, each batch paying for writing its pages back. The host's drift, a
    fifth within minutes on a shared machine, then falls on both sizes alike, which the
    levels measured one after the other (the default) cannot promise.
    """
    rng = random.Random(args.seed)
    articles = read_articles(args.data_dir)
    rng.shuffle(articles)
    spinner = Spinner(load_thesaurus(args.thesaurus))
    render = page_renderer(articles, args.thin, rng)
    sizes = (BASE_LEVEL, max(args.scale))
    spent: dict[int, dict[str, list[float]]] = {size: {} for size in sizes}
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        chains: dict[int, PipelineChain] = {}
        for size in sizes:
            url = stack.enter_context(scratch_database(args.database, tmp, f"turns{size}"))
            engine, sessions = open_database(url)
            stack.callback(engine.dispose)
            fill(sessions, size, rng)
            chains[size] = PipelineChain(sessions, standalone_stats())
            # untimed: first calls, and the page cache the fill emptied
            for batch in make_batch(articles[-100:], spinner, rng, f"w{size}"):
                ingest_batch(chains[size], batch, render, settle=True)
        for turn in range(rounds):
            chunk = articles[turn * per_round : (turn + 1) * per_round]
            order = sizes if turn % 2 == 0 else sizes[::-1]
            for size in order:
                level_rng = random.Random(args.seed + turn)
                level_render = page_renderer(articles, args.thin, level_rng)
                originals, copies = make_batch(chunk, spinner, level_rng, f"t{turn}s{size}")
                for kind, docs in (("original", originals), ("copy", copies)):
                    cost = ingest_batch(chains[size], docs, level_render)
                    spent[size].setdefault(f"{kind}_pipeline", []).append(cost.wall_ms)
                    spent[size].setdefault(f"{kind}_match_store", []).append(cost.index_stages_ms)
                spent[size].setdefault("bare_trafilatura", []).append(
                    bare_extraction_ms(originals, level_render)
                )
    low, high = (spent[size] for size in sizes)
    result: dict[str, Any] = {"sizes": list(sizes), "rounds": rounds, "per_round": per_round}
    for key in low:
        result[f"ms_per_doc_{key}"] = [round(statistics.mean(spent[s][key]), 2) for s in sizes]
        result[f"{key}_ratio_high_vs_10k"] = round(
            statistics.mean(high[key]) / statistics.mean(low[key]), 3
        )
        turns = sorted(h / lo for h, lo in zip(high[key], low[key], strict=True))
        result[f"{key}_ratio_by_round_quartiles"] = [
            round(q, 3) for q in statistics.quantiles(turns, n=4)
        ]
    return result
