"""Two crawl processes sharing a Redis frontier and one PostgreSQL database crawl like one."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from scrapy.exceptions import NotConfigured
from scrapy.settings import Settings

from copycat.crawl import LOOPBACK_SETTINGS
from copycat.demo.web import FixtureWeb
from copycat.urls import canonicalise
from crawler.distributed import RedisFrontier
from tests.conftest import REPO, run_cli

LOOPBACK = [arg for name, value in LOOPBACK_SETTINGS.items() for arg in ("-s", f"{name}={value}")]
# The fixture web is small: a worker taking 32 requests at a time would leave none for the
# other. Few at a time keeps requests waiting in Redis, as on a web of real size.
SHARE = ["-s", "CONCURRENT_REQUESTS=2"]


@pytest.fixture(scope="module")
def web() -> Iterator[FixtureWeb]:
    with FixtureWeb(seed=7) as running:
        yield running


def _register(web: FixtureWeb, database: str) -> None:
    for site in web.sites:
        args = ["sites", "add", site.origin, "--name", site.name, "--role", "unknown"]
        for feed in site.feeds:
            args += ["--feed", feed]
        for sitemap in site.sitemaps:
            args += ["--sitemap", sitemap]
        run_cli(*args, database=database)


def _pairs(database: str) -> set[tuple[str, str, str]]:
    pairs = json.loads(run_cli("matches", "--json", database=database).stdout)
    return {
        (canonicalise(p["copy_url"]), canonicalise(p["original_url"]), p["kind"]) for p in pairs
    }


def _articles(database: str) -> dict[str, int]:
    report = json.loads(run_cli("report", "--json", database=database).stdout)
    return {row["site"]: row["articles"] for row in report}


def _article_fetches(web: FixtureWeb) -> Counter[str]:
    """Successful fetches of each article page (a 5xx answer is not a fetch of the page)."""
    wanted = {canonicalise(url) for url in web.article_urls}
    fetched: Counter[str] = Counter()
    for entry in web.request_log:
        url = canonicalise(entry.origin + entry.path)
        if url in wanted and entry.status == 200:
            fetched[url] += 1
    return fetched


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.redis
def test_two_workers_share_one_frontier_and_find_the_pairs_of_one_process(
    web: FixtureWeb, tmp_path: Path, postgres_url: str, redis_server: str, redis_prefix: str
) -> None:
    # The reference: one process, no Redis.
    single = f"sqlite:///{tmp_path / 'single.db'}"
    _register(web, single)
    run_cli("crawl", "--log-file", str(tmp_path / "single.log"), *LOOPBACK, database=single)
    expected_pairs = _pairs(single)
    expected_articles = _articles(single)
    assert expected_pairs and sum(expected_articles.values()) > 0

    # Two workers, started together, sharing Redis and one PostgreSQL database.
    _register(web, postgres_url)
    web.clear_log()
    env = {
        **{k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"},
        "COPYCAT_REDIS_URL": redis_server,
        "COPYCAT_REDIS_PREFIX": redis_prefix,
    }
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "copycat.cli",
                "--database",
                postgres_url,
                "crawl",
                "--log-file",
                str(tmp_path / f"worker{n}.log"),
                *LOOPBACK,
                *SHARE,
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(2)
    ]
    outputs = [worker.communicate(timeout=300) for worker in workers]
    for worker, (out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode in (0, 3), f"worker exited {worker.returncode}\n{out}\n{err}"

    fetched = _article_fetches(web)
    wanted = {canonicalise(url) for url in web.article_urls}
    assert set(fetched) == wanted, f"never fetched: {sorted(wanted - set(fetched))}"
    twice = {url: n for url, n in fetched.items() if n > 1}
    assert not twice, f"article pages fetched more than once: {twice}"

    # Both workers were in the cluster and did part of the job.
    for n in range(2):
        assert "joined the crawl cluster" in (tmp_path / f"worker{n}.log").read_text()
    pages = [int(re.search(r"(\d+) pages fetched", out)[1]) for out, _ in outputs]  # type: ignore[index]
    assert all(pages), f"one worker did all the fetching: {pages}"

    assert _articles(postgres_url) == expected_articles  # every article stored, and once
    # The true pairs (ground truth) each crawl found are the same. Compared on (copy, original):
    # the match stage's ``kind`` of some spun copies, and pairs of a stitched round-up, still
    # depend on the order articles are stored in, which differs between two single-process
    # crawls as well (e.g. with another CONCURRENT_REQUESTS).
    truth = {(canonicalise(p.copy_url), canonicalise(p.original_url)) for p in web.expected_pairs}
    found = {(copy, original) for copy, original, _ in _pairs(postgres_url)}
    assert found & truth == {(copy, original) for copy, original, _ in expected_pairs} & truth

    # The last worker out deleted the shared frontier: the next run starts afresh.
    client = redis.Redis.from_url(redis_server)
    assert list(client.scan_iter(match=f"{redis_prefix}:*")) == []
    client.close()


def _project_settings(**overrides: object) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    for name, value in overrides.items():
        settings.set(name, value, priority="cmdline")
    return settings


def test_without_a_redis_url_a_crawl_runs_alone() -> None:
    settings = _project_settings(COPYCAT_REDIS_URL=None)
    assert "crawler.distributed.RedisFrontier" in settings.getdict("ADDONS")
    with pytest.raises(NotConfigured):
        RedisFrontier().update_settings(settings)
    assert settings["SCHEDULER"] == "scrapy.core.scheduler.Scheduler"


def test_a_redis_url_makes_the_crawl_a_cluster_worker() -> None:
    settings = _project_settings(
        COPYCAT_REDIS_URL="redis://redis.internal:6379/3", COPYCAT_REDIS_PREFIX="team"
    )
    RedisFrontier().update_settings(settings)
    assert settings["SCHEDULER"] == "scrapy_redis.scheduler.Scheduler"
    assert settings["DUPEFILTER_CLASS"] == "scrapy_redis.dupefilter.RFPDupeFilter"
    assert settings["REDIS_URL"] == "redis://redis.internal:6379/3"
    assert settings["SCHEDULER_QUEUE_KEY"] % {"spider": "articles"} == "team:articles:requests"
    assert settings.getbool("SCHEDULER_PERSIST")  # the last worker out deletes it, not the first
    assert not settings.getbool("CRAWL_SITE_LOCKS")
    pipelines = settings.getdict("ITEM_PIPELINES")
    lock, unlock = (
        pipelines["crawler.distributed.MatchLock"],
        pipelines["crawler.distributed.MatchUnlock"],
    )
    assert lock < pipelines["pipelines.match.MatchPipeline"]
    assert pipelines["pipelines.store.StorePipeline"] < unlock
    assert "crawler.distributed.ClusterMember" in settings.getdict("EXTENSIONS")
