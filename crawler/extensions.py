"""Crawl-level extensions: the run record in the database, and progress lines on a terminal."""

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
from copycat.models import CrawlRun
from copycat.urls import canonicalise
from crawler.items import ArticleItem
from pipelines.store import record_dropped_page

logger = logging.getLogger(__name__)


def _plain(value: Any) -> Any:
    """Make a stats value JSON-friendly (datetimes become ISO strings)."""
    return value.isoformat() if isinstance(value, datetime) else value


def run_status(stats: dict[str, Any]) -> str:
    """Sum up a finished run: ``finished``, ``partial`` (some requests failed) or ``failed``."""
    reason = stats.get("finish_reason", "finished")
    if reason != "finished":
        return "failed"
    errors = sum(v for k, v in stats.items() if k.startswith("crawl/errors/"))
    return "partial" if errors else "finished"


class CrawlRunRecorder:
    """Record each run (start, end, sites, counters) in the ``crawl_runs`` table."""

    def __init__(self, sessions: sessionmaker[Session], stats: StatsCollector) -> None:
        self.sessions = sessions
        self.stats = stats
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Open the configured database and connect to the spider's signals."""
        _, sessions = open_database(crawler.settings.get("COPYCAT_DATABASE_URL"))
        assert crawler.stats is not None
        extension = cls(sessions, crawler.stats)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        """Insert the run row."""
        sites = sorted(getattr(spider, "site_states", {}))
        with session_scope(self.sessions) as session:
            run = CrawlRun(started_at=datetime.now(UTC), sites=sites, status="running")
            session.add(run)
            session.flush()
            self.run_id = run.id
        self.stats.set_value("copycat/run_id", self.run_id)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Store the run's end, status and counters."""
        if self.run_id is None:
            return
        stats = {key: _plain(value) for key, value in self.stats.get_stats().items()}
        stats.setdefault("finish_reason", reason)
        with session_scope(self.sessions) as session:
            run = session.get(CrawlRun, self.run_id)
            if run is not None:
                run.finished_at = datetime.now(UTC)
                run.status = run_status(stats)
                run.stats = stats


class DroppedPageRecorder:
    """Remember pages the extract stage refused, so later runs do not fetch them again."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Open the configured database and listen for dropped items."""
        _, sessions = open_database(crawler.settings.get("COPYCAT_DATABASE_URL"))
        extension = cls(sessions)
        crawler.signals.connect(extension.item_dropped, signal=signals.item_dropped)
        return extension

    def item_dropped(self, item: Any, response: Any, exception: BaseException, spider: Any) -> None:
        """Record a page that is not an article (only extraction's refusals, with their reason)."""
        reason = getattr(exception.__cause__, "reason", None)
        if not isinstance(item, ArticleItem) or reason is None:
            return
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
