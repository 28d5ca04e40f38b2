"""Run the ``articles`` spider in this process, with its log in a file and a summary at the end."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.extensions import run_status
from crawler.spiders.articles import ArticlesSpider

# Loopback servers answer in microseconds: no reason to wait between requests there.
LOOPBACK_SETTINGS = {
    "AUTOTHROTTLE_START_DELAY": "0",
    "AUTOTHROTTLE_MAX_DELAY": "1",
    "DOWNLOAD_TIMEOUT": "10",
}


@dataclass
class CrawlOptions:
    """What to crawl, where to store it and where to log."""

    database_url: str
    sites: list[str] = field(default_factory=list)
    max_pages: int | None = None
    log_file: Path | None = Path("copycat-crawl.log")
    progress: bool = False
    overrides: dict[str, Any] = field(default_factory=dict)


@dataclass
class CrawlResult:
    """How a crawl ended: its status (finished, partial, failed) and its counters."""

    status: str
    stats: dict[str, Any]
    log_file: Path | None


def crawl_settings(options: CrawlOptions) -> Settings:
    """Build the Scrapy settings of a run: the project's, then the options, then overrides."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("COPYCAT_DATABASE_URL", options.database_url, priority="cmdline")
    settings.set("COPYCAT_PROGRESS", options.progress, priority="cmdline")
    if options.log_file is not None:
        settings.set("LOG_FILE", str(options.log_file), priority="cmdline")
    for name, value in options.overrides.items():
        settings.set(name, value, priority="cmdline")
    return settings


def run_crawl(options: CrawlOptions) -> CrawlResult:
    """Crawl the chosen sites (all registered ones by default) and return how it went."""
    # Scrapy's log goes to the file; drop handlers that would also print it on the screen.
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    process = CrawlerProcess(crawl_settings(options))
    crawler = process.create_crawler(ArticlesSpider)
    arguments: dict[str, Any] = {}
    if options.sites:
        arguments["site"] = ",".join(options.sites)
    if options.max_pages is not None:
        arguments["max_pages"] = options.max_pages
    process.crawl(crawler, **arguments)
    process.start()
    stats = dict(crawler.stats.get_stats()) if crawler.stats is not None else {}
    return CrawlResult(run_status(stats), stats, options.log_file)


def summary_lines(result: CrawlResult) -> list[str]:
    """Return the short human summary printed at the end of a crawl."""
    stats = result.stats
    dropped = {
        key.removeprefix("extract/dropped/"): value
        for key, value in stats.items()
        if key.startswith("extract/dropped/")
    }
    errors = {
        key.removeprefix("crawl/errors/"): value
        for key, value in stats.items()
        if key.startswith("crawl/errors/")
    }
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(dropped.items()))
    lines = [
        f"crawl {result.status}: {stats.get('response_received_count', 0)} pages fetched, "
        f"{stats.get('store/articles', 0)} articles stored, "
        f"{sum(dropped.values())} pages not articles{f' ({reasons})' if reasons else ''}, "
        f"{stats.get('store/pairs', 0)} pairs found, "
        f"{stats.get('crawl/skipped_known', 0)} known articles skipped"
    ]
    # The incremental side: what was not fetched again, what changed, who else was crawling.
    incremental = [
        f"{label} {stats[key]}"
        for key, label in (
            ("crawl/not_modified", "listings not modified"),
            ("crawl/refetch_updated", "updated articles fetched again"),
            ("crawl/sites_locked", "sites skipped (another run is crawling them)"),
            ("crawl/retry_after", "Retry-After waits"),
        )
        if stats.get(key)
    ]
    if incremental:
        lines.append(", ".join(incremental))
    if errors:
        lines.append("errors: " + ", ".join(f"{k} {v}" for k, v in sorted(errors.items())))
    if result.log_file is not None:
        lines.append(f"full log: {result.log_file}")
    return lines
