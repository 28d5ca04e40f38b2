"""The politeness middlewares on their own: Retry-After on 429/503, Crawl-delay as a floor."""

from __future__ import annotations

from time import monotonic
from types import SimpleNamespace

import pytest
from scrapy import Request
from scrapy.core.downloader import Slot
from scrapy.http import Response
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from crawler.politeness import (
    CrawlDelayMiddleware,
    RetryAfterMiddleware,
    SiteSlotMiddleware,
    slot_key,
)

ORIGIN = "http://news.example:8080"


def _crawler_with_slot(delay: float = 0.0) -> tuple[object, Slot]:
    slot = Slot(concurrency=4, delay=delay, jitter=0)
    crawler = SimpleNamespace(engine=SimpleNamespace(downloader=SimpleNamespace(slots={})))
    crawler.engine.downloader.slots[ORIGIN] = slot
    return crawler, slot


def _request(path: str = "/a") -> Request:
    request = Request(ORIGIN + path)
    SiteSlotMiddleware().process_request(request)
    return request


def test_every_request_of_a_site_shares_one_slot() -> None:
    assert _request().meta["download_slot"] == ORIGIN == slot_key(ORIGIN + "/b?x=1")
    assert slot_key("https://news.example/a") != slot_key("http://news.example/a")


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_holds_the_whole_site_back(status: int) -> None:
    crawler, slot = _crawler_with_slot()
    stats = MemoryStatsCollector(get_crawler())
    middleware = RetryAfterMiddleware(crawler, stats, max_wait=60)  # type: ignore[arg-type]
    request = _request()
    before = monotonic()
    response = Response(request.url, status=status, headers={"Retry-After": "2"})
    assert middleware.process_response(request, response) is response  # retried as usual
    assert slot.delay >= 2 and slot.lastseen >= before + 2
    assert not request.meta.get("dont_retry")
    assert stats.get_value("crawl/retry_after") == 1


def test_a_retry_after_beyond_the_cap_is_not_retried() -> None:
    crawler, slot = _crawler_with_slot()
    stats = MemoryStatsCollector(get_crawler())
    middleware = RetryAfterMiddleware(crawler, stats, max_wait=60)  # type: ignore[arg-type]
    request = _request()
    middleware.process_response(
        request, Response(request.url, status=429, headers={"Retry-After": "86400"})
    )
    assert request.meta["dont_retry"] is True
    assert slot.delay == 0
    assert stats.get_value("crawl/retry_after_too_long") == 1


def test_crawl_delay_is_a_floor_under_autothrottle() -> None:
    crawler, slot = _crawler_with_slot(delay=0.1)
    middleware = CrawlDelayMiddleware(crawler, "copycat/0.1", max_delay=10)  # type: ignore[arg-type]
    robots = _request("/robots.txt")
    body = b"User-agent: *\nCrawl-delay: 3\nDisallow: /private/\n"
    middleware.process_response(robots, Response(robots.url, body=body))
    assert middleware.delay_for(ORIGIN) == 3.0 and slot.delay == 3.0
    slot.delay = 0.5  # AutoThrottle lowered it after a quick answer
    page = _request()
    middleware.response_downloaded(Response(page.url), page, spider=None)  # type: ignore[arg-type]
    assert slot.delay == 3.0
    # A silly crawl delay is capped.
    capped = CrawlDelayMiddleware(crawler, "copycat/0.1", max_delay=10)  # type: ignore[arg-type]
    capped.process_response(
        robots, Response(robots.url, body=b"User-agent: *\nCrawl-delay: 86400\n")
    )
    assert capped.delay_for(ORIGIN) == 10.0
