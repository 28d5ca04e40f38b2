"""The store stage: idempotent upserts of an article, its band index rows and its pairs.

One short transaction per item. An article is keyed by its canonical URL, so storing the same
page twice (a re-crawl, an ingest run repeated) updates one row instead of adding another.

The database may go away mid-crawl (a restart, a fail-over, a lock timeout). A transaction
that fails with a connection-level error is retried with backoff for up to
``STORE_RETRY_SECONDS``; an item that still cannot be written is never dropped silently: it
is appended to a spill file (``STORE_SPILL_FILE``, JSON lines in the ``copycat ingest``
format) and the log says how to replay it. Items that a *database* error stops in an earlier
stage (the match stage reads the database too) are spilled the same way, and
:class:`DatabaseGatePipeline` holds items before the match stage while the database is down,
so that most of them are simply written once it is back.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from scrapy import signals
from scrapy.exceptions import DropItem
from sqlalchemy import Row, Select, Table, bindparam, delete, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from copycat.db import driver_executemany, driver_rows, parameter_mark, session_scope
from copycat.models import (
    Article,
    ArticleProfile,
    ArticleVersion,
    DroppedPage,
    LshBucket,
    Match,
    Site,
    utcnow,
)
from copycat.urls import canonicalise, on_site
from pipelines.epochs import epoch_for_new, move_out_of_sealed, newest_epoch, seal_epochs
from pipelines.match import MatchVerdict, redundant_pairs
from pipelines.outages import (
    DEFAULT_RETRY_SECONDS,
    FIRST_DELAY,
    MAX_DELAY,
    describe_error,
    is_transient,
    retry_seconds_from,
    retry_transient,
    sleep_on_reactor,
)
from pipelines.stats import add_seconds, count, timed

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector
    from twisted.python.failure import Failure

    from crawler.items import ArticleItem

logger = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_SPILL_FILE = "copycat-spill.jsonl"


def _insert(session: Session) -> Any:
    """Return the dialect's INSERT construct, which knows ON CONFLICT."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"upserts are written for SQLite and PostgreSQL, not {dialect}")


def article_key(item_url: str, site_origin: str, canonical_url: str | None) -> str:
    """Return the URL an article is stored under: its canonical URL when that is on its own site.

    A copycat often declares the *original's* URL as canonical; that is evidence, not identity,
    so a canonical on another origin is ignored here.
    """
    if canonical_url:
        # The same page under the site's other scheme (http/https) counts as the same site.
        same_site = on_site(canonical_url, site_origin)
        if same_site is not None:
            return same_site
    return on_site(item_url, site_origin) or canonicalise(item_url)


def ensure_site(session: Session, origin: str, known: dict[str, int] | None = None) -> int:
    """Return the id of the site at ``origin``, registering it as ``unknown`` if it is new.

    ``known`` caches origin → id for a stage that stores many items (sites are never deleted
    while a crawl runs, so an id once read stays right).
    """
    if known is not None and origin in known:
        return known[origin]
    insert = _insert(session)
    session.execute(
        insert(Site.__table__)
        .values(
            origin=origin, name=origin.split("://", 1)[-1], role="unknown", feeds=[], sitemaps=[]
        )
        .on_conflict_do_nothing(index_elements=["origin"])
    )
    site_id = session.scalar(select(Site.id).where(Site.origin == origin))
    assert site_id is not None
    if known is not None:
        known[origin] = site_id
    return site_id


# What the store needs to know about the row an item is about to overwrite.
_PREVIOUS = select(
    Article.id, Article.title, Article.text, Article.word_count, Article.text_hash,
    Article.fetched_at, Article.published_at, Article.published_source,
)  # fmt: skip


@cache
def _upsert_statement(insert_of: Any) -> Any:
    """The article upsert with bound parameters for the dialect's ``insert_of`` (see
    :func:`_insert`): compiled once, not once per article."""
    table = cast("Table", Article.__table__)
    insert = insert_of(table)
    # first_seen_at is when we first saw the page: a later fetch must not move it.
    kept = ("id", "url", "first_seen_at")
    return insert.on_conflict_do_update(
        index_elements=["url"],
        set_={c.name: insert.excluded[c.name] for c in table.columns if c.name not in kept},
    ).returning(table.c.id)


@cache
def _insert_new_statement(insert_of: Any) -> Any:
    """The article INSERT that does nothing (and returns no id) if the URL is stored already."""
    table = cast("Table", Article.__table__)
    return insert_of(table).on_conflict_do_nothing(index_elements=["url"]).returning(table.c.id)


def store_item(
    session: Session, item: ArticleItem, site_ids: dict[str, int] | None = None
) -> tuple[int, int]:
    """Write one processed item (article, buckets, pairs); return its id and the pairs pruned.

    Cost matters here (it runs once per article, on the crawl's reactor thread): a new article,
    the common case, takes two inserts (three with pairs); only a re-stored one pays for a
    lookup, an upsert and clearing the rows it had before.
    """
    article, fingerprint = item.article, item.fingerprint
    if article is None or fingerprint is None:
        raise ValueError("store stage got an item the earlier stages did not fill")
    values: dict[str, Any] = {
        "site_id": ensure_site(session, item.site, site_ids),
        "url": article_key(item.url, item.site, article.canonical_url),
        "fetched_url": canonicalise(item.url),
        "canonical_url": article.canonical_url,
        "title": article.title or item.title_hint,
        "author": article.author,
        "language": article.language,
        "text": article.text,
        "word_count": fingerprint.word_count,
        "text_hash": fingerprint.text_hash,
        "minhash": fingerprint.minhash,
        "published_at": article.published_at,
        "published_source": article.published_source,
        "page_published_at": article.page_published_at,
        "first_seen_at": article.first_seen_at,
        "fetched_at": item.fetched_at,
        "discovered_via": item.discovered_via,
        "source_url_hint": item.source_url_hint,
        "links": [asdict(link) for link in article.links],
    }
    insert_of = _insert(session)
    # A URL not stored yet, the common case, takes this one statement.
    article_id: int | None = session.execute(_insert_new_statement(insert_of), values).scalar()
    # Nothing to clear for an article this transaction just created (a concurrent writer of
    # the same URL waits for our commit, finds the row and takes the path below).
    fresh = article_id is not None
    if article_id is not None:
        item.extra["stored"] = "new"
    else:
        previous = session.execute(_PREVIOUS.where(Article.url == values["url"])).first()
        # A re-fetch of a changed page keeps the earlier text (article_versions); the item
        # says which it was, for the run's per-site counts.
        item.extra["stored"] = archive_previous_version(session, previous, values["text_hash"])
        if previous is not None and values["published_at"] is None:
            # A re-fetch that learnt no date (an updated page: its new lastmod is an edit
            # time, not a publication) keeps the publication date stored before.
            values["published_at"] = previous.published_at
            values["published_source"] = previous.published_source
        article_id = session.execute(_upsert_statement(insert_of), values).scalar_one()
    item.extra["article_id"] = article_id
    replace_buckets(session, article_id, fingerprint.buckets, fresh=fresh)
    # An unchanged text keeps its stored profile even if matching did not need it this time.
    keep_profile = fresh or item.extra["stored"] == "unchanged"
    replace_profile(session, article_id, item.alignment_profile, keep_stored=keep_profile)
    return article_id, replace_pairs(session, article_id, item.matches, fresh=fresh)


def replace_profile(
    session: Session, article_id: int, data: bytes | None, *, keep_stored: bool = False
) -> None:
    """Store the article's serialised alignment profile; with none, drop the stored one
    unless ``keep_stored`` (a new article has none; an unchanged text's is still good)."""
    connection = session.connection()
    if data is not None:
        sql = _driver_insert_sql(
            connection.dialect.paramstyle,
            ArticleProfile.__tablename__,
            ("article_id", "data"),
            "ON CONFLICT (article_id) DO UPDATE SET data = excluded.data",
        )
        driver_rows(connection, sql, (article_id, data))
    elif not keep_stored:
        session.execute(delete(ArticleProfile).where(ArticleProfile.article_id == article_id))


def replace_buckets(
    session: Session, article_id: int, buckets: Sequence[tuple[int, int]], *, fresh: bool = False
) -> None:
    """Replace an article's LSH band index rows with ``buckets`` ((band, bucket) pairs).

    ``fresh``: the article has no rows yet, so there is nothing to delete. The rows go to the
    epoch a new article's id gives, and a re-fingerprinted article's to the newest article's:
    never to a sealed one (see ``pipelines.epochs``).
    """
    if not fresh:
        session.execute(delete(LshBucket).where(LshBucket.article_id == article_id))
    if buckets:
        epoch = epoch_for_new(article_id) if fresh else newest_epoch(session)
        # The driver's own executemany: ~80 rows an article, and SQLAlchemy's per-row
        # parameter processing (for plain integers) cost more than the database's inserts.
        # A multi-row VALUES is worse still: compiled anew for every parameter count.
        connection = session.connection()
        sql = _driver_insert_sql(
            connection.dialect.paramstyle,
            LshBucket.__tablename__,
            ("epoch", "band", "bucket", "article_id"),
            "ON CONFLICT DO NOTHING",
        )
        rows = [(epoch, band, bucket, article_id) for band, bucket in buckets]
        driver_executemany(connection, sql, rows)
        move_out_of_sealed(session, article_id, epoch)


@cache
def _driver_insert_sql(
    paramstyle: str, table: str, columns: tuple[str, ...], on_conflict: str
) -> str:
    """An INSERT in the driver's own parameter style (SQLite ``?``, psycopg ``%s``), built once."""
    marks = ", ".join([parameter_mark(paramstyle)] * len(columns))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) {on_conflict}"


def replace_pairs(
    session: Session, article_id: int, verdicts: Sequence[MatchVerdict], *, fresh: bool = False
) -> int:
    """Replace every pair ``article_id`` takes part in with ``verdicts``; return pairs pruned.

    The match stage recomputed every pair the article takes part in, so the old ones go
    (``fresh``: the article is new and has none).
    """
    if not fresh:
        session.execute(
            delete(Match).where(or_(Match.copy_id == article_id, Match.original_id == article_id))
        )
    if not verdicts:
        # Pairs of the article's partners among themselves are pruned when they are stored;
        # an article with no pair changes nothing there.
        return 0
    rows = []
    for verdict in verdicts:
        copy_id, original_id = (
            (article_id, verdict.other_id)
            if verdict.new_is_copy
            else (verdict.other_id, article_id)
        )
        rows.append({"copy_id": copy_id, "original_id": original_id, **verdict.pair_fields()})
    session.execute(_pair_upsert_statement(_insert(session)), rows)
    # The article's pairs are now exactly these (the old ones were deleted above).
    return prune_sibling_pairs(session, {article_id, *(v.other_id for v in verdicts)})


@cache
def _pair_upsert_statement(insert_of: Any) -> Any:
    """The pair upsert for the dialect's ``insert_of``, built once (building its SET clause
    for every article cost as much as the insert)."""
    table = cast("Table", Match.__table__)
    insert = insert_of(table)
    # found_at stays: a pair found again (a rematch, a re-crawl) was found when it was first.
    key = ("id", "copy_id", "original_id", "found_at")
    return insert.on_conflict_do_update(
        index_elements=["copy_id", "original_id"],
        set_={c.name: insert.excluded[c.name] for c in table.columns if c.name not in key},
    )


def archive_previous_version(
    session: Session, previous: Row[*tuple[Any, ...]] | None, text_hash: bytes
) -> str:
    """Keep the stored text of the article about to be overwritten if the new one differs.

    ``previous`` is the stored row (see ``_PREVIOUS``). Returns ``new`` (nothing stored under
    that URL yet), ``unchanged`` (same text hash) or ``updated`` (the previous text is now a row
    of ``article_versions``).
    """
    if previous is None:
        return "new"
    if previous.text_hash == text_hash:
        return "unchanged"
    session.add(
        ArticleVersion(
            article_id=previous.id,
            title=previous.title,
            text=previous.text,
            word_count=previous.word_count,
            text_hash=previous.text_hash,
            fetched_at=previous.fetched_at,
            replaced_at=utcnow(),
        )
    )
    session.flush()
    return "updated"


def record_dropped_page(session: Session, site_origin: str, url: str, reason: str) -> None:
    """Remember that ``url`` was fetched and is not an article (idempotent)."""
    insert = _insert(session)
    site_id = ensure_site(session, site_origin)
    session.execute(
        insert(DroppedPage)
        .values(site_id=site_id, url=url, reason=reason, dropped_at=utcnow())
        .on_conflict_do_update(index_elements=["url"], set_={"reason": reason})
    )


def prune_sibling_pairs(session: Session, partners: set[int]) -> int:
    """Delete pairs between copies of a common original among ``partners``; return how many.

    ``partners``: an article and every article it is paired with.
    """
    if len(partners) < 3:
        return 0  # two copies and their original make three: no query for a single pair
    rows = session.execute(_pairs_among(), {"among": list(partners)}).all()
    redundant = redundant_pairs({(c, o): score for c, o, score in rows})
    for copy_id, original_id in redundant:
        session.execute(
            delete(Match).where(Match.copy_id == copy_id, Match.original_id == original_id)
        )
    return len(redundant)


@cache
def _pairs_among() -> Select[int, int, float]:
    """The pairs between given articles: built once (it runs for every article with a pair)."""
    return select(Match.copy_id, Match.original_id, Match.score).where(
        Match.copy_id.in_(bindparam("among", expanding=True)),
        Match.original_id.in_(bindparam("among", expanding=True)),
    )


# --------------------------------------------------------------------------- faults


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def spill_record(item: ArticleItem) -> dict[str, Any]:
    """Return the ``copycat ingest`` record that reproduces ``item`` when replayed.

    Besides the ingest fields it keeps what the crawl knew about the page (how it was found,
    feed and sitemap dates, when it was fetched), which ``copycat ingest`` reads back.
    """
    record: dict[str, Any] = {"url": item.url, "site": item.site}
    if item.html is not None:
        record["html"] = item.html
    elif item.text is not None:
        record["text"] = item.text
    elif item.article is not None:
        record["text"] = item.article.text
    record.update(
        {
            "title": item.title_hint,
            "published_at": _iso(item.input_published_at),
            "fetched_at": _iso(item.fetched_at),
            "discovered_via": item.discovered_via,
            "feed_published_at": _iso(item.feed_published_at),
            "sitemap_published_at": _iso(item.sitemap_published_at),
            "source_url_hint": item.source_url_hint,
            "content_type": item.content_type,
        }
    )
    return {key: value for key, value in record.items() if value is not None}


class SpillFile:
    """An append-only JSON-lines file of items that could not be stored, for a later replay.

    Each record is flushed and fsynced before :meth:`write` returns: the spill file is what
    stands between a failed write and a lost article.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def write(self, record: dict[str, Any]) -> None:
        """Append one record."""
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())


# --------------------------------------------------------------------------- pipelines


class _DatabaseStage:
    """What the stages that wait out database outages share: sessions, stats, retry, spill."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        stats: StatsCollector | None = None,
        retry_seconds: float = DEFAULT_RETRY_SECONDS,
        spill_path: Path | str = DEFAULT_SPILL_FILE,
    ) -> None:
        self.sessions = sessions
        self.stats = stats
        self.retry_seconds = retry_seconds
        self.spill = SpillFile(Path(spill_path))
        self.site_ids: dict[str, int] = {}
        """Site ids read by committed transactions (see :func:`ensure_site`); a caller that
        commits itself copies it, and puts the copy back after its commit."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Open the configured database; read ``STORE_RETRY_SECONDS`` and ``STORE_SPILL_FILE``."""
        from copycat.db import open_database

        settings = crawler.settings
        _, sessions = open_database(settings.get("COPYCAT_DATABASE_URL"))
        return cls(
            sessions,
            crawler.stats,
            retry_seconds=retry_seconds_from(settings),
            spill_path=settings.get("STORE_SPILL_FILE") or DEFAULT_SPILL_FILE,
        )


class StorePipeline(_DatabaseStage):
    """Scrapy pipeline: write each item in its own short transaction, retrying outages."""

    _sealing_checked_for = -1
    """The newest epoch for which older ones were sealed (see :meth:`seal_due_epochs`)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build the stage, and listen for items another stage failed on because of the
        database, so that they are spilled instead of lost."""
        pipeline = super().from_crawler(crawler)
        crawler.signals.connect(pipeline.item_error, signal=signals.item_error)
        return pipeline

    def _store_once(self, item: ArticleItem) -> int:
        # A site registered by a transaction that then rolls back does not exist: ids join
        # the cache only once their transaction is committed.
        site_ids = dict(self.site_ids)
        with session_scope(self.sessions) as session:
            _, pruned = store_item(session, item, site_ids)
        self.site_ids = site_ids
        return pruned

    def write_in(self, session: Session, item: ArticleItem, site_ids: dict[str, int]) -> int:
        """Write the item in the caller's transaction; return the pairs pruned.

        For a caller that commits several items at once (``copycat ingest``): nothing is
        retried or counted here; see :meth:`count_stored` for after the commit.
        """
        with timed(self.stats, "store"):
            _, pruned = store_item(session, item, site_ids)
        return pruned

    def count_stored(self, item: ArticleItem, pruned: int) -> None:
        """Count an item whose transaction was committed (articles, net pairs)."""
        count(self.stats, "store/articles")
        # Net pairs: those between two copies of one original are taken back out.
        count(self.stats, "store/pairs", len(item.matches) - pruned)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        """Store the item (retrying outages); count articles and pairs stored.

        The retry waits block the calling thread: in a crawl the reactor pauses (requests in
        flight may time out and are retried), which is rare since :class:`DatabaseGatePipeline`
        holds items without blocking while the database is down; in ``copycat ingest`` it is
        what should happen anyway.

        Raises:
            DropItem: the database stayed unavailable for ``retry_seconds``; the item is in
                the spill file by then.
        """
        try:
            with timed(self.stats, "store"):
                pruned = retry_transient(
                    lambda: self._store_once(item),
                    self.retry_seconds,
                    f"storing {item.url}",
                    on_retry=lambda _error: count(self.stats, "store/retries"),
                )
        except Exception as error:
            if not is_transient(error):
                raise
            self.spill_item(item, error)
            # "from None": the drop is not an extraction refusal (no reason to record).
            raise DropItem(
                f"database unavailable, spilled to {self.spill.path}: {item.url}"
            ) from None
        self.count_stored(item, pruned)
        self.seal_due_epochs(item.extra.get("article_id"))
        return item

    def seal_due_epochs(self, stored_id: int | None) -> None:
        """Seal the band index's older epochs once a committed article opened a newer one.

        The first call of a run checks too (a database upgraded to epochs seals its old ones
        then). A failure is logged and counted, and tried again after the next article: until
        then the epoch is searched by index, which is slower, never wrong.
        """
        if stored_id is None or epoch_for_new(stored_id) <= self._sealing_checked_for:
            return
        try:
            reports = seal_epochs(self.sessions)
        except SQLAlchemyError as error:
            logger.warning(
                "could not seal band-index epochs, will try after the next article: %s",
                describe_error(error),
            )
            count(self.stats, "store/seal_failures")
            return
        self._sealing_checked_for = epoch_for_new(stored_id)
        if reports:
            count(self.stats, "store/epochs_sealed", len(reports))
            add_seconds(self.stats, "store/seal_seconds", sum(r.seconds for r in reports))

    def spill_item(self, item: ArticleItem, error: BaseException) -> None:
        """Keep an item that could not be stored in the spill file; log and count it."""
        self.spill.write(spill_record(item))
        count(self.stats, "store/spilled")
        logger.error(
            "could not store %s (%s); kept it in %s: replay with `copycat ingest %s`",
            item.url,
            describe_error(error),
            self.spill.path,
            self.spill.path,
        )

    def item_error(self, item: Any, response: Any, spider: Any, failure: Failure) -> None:
        """Spill an item another stage failed on because the database was unavailable."""
        from crawler.items import ArticleItem

        error = failure.value
        if isinstance(item, ArticleItem) and isinstance(error, Exception) and is_transient(error):
            self.spill_item(item, error)


class DatabaseGatePipeline(_DatabaseStage):
    """Hold items before the stages that use the database while it is unavailable.

    It pings the database and, while that fails with a connection-level error, waits with
    backoff (without blocking the reactor) for up to ``STORE_RETRY_SECONDS``. Scrapy stops
    feeding the pipelines once too many responses wait in them, so the crawl pauses rather
    than piling up pages. An item still waiting after that is spilled (see
    :class:`StorePipeline`).
    """

    def _ping(self) -> None:
        with self.sessions() as session:
            session.execute(text("SELECT 1"))

    async def process_item(self, item: ArticleItem) -> ArticleItem:
        """Pass the item on as soon as the database answers."""
        try:
            self._ping()
            return item
        except Exception as error:
            if not is_transient(error):
                raise
            first_error: BaseException = error
        count(self.stats, "store/held")
        started = time.monotonic()
        delay = FIRST_DELAY
        logger.warning(
            "database unavailable (%s): holding %s until it is back",
            describe_error(first_error),
            item.url,
        )
        while time.monotonic() - started + delay <= self.retry_seconds:
            await sleep_on_reactor(delay)
            delay = min(delay * 2, MAX_DELAY)
            try:
                self._ping()
            except Exception as error:
                if not is_transient(error):
                    raise
                first_error = error
                continue
            logger.info("database is back after %.1fs", time.monotonic() - started)
            return item
        self.spill.write(spill_record(item))
        count(self.stats, "store/spilled")
        logger.error(
            "database unavailable for %.0fs (%s): kept %s in %s: replay with `copycat ingest %s`",
            self.retry_seconds,
            describe_error(first_error),
            item.url,
            self.spill.path,
            self.spill.path,
        )
        raise DropItem(f"database unavailable, spilled to {self.spill.path}: {item.url}")
