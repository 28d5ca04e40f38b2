"""End to end: crawl the fixture web with the real `copycat crawl`, then crawl it again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from copycat.crawl import LOOPBACK_SETTINGS
from copycat.demo.web import FixtureWeb
from copycat.urls import canonicalise
from tests.conftest import REPO, run_cli

pytestmark = pytest.mark.slow

LOOPBACK = [arg for name, value in LOOPBACK_SETTINGS.items() for arg in ("-s", f"{name}={value}")]


@pytest.fixture(scope="module")
def web() -> Iterator[FixtureWeb]:
    with FixtureWeb(seed=7) as running:
        yield running


def _register(web: FixtureWeb, database: str, with_roles: bool) -> None:
    for site in web.sites:
        args = ["sites", "add", site.origin, "--name", site.name]
        args += ["--role", site.role if with_roles else "unknown"]
        for feed in site.feeds:
            args += ["--feed", feed]
        for sitemap in site.sitemaps:
            args += ["--sitemap", sitemap]
        run_cli(*args, database=database)


def _article_fetches(web: FixtureWeb) -> dict[str, int]:
    wanted = {canonicalise(url) for url in web.article_urls}
    counts: dict[str, int] = {}
    for entry in web.request_log:
        url = canonicalise(entry.origin + entry.path)
        if url in wanted:
            counts[url] = counts.get(url, 0) + 1
    return counts


def test_crawl_finds_every_article_and_its_pairs_then_fetches_nothing_again(
    web: FixtureWeb, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'crawl.db'}"
    _register(web, database, with_roles=False)  # everything must work with every site unknown
    web.clear_log()

    first = run_cli(
        "crawl", "--log-file", str(tmp_path / "crawl.log"), *LOOPBACK, database=database
    )
    assert "articles stored" in first.stdout

    fetched = _article_fetches(web)
    missing = {canonicalise(u) for u in web.article_urls} - set(fetched)
    assert not missing, f"article pages never fetched: {sorted(missing)}"
    logged = {canonicalise(entry.origin + entry.path) for entry in web.request_log}
    assert not logged & {canonicalise(u) for u in web.disallowed_urls}, "robots.txt ignored"
    for url in web.fail_once_urls:  # failed once, retried, stored
        assert web.fetch_count(url) >= 2

    pairs = json.loads(run_cli("matches", "--json", database=database).stdout)
    found = {(canonicalise(p["copy_url"]), canonicalise(p["original_url"])) for p in pairs}
    expected = {
        (canonicalise(p.copy_url), canonicalise(p.original_url)) for p in web.expected_pairs
    }
    recall = len(found & expected) / len(expected)
    assert recall >= 0.9, f"missed: {sorted(expected - found)}"
    wrong = found - expected
    assert not wrong, f"pairs that are not copies (or point the wrong way): {sorted(wrong)}"
    for one, two in web.independent_pairs:
        pair = {canonicalise(one), canonicalise(two)}
        assert not any(set(p) == pair for p in found), "independent reports paired"

    runs = json.loads(run_cli("runs", "--json", database=database).stdout)
    assert runs[0]["status"] in ("finished", "partial") and runs[0]["articles_stored"] > 0

    # Second run: feeds, sitemaps and listings again, but no article page.
    web.clear_log()
    second = run_cli(
        "crawl", "--log-file", str(tmp_path / "crawl.log"), *LOOPBACK, database=database
    )
    assert "known articles skipped" in second.stdout
    assert _article_fetches(web) == {}
    again = json.loads(run_cli("matches", "--json", database=database).stdout)
    assert len(again) == len(pairs)


def test_scrapy_crawl_articles_works_from_the_repo_root(web: FixtureWeb, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'scrapy.db'}"
    publisher = next(site for site in web.sites if site.role == "source" and site.sitemaps)
    run_cli("sites", "add", publisher.origin, "--role", "source", database=database)
    host = publisher.origin.split("://", 1)[1]
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "articles", "-a", f"site={host}",
         "-s", f"COPYCAT_DATABASE_URL={database}", "-s", "LOG_LEVEL=WARNING", *LOOPBACK],
        cwd=REPO, capture_output=True, text=True, timeout=300,
        env={k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(run_cli("report", "--json", database=database).stdout)
    stored = {r["site"]: r["articles"] for r in report}
    on_site = [u for u in web.article_urls if u.startswith(publisher.origin + "/")]
    assert stored[publisher.origin] == len(on_site)


def test_crawl_refuses_an_unregistered_site(tmp_path: Path) -> None:
    result = run_cli(
        "crawl", "--site", "https://nowhere.example", database=f"sqlite:///{tmp_path / 'x.db'}",
        check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "not a registered site" in result.stderr
