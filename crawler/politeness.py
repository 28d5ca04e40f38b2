"""Politeness beyond Scrapy's defaults: one download slot per site, robots.txt ``Crawl-delay``,
and ``Retry-After`` on ``429`` / ``503``.

* :class:`SiteSlotMiddleware` puts every request of one origin (scheme, host, port) in one
  download slot, so ``CONCURRENT_REQUESTS_PER_DOMAIN``, AutoThrottle and the delays below apply
  per site (Scrapy's default slot is the host name, which lumps sites on one host together).
* :class:`CrawlDelayMiddleware` reads ``Crawl-delay`` from every robots.txt that passes through
  (Scrapy's parser, Protego) and keeps that site's download delay at or above it, also after
  AutoThrottle adjusts it.
* :class:`RetryAfterMiddleware` sees a ``429``/``503`` before the retry middleware does: it holds
  the whole site back for ``Retry-After`` seconds (capped by ``CRAWL_RETRY_AFTER_MAX``); the
  retry middleware then retries as usual. A longer wait than the cap is not retried: the
  request fails (and the run is reported partial) rather than hammer a site that asked for rest.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from time import monotonic
from typing import Any, Self
from urllib.parse import urlsplit

from protego import Protego
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


def slot_key(url: str) -> str:
    """Return the download slot of a URL: its origin (so one site is one slot)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def parse_retry_after(value: str, now: datetime | None = None) -> float | None:
    """Return the wait a ``Retry-After`` value asks for, in seconds (None if unreadable).

    It is either a number of seconds or an HTTP date.
    """
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _slots(crawler: Crawler) -> dict[str, Any]:
    engine = crawler.engine
    return engine.downloader.slots if engine is not None else {}


class SiteSlotMiddleware:
    """Downloader middleware: one download slot per origin."""

    def process_request(self, request: Request) -> None:
        """Set ``download_slot`` to the request's origin unless something chose one."""
        request.meta.setdefault("download_slot", slot_key(request.url))


class CrawlDelayMiddleware:
    """Downloader middleware: apply robots.txt ``Crawl-delay`` as the site's minimum delay."""

    def __init__(self, crawler: Crawler, user_agent: str, max_delay: float) -> None:
        self.crawler = crawler
        self.user_agent = user_agent
        self.max_delay = max_delay
        self.floors: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Read the user agent robots.txt rules are matched against, and the delay cap."""
        settings = crawler.settings
        user_agent = settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT")
        middleware = cls(crawler, str(user_agent), settings.getfloat("CRAWL_MAX_CRAWL_DELAY"))
        # Connected after AutoThrottle's handler, so ours has the last word on the delay.
        crawler.signals.connect(middleware.response_downloaded, signal=signals.response_downloaded)
        return middleware

    def process_response(self, request: Request, response: Response) -> Response:
        """Learn the crawl delay of a site from its robots.txt."""
        if response.status == 200 and urlsplit(response.url).path == "/robots.txt":
            try:
                rules = Protego.parse(response.body.decode("utf-8", "replace"))
                delay = rules.crawl_delay(self.user_agent)
            except Exception:  # a broken robots.txt has no usable delay
                delay = None
            if delay:
                key = request.meta.get("download_slot") or slot_key(request.url)
                floor = min(float(delay), self.max_delay)
                self.floors[key] = floor
                logger.info("%s: robots.txt asks for %.1f s between requests", key, floor)
                self._apply(key)
        return response

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        """Put the delay back up to the floor if AutoThrottle just lowered it."""
        key = request.meta.get("download_slot")
        if key in self.floors:
            self._apply(key)

    def _apply(self, key: str) -> None:
        slot = _slots(self.crawler).get(key)
        if slot is not None and slot.delay < self.floors[key]:
            slot.delay = self.floors[key]

    def delay_for(self, key: str) -> float | None:
        """Return the crawl delay learnt for a slot (None if robots.txt set none)."""
        return self.floors.get(key)


class RetryAfterMiddleware:
    """Downloader middleware: honour ``Retry-After`` on ``429`` and ``503`` for the whole site."""

    STATUSES = (429, 503)

    def __init__(self, crawler: Crawler, stats: StatsCollector, max_wait: float) -> None:
        self.crawler = crawler
        self.stats = stats
        self.max_wait = max_wait

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Read ``CRAWL_RETRY_AFTER_MAX`` (the longest wait honoured by retrying)."""
        assert crawler.stats is not None
        return cls(crawler, crawler.stats, crawler.settings.getfloat("CRAWL_RETRY_AFTER_MAX"))

    def process_response(self, request: Request, response: Response) -> Response:
        """Hold the site back for the requested time, then let the retry middleware retry."""
        if response.status not in self.STATUSES:
            return response
        header = response.headers.get(b"Retry-After")
        if not header:
            return response
        wait = parse_retry_after(header.decode("latin-1"))
        if wait is None:
            return response
        self.stats.inc_value("crawl/retry_after")
        if wait > self.max_wait:
            logger.warning(
                "%s asks to wait %.0f s (more than CRAWL_RETRY_AFTER_MAX): not retried",
                request.url,
                wait,
            )
            self.stats.inc_value("crawl/retry_after_too_long")
            request.meta["dont_retry"] = True
            return response
        key = request.meta.get("download_slot") or slot_key(request.url)
        slot = _slots(self.crawler).get(key)
        if slot is not None:
            # The slot sends nothing before lastseen + delay: both push the next request (the
            # retry included) at least `wait` seconds out; AutoThrottle brings the delay down
            # again as answers come back healthy.
            slot.delay = max(slot.delay, wait)
            slot.lastseen = max(slot.lastseen, monotonic() + wait)
        logger.info(
            "%s: %d with Retry-After %.1f s, holding the site back", key, response.status, wait
        )
        return response
