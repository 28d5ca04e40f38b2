"""Fault-and-abuse suite, part one: crawl the demo web beside a hostile and a faulty web.

One real ``copycat crawl`` (a subprocess) covers the six well-behaved fixture sites and the
four sites of :class:`copycat.demo.hostile.HostileWeb` at once, so every test below also
checks that the hostile pages and the failing servers left the rest of the crawl alone.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scrapy.http import Request
from twisted.internet.error import DNSLookupError

from copycat.crawl import LOOPBACK_SETTINGS
from copycat.demo.hostile import HostileWeb
from copycat.demo.web import FixtureWeb
from copycat.urls import canonicalise
from crawler.safety import PublicAddressResolver, Refused, SafetyMiddleware, is_public_address
from tests import hostile_report
from tests.conftest import run_cli

pytestmark = pytest.mark.slow

MAX_PAGES = 120
MAX_LISTING_DEPTH = 5

# What each hostile input must leave behind in the run's stats (a counter > 0).
EXPECTED_COUNTERS = {
    "binary_as_html": "extract/dropped/binary",
    "huge_page_declared": "safety/refused/too_large",
    "huge_page_streamed": "safety/refused/too_large",
    "bloated_html_page": "extract/dropped/too_large",
    "gzip_bomb": "safety/refused/decompression_bomb",
    "deflate_bomb": "safety/refused/decompression_bomb",
    "redirect_loop": "safety/refused/redirect_loop",
    "redirect_chain": "safety/refused/redirect_limit",
    "redirect_to_private_network": "safety/refused/private_address",
    "redirect_to_metadata_service": "safety/refused/private_address",
    "redirect_to_unregistered_loopback_port": "safety/refused/private_address",
    "redirect_to_ipv6_loopback": "safety/refused/private_address",
    "redirect_to_hostname_of_loopback": "safety/refused/unregistered_origin",
    "meta_refresh_to_loopback": "safety/refused/private_address",
    "redirect_with_credentials": "safety/credentials_stripped",
    "credentials_in_links": "safety/credentials_stripped",
    "sitemap_billion_laughs": "crawl/xml_errors",
    "sitemap_external_entity": "crawl/xml_errors",
    "sitemap_gzip_bomb": "crawl/xml_errors",
    "sitemap_100k_urls": "crawl/budget_exhausted",
    "sitemap_index_endless": "crawl/sitemap_depth_exceeded",
    "sitemap_index_loop": "dupefilter/filtered",
    "calendar_trap": "crawl/budget_exhausted",
    "offsite_link_to_loopback": "crawl/offsite_links",
    "robots_sitemap_on_loopback": "crawl/offsite_links",
    "feed_broken_dates": "crawl/feed_unreadable_dates",
}
# Log lines that must say what happened, by hostile input.
EXPECTED_LOG = {
    "feed_broken_dates": r"feed http://.*/feed\.xml: unreadable date on the entry for ",
    "redirect_to_private_network": r"refused http://10\.0\.0\.1/.*redirected from .*not public",
    "redirect_to_metadata_service": r"refused http://169\.254\.169\.254/.*not public",
    "redirect_to_ipv6_loopback": r"refused http://\[::1\]:\d+/.*not public",
    "redirect_loop": r"refused .*redirect-loop-story-b/: redirect back to",
    "redirect_chain": r"refused .*redirect-chain-story-\d+/: more than 5 redirects",
    "huge_page_declared": r"refused .*huge-page-with-content-length/: body larger than",
    "huge_page_streamed": r"refused .*huge-page-streamed-without-length/: body larger than",
    "gzip_bomb": r"gzip-bomb-story-page/> because its body .* exceeded DOWNLOAD_MAXSIZE",
    "deflate_bomb": r"deflate-bomb-story-page/> because its body .* exceeded DOWNLOAD_MAXSIZE",
    "sitemap_billion_laughs": r"could not read .*sitemap-laughs\.xml: .*declares XML entities",
    "sitemap_external_entity": r"could not read .*sitemap-xxe\.xml: .*declares XML entities",
    "sitemap_gzip_bomb": r"could not read .*sitemap-bomb\.xml\.gz: gzip body decompresses to more",
    "sitemap_index_endless": r"not following sitemap index .*nested 3 deep",
    "binary_as_html": r"not an article \(binary\): .*binary-body-served-as-html",
    "bloated_html_page": r"not an article \(too_large\): .*bloated-html-page",
}
FAULT_ERRORS = {
    "http_500": "HttpError",
    "timeout": "DownloadTimeoutError",
    "connection_reset": "DownloadFailedError",
    "site_went_away": "DownloadConnectionRefusedError",  # or a connection dropped unanswered
}


@dataclass
class Crawl:
    """The crawl's inputs and outputs, shared by the tests of this module."""

    web: FixtureWeb
    hostile: HostileWeb
    database: str
    db_path: Path
    stdout: str
    log: str
    run: dict[str, Any]

    @property
    def stats(self) -> dict[str, Any]:
        return dict(self.run["stats"])

    def stored(self) -> list[tuple[str, str, str]]:
        """(site origin, url, fetched_url) of every stored article."""
        with sqlite3.connect(self.db_path) as connection:
            rows = connection.execute(
                "SELECT s.origin, a.url, a.fetched_url FROM articles a JOIN sites s "
                "ON s.id = a.site_id"
            ).fetchall()
        return [(str(o), str(u), str(f)) for o, u, f in rows]


def _register(database: str, sites: Any) -> None:
    for site in sites:
        args = ["sites", "add", site.origin, "--name", site.name, "--role", site.role]
        for feed in site.feeds:
            args += ["--feed", feed]
        for sitemap in site.sitemaps:
            args += ["--sitemap", sitemap]
        run_cli(*args, database=database)


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    tmp = tmp_path_factory.mktemp("hostile")
    db_path = tmp / "hostile.db"
    database = f"sqlite:///{db_path}"
    overrides = {
        **LOOPBACK_SETTINGS,
        # 404s and errors never lower AutoThrottle's delay: without it the sitemap flood's
        # hundred dead links would take a minute.
        "AUTOTHROTTLE_ENABLED": "False",
        # Short enough for the never-answering server, long enough for a busy test machine.
        "DOWNLOAD_TIMEOUT": "5",
        "CRAWL_MAX_LISTING_DEPTH": str(MAX_LISTING_DEPTH),
        "STORE_SPILL_FILE": str(tmp / "spill.jsonl"),
    }
    settings = [arg for name, value in overrides.items() for arg in ("-s", f"{name}={value}")]
    with FixtureWeb(seed=7) as web, HostileWeb() as hostile:
        _register(database, web.sites)
        _register(database, hostile.sites)
        log_file = tmp / "crawl.log"
        result = run_cli(
            "crawl", "--log-file", str(log_file), "--max-pages", str(MAX_PAGES), *settings,
            database=database, check=False,
        )  # fmt: skip
        assert result.returncode == 3, result.stdout + result.stderr  # partial: faults below
        runs = json.loads(run_cli("runs", "--json", database=database).stdout)
        yield Crawl(
            web, hostile, database, db_path, result.stdout, log_file.read_text("utf-8"), runs[0]
        )


def _one_row_per_url(crawl: Crawl, urls: frozenset[str]) -> dict[str, int]:
    """How many stored articles each of ``urls`` maps to (by stored or fetched URL)."""
    counts = dict.fromkeys((canonicalise(u) for u in urls), 0)
    for _origin, url, fetched in crawl.stored():
        for key in {canonicalise(url), canonicalise(fetched)}:
            if key in counts:
                counts[key] += 1
    return counts


def _expected_articles(crawl: Crawl) -> frozenset[str]:
    """Every page that must be stored as an article: the demo web's (except the three-sentence
    excerpts, too short to be articles) and the hostile web's well-formed and salvaged ones."""
    excerpts = {copy_url for copy_url, _original in crawl.web.excerpt_pairs}
    return (
        (crawl.web.article_urls - excerpts)
        | crawl.hostile.article_urls
        | crawl.hostile.salvaged_urls
    )


def test_every_well_formed_article_is_stored_exactly_once(crawl: Crawl) -> None:
    expected = _expected_articles(crawl)
    counts = _one_row_per_url(crawl, expected)
    assert {url: n for url, n in counts.items() if n != 1} == {}
    # Session ids in every link: each article was asked for under one URL, without them (a
    # second request can only be a retry).
    for url in crawl.hostile.article_urls | crawl.hostile.salvaged_urls:
        spellings = crawl.hostile.requested_as(url)
        assert spellings == {urlsplit(url).path}, (url, spellings)
    # Nothing else of the hostile web was stored as an article: no hostile page, no trap page.
    hostile_origins = {site.origin for site in crawl.hostile.sites}
    stored = {canonicalise(url) for origin, url, _f in crawl.stored() if origin in hostile_origins}
    on_hostile = {u for u in expected if any(u.startswith(o + "/") for o in hostile_origins)}
    assert stored == {canonicalise(url) for url in on_hostile}
    hostile_report.tried(
        "session_id_links", "feed_broken_dates", *crawl.hostile.hostile_inputs.keys() & {
            "malformed_html", "truncated_html", "lying_charset_header", "unknown_charset",
            "missing_charset", "lying_meta_charset", "json_ld_not_json",
        },
    )  # fmt: skip


def test_the_rest_of_the_crawl_is_unaffected(crawl: Crawl) -> None:
    pairs = json.loads(run_cli("matches", "--json", database=crawl.database).stdout)
    found = {(canonicalise(p["copy_url"]), canonicalise(p["original_url"])) for p in pairs}
    expected = {
        (canonicalise(p.copy_url), canonicalise(p.original_url)) for p in crawl.web.expected_pairs
    }
    # Matching quality itself is tests/test_crawl.py's business; here: as good as ever.
    assert len(found & expected) >= 0.9 * len(expected)
    for url in crawl.web.article_urls:  # excerpts too: fetched, even if not stored
        assert crawl.web.fetch_count(url) >= 1, url
    robots_blocked = {canonicalise(url) for url in crawl.web.disallowed_urls}
    logged = {canonicalise(r.origin + r.path) for r in crawl.web.request_log}
    assert not logged & robots_blocked


def test_each_hostile_input_leaves_a_counter_and_a_log_line(crawl: Crawl) -> None:
    stats = crawl.stats
    missing = {name: key for name, key in EXPECTED_COUNTERS.items() if not stats.get(key)}
    assert missing == {}
    unsaid = {
        name: pattern
        for name, pattern in EXPECTED_LOG.items()
        if not re.search(pattern, crawl.log, re.MULTILINE)
    }
    assert unsaid == {}
    assert set(EXPECTED_COUNTERS) <= set(crawl.hostile.hostile_inputs)
    # Everything hostile was refused: none of it became an article.
    stored = {canonicalise(url) for _o, url, _f in crawl.stored()}
    refused = {
        canonicalise(url)
        for name, url in crawl.hostile.hostile_inputs.items()
        if name in EXPECTED_COUNTERS and "/news/" in url
    }
    assert not stored & refused
    hostile_report.tried(*EXPECTED_COUNTERS)


def test_nothing_connects_outside_the_registered_sites(crawl: Crawl) -> None:
    # The canary (an unregistered port on loopback) was linked, redirected and meta-refreshed
    # to, named in robots.txt and in an external DTD and entity: never a connection.
    assert crawl.hostile.connections("canary") == 0
    # 10.0.0.1 and 169.254.169.254 were refused before connecting: no timeout, no error.
    assert "10.0.0.1" not in json.dumps({k: v for k, v in crawl.stats.items() if "error" in k})
    assert not re.search(r"giving up on http://(10\.|169\.254\.|\[::1\])", crawl.log)
    hostile_report.tried("sitemap_external_dtd")


def test_credentials_never_reach_logs_or_the_database(crawl: Crawl) -> None:
    secrets = ("hunter2", "s3cr3t-pw", "admin:", "editor:")
    for secret in secrets:
        assert secret not in crawl.log
        assert secret not in crawl.stdout
    for path in crawl.db_path.parent.glob("hostile.db*"):
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, (path.name, secret)


def test_traps_are_bounded(crawl: Crawl) -> None:
    stats = crawl.stats
    flood, hostile = crawl.hostile.origin("flood"), crawl.hostile.origin("hostile")
    # The 100 000-URL sitemap and the looping/endless indexes: no more than the page budget.
    # (robots.txt is outside the budget, and so is a retry)
    assert stats[f"site/{flood}/pages_fetched"] <= MAX_PAGES + 3
    assert crawl.hostile.requests_to("nest", "/sitemaps/deeper-") <= 3
    # The endless calendar: only months within the listing depth of the start, fetched once.
    months = {
        path.split("?")[0][: len("/calendar/2026/11/")]
        for key, path, _status in crawl.hostile.request_log
        if key == "hostile" and path.startswith("/calendar/")
    }
    assert len(months) <= 2 * MAX_LISTING_DEPTH + 1
    assert stats[f"site/{hostile}/pages_fetched"] <= MAX_PAGES + 3
    # Memory stayed bounded: 50 MB pages and 64 MB bombs never sat in memory whole.
    assert stats["memusage/max"] - stats["memusage/startup"] < 400 * 1024 * 1024


def test_server_faults_are_counted_and_the_run_is_partial(crawl: Crawl) -> None:
    assert crawl.run["status"] == "partial"
    errors = {k.removeprefix("crawl/errors/"): v for k, v in crawl.stats.items() if "errors/" in k}
    for fault, error in FAULT_ERRORS.items():
        if fault != "site_went_away":
            assert errors.get(error), (fault, errors)
    # Connections to the site that went away are dropped, then refused: either way, errors.
    gone = crawl.hostile.origin("vanishing")
    assert any(k.startswith(f"site/{gone}/errors/") for k in crawl.stats), errors
    for fault, url in crawl.hostile.faults.items():
        if fault != "site_went_away":
            assert re.search(rf"giving up on {re.escape(url)}", crawl.log), fault
    assert "errors:" in crawl.stdout  # the summary names them
    # The site that went away: its home page was read, its articles never could be.
    assert _one_row_per_url(crawl, crawl.hostile.lost_urls) == dict.fromkeys(
        (canonicalise(u) for u in crawl.hostile.lost_urls), 0
    )
    hostile_report.survived(*FAULT_ERRORS)


# --------------------------------------------------------------------------- the middleware

_ORIGIN = "http://127.0.0.1:8001"


def _middleware(*registered: str) -> SafetyMiddleware:
    return SafetyMiddleware(set(registered or {_ORIGIN}), maxsize=1000)


def _refusal(middleware: SafetyMiddleware, url: str, **meta: Any) -> str | None:
    """Run the middleware on a request; return the refusal reason, or None if let through."""
    try:
        result = asyncio.run(middleware.process_request(Request(url, meta=meta)))
    except Refused as refused:
        return refused.reason
    assert result is None or isinstance(result, Request)
    return None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (f"{_ORIGIN}/news/story/", None),  # a registered loopback site works
        ("https://127.0.0.1:8001/news/story/", None),  # in either scheme
        ("http://127.0.0.1:8002/news/story/", "private_address"),  # another port does not
        ("http://10.0.0.1/", "private_address"),
        ("http://172.16.5.4:8080/", "private_address"),
        ("http://192.168.1.1/", "private_address"),
        ("http://169.254.169.254/latest/meta-data/", "private_address"),
        ("http://[::1]:8001/", "private_address"),
        ("http://[fd00::1]/", "private_address"),
        ("http://[::ffff:10.0.0.1]/", "private_address"),
        ("http://0.0.0.0/", "private_address"),
        ("https://unregistered.example/", "unregistered_origin"),
    ],
)
def test_safety_middleware_refuses_before_connecting(url: str, reason: str | None) -> None:
    # No test here can connect anywhere: the middleware decides from the URL alone (no DNS for
    # IP literals and unregistered origins), and nothing downloads.
    assert _refusal(_middleware(), url, redirect_urls=[f"{_ORIGIN}/a/"]) == reason


def test_a_registered_name_that_resolves_to_a_private_address_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    middleware = _middleware("https://news.example", "http://127.0.0.1:9000")
    answers = {"news.example": "10.1.2.3"}

    async def resolve(host: str, port: int) -> list[Any]:
        return [ipaddress.ip_address(answers[host])]

    monkeypatch.setattr(middleware, "_resolve", resolve)
    assert _refusal(middleware, "https://news.example/a/") == "private_address"
    answers["news.example"] = "93.184.215.14"
    assert _refusal(middleware, "https://news.example/a/") is None
    # ... unless that address and port are themselves a registered site.
    middleware.registered.add("http://news.example:9000")
    answers["news.example"] = "127.0.0.1"
    assert _refusal(middleware, "http://news.example:9000/a/") is None


def test_credentials_are_stripped_before_a_request_goes_out() -> None:
    middleware = _middleware()
    result = asyncio.run(
        middleware.process_request(Request("http://admin:hunter2@127.0.0.1:8001/a/"))
    )
    assert isinstance(result, Request) and result.url == f"{_ORIGIN}/a/"


_octets = st.integers(min_value=0, max_value=255)


@settings(max_examples=300, deadline=None)
@given(_octets, _octets, _octets, _octets)
def test_is_public_address_never_lets_a_private_range_through(a: int, b: int, c: int, d: int):
    address = ipaddress.IPv4Address(f"{a}.{b}.{c}.{d}")
    private = any(
        address in ipaddress.ip_network(net)
        for net in ("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
                    "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/3")
    )  # fmt: skip
    if private:
        assert not is_public_address(address)
    mapped = ipaddress.IPv6Address(f"::ffff:{address}")
    assert is_public_address(mapped) == is_public_address(address)


def test_the_resolver_twisted_connects_with_refuses_private_answers() -> None:
    # Against DNS rebinding: the answer at connection time is checked again.
    resolver = PublicAddressResolver.__new__(PublicAddressResolver)
    resolver.allowed = frozenset({ipaddress.ip_address("127.0.0.1")})
    assert resolver.check("93.184.215.14", "news.example") == "93.184.215.14"
    assert resolver.check("127.0.0.1", "fixture.test") == "127.0.0.1"  # a registered site
    for answer in ("10.0.0.7", "169.254.169.254", "127.0.0.2", "192.168.0.1"):
        with pytest.raises(DNSLookupError):
            resolver.check(answer, "rebinding.example")
