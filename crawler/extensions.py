"""Crawl-level extensions: the run record in the database, per-site counters, progress lines.

Per-site counters are ordinary stats named ``site/<origin>/<counter>`` (pages_fetched,
articles_new, articles_updated, articles_unchanged, pairs_found, dropped/<reason>,
errors/<type>, not_modified, refetch_updated, sites_locked, budget_exhausted …); the run record
keeps them with the others and :func:`per_site_counts` regroups them by site.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector
from sqlalchemy.orm import Session, sessionmaker
from twisted.internet import task

from copycat.db import open_database, session_scope
from copycat.locks import mark_interrupted_runs, new_owner
from copycat.models import CrawlRun, utcnow
from copycat.urls import canonicalise, origin_of
from crawler.items import ArticleItem
from pipelines.store import record_dropped_page

logger = logging.getLogger(__name__)


def _plain(value: Any) -> Any:
    """Make a stats value JSON-friendly (datetimes become ISO strings)."""
    return value.isoformat() if isinstance(value, datetime) else value


def run_status(stats: dict[str, Any]) -> str:
    """Sum up a finished run: ``finished``, ``partial`` (some requests failed) or ``failed``.

    A run that did not end normally, or whose requests all failed (every site down, the
    network gone), failed; one where only some failed (a site down) is partial.
    """
    reason = stats.get("finish_reason", "finished")
    if reason != "finished":
        return "failed"
    errors = sum(v for k, v in stats.items() if k.startswith("crawl/errors/"))
    if not errors:
        return "finished"
    return "partial" if stats.get("response_received_count", 0) else "failed"


def _site_of_key(key: str) -> tuple[str, str] | None:
    """Split ``site/<origin>/<counter>`` into (origin, counter)."""
    if not key.startswith("site/"):
        return None
    rest = key[5:]
    scheme_end = rest.find("://")
    if scheme_end < 0:
        return None
    slash = rest.find("/", scheme_end + 3)
    if slash < 0:
        return None
    return rest[:slash], rest[slash + 1 :]


def per_site_counts(stats: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Regroup a run's ``site/<origin>/…`` counters by site.

    Each site gets ``pages_fetched``, ``articles_new``, ``articles_updated``, ``pairs_found``
    and ``not_modified`` (0 when absent), ``dropped`` and ``errors`` (reason → count), and any
    other counter under its own name.
    """
    sites: dict[str, dict[str, Any]] = {}
    for key, value in stats.items():
        split = _site_of_key(key)
        if split is None:
            continue
        origin, name = split
        counts = sites.setdefault(
            origin,
            {
                "pages_fetched": 0,
                "articles_new": 0,
                "articles_updated": 0,
                "pairs_found": 0,
                "not_modified": 0,
                "dropped": {},
                "errors": {},
            },
        )
        group, _, reason = name.partition("/")
        if group in ("dropped", "errors") and reason:
            counts[group][reason] = counts[group].get(reason, 0) + value
        else:
            counts[name] = value
    return dict(sorted(sites.items()))


class CrawlRunRecorder:
    """Record each run (start, end, sites, counters) in the ``crawl_runs`` table.

    The row says who runs it and is renewed every ``CRAWL_LOCK_HEARTBEAT`` seconds, so that the
    next run can tell a run that was killed (still "running", owner gone) and mark it
    "interrupted".
    """

    def __init__(
        self, sessions: sessionmaker[Session], stats: StatsCollector, heartbeat: float, ttl: float
    ) -> None:
        self.sessions = sessions
        self.stats = stats
        self.heartbeat = heartbeat
        self.ttl = ttl
        self.owner = new_owner()
        self.run_id: int | None = None
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Open the configured database and connect to the spider's signals."""
        _, sessions = open_database(crawler.settings.get("COPYCAT_DATABASE_URL"))
        assert crawler.stats is not None
        extension = cls(
            sessions,
            crawler.stats,
            crawler.settings.getfloat("CRAWL_LOCK_HEARTBEAT"),
            crawler.settings.getfloat("CRAWL_LOCK_TTL"),
        )
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        """Mark runs that died as interrupted, then insert this run's row."""
        sites = sorted(getattr(spider, "site_states", {}))
        with session_scope(self.sessions) as session:
            for run_id in mark_interrupted_runs(session, self.ttl):
                logger.warning("run #%d stopped without finishing: marked interrupted", run_id)
            now = utcnow()
            run = CrawlRun(
                started_at=now, sites=sites, status="running", owner=self.owner, heartbeat_at=now
            )
            session.add(run)
            session.flush()
            self.run_id = run.id
        self.stats.set_value("copycat/run_id", self.run_id)
        self.loop = task.LoopingCall(self._beat)
        self.loop.start(self.heartbeat, now=False)

    def _beat(self) -> None:
        try:
            with session_scope(self.sessions) as session:
                run = session.get(CrawlRun, self.run_id)
                if run is not None:
                    run.heartbeat_at = utcnow()
        except Exception:  # a missed beat is harmless; the next one retries
            logger.exception("could not renew the run's heartbeat")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Store the run's end, status and counters (per site too)."""
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.run_id is None:
            return
        stats = {key: _plain(value) for key, value in self.stats.get_stats().items()}
        stats.setdefault("finish_reason", reason)
        # The sites actually crawled: those another run held were dropped at start.
        stats["copycat/sites_skipped"] = list(getattr(spider, "skipped_sites", []))
        with session_scope(self.sessions) as session:
            run = session.get(CrawlRun, self.run_id)
            if run is not None:
                run.finished_at = datetime.now(UTC)
                run.heartbeat_at = run.finished_at
                run.status = run_status(stats)
                run.stats = stats


class SiteCounters:
    """Count per site what the run record shows: pages fetched, articles new/updated, pairs."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Listen for responses, stored items and item errors."""
        assert crawler.stats is not None
        extension = cls(crawler.stats)
        crawler.signals.connect(extension.response_received, signal=signals.response_received)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(extension.item_error, signal=signals.item_error)
        return extension

    def response_received(self, response: Any, request: Any, spider: Spider) -> None:
        """Count a page fetched for its site."""
        site = request.meta.get("site")
        if site is None:
            try:
                site = origin_of(response.url)
            except ValueError:
                return
        self.stats.inc_value(f"site/{site}/pages_fetched")

    def item_scraped(self, item: Any, response: Any, spider: Spider) -> None:
        """Count a stored article as new, updated or unchanged, and its pairs."""
        if not isinstance(item, ArticleItem):
            return
        outcome = item.extra.get("stored")
        if outcome:
            self.stats.inc_value(f"site/{item.site}/articles_{outcome}")
        self.stats.inc_value(f"site/{item.site}/pairs_found", len(item.matches))

    def item_error(self, item: Any, response: Any, spider: Spider, failure: Any) -> None:
        """Count an item a pipeline failed on as an error of its site."""
        if isinstance(item, ArticleItem):
            self.stats.inc_value(f"site/{item.site}/errors/item_error")


class DroppedPageRecorder:
    """Remember pages the extract stage refused, so later runs do not fetch them again."""

    def __init__(self, sessions: sessionmaker[Session], stats: StatsCollector) -> None:
        self.sessions = sessions
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Open the configured database and listen for dropped items."""
        _, sessions = open_database(crawler.settings.get("COPYCAT_DATABASE_URL"))
        assert crawler.stats is not None
        extension = cls(sessions, crawler.stats)
        crawler.signals.connect(extension.item_dropped, signal=signals.item_dropped)
        return extension

    def item_dropped(self, item: Any, response: Any, exception: BaseException, spider: Any) -> None:
        """Record a page that is not an article (only extraction's refusals, with their reason)."""
        reason = getattr(exception.__cause__, "reason", None)
        if not isinstance(item, ArticleItem) or reason is None:
            return
        self.stats.inc_value(f"site/{item.site}/dropped/{reason}")
        with session_scope(self.sessions) as session:
            record_dropped_page(session, item.site, canonicalise(item.url), reason)


class ProgressReporter:
    """Print one updating line of progress to stderr: pages fetched, articles stored, pairs."""

    def __init__(self, stats: StatsCollector, interval: float) -> None:
        self.stats = stats
        self.interval = interval
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Enabled by ``COPYCAT_PROGRESS`` (``copycat crawl`` sets it on a terminal)."""
        if not crawler.settings.getbool("COPYCAT_PROGRESS"):
            raise NotConfigured
        assert crawler.stats is not None
        extension = cls(crawler.stats, crawler.settings.getfloat("COPYCAT_PROGRESS_INTERVAL"))
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def line(self) -> str:
        """Return the progress line for the current counters."""
        get = self.stats.get_value
        return (
            f"pages fetched {get('response_received_count', 0)} · "
            f"articles stored {get('store/articles', 0)} · "
            f"pairs found {get('store/pairs', 0)}"
        )

    def spider_opened(self, spider: Spider) -> None:
        """Start the periodic line."""
        self.loop = task.LoopingCall(self._print)
        self.loop.start(self.interval, now=False)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Stop the line and end it with a newline."""
        if self.loop is not None and self.loop.running:
            self.loop.stop()
            self._print()
            sys.stderr.write("\n")

    def _print(self) -> None:
        sys.stderr.write("\r" + self.line())
        sys.stderr.flush()
