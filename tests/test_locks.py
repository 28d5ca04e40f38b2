"""Per-site locks (two runs never crawl one site at once) and interrupted-run detection."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from copycat.crawl import LOOPBACK_SETTINGS
from copycat.db import open_database, session_scope
from copycat.locks import SiteLocks, mark_interrupted_runs, new_owner, owner_is_dead
from copycat.models import CrawlRun, HttpValidator, SiteLock, utcnow
from tests.conftest import run_cli
from tests.localsite import LocalSite, Page, article_html

LOOPBACK = [arg for name, value in LOOPBACK_SETTINGS.items() for arg in ("-s", f"{name}={value}")]
SITE = "https://news.example"


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on a fresh database of each kind; the engine is disposed afterwards."""
    engine, factory = open_database(database_url)
    yield factory
    engine.dispose()


def _dead_owner() -> str:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                           capture_output=True, text=True)  # fmt: skip
    return f"{socket.gethostname()}:{int(child.stdout)}:gone"


def test_a_locked_site_cannot_be_taken_until_released(sessions: sessionmaker[Session]) -> None:
    first = SiteLocks(sessions, new_owner(), ttl=60)
    second = SiteLocks(sessions, new_owner(), ttl=60)
    assert first.acquire([SITE, "https://other.example"]) == [SITE, "https://other.example"]
    assert second.acquire([SITE]) == []
    assert second.holder(SITE) == first.owner
    first.renew()
    first.release([SITE])
    assert second.acquire([SITE]) == [SITE]
    assert first.acquire([SITE]) == []


def test_stale_locks_expire(sessions: sessionmaker[Session]) -> None:
    # A lock on another host that stopped beating: only its expiry frees it.
    with session_scope(sessions) as session:
        session.add(
            SiteLock(origin=SITE, owner="elsewhere:1:x", expires_at=utcnow() - timedelta(seconds=1))
        )
        session.add(
            SiteLock(
                origin="https://busy.example",
                owner="elsewhere:2:x",
                expires_at=utcnow() + timedelta(minutes=5),
            )
        )
        # A process of this host that is gone (kill -9): taken over at once, expiry or not.
        session.add(
            SiteLock(
                origin="https://dead.example",
                owner=_dead_owner(),
                expires_at=utcnow() + timedelta(minutes=5),
            )
        )
    locks = SiteLocks(sessions, new_owner(), ttl=60)
    taken = locks.acquire([SITE, "https://busy.example", "https://dead.example"])
    assert sorted(taken) == ["https://dead.example", SITE]


def test_owner_liveness() -> None:
    assert not owner_is_dead(new_owner())  # this process
    assert owner_is_dead(_dead_owner())
    assert not owner_is_dead("another-host:1:x")  # cannot tell: expiry decides


def test_runs_of_dead_processes_are_marked_interrupted(sessions: sessionmaker[Session]) -> None:
    now = utcnow()
    with session_scope(sessions) as session:
        dead = CrawlRun(started_at=now, status="running", owner=_dead_owner(), heartbeat_at=now)
        silent = CrawlRun(
            started_at=now - timedelta(hours=1),
            status="running",
            owner="elsewhere:1:x",
            heartbeat_at=now - timedelta(minutes=30),
        )
        alive = CrawlRun(started_at=now, status="running", owner=new_owner(), heartbeat_at=now)
        session.add_all([dead, silent, alive])
    with session_scope(sessions) as session:
        marked = mark_interrupted_runs(session, ttl=300)
    assert sorted(marked) == sorted([dead.id, silent.id])
    with sessions() as session:
        assert session.get(CrawlRun, alive.id).status == "running"  # type: ignore[union-attr]
        assert session.get(CrawlRun, dead.id).status == "interrupted"  # type: ignore[union-attr]


@pytest.mark.slow
def test_a_crawl_skips_the_sites_another_run_holds(database_url: str, tmp_path: Path) -> None:
    slug = "/news/harbour-council-agrees-new-budget-plan"
    with LocalSite() as held, LocalSite() as free:
        for site in (held, free):
            site.pages["/"] = Page(f'<html><body><a href="{slug}">Story</a></body></html>')
            site.pages[slug] = Page(article_html("Story", seed=len(site.pages)))
        database = database_url
        run_cli("sites", "add", held.origin, database=database)
        run_cli("sites", "add", free.origin, database=database)
        engine, sessions = open_database(database)
        # Another live run (this test process) is crawling `held`.
        other = SiteLocks(sessions, f"{socket.gethostname()}:{os.getpid()}:other", ttl=600)
        assert other.acquire([held.origin]) == [held.origin]

        result = run_cli(
            "crawl", "--log-file", str(tmp_path / "crawl.log"), *LOOPBACK, database=database
        )
        assert result.returncode == 0
        assert held.hits == [], "a locked site was crawled"
        assert free.hits_for(slug)
        run = json.loads(run_cli("runs", "--json", database=database).stdout)[0]
        assert run["per_site"][held.origin]["sites_locked"] == 1
        assert run["per_site"][free.origin]["articles_new"] == 1
        assert run["stats"]["copycat/sites_skipped"] == [held.origin]
        assert "skipped, another run is crawling it" in (tmp_path / "crawl.log").read_text()
        # The clean run saved the validators of the free site's listings.
        with sessions() as session:
            listed = set(session.scalars(select(HttpValidator.url)))
        assert free.origin + "/" in listed
        with sessions() as session:  # the crawl gave its own lock back, ours is still there
            owners = dict(session.execute(select(SiteLock.origin, SiteLock.owner)).all())
        assert owners == {held.origin: other.owner}
        engine.dispose()
