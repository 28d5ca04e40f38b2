"""Conditional requests for listings (robots.txt, feeds, sitemaps, home pages).

Listings are fetched every run, but most of the time they have not changed: the middleware sends
the ``ETag`` / ``Last-Modified`` the URL last answered with (``If-None-Match`` /
``If-Modified-Since``), and a ``304 Not Modified`` skips the parse (counted as
``crawl/not_modified``). Only requests whose meta has ``conditional`` set take part; article pages
are fetched once anyway.

New validators are written at the end of a run, and only for sites whose run finished cleanly
(no request failed for good, the page budget not exhausted): a listing marked unchanged must
mean every article it lists was reached. A run killed half-way therefore saves none, and the
next run reads the listings in full and picks up the articles the killed one did not reach.
"""

from __future__ import annotations

import logging
from typing import Any, Self

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from copycat.db import open_database, session_scope
from copycat.models import HttpValidator, Site, utcnow
from pipelines.store import ensure_site

logger = logging.getLogger(__name__)

Validators = tuple[str | None, str | None]
"""(ETag, Last-Modified) as the server sent them."""


def known_listings(session: Session, origins: list[str]) -> dict[str, list[str]]:
    """Return, per site, the feeds and sitemaps seen in earlier runs (read again every run).

    A ``304`` on robots.txt or the home page hides the feeds and sitemaps they point to;
    requesting the known ones directly (conditionally too) keeps them polled.
    """
    listings: dict[str, list[str]] = {origin: [] for origin in origins}
    rows = session.execute(
        select(Site.origin, HttpValidator.url)
        .join(Site, Site.id == HttpValidator.site_id)
        .where(Site.origin.in_(origins), HttpValidator.kind == "xml")
        .order_by(HttpValidator.url)
    )
    for origin, url in rows:
        listings[origin].append(url)
    return listings


def site_finished_cleanly(stats: dict[str, Any], origin: str) -> bool:
    """Tell whether nothing of ``origin`` was left undone in this run (errors, budget)."""
    prefix = f"site/{origin}/"
    return not any(
        key.startswith((prefix + "errors/", prefix + "budget_exhausted")) and value
        for key, value in stats.items()
    )


class ConditionalRequestMiddleware:
    """Downloader middleware: send stored validators, skip ``304`` answers, save new ones."""

    def __init__(self, sessions: sessionmaker[Session], stats: StatsCollector) -> None:
        self.sessions = sessions
        self.stats = stats
        self.known: dict[str, Validators] = {}
        self.fresh: dict[str, dict[str, tuple[str, str | None, str | None]]] = {}
        self.gone: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Open the configured database; load validators at spider open, save at close."""
        _, sessions = open_database(crawler.settings.get("COPYCAT_DATABASE_URL"))
        assert crawler.stats is not None
        middleware = cls(sessions, crawler.stats)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        """Load the validators of the sites this run crawls."""
        origins = list(getattr(spider, "site_states", {}))
        if not origins:
            return
        with self.sessions() as session:
            rows = session.execute(
                select(HttpValidator.url, HttpValidator.etag, HttpValidator.last_modified)
                .join(Site, Site.id == HttpValidator.site_id)
                .where(Site.origin.in_(origins))
            )
            self.known = {url: (etag, modified) for url, etag, modified in rows}

    def process_request(self, request: Request) -> None:
        """Add ``If-None-Match`` / ``If-Modified-Since`` to a listing request we know."""
        if not request.meta.get("conditional"):
            return
        etag, modified = self.known.get(request.url, (None, None))
        if etag and b"If-None-Match" not in request.headers:
            request.headers[b"If-None-Match"] = etag
        if modified and b"If-Modified-Since" not in request.headers:
            request.headers[b"If-Modified-Since"] = modified

    def process_response(self, request: Request, response: Response) -> Response:
        """Skip a ``304``; remember the validators of a fresh ``200``."""
        if not request.meta.get("conditional"):
            return response
        site = request.meta.get("site")
        if response.status == 304:
            self.stats.inc_value("crawl/not_modified")
            if site:
                self.stats.inc_value(f"site/{site}/not_modified")
            raise IgnoreRequest(f"not modified since the last run: {request.url}")
        if response.status in (404, 410) and request.meta.get("known_listing"):
            # A feed or sitemap of an earlier run is gone: forget it, it is not an error.
            self.gone.add(request.url)
            self.stats.inc_value("crawl/listings_gone")
            raise IgnoreRequest(f"listing gone: {request.url}")
        if response.status == 200 and site:
            etag = _header(response, b"ETag", 512)
            modified = _header(response, b"Last-Modified", 64)
            kind = str(request.meta.get("listing_kind", "page"))
            # Kept without validators too: a known feed or sitemap is requested every run.
            self.fresh.setdefault(site, {})[request.url] = (kind, etag, modified)
        return response

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Save the new validators of the sites that finished cleanly."""
        if reason != "finished" or not (self.fresh or self.gone):
            return
        stats = self.stats.get_stats()
        with session_scope(self.sessions) as session:
            if self.gone:
                session.execute(delete(HttpValidator).where(HttpValidator.url.in_(self.gone)))
            for origin, validators in self.fresh.items():
                if not site_finished_cleanly(stats, origin):
                    logger.info("%s: not finished cleanly, listings will be read in full", origin)
                    continue
                site_id = ensure_site(session, origin)
                for url, (kind, etag, modified) in validators.items():
                    _upsert(session, site_id, url, kind, etag, modified)


def _header(response: Response, name: bytes, limit: int) -> str | None:
    value = response.headers.get(name)
    if not value:
        return None
    text = value.decode("latin-1").strip()
    # An oversized validator is no use (it would not fit the column): do without it.
    return text if 0 < len(text) <= limit else None


def _upsert(
    session: Session, site_id: int, url: str, kind: str, etag: str | None, modified: str | None
) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {"kind": kind, "etag": etag, "last_modified": modified, "checked_at": utcnow()}
    session.execute(
        insert(HttpValidator)
        .values(site_id=site_id, url=url, **values)
        .on_conflict_do_update(index_elements=["url"], set_=values)
    )
