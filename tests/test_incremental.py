"""Incremental crawling: conditional listings, refetch of updated articles, one page per scheme,
Retry-After, crawl-delay, a site that is down, and the per-site counts of each run."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.test import get_crawler
from sqlalchemy import func, select

from copycat.crawl import LOOPBACK_SETTINGS
from copycat.db import open_database
from copycat.models import Article, ArticleVersion, HttpValidator
from copycat.sites import make_record
from copycat.urls import on_site, url_key
from crawler.politeness import parse_retry_after
from crawler.spiders.articles import ArticlesSpider, Hints
from pipelines.store import article_key
from tests.conftest import run_cli
from tests.localsite import LocalSite, Page, article_html, sitemap_xml

pytestmark = pytest.mark.slow

LOOPBACK = [arg for name, value in LOOPBACK_SETTINGS.items() for arg in ("-s", f"{name}={value}")]
SLUGS = (
    "/news/harbour-council-agrees-new-budget-plan",
    "/news/valley-railway-station-reopens-after-storm",
    "/news/moorland-farmers-warn-of-late-harvest",
)
LONG_AGO = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def _build(site: LocalSite, lastmod: dict[str, datetime] | None = None) -> None:
    origin = site.origin
    lastmod = lastmod or {}
    https_twin = "https://" + origin.split("://", 1)[1]
    site.pages["/robots.txt"] = Page(
        f"User-agent: *\nAllow: /\nSitemap: {origin}/sitemap.xml\n", "text/plain"
    )
    site.pages["/sitemap.xml"] = Page(
        sitemap_xml([(origin + slug, lastmod.get(slug, LONG_AGO)) for slug in SLUGS]),
        "application/xml",
    )
    # The home page links the first story twice: under http and under https (one page).
    links = "".join(f'<li><a href="{slug}">Story {i}</a></li>' for i, slug in enumerate(SLUGS))
    links += f'<li><a href="{https_twin}{SLUGS[0]}">Story 0 again</a></li>'
    site.pages["/"] = Page(f"<html><body><h1>Local News</h1><ul>{links}</ul></body></html>")
    for i, slug in enumerate(SLUGS):
        site.pages.setdefault(slug, Page(article_html(f"Story {i}", seed=i)))


@pytest.fixture
def local_site() -> Iterator[LocalSite]:
    with LocalSite() as site:
        _build(site)
        yield site


def _crawl(database: str, tmp_path: Path, *extra: str, check: bool = True) -> tuple[int, str]:
    result = run_cli(
        "crawl", "--log-file", str(tmp_path / "crawl.log"), *LOOPBACK, *extra,
        database=database, check=check, timeout=120,
    )  # fmt: skip
    return result.returncode, result.stdout


def _last_run(database: str) -> dict:
    return json.loads(run_cli("runs", "--json", database=database).stdout)[0]


def test_http_and_https_of_one_page_are_one_page() -> None:
    assert url_key("http://news.example/a?utm_source=x#top") == url_key("https://news.example/a")
    assert on_site("https://news.example/a", "http://news.example") == "http://news.example/a"
    assert on_site("https://other.example/a", "http://news.example") is None
    assert on_site("http://news.example:8080/a", "http://news.example") is None
    # A canonical link on the site's other scheme keys the article on the site's own scheme.
    assert (
        article_key("http://news.example/a?id=1", "http://news.example", "https://news.example/a")
        == "http://news.example/a"
    )


def test_retry_after_values() -> None:
    assert parse_retry_after("1") == 1.0
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert parse_retry_after("Wed, 25 Nov 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("soon") is None


def test_second_run_is_conditional_and_an_updated_article_is_fetched_again(
    local_site: LocalSite, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'incremental.db'}"
    run_cli("sites", "add", local_site.origin, "--role", "source", database=database)

    # First run: everything is new; the http/https twins of story 0 are one fetch, one row.
    status, _ = _crawl(database, tmp_path)
    assert status == 0
    assert len(local_site.hits_for(SLUGS[0])) == 1
    _, sessions = open_database(database)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == len(SLUGS)
        validated = set(session.scalars(select(HttpValidator.url)))
    assert local_site.origin + "/sitemap.xml" in validated
    first = _last_run(database)
    counts = first["per_site"][local_site.origin]
    assert counts["articles_new"] == len(SLUGS) and counts["pages_fetched"] >= 6

    # Second run, nothing changed: listings are asked conditionally and answer 304; no article.
    local_site.clear()
    status, _ = _crawl(database, tmp_path)
    assert status == 0
    sitemap_hit = local_site.hits_for("/sitemap.xml")[-1]
    assert "If-None-Match" in sitemap_hit.headers and sitemap_hit.status == 304
    assert all(not local_site.hits_for(slug) for slug in SLUGS)
    second = _last_run(database)
    assert second["per_site"][local_site.origin]["not_modified"] >= 2
    assert second["stats"]["crawl/not_modified"] >= 2

    # The publisher corrects story 1 and says so in its sitemap: fetched again, both texts kept.
    local_site.clear()
    local_site.pages[SLUGS[1]] = Page(article_html("Story 1 (corrected)", seed=99))
    _build(local_site, {SLUGS[1]: datetime.now(UTC) + timedelta(minutes=1)})
    status, _ = _crawl(database, tmp_path)
    assert status == 0
    (refetch,) = local_site.hits_for(SLUGS[1])
    assert "If-Modified-Since" in refetch.headers  # the server may answer 304 instead
    assert not local_site.hits_for(SLUGS[0]) and not local_site.hits_for(SLUGS[2])
    with sessions() as session:
        article = session.scalars(
            select(Article).where(Article.url == local_site.origin + SLUGS[1])
        ).one()
        versions = session.scalars(
            select(ArticleVersion).where(ArticleVersion.article_id == article.id)
        ).all()
        assert article.title == "Story 1 (corrected)"
        assert article.published_at == LONG_AGO  # an edit does not move the publication date
        assert len(versions) == 1 and versions[0].title == "Story 1"
        assert versions[0].text != article.text
        assert session.scalar(select(func.count()).select_from(Article)) == len(SLUGS)
    third = _last_run(database)["per_site"][local_site.origin]
    assert third["articles_updated"] == 1 and third["articles_new"] == 0
    assert third["refetch_updated"] == 1
    text = run_cli("runs", database=database).stdout
    assert "updated   1" in text and local_site.origin in text


def test_a_linked_article_waits_for_the_sitemap_that_dates_it(
    local_site: LocalSite, tmp_path: Path
) -> None:
    # The sitemap answers late; the home page, linking every story, at once. Fetched as soon as
    # it was linked, a story would miss its sitemap date: it has no other.
    local_site.pages["/sitemap.xml"].delay = 1.5
    database = f"sqlite:///{tmp_path / 'race.db'}"
    run_cli("sites", "add", local_site.origin, "--role", "source", database=database)
    status, _ = _crawl(database, tmp_path)
    assert status == 0
    (sitemap_hit,) = local_site.hits_for("/sitemap.xml")
    home_hit = local_site.hits_for("/")[0]
    assert home_hit.at < sitemap_hit.at  # the home page was read first: the race was on
    for slug in SLUGS:
        (story_hit,) = local_site.hits_for(slug)
        assert story_hit.at >= sitemap_hit.at
    _, sessions = open_database(database)
    with sessions() as session:
        dates = session.execute(select(Article.url, Article.published_at)).all()
    assert len(dates) == len(SLUGS)
    assert all(published_at == LONG_AGO for _, published_at in dates), dates


def test_retry_after_on_429_and_crawl_delay_are_honoured(tmp_path: Path) -> None:
    with LocalSite() as site:
        _build(site)
        site.pages["/robots.txt"] = Page(
            f"User-agent: *\nCrawl-delay: 0.5\nSitemap: {site.origin}/sitemap.xml\n", "text/plain"
        )
        site.pages[SLUGS[2]].busy = 1  # first answer: 429 Retry-After: 1
        database = f"sqlite:///{tmp_path / 'polite.db'}"
        run_cli("sites", "add", site.origin, database=database)
        status, _ = _crawl(database, tmp_path)
        assert status == 0
        busy, ok = site.hits_for(SLUGS[2])
        assert busy.status == 429 and ok.status == 200
        assert ok.at - busy.at >= 1.0, "Retry-After: 1 not honoured"
        # Crawl-delay 0.5 s, with Scrapy's ±50 % jitter: no two requests closer than 0.25 s
        # once robots.txt was read.
        times = [hit.at for hit in site.hits if hit.path != "/robots.txt"]
        gaps = [b - a for a, b in pairwise(times)]
        assert gaps and min(gaps) >= 0.2, gaps
    _, sessions = open_database(database)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == len(SLUGS)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_site_that_is_down_makes_the_run_partial_exit_3(
    local_site: LocalSite, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'down.db'}"
    down = f"http://127.0.0.1:{_free_port()}"  # registered, nothing listening
    run_cli("sites", "add", local_site.origin, database=database)
    run_cli("sites", "add", down, database=database)
    status, stdout = _crawl(database, tmp_path, "-s", "RETRY_TIMES=1", check=False)
    assert status == 3, stdout
    assert "errors:" in stdout
    run = _last_run(database)
    assert run["status"] == "partial"
    assert run["per_site"][down]["errors"], run["per_site"][down]
    assert run["per_site"][local_site.origin]["articles_new"] == len(SLUGS)
    assert not run["per_site"][local_site.origin]["errors"]


def test_a_changed_text_keeps_the_earlier_version_on_every_database(
    database_url: str, tmp_path: Path
) -> None:
    url = "https://news.example/news/harbour-council-agrees-new-budget-plan"
    for n, seed in enumerate((1, 2, 2)):  # first text, a new one, the same new one again
        record = {"url": url, "html": article_html(f"Version {seed}", seed=seed)}
        path = tmp_path / f"{n}.jsonl"
        path.write_text(json.dumps(record) + "\n")
        run_cli("ingest", str(path), database=database_url)
    engine, sessions = open_database(database_url)
    try:
        with sessions() as session:
            article = session.scalars(select(Article)).one()
            versions = session.scalars(select(ArticleVersion)).all()
            assert article.title == "Version 2"
            assert [v.title for v in versions] == ["Version 1"]  # unchanged text: no new version
            assert versions[0].article_id == article.id and versions[0].text != article.text
    finally:
        engine.dispose()


def test_a_run_whose_every_site_is_down_failed_exit_1(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'all-down.db'}"
    run_cli("sites", "add", f"http://127.0.0.1:{_free_port()}", database=database)
    status, stdout = _crawl(database, tmp_path, "-s", "RETRY_TIMES=0", check=False)
    assert status == 1, stdout
    assert _last_run(database)["status"] == "failed"


class _RecordingEngine:
    """Stands in for Scrapy's engine: records what the spider schedules when idle."""

    def __init__(self) -> None:
        self.scheduled: list[Request] = []

    def crawl(self, request: Request) -> None:
        self.scheduled.append(request)


def test_held_articles_go_when_the_crawl_is_idle_even_if_a_listing_never_answered() -> None:
    # A listing can vanish without its callback or errback (read by another worker of a
    # distributed crawl): the articles it held back must still be fetched.
    record = make_record("http://news.example")
    spider = ArticlesSpider([record], {})
    spider._set_crawler(get_crawler(ArticlesSpider))
    engine = _RecordingEngine()
    spider.crawler.engine = engine  # type: ignore[assignment]
    sitemap = spider._listing_request(
        "http://news.example/sitemap.xml", record.origin, spider.parse_xml
    )
    assert sitemap is not None
    article = spider._article_request("http://news.example/news/a-story", record.origin, Hints())
    assert article is not None
    assert list(spider._hold_until_listings_read(article, record.origin)) == []  # held
    with pytest.raises(DontCloseSpider):
        spider.release_held_when_idle()
    assert engine.scheduled == [article]
    spider.release_held_when_idle()  # nothing left to send: the crawl may close
    # Nothing is pending after that: a linked article now goes at once.
    later = spider._article_request("http://news.example/news/b-story", record.origin, Hints())
    assert later is not None
    assert list(spider._hold_until_listings_read(later, record.origin)) == [later]
