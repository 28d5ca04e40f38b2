"""Shared fixtures: databases (SQLite files and a throw-away PostgreSQL database) and the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from copycat.db import make_engine

POSTGRES_URL = os.environ.get(
    "COPYCAT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REPO = Path(__file__).resolve().parent.parent


def _postgres_reachable() -> str | None:
    """Return why PostgreSQL cannot be used, or None if it can."""
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
    except Exception as error:
        return f"PostgreSQL not reachable at {POSTGRES_URL}: {type(error).__name__}"
    return None


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """Return the admin URL of the test PostgreSQL server; skip (or fail under CI) without it."""
    reason = _postgres_reachable()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (mandatory under CI: .ci/run starts it)")
        pytest.skip(f"{reason}; set COPYCAT_TEST_POSTGRES_URL or start PostgreSQL")
    return POSTGRES_URL


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """Create an empty database for one test and drop it afterwards."""
    name = f"copycat_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_server).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


REDIS_URL = os.environ.get("COPYCAT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_reachable() -> str | None:
    """Return why Redis cannot be used, or None if it can."""
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
        client.ping()
        client.close()
    except Exception as error:
        return f"Redis not reachable at {REDIS_URL}: {type(error).__name__}"
    return None


@pytest.fixture(scope="session")
def redis_server() -> str:
    """Return the URL of the test Redis server; skip (or fail under CI) without it."""
    reason = _redis_reachable()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (mandatory under CI: .ci/run starts it)")
        pytest.skip(f"{reason}; set COPYCAT_TEST_REDIS_URL or start redis-server")
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_server: str) -> Iterator[str]:
    """A key prefix of one test's own (``COPYCAT_REDIS_PREFIX``); its keys are deleted after."""
    import redis

    prefix = f"copycat-test-{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(redis_server)
        for key in client.scan_iter(match=f"{prefix}:*"):
            client.delete(key)
        client.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """Return the URL of a fresh SQLite file."""
    return f"sqlite:///{tmp_path / 'copycat.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database of each supported kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'copycat.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def engine_for(database_url: str) -> Iterator[object]:
    """An engine on the fresh database, disposed afterwards."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def run_cli(
    *args: str, database: str, check: bool = True, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run the real ``copycat`` command in a subprocess (a reactor starts once a process)."""
    result = subprocess.run(
        [sys.executable, "-m", "copycat.cli", "--database", database, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"copycat {' '.join(args)} exited {result.returncode}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return result


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """End the session with the fault-and-abuse suite's line, if its tests ran."""
    from tests.hostile_report import FAULTS, HOSTILE_INPUTS, summary_line

    line = summary_line()
    if line is not None:
        terminalreporter.section("fault-and-abuse suite")
        terminalreporter.write_line(line)
        terminalreporter.write_line(f"  inputs: {', '.join(sorted(HOSTILE_INPUTS))}")
        terminalreporter.write_line(f"  faults: {', '.join(sorted(FAULTS))}")
