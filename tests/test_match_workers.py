"""Verification in worker processes finds exactly the pairs in-process matching finds."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from scrapy.utils.test import get_crawler
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from copycat.db import open_database, session_scope
from copycat.ingest import PipelineChain, parse_record, standalone_stats
from copycat.models import Article, ArticleProfile, Match
from crawler.items import ArticleItem
from pipelines.align import clear_profiles, is_profiled, load_profile
from pipelines.extract import ExtractPipeline
from pipelines.match import (
    DocumentView,
    MatchConfig,
    MatchPipeline,
    WorkerMatch,
    _match_stored,
    views_by_id,
)
from pipelines.recheck import recheck_stored
from pipelines.workers import WorkerPool
from tests.corpus import build_corpus

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def _prepared(chain: PipelineChain, record: dict[str, object]) -> ArticleItem:
    """Extract and fingerprint one corpus record: an item ready for the match stage."""
    item = chain.extract.extract_item(parse_record(json.dumps(record), NOW))
    return chain.fingerprint.process_item(item)


def _slow_match_stored(
    database_url: str, new: DocumentView, buckets: Sequence[int], config: MatchConfig
) -> WorkerMatch:
    """The worker's job, then a pause until the test has stored an article: that article
    comes after the lookup, however slow the host (a fixed sleep raced a slow worker start)."""
    answer = _match_stored(database_url, new, buckets, config)
    looked, stored = _race_markers(database_url)
    looked.touch()
    _wait_for(stored)
    return answer


def _race_markers(database_url: str) -> tuple[Path, Path]:
    """Files beside the test's SQLite database: the worker has looked up; the test has stored."""
    database = Path(str(make_url(database_url).database))
    return database.with_suffix(".looked"), database.with_suffix(".stored")


def _wait_for(marker: Path, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{marker} never appeared")
        time.sleep(0.01)


def _blind_match_stored(
    database_url: str, new: DocumentView, buckets: Sequence[int], config: MatchConfig
) -> WorkerMatch:
    """The worker's job, blind to the newest article although its watermark covers it.

    That is what a worker sees when a lower id commits after a higher one (several writers
    on PostgreSQL): the row is not visible yet, the watermark already counts it.
    """
    answer = _match_stored(database_url, new, buckets, config)
    watermark = answer.watermark
    return dataclasses.replace(
        answer,
        verdicts=[v for v in answer.verdicts if v.other_id != watermark],
        seen=[i for i in answer.seen if i != watermark],
    )


def _pairs(item: ArticleItem) -> set[tuple[str, bool, str]]:
    return {(v.other_url, v.new_is_copy, v.kind) for v in item.matches}


def test_worker_verification_agrees_with_in_process_and_catches_what_lands_meanwhile(
    sqlite_url: str,
) -> None:
    corpus = build_corpus(60)
    by_url = {str(r["url"]): r for r in corpus.records}
    copy_url, original_url = next(iter(corpus.expected.items()))
    others = [r for r in corpus.records if str(r["url"]) not in (copy_url, original_url)]

    _, sessions = open_database(sqlite_url)
    chain = PipelineChain(sessions, standalone_stats())
    for record in others:
        try:
            chain.process(parse_record(json.dumps(record), NOW))
        except Exception:  # pages the extract stage refuses are not the point here
            continue

    pool = WorkerPool(1, "verification")
    pooled = MatchPipeline(sessions, stats=standalone_stats(), pool=pool)
    racing = MatchPipeline(
        sessions, stats=standalone_stats(), pool=pool, worker_job=_slow_match_stored
    )
    blind = MatchPipeline(
        sessions, stats=standalone_stats(), pool=pool, worker_job=_blind_match_stored
    )
    try:
        # 1. Against what is stored, the worker's verdicts are the in-process ones.
        for record in others[:12]:
            item = _prepared(chain, record)
            expected = _pairs(chain.match.match_item(item))
            item.matches = []
            assert _pairs(asyncio.run(pooled.process_item(item))) == expected

        # 2. The original is stored while the copy waits for its worker, after the worker
        # looked the copy's candidates up: the check after the wait must catch it.
        copy_item = _prepared(chain, by_url[copy_url])
        original_item = _prepared(chain, by_url[original_url])

        looked, stored = _race_markers(sqlite_url)

        async def race() -> ArticleItem:
            pending = asyncio.ensure_future(racing.process_item(copy_item))
            # the worker has looked the candidates up and waits (or failed: no hang then)
            while not looked.exists() and not pending.done():
                await asyncio.sleep(0.01)
            assert not pending.done()
            chain.store.process_item(chain.match.match_item(original_item))
            stored.touch()
            return await pending

        matched = asyncio.run(race())

        # 3. The worker did not see the original, stored last, though its watermark counts
        # it: the reactor thread's lookup, which reaches below the watermark, must find it.
        unseen = asyncio.run(blind.process_item(_prepared(chain, by_url[copy_url])))
    finally:
        pool.close()
    assert blind.stats is not None and blind.stats.get_value("match/late_candidates", 0) >= 1
    assert any(v.other_url.rstrip("/") == original_url.rstrip("/") for v in unseen.matches)
    stored_url = {v.other_url for v in matched.matches}
    assert any(url.rstrip("/") == original_url.rstrip("/") for url in stored_url), stored_url
    assert racing.stats is not None and pooled.stats is not None
    assert racing.stats.get_value("match/late_candidates", 0) >= 1
    assert pooled.stats.get_value("match/worker_seconds", 0) > 0


def test_a_profile_made_by_one_process_is_loaded_by_the_next(sqlite_url: str) -> None:
    corpus = build_corpus(30)
    by_url = {str(r["url"]): r for r in corpus.records}
    _, sessions = open_database(sqlite_url)
    chain = PipelineChain(sessions, standalone_stats())
    for record in corpus.records:
        try:
            chain.process(parse_record(json.dumps(record), NOW))
        except Exception:  # pages the extract stage refuses are not the point here
            continue
    with sessions() as session:
        rows = session.execute(select(ArticleProfile.article_id, ArticleProfile.data)).all()
        stored = {article_id: data for article_id, data in rows}
        articles = session.scalar(select(func.count()).select_from(Article)) or 0
        texts = {i: text for i, text in session.execute(select(Article.id, Article.text))}
    # Profiles are kept when matching made them (an article with candidates), not for all.
    assert 0 < len(stored) < articles
    assert all(load_profile(texts[i], data) is not None for i, data in stored.items())

    clear_profiles()  # a new process: its cache is empty, the database has the profiles
    with sessions() as session:
        views = views_by_id(session, list(stored), exclude_site_origin="")
    assert len(views) == len(stored) and all(is_profiled(view.text) for view in views)

    # A worker's answer carries the profile it made, for the store stage to keep.
    copy_url, _ = next(iter(corpus.expected.items()))
    pool = WorkerPool(1, "verification")
    try:
        pooled = MatchPipeline(sessions, stats=standalone_stats(), pool=pool)
        item = asyncio.run(pooled.process_item(_prepared(chain, by_url[copy_url])))
    finally:
        pool.close()
    assert item.matches and item.alignment_profile is not None
    assert item.article is not None
    clear_profiles()
    assert load_profile(item.article.text, item.alignment_profile) is not None


def test_the_stages_share_one_worker_pool_per_crawl(tmp_path: Path) -> None:
    database = {"COPYCAT_DATABASE_URL": f"sqlite:///{tmp_path}/pool.db"}
    crawler = get_crawler(settings_dict={**database, "EXTRACT_WORKERS": 2})
    extract = ExtractPipeline.from_crawler(crawler)
    match = MatchPipeline.from_crawler(crawler)
    assert extract.pool is not None and extract.pool is match.pool
    assert extract.pool.workers == 2
    in_process = get_crawler(
        settings_dict={**database, "EXTRACT_WORKERS": 2, "MATCH_IN_WORKERS": False}
    )
    assert MatchPipeline.from_crawler(in_process).pool is None
    assert (
        ExtractPipeline.from_crawler(get_crawler(settings_dict={"EXTRACT_WORKERS": 0})).pool is None
    )


def test_the_recheck_after_storing_pairs_what_landed_while_an_article_was_matched(
    sqlite_url: str,
) -> None:
    corpus = build_corpus(40)
    by_url = {str(r["url"]): r for r in corpus.records}
    copy_url, original_url = next(iter(corpus.expected.items()))
    _, sessions = open_database(sqlite_url)
    chain = PipelineChain(sessions, standalone_stats())
    # The copy is matched while the original is not yet committed (another writer's): no pair.
    copy_item = chain.match.match_item(_prepared(chain, by_url[copy_url]))
    assert not copy_item.matches
    chain.store.process_item(chain.match.match_item(_prepared(chain, by_url[original_url])))
    chain.store.process_item(copy_item)
    # Looking again after the commit finds the original, and stores the pair.
    with session_scope(sessions) as session:
        found = recheck_stored(session, copy_item)
    assert [v.other_url.rstrip("/") for v in found] == [original_url.rstrip("/")]
    with session_scope(sessions) as session:
        assert session.scalar(select(func.count()).select_from(Match)) == 1
        # nothing new to meet the second time
        copy_item.matches = found
        assert recheck_stored(session, copy_item) == []
