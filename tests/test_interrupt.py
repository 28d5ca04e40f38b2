"""Safe to interrupt: ``kill -9`` in the middle of a crawl, crawl again, nothing lost or doubled."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from copycat.crawl import LOOPBACK_SETTINGS
from copycat.db import open_database
from copycat.demo.web import FixtureWeb
from copycat.models import Article, CrawlRun, DroppedPage
from copycat.urls import canonicalise
from tests.conftest import REPO, run_cli

pytestmark = pytest.mark.slow

LOOPBACK = [arg for name, value in LOOPBACK_SETTINGS.items() for arg in ("-s", f"{name}={value}")]
# One request at a time per site, 0.3 s apart: slow enough to kill the run half-way.
SLOW = [
    "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0.3",
    "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1",
]  # fmt: skip


def _stored(sessions: object) -> int:
    with sessions() as session:  # type: ignore[operator]
        return int(session.scalar(select(func.count()).select_from(Article)))


def test_kill_9_mid_crawl_then_crawl_again_stores_every_article_once(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'killed.db'}"
    with FixtureWeb(seed=7) as web:
        for site in web.sites:
            args = ["sites", "add", site.origin, "--role", site.role, "--name", site.name]
            for feed in site.feeds:
                args += ["--feed", feed]
            for sitemap in site.sitemaps:
                args += ["--sitemap", sitemap]
            run_cli(*args, database=database)
        articles = {canonicalise(url) for url in web.article_urls}
        engine, sessions = open_database(database)

        process = subprocess.Popen(
            [sys.executable, "-m", "copycat.cli", "--database", database, "crawl",
             "--log-file", str(tmp_path / "first.log"), *LOOPBACK, *SLOW],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while _stored(sessions) < 5:
                assert process.poll() is None, "the crawl ended before it could be killed"
                assert time.monotonic() < deadline, "no article stored within a minute"
                time.sleep(0.05)
            os.kill(process.pid, signal.SIGKILL)
        finally:
            process.wait(timeout=30)
        assert process.returncode == -signal.SIGKILL
        first_stored = _stored(sessions)
        assert 5 <= first_stored < len(articles), "killed too late to show anything"
        with sessions() as session:
            stored_first = set(session.scalars(select(Article.fetched_url)))
            assert session.scalars(select(CrawlRun.status)).one() == "running"
        # `copycat runs` already tells the killed run for what it is.
        killed = json.loads(run_cli("runs", "--json", database=database).stdout)[0]
        assert killed["status"] == "interrupted" and killed["finished_at"]

        web.clear_log()
        second = run_cli(
            "crawl", "--log-file", str(tmp_path / "second.log"), *LOOPBACK,
            database=database, check=False,
        )  # fmt: skip
        assert second.returncode == 0, second.stdout + second.stderr
        refetched = {
            canonicalise(entry.origin + entry.path) for entry in web.request_log
        } & stored_first
        assert not refetched, f"the second run fetched stored articles again: {refetched}"

    with sessions() as session:
        rows = session.execute(select(Article.url, Article.fetched_url)).all()
        dropped = {canonicalise(url) for url in session.scalars(select(DroppedPage.url))}
        statuses = list(session.scalars(select(CrawlRun.status).order_by(CrawlRun.id)))
    engine.dispose()
    fetched = [canonicalise(fetched_url) for _, fetched_url in rows]
    assert len(fetched) == len(set(fetched)), "an article was stored twice"
    # Every page of the ground truth was reached: stored, or (the aggregator's three-sentence
    # excerpts) recorded as too short to be an article. A crawl without a kill does the same.
    missing = articles - set(fetched) - dropped
    assert not missing, f"never reached: {sorted(missing)}"
    assert not set(fetched) & dropped
    assert statuses == ["interrupted", "finished"]
    runs = json.loads(run_cli("runs", "--json", database=database).stdout)
    assert runs[1]["status"] == "interrupted"
    new = sum(c["articles_new"] for c in runs[0]["per_site"].values())
    assert new == len(rows) - first_stored
