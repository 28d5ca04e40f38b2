"""``copycat ingest`` with worker processes: the same articles and pairs, in input order, and no
page lost when a worker dies."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased, sessionmaker

from copycat import db
from copycat.ingest import (
    PAGES_PER_JOB,
    IngestResult,
    PipelineChain,
    _finished,
    _Job,
    ingest_lines,
    parse_record,
    standalone_stats,
)
from copycat.models import Article, Match
from crawler.items import ArticleItem
from pipelines.extract import MAX_TEXT_CHARS, WorkerExtraction
from pipelines.workers import BrokenProcessPool
from tests.corpus import build_corpus


def _pairs(sessions: sessionmaker[Session]) -> set[tuple[str, str, str, float, str]]:
    copy, original = aliased(Article), aliased(Article)
    with sessions() as session:
        rows = session.execute(
            select(copy.url, original.url, Match.kind, Match.score, Match.direction_rule)
            .join(copy, copy.id == Match.copy_id)
            .join(original, original.id == Match.original_id)
        )
        return {tuple(row) for row in rows}  # type: ignore[misc]


def _ingest(
    url: str, lines: list[str], workers: int, pages_per_job: int = 1
) -> tuple[IngestResult, PipelineChain]:
    engine, sessions = db.open_database(url)
    with PipelineChain(sessions, standalone_stats(), workers=workers) as chain:
        result = ingest_lines(lines, chain, pages_per_job=pages_per_job)
    engine.dispose()
    return result, chain


@pytest.mark.parametrize("pages_per_job", [1, PAGES_PER_JOB])
def test_workers_store_the_articles_and_pairs_an_in_process_ingest_does(
    tmp_path: Path, pages_per_job: int
) -> None:
    # text records (done in the ingest thread) and HTML pages (done in the workers, one or
    # several a job) mixed: matching must still see every article in input order
    lines = [json.dumps(record) for record in build_corpus(80, seed=47).records]
    here, _ = _ingest(f"sqlite:///{tmp_path / 'here.db'}", lines, workers=0)
    pooled, chain = _ingest(f"sqlite:///{tmp_path / 'pooled.db'}", lines, 2, pages_per_job)

    assert pooled.stored == here.stored == 80 and pooled.pairs == here.pairs > 10
    from_workers = chain.stats.get_value("fingerprint/by_extract_worker", 0)
    assert from_workers == sum('"html"' in line for line in lines) > 10
    assert chain.stats.get_value("extract/cpu_seconds") > 0  # the workers' time is counted
    assert chain.stats.get_value("fingerprint/cpu_seconds") > 0  # and their fingerprints'
    pairs = {
        name: _pairs(db.open_database(f"sqlite:///{tmp_path / name}.db")[1])
        for name in ("here", "pooled")
    }
    assert pairs["pooled"] == pairs["here"]
    assert chain.extract.pool is not None and not chain.extract.pool.running  # closed


def _long_page(paragraphs: int) -> str:
    body = "".join(
        f"<p>Paragraph {n} of a long report: the council met again on Tuesday and the vote on"
        f" item {n} was put off until the next session, members said.</p>"
        for n in range(paragraphs)
    )
    return f"<html><head><title>A long report</title></head><body><article>{body}</article></body>"


@pytest.mark.parametrize("pages_per_job", [1, 3])
def test_pages_lost_with_a_killed_worker_are_extracted_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, pages_per_job: int
) -> None:
    records = build_corpus(20, seed=53).records
    # a page that keeps a worker busy for a while: the kill finds it in flight
    # (nearly as long as an article may be: some 140 characters a paragraph)
    slow = {"url": "https://slow.example/long-report", "html": _long_page(MAX_TEXT_CHARS // 160)}
    lines = [json.dumps(r) for r in [*records[:5], slow, *records[5:]]]

    def killing_once_the_slow_page_is_in() -> Iterator[str]:
        for number, line in enumerate(lines):
            yield line
            # the slow page (line 5) went to a worker with line 6 at the latest: in a job of
            # three, with lines 3 and 6 (the HTML pages around it)
            if number == 6:
                time.sleep(0.05)  # (it takes ~0.3 s to extract)
                for child in multiprocessing.active_children():
                    assert child.pid is not None
                    os.kill(child.pid, signal.SIGKILL)  # as the kernel's OOM killer would

    engine, sessions = db.open_database(f"sqlite:///{tmp_path / 'killed.db'}")
    with (
        caplog.at_level(logging.WARNING, logger="copycat.ingest"),
        PipelineChain(sessions, standalone_stats(), workers=1) as chain,
    ):
        result = ingest_lines(
            killing_once_the_slow_page_is_in(), chain, pages_per_job=pages_per_job
        )
    assert "an extraction worker died" in caplog.text
    assert chain.stats.get_value("extract/dropped/worker_crashed") is None
    assert result.stored == len(lines)
    with sessions() as session:
        assert session.scalar(select(Article.id).where(Article.url == slow["url"])) is not None
    engine.dispose()


def _item(record: dict[str, object]) -> ArticleItem:
    return parse_record(json.dumps(record), datetime.now(UTC))


def _broken() -> Future[WorkerExtraction]:
    future: Future[WorkerExtraction] = Future()
    future.set_exception(BrokenProcessPool("a worker died"))
    return future


def test_a_page_lost_with_a_worker_is_tried_alone_and_dropped_if_it_kills_that_one_too(
    tmp_path: Path,
) -> None:
    records = [r for r in build_corpus(12, seed=59).records if "html" in r][:2]
    _, sessions = db.open_database(f"sqlite:///{tmp_path / 'alone.db'}")
    with PipelineChain(sessions, standalone_stats(), workers=1) as chain:
        # lost with a worker, never tried alone: extracted again in a fresh worker
        first = _item(records[0])
        window = deque([_Job(1, first, chain.extract.page_job(first), _broken())])
        again = _finished(chain, window)
        assert again is not None and again[0] == 1 and again[1].article is not None
        assert not window
        # lost when it was extracted alone: the page is the cause, and it is dropped
        second = _item(records[1])
        window = deque([_Job(2, second, chain.extract.page_job(second), _broken(), alone=True)])
        assert _finished(chain, window) is None and not window
    assert chain.stats.get_value("extract/dropped/worker_crashed") == 1
    assert chain.stats.get_value("extract/articles") == 1
