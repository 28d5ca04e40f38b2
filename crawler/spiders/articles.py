"""The ``articles`` spider: discover and fetch article pages of the registered sites.

Per site it reads robots.txt ``Sitemap:`` lines, sitemaps and sitemap indexes (Google News
ones included), RSS/Atom feeds (configured or advertised on the home page), and follows links
from the home page through pagination. It stays on registered origins and skips article URLs
that the database already holds, so a second run fetches no article page again, except one whose
sitemap ``lastmod`` or feed ``updated`` is newer than our copy (its new version is stored, the
old text kept in ``article_versions``). Listings are fetched every run, with conditional
requests (``crawler.conditional``). Each site is locked in the database while it is crawled
(``copycat.locks``): a site another run is crawling is skipped.

An article link found on a page is held back until the site's robots.txt, sitemaps and feeds
have been read: they carry the article's publication date, which a fetch that raced ahead of
them would miss, and direction evidence must not depend on which response came back first.

    scrapy crawl articles                      # every registered site
    scrapy crawl articles -a site=news.example -a max_pages=200
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, Self

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Request, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from twisted.internet import task
from twisted.python.failure import Failure

from copycat.db import open_database
from copycat.locks import SiteLocks, new_owner
from copycat.models import Article, DroppedPage, Site
from copycat.sites import SiteRecord, list_sites, make_record
from copycat.urls import on_site, origin_of, url_key
from crawler.conditional import known_listings
from crawler.discovery import (
    DiscoveryError,
    feed_links_from_html,
    is_pagination_link,
    is_sitemap_or_feed,
    looks_like_article_url,
    page_links,
    parse_feed,
    parse_sitemap,
    sitemap_urls_from_robots,
)
from crawler.distributed import HintCarrier
from crawler.items import ArticleItem

logger = logging.getLogger(__name__)


@dataclass
class Hints:
    """What discovery learnt about an article URL before fetching it."""

    via: str = "links"
    title: str | None = None
    feed_published_at: datetime | None = None
    sitemap_published_at: datetime | None = None
    source_url: str | None = None
    modified_at: datetime | None = None
    """When the sitemap (``lastmod``) or feed (``updated``) says the page last changed."""

    def merge(self, other: Hints) -> None:
        """Keep the first value found for each field; a feed or sitemap beats a plain link."""
        if self.via == "links":
            self.via = other.via
        self.title = self.title or other.title
        self.feed_published_at = self.feed_published_at or other.feed_published_at
        self.sitemap_published_at = self.sitemap_published_at or other.sitemap_published_at
        self.source_url = self.source_url or other.source_url
        self.modified_at = self.modified_at or other.modified_at


@dataclass
class SiteState:
    """Per-site bookkeeping for one run: its record, known URLs, and the page budget."""

    record: SiteRecord
    seen: dict[str, datetime | None] = field(default_factory=dict)
    """:func:`url_key` of every page already fetched → when (None: dropped, not an article)."""
    scheduled: int = 0
    listings_pending: set[str] = field(default_factory=set)
    """URLs of robots.txt, sitemaps and feeds asked for and not yet answered."""
    held: list[Request] = field(default_factory=list)
    """Article requests found through links, waiting for ``listings_pending`` to empty."""


def resolve_site_argument(value: str, registered: list[SiteRecord]) -> SiteRecord:
    """Find the registered site meant by ``value`` (an origin, URL or ``host[:port]``).

    An unregistered origin is crawled as a site of role ``unknown`` (the store registers it).
    """
    candidate = value if "://" in value else f"https://{value}"
    origin = origin_of(candidate)
    for record in registered:
        if record.origin == origin:
            return record
    if "://" not in value:
        host = origin.split("://", 1)[1]
        for record in registered:
            if record.origin.split("://", 1)[1] == host:
                return record
    return make_record(candidate)


class ArticlesSpider(scrapy.Spider):
    """Crawl registered sites for article pages, politely and incrementally."""

    name = "articles"

    max_sitemap_depth = 3
    """How deep sitemap indexes may nest (``CRAWL_MAX_SITEMAP_DEPTH``): a hostile site can
    nest them without end, or in a loop."""

    def __init__(
        self,
        sites: list[SiteRecord],
        seen: dict[str, dict[str, datetime | None]],
        max_pages: int = 1000,
        max_depth: int = 5,
        locks: SiteLocks | None = None,
        lock_heartbeat: float = 30.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.site_states = {
            record.origin: SiteState(record, seen.get(record.origin, {})) for record in sites
        }
        self.max_pages = max_pages
        self.max_depth = max_depth
        self.locks = locks
        self.lock_heartbeat = lock_heartbeat
        self.skipped_sites: list[str] = []
        self.hints: dict[str, Hints] = {}
        self.scheduled_articles: set[str] = set()
        self._heartbeat: task.LoopingCall | None = None
        self.known_listings: dict[str, list[str]] = {}
        """Feeds and sitemaps of earlier runs, per site: read every run, even if not linked."""
        self.requested_listings: set[str] = set()
        """:func:`url_key` of every listing asked for in this run: each is read once."""

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        """Load the sites to crawl and the URLs already stored from the database."""
        settings = crawler.settings
        sessions: sessionmaker[Session]
        _, sessions = open_database(settings.get("COPYCAT_DATABASE_URL"))
        site_arg: str | None = kwargs.pop("site", None)
        max_pages = int(kwargs.pop("max_pages", settings.getint("CRAWL_MAX_PAGES_PER_SITE")))
        with sessions() as session:
            registered = list_sites(session)
            if site_arg:
                sites = [resolve_site_argument(v.strip(), registered) for v in site_arg.split(",")]
            else:
                sites = registered
            seen = load_seen_urls(session, [s.origin for s in sites])
            listings = known_listings(session, [s.origin for s in sites])
        if not sites:
            logger.warning("no sites to crawl: register some with `copycat sites add URL`")
        locks = None
        # Workers of a distributed crawl (COPYCAT_REDIS_URL) share sites on purpose: the shared
        # frontier keeps them from fetching a page twice, so no per-process site lock there.
        if settings.getbool("CRAWL_SITE_LOCKS") and not settings.get("COPYCAT_REDIS_URL"):
            locks = SiteLocks(sessions, new_owner(), settings.getfloat("CRAWL_LOCK_TTL"))
        spider = cls(
            sites,
            seen,
            max_pages,
            settings.getint("CRAWL_MAX_LISTING_DEPTH"),
            locks,
            settings.getfloat("CRAWL_LOCK_HEARTBEAT"),
            **kwargs,
        )
        spider.known_listings = listings
        spider.max_sitemap_depth = settings.getint("CRAWL_MAX_SITEMAP_DEPTH", 3)
        spider._set_crawler(crawler)
        crawler.signals.connect(spider.release_held_when_idle, signal=signals.spider_idle)
        return spider

    def _lock_sites(self) -> None:
        """Take each site's lock; drop the sites another live run is crawling right now."""
        if self.locks is None:
            return
        taken = set(self.locks.acquire(list(self.site_states)))
        for origin in list(self.site_states):
            if origin not in taken:
                logger.warning(
                    "%s: skipped, another run is crawling it (lock held by %s)",
                    origin,
                    self.locks.holder(origin),
                )
                self._count("crawl/sites_locked", site=origin)
                self.skipped_sites.append(origin)
                del self.site_states[origin]
        if self.locks.held:
            self._heartbeat = task.LoopingCall(self._renew_locks)
            self._heartbeat.start(self.lock_heartbeat, now=False)

    def _renew_locks(self) -> None:
        if self.locks is None:
            return
        try:
            self.locks.renew()
        except Exception:  # a database hiccup must not stop the crawl; the next beat retries
            logger.exception("could not renew the site locks")

    def closed(self, reason: str) -> None:
        """Give the site locks back."""
        if self._heartbeat is not None and self._heartbeat.running:
            self._heartbeat.stop()
        if self.locks is not None:
            self.locks.release()

    async def start(self) -> AsyncIterator[Request]:
        """Ask each site for robots.txt, its home page, and its configured feeds and sitemaps."""
        self._lock_sites()
        for origin, state in self.site_states.items():
            robots = f"{origin}/robots.txt"
            state.listings_pending.add(robots)
            yield Request(
                robots,
                callback=self.parse_robots,
                errback=self.on_error,
                meta={
                    "site": origin,
                    "handle_httpstatus_list": [404, 410],
                    "conditional": True,
                    "listing_kind": "robots",
                    "pending_listing": robots,
                },
                priority=20,
            )
            for url in self.known_listings.get(origin, []):
                if request := self._listing_request(url, origin, self.parse_xml, priority=10):
                    request.meta["known_listing"] = True
                    yield request
            for url in state.record.sitemaps:
                if request := self._listing_request(url, origin, self.parse_xml, priority=10):
                    yield request
            for url in state.record.feeds:
                if request := self._listing_request(url, origin, self.parse_xml, priority=10):
                    yield request
            if request := self._listing_request(f"{origin}/", origin, self.parse_listing):
                yield request

    # -- callbacks ---------------------------------------------------------------------------

    def parse_robots(self, response: Response) -> Iterator[Request]:
        """Follow the ``Sitemap:`` lines of robots.txt."""
        origin = response.meta["site"]
        if response.status == 200:
            for url in sitemap_urls_from_robots(response.body, response.url):
                if request := self._listing_request(url, origin, self.parse_xml, priority=10):
                    yield request
        yield from self._listing_answered(response.meta)

    def parse_xml(self, response: Response) -> Iterator[Request]:
        """Route a sitemap, sitemap index or feed to the article URLs it lists."""
        origin = response.meta["site"]
        body = response.body
        try:
            kind = is_sitemap_or_feed(body)
            if kind == "sitemap":
                depth = response.meta.get("sitemap_depth", 0)
                yield from self._from_sitemap(body, response.url, origin, depth)
            elif kind == "feed":
                yield from self._from_feed(body, response.url, origin)
            else:
                self._count("crawl/xml_unrecognised")
                logger.warning("neither a sitemap nor a feed: %s", response.url)
        except DiscoveryError as error:
            self._count("crawl/xml_errors")
            logger.warning("could not read %s: %s", response.url, error)
        yield from self._listing_answered(response.meta)

    def _from_sitemap(
        self, body: bytes, url: str, origin: str, depth: int = 0
    ) -> Iterator[Request]:
        sitemap = parse_sitemap(body, url)
        self._count(f"crawl/sitemaps/{sitemap.kind}")
        if sitemap.kind == "index" and depth >= self.max_sitemap_depth:
            self._count("crawl/sitemap_depth_exceeded", site=origin)
            logger.warning(
                "not following sitemap index %s: nested %d deep (CRAWL_MAX_SITEMAP_DEPTH)",
                url,
                depth,
            )
            return
        state = self.site_states[origin]
        for position, entry in enumerate(sitemap.entries):
            if state.scheduled >= self.max_pages:
                # A sitemap can list 50 000 URLs: once the budget is spent, stop at once rather
                # than hold up the reactor refusing them one by one.
                self._count("crawl/budget_exhausted", len(sitemap.entries) - position, site=origin)
                break
            if sitemap.kind == "index":
                if request := self._listing_request(entry.url, origin, self.parse_xml, priority=10):
                    request.meta["sitemap_depth"] = depth + 1
                    yield request
                continue
            hints = Hints(
                via="sitemap",
                title=entry.news_title,
                sitemap_published_at=entry.news_published_at or entry.lastmod,
                modified_at=entry.lastmod,
            )
            if request := self._article_request(entry.url, origin, hints):
                yield request

    def _from_feed(self, body: bytes, url: str, origin: str) -> Iterator[Request]:
        self._count("crawl/feeds")
        for entry in parse_feed(body, url):
            if entry.unreadable_dates:
                self._count("crawl/feed_unreadable_dates", entry.unreadable_dates, origin)
                logger.info(
                    "feed %s: unreadable date on the entry for %s; its page's date is used",
                    url,
                    entry.url,
                )
            hints = Hints(
                via="feed",
                title=entry.title,
                feed_published_at=entry.published_at or entry.updated_at,
                source_url=entry.source_url,
                modified_at=entry.updated_at,
            )
            if request := self._article_request(entry.url, origin, hints):
                yield request

    def parse_listing(self, response: Response) -> Iterator[Request]:
        """Find feeds, article links and pagination on a home or listing page."""
        if not isinstance(response, TextResponse):
            return
        origin = response.meta["site"]
        depth = response.meta.get("listing_depth", 0)
        if depth == 0:
            for feed_url in feed_links_from_html(response.text, response.url):
                if request := self._listing_request(feed_url, origin, self.parse_xml, priority=10):
                    yield request
        for link in page_links(response.text, response.url):
            if on_site(link.url, origin) is None:
                self._count("crawl/offsite_links")
                continue
            if looks_like_article_url(link.url):
                if request := self._article_request(link.url, origin, Hints()):
                    yield from self._hold_until_listings_read(request, origin)
            elif depth < self.max_depth and is_pagination_link(link):
                request = self._listing_request(
                    link.url, origin, self.parse_listing, conditional=False
                )
                if request is not None:
                    request.meta["listing_depth"] = depth + 1
                    yield request

    def parse_article(self, response: Response) -> Iterator[ArticleItem]:
        """Turn an article page into an item for the pipelines."""
        origin = response.meta["site"]
        if response.status == 304:  # a refetch the server says is needless
            self.hints.pop(response.meta["article_key"], None)
            self._count("crawl/refetch_not_modified", site=origin)
            return
        url = on_site(response.url, origin)
        if url is None:
            # A redirect left the site: the page is not this site's to store.
            self._count("crawl/offsite_redirects", site=origin)
            logger.info(
                "article %s redirected off-site to %s", response.meta["article_key"], response.url
            )
            return
        hints = self.hints.pop(response.meta["article_key"], Hints())
        if isinstance(response, TextResponse):
            self._note_canonical(response, origin)
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1") or None
        yield ArticleItem(
            url=url,
            site=origin,
            fetched_at=datetime.now(UTC),
            html=response.text if isinstance(response, TextResponse) else None,
            content_type=content_type,
            discovered_via=hints.via,
            title_hint=hints.title,
            feed_published_at=hints.feed_published_at,
            sitemap_published_at=hints.sitemap_published_at,
            source_url_hint=hints.source_url,
        )

    def _note_canonical(self, response: TextResponse, origin: str) -> None:
        """Treat the page's same-site rel=canonical URL as fetched, for the rest of this run.

        The store keys the article by that URL; a later link to it must not fetch it again.
        """
        href = response.css('link[rel~="canonical"]::attr(href)').get()
        if not href:
            return
        try:
            canonical = on_site(response.urljoin(href.strip()), origin)
        except ValueError:
            return
        if canonical is not None:
            key = url_key(canonical)
            if key != response.meta["article_key"]:
                self.scheduled_articles.add(key)
                self.hints.pop(key, None)

    def on_error(self, failure: Failure) -> Iterator[Request]:
        """Count and log a request that failed for good (after retries)."""
        request = getattr(failure, "request", None)
        if request is not None:
            yield from self._listing_answered(request.meta)
        error = failure.value
        if isinstance(error, HttpError) and error.response.status >= 500:
            # Still 5xx after the retries: the site is failing, not refusing on purpose.
            pass
        elif failure.check(IgnoreRequest):
            # Refused on purpose (robots.txt, a filter, a 304): counted by its middleware.
            logger.debug("not fetched: %s", request.url if request else "?")
            return
        site = request.meta.get("site") if request is not None else None
        self._count(
            f"crawl/errors/{failure.type.__name__ if failure.type else 'unknown'}", site=site
        )
        logger.warning(
            "giving up on %s: %s", request.url if request else "?", failure.getErrorMessage()
        )

    def release_held_when_idle(self) -> None:
        """Send the held article requests when nothing else is left (``spider_idle``).

        A listing that never answers (dropped by a filter without an errback, or read by
        another worker of a distributed crawl) must not keep its site's articles back for good.
        """
        released = 0
        for state in self.site_states.values():
            state.listings_pending.clear()
            for request in self._release(state):
                self.crawler.engine.crawl(request)
                released += 1
        if released:
            raise DontCloseSpider(f"{released} held article request(s) sent")

    # -- helpers -----------------------------------------------------------------------------

    def _hold_until_listings_read(self, request: Request, origin: str) -> Iterator[Request]:
        """Yield ``request`` now if the site's listings are read, else keep it for later."""
        state = self.site_states[origin]
        if state.listings_pending:
            state.held.append(request)
        else:
            yield request

    def _listing_answered(self, meta: dict[str, Any]) -> Iterator[Request]:
        """Note a robots.txt, sitemap or feed as read; the last one lets held articles go."""
        state = self.site_states.get(meta.get("site", ""))
        if state is None or "pending_listing" not in meta:
            return
        # By the URL first asked for: a redirect changes the request's URL, not its meta.
        state.listings_pending.discard(meta["pending_listing"])
        if not state.listings_pending:
            yield from self._release(state)

    def _release(self, state: SiteState) -> list[Request]:
        held, state.held = state.held, []
        for request in held:
            # Hints gathered while it waited go with it to whichever worker fetches it.
            HintCarrier.carry(request, self.hints)
        return held

    def _count(self, key: str, count: int = 1, site: str | None = None) -> None:
        """Add to a run counter, and to the site's own copy of it (``site/<origin>/…``)."""
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key, count)
            if site is not None:
                name = key.removeprefix("crawl/")
                self.crawler.stats.inc_value(f"site/{site}/{name}", count)

    def _take_budget(self, origin: str) -> bool:
        state = self.site_states[origin]
        if state.scheduled >= self.max_pages:
            self._count("crawl/budget_exhausted", site=origin)
            return False
        state.scheduled += 1
        return True

    def _listing_request(
        self, url: str, origin: str, callback: Any, priority: int = 0, conditional: bool = True
    ) -> Request | None:
        on = on_site(url, origin)
        if on is None:
            self._count("crawl/offsite_links")
            return None
        key = url_key(on)
        if key in self.requested_listings:
            return None  # listed twice (robots.txt and the configuration, say): read once
        if not self._take_budget(origin):
            return None
        self.requested_listings.add(key)
        meta: dict[str, Any] = {"site": origin, "conditional": conditional, "listing_kind": "page"}
        if callback == self.parse_xml:
            meta.update(listing_kind="xml", pending_listing=on)
            self.site_states[origin].listings_pending.add(on)
        return Request(on, callback=callback, errback=self.on_error, meta=meta, priority=priority)

    def _article_request(self, url: str, origin: str, hints: Hints) -> Request | None:
        if _key_or_none(url) is None:
            self._count("crawl/bad_urls")
            return None
        on = on_site(url, origin)
        if on is None:
            self._count("crawl/offsite_links")
            return None
        key = url_key(on)
        state = self.site_states[origin]
        refetch = False
        if key in state.seen:
            fetched_at = state.seen[key]
            if fetched_at is None or hints.modified_at is None or hints.modified_at <= fetched_at:
                self._count("crawl/skipped_known")  # stored, or known not to be an article
                return None
            # The sitemap or feed says the page changed since we fetched it: fetch it again.
            refetch = True
        if key in self.scheduled_articles:
            # Already asked for: keep what this discovery adds (if not fetched yet), no request.
            if key in self.hints:
                self.hints[key].merge(hints)
            return None
        if not self._take_budget(origin):
            return None
        meta: dict[str, Any] = {"site": origin, "article_key": key, "refetch": refetch}
        headers: dict[str, str] = {}
        if refetch:
            self._count("crawl/refetch_updated", site=origin)
            fetched_at = state.seen[key]
            assert fetched_at is not None
            # A date that only says "changed" is not the publication date: keep it out of the
            # item, or the update would move the article's publication to its edit time.
            if hints.sitemap_published_at == hints.modified_at:
                hints.sitemap_published_at = None
            if hints.feed_published_at == hints.modified_at:
                hints.feed_published_at = None
            # The server may know better than its sitemap: a 304 means nothing to fetch.
            headers["If-Modified-Since"] = format_datetime(fetched_at, usegmt=True)
            meta["handle_httpstatus_list"] = [304]
        self.hints[key] = hints
        self.scheduled_articles.add(key)
        return Request(
            on,
            callback=self.parse_article,
            errback=self.on_error,
            headers=headers or None,
            meta=meta,
            priority=5,
        )


def load_seen_urls(session: Any, origins: list[str]) -> dict[str, dict[str, datetime | None]]:
    """Return, per site origin, the pages already fetched: stored articles and dropped pages.

    Keys are :func:`url_key` (scheme-blind); values are when the stored article was fetched,
    or None for a page that is not an article.
    """
    seen: dict[str, dict[str, datetime | None]] = {origin: {} for origin in origins}
    counts: Counter[str] = Counter()
    rows = session.execute(
        select(Site.origin, Article.url, Article.fetched_url, Article.fetched_at)
        .join(Site, Site.id == Article.site_id)
        .where(Site.origin.in_(origins))
    )
    for origin, url, fetched_url, fetched_at in rows:
        for each in (url, fetched_url):
            key = _key_or_none(each)
            if key is not None:
                seen[origin][key] = fetched_at
        counts[origin] += 1
    dropped = session.execute(
        select(Site.origin, DroppedPage.url)
        .join(Site, Site.id == DroppedPage.site_id)
        .where(Site.origin.in_(origins))
    )
    for origin, url in dropped:
        key = _key_or_none(url)
        if key is not None:
            seen[origin].setdefault(key, None)
    for origin, count in counts.items():
        logger.info("%s: %d articles already stored, not fetched again", origin, count)
    return seen


def _key_or_none(url: str) -> str | None:
    try:
        return url_key(url)
    except ValueError:
        return None
