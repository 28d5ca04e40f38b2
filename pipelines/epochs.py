"""The band index's epochs: where an article's rows go, sealing old epochs, planning a lookup.

The band index (``lsh_buckets``) is keyed by (epoch, bucket, article_id). A new article's rows
go to epoch ``id // EPOCH_ARTICLES``, so however large the archive grows, the rows a run of
articles writes fall in one epoch's part of the B-tree, and a checkpoint writes back about as
many pages per article at 100k articles as at 10k. Once a newer epoch takes the new rows, an
epoch is sealed: the Bloom filter of its buckets is stored (``band_filters``). A lookup then
searches the open epochs by index, and a sealed one only for the buckets its filter may hold
(sized for a false-positive rate of 0.1 %, ~0.07 % measured: under one bucket a lookup at 100k
articles), so it stays one index probe a bucket as the archive grows, plus a check of each
sealed epoch's filter in memory.

A sealed epoch must never take a row its filter lacks. New articles take new ids, so their
rows go to the newest epoch. A writer that raced the seal finds out after its insert (the
seal's lock made it wait on PostgreSQL; SQLite has one writer at a time) and moves its rows
to the epoch after the last sealed one, in the same transaction.
"""

from __future__ import annotations

import logging
import secrets
import weakref
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, Engine, delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from copycat.db import driver_rows, parameter_mark, session_scope
from copycat.models import EPOCH_ARTICLES, Article, BandFilter, LshBucket
from pipelines.bloom import BucketFilter, FilterStack

__all__ = [
    "DIRECT_LOOKUPS",
    "FALSE_POSITIVE_RATE",
    "EpochSearch",
    "SealReport",
    "SealedEpochs",
    "epoch_for_new",
    "last_article_id",
    "move_out_of_sealed",
    "newest_epoch",
    "seal_epochs",
    "sealed_epochs",
    "search_parameters",
    "search_shape",
]

logger = logging.getLogger(__name__)

FALSE_POSITIVE_RATE = 0.001
"""How often a sealed epoch's filter lets through a bucket the epoch does not hold."""

DIRECT_LOOKUPS = 8
"""Lookups a process makes before it loads the sealed epochs' filters. Until then it searches
every epoch by index: for a one-off query (``copycat attribute``) that is cheaper than loading
them (at 100k articles, ~1,300 index probes against reading ~15 MB of filters)."""

_STATE_SQL = (
    f"SELECT (SELECT max(epoch) FROM {LshBucket.__tablename__}), "
    f"(SELECT max(epoch) FROM {BandFilter.__tablename__}), "
    f"(SELECT token FROM {BandFilter.__tablename__} ORDER BY epoch DESC LIMIT 1)"
)
_NEWEST_SEAL_SQL = f"SELECT max(epoch) FROM {BandFilter.__tablename__}"
_LAST_ARTICLE_SQL = f"SELECT max(id) FROM {Article.__tablename__}"


def epoch_for_new(article_id: int) -> int:
    """The epoch a newly stored article's band rows go to."""
    return article_id // EPOCH_ARTICLES


def last_article_id(session: Session) -> int:
    """The highest article id stored so far (0 for none): a watermark for later lookups."""
    ((last,),) = driver_rows(session.connection(), _LAST_ARTICLE_SQL)
    return last or 0


def newest_epoch(session: Session) -> int:
    """The epoch a re-fingerprinted article's rows go to: that of the newest article."""
    return epoch_for_new(last_article_id(session))


def move_out_of_sealed(session: Session, article_id: int, epoch: int) -> bool:
    """After writing ``article_id``'s rows into ``epoch``: move them if that epoch is sealed.

    Returns whether they were moved. Runs in the writer's transaction, after its insert: on
    PostgreSQL the insert waited for a seal in progress, so a seal committed before it is
    seen here, and one started after it waits for this transaction and reads its rows.
    """
    # Plain SQL through the driver: this runs for every article stored.
    ((sealed,),) = driver_rows(session.connection(), _NEWEST_SEAL_SQL)
    if sealed is None or epoch > sealed:
        return False
    session.execute(
        update(LshBucket).where(LshBucket.article_id == article_id).values(epoch=sealed + 1)
    )
    logger.info(
        "article %d's band rows moved from sealed epoch %d to %d", article_id, epoch, sealed + 1
    )
    return True


@dataclass(frozen=True, slots=True)
class SealReport:
    """One epoch sealed: how many rows its filter holds, its size, how long it took."""

    epoch: int
    rows: int
    filter_bytes: int
    seconds: float


def seal_epochs(
    sessions: sessionmaker[Session], false_positive_rate: float = FALSE_POSITIVE_RATE
) -> list[SealReport]:
    """Seal every epoch older than the newest that has no filter yet, oldest first.

    One transaction an epoch, holding the band index against writers meanwhile (PostgreSQL:
    a SHARE ROW EXCLUSIVE lock, which waits for writers in flight, keeps new ones out and lets
    one sealer in at a time; SQLite: its write lock, taken by a first write) so that no row
    lands in an epoch between reading its rows and storing its filter, and two crawls that
    both see an epoch fill seal it once. Reading an epoch's ~650,000 rows and building its
    filter takes ~0.6 s.
    """
    reports: list[SealReport] = []
    while True:
        with session_scope(sessions) as session:
            connection = session.connection()
            _hold_band_index(connection)
            ((newest, sealed, _),) = driver_rows(connection, _STATE_SQL)
            epoch = 0 if sealed is None else sealed + 1
            if newest is None or epoch >= newest:
                return reports
            started = perf_counter()
            buckets = _epoch_buckets(connection, epoch)
            data = BucketFilter.of(buckets, false_positive_rate).to_bytes()
            session.add(
                BandFilter(epoch=epoch, token=secrets.token_hex(8), rows=len(buckets), data=data)
            )
            session.flush()
            report = SealReport(epoch, len(buckets), len(data), perf_counter() - started)
        logger.info(
            "sealed band-index epoch %d: %d rows, a %d KB filter, in %.2f s",
            report.epoch, report.rows, report.filter_bytes // 1024, report.seconds,
        )  # fmt: skip
        reports.append(report)


def _epoch_buckets(connection: Connection, epoch: int) -> npt.NDArray[np.int64]:
    """Every bucket of ``epoch``'s rows, read with the driver's own cursor: an epoch has
    ~650,000 rows, and wrapping each in a SQLAlchemy row took three times as long."""
    mark = parameter_mark(connection.dialect.paramstyle)
    sql = f"SELECT bucket FROM {LshBucket.__tablename__} WHERE epoch = {mark}"
    rows = driver_rows(connection, sql, (epoch,))
    return np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))


def _hold_band_index(connection: Connection) -> None:
    """Keep other writers out of the band index until this transaction ends."""
    if connection.dialect.name == "postgresql":
        table = LshBucket.__tablename__
        connection.exec_driver_sql(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
    else:  # SQLite's write lock comes with a first write, even one that changes nothing
        connection.execute(delete(BandFilter).where(BandFilter.epoch < 0))


@dataclass(frozen=True, slots=True)
class EpochSearch:
    """What a lookup searches: the open epochs for every bucket, sealed ones for a few."""

    open: tuple[int, ...]
    sealed: dict[int, list[int]] = field(default_factory=dict)
    """Sealed epoch → the document's buckets its filter may hold."""


class SealedEpochs:
    """One process's copy of a database's sealed-epoch filters, kept up to date by lookups.

    Each :meth:`plan` reads the newest epoch and the newest seal (one small query), loads
    filters sealed since the last call, and checks the document's buckets against them all;
    its first ``direct_lookups`` search every epoch by index instead (see
    :data:`DIRECT_LOOKUPS`).
    """

    def __init__(self, direct_lookups: int | None = None) -> None:
        self.direct_lookups = DIRECT_LOOKUPS if direct_lookups is None else direct_lookups
        self.lookups = 0
        self._reset()

    def _reset(self) -> None:
        self.stack = FilterStack()
        self.sealed_through = -1
        """Every epoch up to this one is sealed and its filter loaded here."""
        self.token: str | None = None
        """The token of that epoch's filter: a different one means another database."""
        self.unreadable_at: int | None = None
        """The newest seal when a filter could not be read: not tried again until another."""

    def plan(self, connection: Connection, buckets: list[int]) -> EpochSearch:
        """What a lookup of ``buckets`` must search, as of now."""
        ((newest, sealed, token),) = driver_rows(connection, _STATE_SQL)
        if newest is None:
            return EpochSearch(())
        self.lookups += 1
        if self.lookups <= self.direct_lookups and self.sealed_through < 0:
            return EpochSearch(tuple(range(newest + 1)))
        sealed = -1 if sealed is None else sealed
        if sealed < self.sealed_through or (
            sealed == self.sealed_through and sealed >= 0 and token != self.token
        ):
            self._reset()  # the database was replaced: start again
        if sealed > self.sealed_through and sealed != self.unreadable_at:
            self._load(connection, sealed)
        search = EpochSearch(tuple(range(self.sealed_through + 1, newest + 1)))
        for epoch, bucket in self.stack.hits(buckets):
            search.sealed.setdefault(epoch, []).append(bucket)
        return search

    def _load(self, connection: Connection, newest_seal: int) -> None:
        rows = connection.execute(
            select(BandFilter.epoch, BandFilter.token, BandFilter.data)
            .where(BandFilter.epoch > self.sealed_through)
            .order_by(BandFilter.epoch)
        )
        for epoch, token, data in rows:
            if epoch != self.sealed_through + 1:
                break  # not sealed in order (cannot happen): the rest stay searched by index
            try:
                bucket_filter = BucketFilter.from_bytes(data)
            except ValueError as error:  # e.g. a filter of another format: slower, never wrong
                logger.warning(
                    "band-index epoch %d's filter is unreadable (%s); it and the later ones are "
                    "searched by index (the database's migrations delete filters of an old "
                    "format, and the next store seals the epochs again)", epoch, error,
                )  # fmt: skip
                self.unreadable_at = newest_seal
                break
            self.stack.add(epoch, bucket_filter)
            self.sealed_through, self.token = epoch, token


_by_engine: weakref.WeakKeyDictionary[Engine, SealedEpochs] = weakref.WeakKeyDictionary()


def sealed_epochs(connection: Connection) -> SealedEpochs:
    """This process's :class:`SealedEpochs` for the database ``connection`` is to."""
    engine = connection.engine
    found = _by_engine.get(engine)
    if found is None:
        found = _by_engine[engine] = SealedEpochs()
    return found


def search_parameters(search: EpochSearch, buckets: list[int]) -> tuple[Any, ...]:
    """The lookup's parameters for ``search``, in the order :func:`search_shape` lays them."""
    parameters: list[Any] = [*search.open, *buckets] if search.open else []
    for epoch, hits in search.sealed.items():
        parameters += [epoch, *hits]
    return tuple(parameters)


def search_shape(search: EpochSearch, buckets: list[int]) -> tuple[int, int, tuple[int, ...]]:
    """How many open epochs, buckets and sealed hits an epoch the lookup's SQL has room for."""
    return len(search.open), len(buckets), tuple(len(h) for h in search.sealed.values())
