"""Engines, sessions and schema migration for copycat's database.

Callers own their sessions and keep them short: ``with session_scope(factory) as s: ...`` is one
transaction. The schema is made only by Alembic; :func:`ensure_schema` brings a fresh SQLite file
to head by itself so that every command works on a new machine without a set-up step.
"""

from __future__ import annotations

import atexit
import importlib.resources
import logging
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from copycat.config import database_url

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


class SchemaNotCurrent(RuntimeError):
    """The database is behind the code's migrations and was not upgraded automatically."""


WAL_CHECKPOINT_PAGES = 40_000
"""SQLite copies its write-ahead log back into the database once it holds this many pages."""


SQLITE_CACHE_MB = 16
"""SQLite's page cache a connection keeps, in MB, unless :func:`make_engine` is told
otherwise (see :func:`_sqlite_pragmas`)."""


def _sqlite_pragmas(dbapi_connection: Any, cache_mb: int) -> None:
    # WAL lets the read side query while a crawl writes; foreign keys are off by default in
    # SQLite; the busy timeout makes concurrent writers wait instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Every article adds ~87 rows at random places of the band index's newest epoch (~15 MB
    # when full): a 16 MB page cache (default 2 MB) keeps most of it. A larger one made each
    # commit dearer once the database outgrew it, and bought nothing: 64 MB took the commit
    # from 1.03 to 1.37 ms an article between 10k and 100k articles, 16 MB from 1.00 to 1.04
    # (`bench/checkpoint.py --cache-mb 16,64`). Checkpointing every 160 MB of WAL rather than
    # every 4 MB writes each page that several articles touched back once (at 100k articles,
    # before epochs, the store stage 3.5 → 2.7 ms an article). The WAL file stays that big.
    cursor.execute(f"PRAGMA cache_size=-{cache_mb * 1024}")
    cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
    cursor.close()


def parameter_mark(paramstyle: str) -> str:
    """Return the positional parameter mark of a DB-API ``paramstyle``, for plain SQL that a
    hot path hands to the driver itself (SQLite's ``?``, psycopg's ``%s``)."""
    marks = {"qmark": "?", "format": "%s", "pyformat": "%s"}
    if paramstyle not in marks:
        raise NotImplementedError(f"no plain SQL written for the {paramstyle} parameter style")
    return marks[paramstyle]


@contextmanager
def _driver_cursor(connection: Connection) -> Iterator[Any]:
    """A DB-API cursor of ``connection``'s own driver connection (so in its transaction),
    closed afterwards."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        yield cursor
    finally:
        cursor.close()


def driver_rows(
    connection: Connection, sql: str, parameters: Sequence[Any] = ()
) -> list[tuple[Any, ...]]:
    """Run plain SQL (in the driver's parameter style) on ``connection``'s own DB-API cursor,
    in its transaction, and return every row.

    For the per-article hot path: a small indexed query costs the database a few
    microseconds, ``exec_driver_sql`` ~35 and an ORM ``Session.execute`` ~200 on top.
    """
    with _driver_cursor(connection) as cursor:
        cursor.execute(sql, tuple(parameters))
        return list(cursor.fetchall()) if cursor.description is not None else []


def driver_executemany(connection: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """Run plain SQL once per row of parameters on ``connection``'s own DB-API cursor (see
    :func:`driver_rows`)."""
    with _driver_cursor(connection) as cursor:
        cursor.executemany(sql, rows)


def make_engine(url: str | None = None, sqlite_cache_mb: int = SQLITE_CACHE_MB) -> Engine:
    """Create an engine for ``url`` (default: the configured one) with per-dialect setup
    (``sqlite_cache_mb``: the page cache of each SQLite connection; benches compare sizes)."""
    resolved = make_url(database_url(url))
    if resolved.get_backend_name() == "sqlite":
        if resolved.database and resolved.database != ":memory:":
            Path(resolved.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(resolved)

        def set_pragmas(dbapi_connection: Any, _record: Any) -> None:
            _sqlite_pragmas(dbapi_connection, sqlite_cache_mb)

        event.listen(engine, "connect", set_pragmas)
        return engine
    if resolved.get_backend_name() == "postgresql" and resolved.drivername == "postgresql":
        # Plain postgresql:// would pick psycopg2; we ship psycopg 3.
        resolved = resolved.set(drivername="postgresql+psycopg")
    return create_engine(resolved, pool_pre_ping=True)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory whose sessions keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Run one transaction: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


def _copy_resources(source: Traversable, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for entry in source.iterdir():
        if entry.is_dir():
            if entry.name != "__pycache__":
                _copy_resources(entry, target / entry.name)
        else:
            (target / entry.name).write_bytes(entry.read_bytes())


@cache
def migrations_dir() -> Path:
    """Return a directory holding the migrations, for Alembic, which reads only real files.

    Deployed to scrapyd, the code runs from a zipped egg: the migrations are then copied out
    of it into a temporary directory (removed at exit).
    """
    if MIGRATIONS_DIR.is_dir():
        return MIGRATIONS_DIR
    target = Path(tempfile.mkdtemp(prefix="copycat-migrations-")) / "migrations"
    atexit.register(shutil.rmtree, target.parent, True)
    _copy_resources(importlib.resources.files("migrations"), target)
    return target


def alembic_config(engine: Engine | None = None) -> Config:
    """Return an Alembic config for the project's migrations; env.py takes the URL from us."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


@cache
def head_revision() -> str | None:
    """Return the newest migration revision shipped with the code."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at (None for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database up to ``revision``."""
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database down to ``revision`` ("base" removes every table)."""
    command.downgrade(alembic_config(engine), revision)


def ensure_schema(engine: Engine) -> None:
    """Make sure the schema is at head: SQLite is upgraded in place, others must be migrated.

    A shared PostgreSQL database is migrated on purpose (``copycat db upgrade``), never as a
    side effect of whichever command happens to run first after a deploy.
    """
    current = current_revision(engine)
    if current == head_revision():
        return
    if engine.dialect.name == "sqlite" or current is None:
        logger.info("migrating database %s from %s to head", engine.url, current)
        upgrade(engine)
        return
    raise SchemaNotCurrent(
        f"database is at revision {current}, the code needs {head_revision()}: "
        "run `copycat db upgrade`"
    )


def open_database(url: str | None = None) -> tuple[Engine, sessionmaker[Session]]:
    """Create the engine, bring the schema to head if allowed; return it and sessions."""
    engine = make_engine(url)
    ensure_schema(engine)
    return engine, session_factory(engine)
