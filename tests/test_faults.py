"""Fault-and-abuse suite, part two: the database fails, the process dies, writers race.

Server faults (5xx, timeouts, resets, a site going away) are injected by the hostile web in
tests/test_hostile.py; here the faults are copycat's own dependencies.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scrapy.exceptions import DropItem
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool
from twisted.python.failure import Failure

from copycat.crawl import LOOPBACK_SETTINGS
from copycat.db import make_engine, open_database
from copycat.demo.web import FixtureWeb
from copycat.ingest import PipelineChain, ingest_lines, parse_record, standalone_stats
from copycat.urls import canonicalise
from crawler.items import ArticleItem
from pipelines.outages import is_transient, retry_transient
from pipelines.store import StorePipeline, spill_record
from tests import hostile_report
from tests.conftest import REPO, run_cli
from tests.corpus import build_corpus


def _outage() -> OperationalError:
    return OperationalError(
        "SELECT 1", {}, ConnectionError("server closed the connection unexpectedly")
    )


class FlakySessions:
    """A session factory whose first ``failures`` sessions fail as if the server were gone."""

    def __init__(self, real: sessionmaker[Session], failures: int) -> None:
        self.real = real
        self.failures = failures

    def __call__(self) -> Session:
        if self.failures > 0:
            self.failures -= 1
            raise _outage()
        return self.real()


def _chain_with_store(url: str, store: Callable[[Any], StorePipeline]) -> PipelineChain:
    _, sessions = open_database(url)
    chain = PipelineChain(sessions, standalone_stats())
    chain.store = store(chain.stats)
    return chain


def _count(url: str, sql: str) -> int:
    engine = create_engine(make_engine(url).url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(sql)).scalar_one())
    finally:
        engine.dispose()


def _record(n: int = 1) -> dict[str, Any]:
    corpus = build_corpus(n, seed=31)
    return corpus.records[0]


# --------------------------------------------------------------------------- store retries


def test_store_retries_an_outage_and_writes_the_item_once(sqlite_url: str, tmp_path: Path) -> None:
    _, sessions = open_database(sqlite_url)
    chain = _chain_with_store(
        sqlite_url,
        lambda stats: StorePipeline(
            FlakySessions(sessions, failures=2),  # type: ignore[arg-type]
            stats,
            retry_seconds=10,
            spill_path=tmp_path / "spill.jsonl",
        ),
    )
    item = parse_record(json.dumps(_record()), datetime.now(UTC))
    chain.process(item)
    assert chain.stats.get_value("store/retries") == 2
    assert chain.stats.get_value("store/articles") == 1
    assert not (tmp_path / "spill.jsonl").exists()
    assert _count(sqlite_url, "SELECT count(*) FROM articles") == 1
    hostile_report.survived("database_outage_retried")


def test_an_ingest_batch_that_fails_is_written_item_by_item(
    sqlite_url: str, tmp_path: Path
) -> None:
    """The ingest writer commits many items at once; an outage mid-batch loses none of them."""
    corpus = build_corpus(40, seed=37)
    lines = [json.dumps(record) for record in corpus.records]
    _, sessions = open_database(sqlite_url)
    flaky = FlakySessions(sessions, failures=0)
    chain = _chain_with_store(
        sqlite_url,
        lambda stats: StorePipeline(
            flaky,  # type: ignore[arg-type]
            stats,
            retry_seconds=10,
            spill_path=tmp_path / "spill.jsonl",
        ),
    )
    # The store's first session of the run fails, then two more (the per-item retries).
    flaky.failures = 3
    result = ingest_lines(lines, chain)
    stored = _count(sqlite_url, "SELECT count(*) FROM articles")
    assert result.stored == stored == len(lines) - sum(result.dropped.values())
    assert stored > 30
    assert chain.stats.get_value("store/retries") == 2
    assert not (tmp_path / "spill.jsonl").exists()
    # the pairs are those of a run without an outage
    found = _count(sqlite_url, "SELECT count(*) FROM matches")
    _, clean_sessions = open_database(f"sqlite:///{tmp_path}/clean.db")
    ingest_lines(lines, PipelineChain(clean_sessions, standalone_stats()))
    assert found == _count(f"sqlite:///{tmp_path}/clean.db", "SELECT count(*) FROM matches") > 0


def test_store_spills_what_it_cannot_write_and_ingest_replays_it(
    sqlite_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spill = tmp_path / "spill.jsonl"
    _, sessions = open_database(sqlite_url)
    chain = _chain_with_store(
        sqlite_url,
        lambda stats: StorePipeline(
            FlakySessions(sessions, failures=10**6),  # type: ignore[arg-type]
            stats,
            retry_seconds=0.6,
            spill_path=spill,
        ),
    )
    record = _record()
    item = parse_record(json.dumps(record), datetime.now(UTC))
    item.discovered_via, item.feed_published_at = "feed", datetime(2026, 11, 3, 7, tzinfo=UTC)
    with caplog.at_level(logging.WARNING), pytest.raises(DropItem):
        chain.process(item)
    assert chain.stats.get_value("store/spilled") == 1
    assert f"replay with `copycat ingest {spill}`" in caplog.text
    assert "database unavailable" in caplog.text
    lines = spill.read_text("utf-8").splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["url"] == canonicalise(record["url"])

    # The database is back: the spill file is an ordinary ingest file.
    run_cli("ingest", str(spill), database=sqlite_url)
    run_cli("ingest", str(spill), database=sqlite_url)  # twice: still one article
    assert _count(sqlite_url, "SELECT count(*) FROM articles") == 1
    assert _count(sqlite_url, "SELECT count(*) FROM articles WHERE discovered_via = 'feed'") == 1
    hostile_report.survived("database_down_spilled_and_replayed")


def test_an_item_another_stage_failed_on_for_the_database_is_spilled(tmp_path: Path) -> None:
    store = StorePipeline(sessionmaker(), standalone_stats(), spill_path=tmp_path / "s.jsonl")
    item = ArticleItem(
        url="https://a.example/x", site="https://a.example", fetched_at=datetime.now(UTC)
    )
    store.item_error(item, None, None, Failure(_outage()))
    store.item_error(item, None, None, Failure(ValueError("a bug, not an outage")))
    assert len((tmp_path / "s.jsonl").read_text("utf-8").splitlines()) == 1


def test_only_connection_errors_are_retried() -> None:
    assert is_transient(_outage())
    assert not is_transient(IntegrityError("INSERT", {}, Exception("duplicate key")))
    calls = []

    def broken() -> None:
        calls.append(1)
        raise IntegrityError("INSERT", {}, Exception("duplicate key"))

    with pytest.raises(IntegrityError):
        retry_transient(broken, 10, "testing", sleep=lambda _s: None)
    assert len(calls) == 1


_dates = st.none() | st.datetimes(
    min_value=datetime(1995, 1, 1), max_value=datetime(2026, 1, 1), timezones=st.just(UTC)
)


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(["links", "feed", "sitemap", "ingest"]),
    _dates,
    _dates,
    _dates,
    st.text(max_size=200),
    st.none() | st.text(max_size=40),
)
def test_a_spilled_item_replays_as_the_same_item(
    via: str,
    fetched: datetime | None,
    feed: datetime | None,
    sitemap: datetime | None,
    html: str,
    title: str | None,
) -> None:
    item = ArticleItem(
        url="https://news.example/2026/11/03/a-story",
        site="https://news.example",
        fetched_at=fetched or datetime(2026, 11, 3, tzinfo=UTC),
        html=html,
        discovered_via=via,
        title_hint=title,
        feed_published_at=feed,
        sitemap_published_at=sitemap,
    )
    again = parse_record(json.dumps(spill_record(item)), datetime.now(UTC))
    for name in ("url", "site", "fetched_at", "html", "discovered_via", "title_hint"):
        assert getattr(again, name) == getattr(item, name), name
    assert again.feed_published_at == feed and again.sitemap_published_at == sitemap


# --------------------------------------------------------------------------- processes

INVARIANTS = {
    "articles without their LSH buckets": (
        "SELECT count(*) FROM articles a WHERE NOT EXISTS "
        "(SELECT 1 FROM lsh_buckets b WHERE b.article_id = a.id)"
    ),
    "buckets of a missing article": (
        "SELECT count(*) FROM lsh_buckets b WHERE NOT EXISTS "
        "(SELECT 1 FROM articles a WHERE a.id = b.article_id)"
    ),
    "pairs pointing at a missing article": (
        "SELECT count(*) FROM matches m WHERE NOT EXISTS "
        "(SELECT 1 FROM articles a WHERE a.id = m.copy_id) OR NOT EXISTS "
        "(SELECT 1 FROM articles a WHERE a.id = m.original_id)"
    ),
    "articles stored twice": (
        "SELECT count(*) FROM (SELECT url FROM articles GROUP BY url HAVING count(*) > 1) d"
    ),
}


def _check_invariants(database: str) -> None:
    broken = {name: n for name, sql in INVARIANTS.items() if (n := _count(database, sql))}
    assert broken == {}
    if database.startswith("sqlite"):
        engine = create_engine(database, poolclass=NullPool)
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
        engine.dispose()


def _ingest_process(path: Path, database: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "copycat.cli", "--database", database, "ingest", str(path)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kind(database: str) -> str:
    """``sqlite`` or ``postgresql``, for the suite's summary."""
    return database.split(":", 1)[0].split("+", 1)[0]


def _wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_kill_9_mid_ingest_leaves_the_database_consistent(
    database_url: str, tmp_path: Path
) -> None:
    corpus = build_corpus(240, seed=17)
    path = corpus.write(tmp_path / "archive.jsonl")
    run_cli("db", "upgrade", database=database_url)
    process = _ingest_process(path, database_url)
    try:
        _wait_for(
            lambda: (
                _count(database_url, "SELECT count(*) FROM articles") >= 25
                or process.poll() is not None
            ),
            180,
            "the ingest to store some articles",
        )
        assert process.poll() is None, "the ingest finished before it could be killed"
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        # returns once every process holding the ingest's pipes is gone: its extraction
        # workers too, which leave when their parent dies
        process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    stored = _count(database_url, "SELECT count(*) FROM articles")
    assert 25 <= stored < len(corpus.records)
    _check_invariants(database_url)

    # Run it again: the rest goes in, what was there is not doubled.
    run_cli("ingest", str(path), database=database_url)
    assert _count(database_url, "SELECT count(*) FROM articles") == len(corpus.records)
    _check_invariants(database_url)
    hostile_report.survived(f"kill_9_mid_write_{_kind(database_url)}")


def test_two_ingests_of_the_same_documents_at_once_store_each_once(
    database_url: str, tmp_path: Path
) -> None:
    corpus = build_corpus(120, seed=19)
    path = corpus.write(tmp_path / "archive.jsonl")
    run_cli("db", "upgrade", database=database_url)
    processes = [_ingest_process(path, database_url) for _ in range(2)]
    outputs = [process.communicate(timeout=600) for process in processes]
    for process, (stdout, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stdout + stderr
        assert f"{len(corpus.records)} articles stored" in stdout
    assert _count(database_url, "SELECT count(*) FROM articles") == len(corpus.records)
    urls = {canonicalise(str(r["url"])) for r in corpus.records}
    assert _count(database_url, "SELECT count(DISTINCT url) FROM articles") == len(urls)
    _check_invariants(database_url)
    hostile_report.survived(f"concurrent_ingest_{_kind(database_url)}")


# --------------------------------------------------------------------------- database restart


def _pg_cluster(action: str) -> subprocess.CompletedProcess[str]:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action]
    if action == "stop":
        command += ["-m", "fast"]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def _pg_up(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError:
        return False
    return True


@pytest.fixture
def restartable_postgres(postgres_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database on a server this test may stop; it is running afterwards."""
    if not os.path.isdir("/etc/postgresql") or os.geteuid() != 0:
        pytest.skip("needs a local PostgreSQL cluster managed by pg_ctlcluster, as root")
    engine = create_engine(make_engine(postgres_url).url, poolclass=NullPool)
    try:
        yield postgres_url
    finally:
        if not _pg_up(engine):
            _pg_cluster("start")
            _wait_for(lambda: _pg_up(engine), 60, "PostgreSQL to come back")
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.slow
def test_database_restart_during_a_crawl_loses_and_doubles_nothing(
    restartable_postgres: str, tmp_path: Path
) -> None:
    database = restartable_postgres
    spill, log_file = tmp_path / "spill.jsonl", tmp_path / "crawl.log"
    run_cli("db", "upgrade", database=database)
    overrides = {**LOOPBACK_SETTINGS, "STORE_RETRY_SECONDS": "60", "STORE_SPILL_FILE": str(spill)}
    settings_args = [a for k, v in overrides.items() for a in ("-s", f"{k}={v}")]
    engine = create_engine(make_engine(database).url, poolclass=NullPool)
    with FixtureWeb(seed=7) as web:
        for site in web.sites:
            run_cli("sites", "add", site.origin, "--name", site.name, database=database)
        crawl = subprocess.Popen(
            [sys.executable, "-m", "copycat.cli", "--database", database, "crawl",
             "--log-file", str(log_file), *settings_args],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            _wait_for(
                lambda: (
                    crawl.poll() is not None
                    or (_pg_up(engine) and _count(database, "SELECT count(*) FROM articles") >= 8)
                ),
                240,
                "the crawl to store some articles",
            )
            assert crawl.poll() is None, "the crawl finished before the restart"
            stopped = _pg_cluster("stop")
            assert stopped.returncode == 0, stopped.stderr
            time.sleep(3)  # down for a few seconds: other test sessions share the server
        finally:
            started = _pg_cluster("start")
        assert started.returncode == 0, started.stderr
        stdout, stderr = crawl.communicate(timeout=600)
        assert crawl.returncode in (0, 3), stdout + stderr
        expected = web.article_urls - {copy_url for copy_url, _ in web.excerpt_pairs}
    log = log_file.read_text("utf-8")
    assert "database unavailable" in log
    run = json.loads(run_cli("runs", "--json", database=database).stdout)[0]
    # The store stage or the match stage (which reads the band index in its worker) meets the
    # outage first, depending on where the crawl was when the server stopped.
    handled = ("store/held", "store/retries", "store/spilled", "match/retries")
    noticed = {k: v for k, v in run["stats"].items() if k in handled}
    assert noticed, f"no stage counted the outage: {run['stats']}"
    print(f"outage handled: {noticed}")
    if spill.exists():  # what could not wait is replayed, as the log says
        assert f"replay with `copycat ingest {spill}`" in log
        run_cli("ingest", str(spill), database=database)
    engine.dispose()
    # None lost (each well-formed article is there), none doubled (the invariants).
    assert {canonicalise(u) for u in expected} - _urls(database) == set()
    _check_invariants(database)
    hostile_report.survived("database_restart_mid_crawl")


def _urls(database: str) -> set[str]:
    engine = create_engine(make_engine(database).url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            found = connection.execute(text("SELECT url, fetched_url FROM articles")).all()
    finally:
        engine.dispose()
    return {canonicalise(u) for row in found for u in row}


# --------------------------------------------------------------------------- credentials


@pytest.mark.postgres
def test_the_database_password_is_never_printed(postgres_url: str, tmp_path: Path) -> None:
    secret = "pw-s3cret-4711"
    url = make_url(postgres_url).set(password=secret).render_as_string(hide_password=False)
    unreachable = make_url(url).set(port=1).render_as_string(hide_password=False)
    log_file = tmp_path / "crawl.log"
    outputs = [run_cli("-v", "db", "upgrade", database=url)]
    with FixtureWeb(seed=7) as web:
        site = web.sites[0]
        outputs.append(run_cli("-v", "sites", "add", site.origin, database=url))
        outputs.append(
            run_cli(
                "-v", "crawl", "--max-pages", "10", "--log-file", str(log_file),
                *[a for k, v in LOOPBACK_SETTINGS.items() for a in ("-s", f"{k}={v}")],
                database=url, check=False,
            )
        )  # fmt: skip
    crawled = outputs[-1]
    assert crawled.returncode in (0, 3), (crawled.stdout + crawled.stderr).replace(secret, "***")
    outputs.append(run_cli("-v", "sites", "list", database=unreachable, check=False))
    assert outputs[-1].returncode != 0  # it failed, and said so without the password
    for result in outputs:
        assert secret not in result.stdout + result.stderr
    assert secret not in log_file.read_text("utf-8")
    hostile_report.tried("database_password_in_url")
