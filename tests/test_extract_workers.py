"""Extraction in worker processes gives exactly what in-process extraction gives."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import signal
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from copycat.urls import origin_of
from crawler.items import ArticleItem
from pipelines.extract import ExtractPipeline
from pipelines.fingerprint import FingerprintConfig, fingerprint_text
from tests.corpus import build_corpus

FETCHED = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
SHORT_PAGE = "<html><head><title>Hi</title></head><body><p>Too short.</p></body></html>"


def _items() -> list[ArticleItem]:
    """HTML and text records from the generated corpus, plus pages that are not articles."""
    items = []
    for record in build_corpus(24).records:
        html = record.get("html")
        text = record.get("text")
        items.append(
            ArticleItem(
                url=str(record["url"]),
                site=origin_of(str(record["url"])),
                fetched_at=FETCHED,
                html=html if isinstance(html, str) else None,
                text=text if isinstance(text, str) and not isinstance(html, str) else None,
                content_type="text/html; charset=utf-8" if isinstance(html, str) else None,
                title_hint=str(record.get("title") or "") or None,
            )
        )
    base = items[0]
    items.append(replace(base, url=base.url + "short/", html=SHORT_PAGE, text=None))
    items.append(replace(base, url=base.url + "pdf/", content_type="application/pdf", text=None))
    items.append(replace(base, url=base.url + "binary/", html="\x00\x01\x02" * 400, text=None))
    return items


async def _run_all(pipeline: ExtractPipeline, items: list[ArticleItem]) -> list[object]:
    """Run every item through ``process_item`` concurrently; DropItem messages in place."""

    async def one(item: ArticleItem) -> object:
        try:
            return await pipeline.process_item(item)
        except DropItem as drop:
            # DroppedPageRecorder reads the reason from the cause
            return f"{drop} / {getattr(drop.__cause__, 'reason', None)}"

    return list(await asyncio.gather(*(one(item) for item in items)))


def _outcomes(results: list[object]) -> list[object]:
    return [r.article if isinstance(r, ArticleItem) else r for r in results]


def _stats_without_timing(pipeline: ExtractPipeline) -> dict[str, object]:
    assert pipeline.stats is not None
    return {
        k: v
        for k, v in pipeline.stats.get_stats().items()
        if not k.endswith("seconds") and k != "extract/max_in_flight"
    }


def test_worker_processes_give_the_same_items_as_in_process() -> None:
    in_process = ExtractPipeline.from_crawler(get_crawler(settings_dict={"EXTRACT_WORKERS": 0}))
    pooled = ExtractPipeline.from_crawler(get_crawler(settings_dict={"EXTRACT_WORKERS": 2}))
    assert (in_process.workers, pooled.workers) == (0, 2)
    pooled.open_spider()
    try:
        assert pooled.pool is not None and pooled.pool.running
        expected = asyncio.run(_run_all(in_process, _items()))
        got = asyncio.run(_run_all(pooled, _items()))
    finally:
        pooled.close_spider()
    assert not pooled.pool.running
    assert _outcomes(got) == _outcomes(expected)
    drops = sorted(r.rsplit(" / ", 1)[1] for r in got if isinstance(r, str))
    assert drops == ["binary", "not_html", "too_short"]
    assert _stats_without_timing(pooled) == _stats_without_timing(in_process)
    # workers fingerprint what they extract, exactly as the fingerprint stage would
    from_workers = [r for r in got if isinstance(r, ArticleItem) and r.html is not None]
    assert from_workers
    for item in from_workers:
        assert item.article is not None
        assert item.fingerprint == fingerprint_text(item.article.text)
    assert pooled.stats is not None
    # the workers' time is counted, each stage's apart
    for timer in ("extract/seconds", "extract/cpu_seconds", "fingerprint/cpu_seconds"):
        assert pooled.stats.get_value(timer) > 0, timer
    # the synchronous path (copycat ingest) agrees too
    sync = [in_process.extract_item(item) for item in _items()[:5]]
    assert [s.article for s in sync] == _outcomes(expected)[:5]


def test_extract_workers_defaults_to_the_cpu_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pipelines.extract.os.cpu_count", lambda: 3)
    assert ExtractPipeline.from_crawler(get_crawler()).workers == 3
    from crawler import settings

    assert settings.EXTRACT_WORKERS >= 1
    json.dumps(settings.EXTRACT_WORKERS)  # a plain value, overridable with -s


def test_a_dead_worker_drops_its_page_and_a_new_pool_takes_over() -> None:
    pipeline = ExtractPipeline(min_chars=500, workers=1)
    pages = [item for item in _items() if item.html is not None and item.content_type][:3]
    pipeline.open_spider()

    async def scenario() -> ArticleItem:
        await pipeline.process_item(pages[0])  # the worker is up
        for child in multiprocessing.active_children():
            assert child.pid is not None  # started
            os.kill(child.pid, signal.SIGKILL)  # as the kernel's OOM killer would
        with pytest.raises(DropItem, match="worker_crashed") as dropped:
            await pipeline.process_item(pages[1])
        # a crash says nothing about the page: it is not remembered as a non-article
        assert getattr(dropped.value.__cause__, "reason", None) is None
        return await pipeline.process_item(pages[2])

    try:
        assert asyncio.run(scenario()).article is not None
    finally:
        pipeline.close_spider()


def test_pages_handed_over_as_one_job_give_what_one_page_a_job_gives() -> None:
    """``copycat ingest`` hands a worker several pages a job (extracted, then fingerprinted,
    in a row): each page's answer, refusals too, is the one it gets alone."""
    in_process = ExtractPipeline(min_chars=500, workers=0)
    pooled = ExtractPipeline(min_chars=500, workers=1, fingerprint=FingerprintConfig())
    items = [item for item in _items() if item.html is not None]
    expected: list[object] = []
    for item in items:
        try:
            expected.append(in_process.extract_item(item).article)
        except DropItem as drop:
            expected.append(str(drop))
    pooled.open_spider()
    try:
        answers = pooled.submit_pages([pooled.page_job(item) for item in items])
        got: list[object] = []
        for item, answer in zip(items, answers, strict=True):
            try:
                done = pooled.from_worker(item, answer.result())
            except DropItem as drop:
                got.append(str(drop))
                continue
            assert done.article is not None
            assert done.fingerprint == fingerprint_text(done.article.text)
            got.append(done.article)
    finally:
        pooled.close_spider()
    assert got == expected and len(got) >= 8
    assert sum(isinstance(g, str) for g in got) == 2  # the short page and the binary one
