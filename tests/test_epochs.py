"""The band index's epochs and their Bloom filters: sealing, lookups, writers racing a seal."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, insert, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from copycat import db
from copycat.ingest import standalone_stats
from copycat.models import EPOCH_ARTICLES, Article, BandFilter, LshBucket, Site, utcnow
from pipelines import epochs, store
from pipelines.epochs import SealedEpochs, seal_epochs
from pipelines.match import candidate_ids, candidate_plan
from pipelines.store import StorePipeline, replace_buckets


@pytest.fixture
def engine(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    # every lookup through the filters, not the first few of a process by index alone
    monkeypatch.setattr(epochs, "DIRECT_LOOKUPS", 0)
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    yield engine
    engine.dispose()


def _article(article_id: int, site_id: int, url: str) -> dict[str, object]:
    """The columns of a minimal stored article (a text of one word)."""
    now = utcnow()
    return {
        "id": article_id, "site_id": site_id, "url": url, "fetched_url": url, "text": "x",
        "word_count": 1, "text_hash": b"\0", "minhash": b"", "first_seen_at": now,
        "fetched_at": now, "discovered_via": "test", "links": [],
    }  # fmt: skip


def _store(sessions: sessionmaker[Session], article_id: int, buckets: list[int]) -> None:
    """Store an article of its own site with these band buckets, as the store stage would."""
    with db.session_scope(sessions) as session:
        origin = f"https://site{article_id}.example"
        site_id = session.execute(
            insert(Site).values(origin=origin, name=origin).returning(Site.id)
        ).scalar_one()
        session.execute(insert(Article).values(_article(article_id, site_id, f"{origin}/a")))
        replace_buckets(session, article_id, list(enumerate(buckets)), fresh=True)


def _epochs_of(sessions: sessionmaker[Session], article_id: int) -> set[int]:
    with sessions() as session:
        found = session.scalars(select(LshBucket.epoch).where(LshBucket.article_id == article_id))
        return set(found)


def _ids(sessions: sessionmaker[Session], buckets: list[int]) -> list[int]:
    with sessions() as session:
        return candidate_ids(session, buckets, limit=10, min_shared=2)


def test_sealed_epochs_are_searched_through_their_filters(engine: Engine) -> None:
    sessions = db.session_factory(engine)
    first, second, newest = 5, EPOCH_ARTICLES + 5, 2 * EPOCH_ARTICLES + 5
    _store(sessions, first, [101, 102, 103])
    _store(sessions, second, [201, 202, 203])
    assert seal_epochs(sessions)[0].epoch == 0  # epoch 1 took new rows: 0 is sealed
    _store(sessions, newest, [301, 302, 303])
    reports = seal_epochs(sessions)
    assert [(r.epoch, r.rows) for r in reports] == [(1, 3)]
    assert seal_epochs(sessions) == []  # the newest epoch stays open
    with sessions() as session:
        assert session.scalars(select(BandFilter.epoch).order_by(BandFilter.epoch)).all() == [0, 1]
    # found in a sealed epoch (through its filter), in another, and in the open one
    assert _ids(sessions, [101, 102, 999]) == [first]
    assert _ids(sessions, [999, 202, 203]) == [second]
    assert _ids(sessions, [301, 302]) == [newest]
    assert _ids(sessions, [101, 999]) == []  # one shared bucket is not enough
    with sessions() as session:
        connection = session.connection()
        plan = SealedEpochs().plan(connection, [101, 102, 301, 999])
        assert plan.open == (2,)
        assert {101, 102} <= set(plan.sealed.get(0, []))


def test_the_lookup_searches_the_index_in_open_and_sealed_epochs(engine: Engine) -> None:
    sessions = db.session_factory(engine)
    _store(sessions, 1, [11, 12])
    _store(sessions, EPOCH_ARTICLES + 1, [21, 22])
    seal_epochs(sessions)
    with Session(engine) as session:
        if engine.dialect.name == "postgresql":
            # A small table is cheapest to scan; ask for the plan an index makes possible.
            session.execute(text("SET enable_seqscan = off"))
        # 11 is in sealed epoch 0: its search goes through the union with the open epoch's
        plan = " / ".join(candidate_plan(session, [11, *range(100, 200)], 50, 2))
    if engine.dialect.name == "sqlite":
        # the table is its primary key (WITHOUT ROWID): searching it reads nothing else
        # both searches, the open epoch's and the sealed one's, probe it by (epoch, bucket)
        assert plan.count("SEARCH lsh_buckets USING PRIMARY KEY (epoch=? AND bucket=?") == 2, plan
        assert "SCAN lsh_buckets" not in plan, plan
    else:
        assert "lsh_buckets" in plan and "Index" in plan, plan
        assert "Seq Scan on lsh_buckets" not in plan, plan


def test_an_empty_band_index_is_not_searched(engine: Engine) -> None:
    sessions = db.session_factory(engine)
    assert _ids(sessions, [1, 2, 3]) == []
    with sessions() as session:
        assert candidate_plan(session, [1, 2, 3], 50, 2) == []


def test_a_lookup_reads_in_its_callers_transaction(engine: Engine) -> None:
    # The lookup and the band rows go through the driver's own cursor: still in the caller's
    # transaction, which is what lets `copycat ingest` match a page against the pages
    # written before it in the same, uncommitted batch.
    sessions = db.session_factory(engine)
    _store(sessions, 1, [11, 12])
    with sessions() as writer, writer.begin():
        origin = "https://writer.example"
        site_id = writer.execute(
            insert(Site).values(origin=origin, name=origin).returning(Site.id)
        ).scalar_one()
        writer.execute(insert(Article).values(_article(2, site_id, f"{origin}/a")))
        replace_buckets(writer, 2, [(0, 21), (1, 22)], fresh=True)
        assert candidate_ids(writer, [21, 22], limit=5, min_shared=2) == [2]
        assert _ids(sessions, [21, 22]) == []  # another session: not committed yet
    assert _ids(sessions, [21, 22]) == [2]


def test_rows_written_into_a_sealed_epoch_move_to_an_open_one(engine: Engine) -> None:
    sessions = db.session_factory(engine)
    _store(sessions, 3, [31, 32])
    _store(sessions, EPOCH_ARTICLES + 3, [41, 42])
    seal_epochs(sessions)  # epoch 0 sealed
    # a writer that took an id in epoch 0 and wrote its rows after the seal
    _store(sessions, 4, [51, 52])
    assert _epochs_of(sessions, 4) == {1}
    assert _ids(sessions, [51, 52]) == [4]
    # a re-fingerprinted old article goes to the newest epoch
    with db.session_scope(sessions) as session:
        replace_buckets(session, 3, [(0, 61), (1, 62)])
    assert _epochs_of(sessions, 3) == {1}
    assert _ids(sessions, [61, 62]) == [3] and _ids(sessions, [31, 32]) == []


def test_a_reader_sees_seals_made_after_it_started_and_a_replaced_database(
    engine: Engine,
) -> None:
    sessions = db.session_factory(engine)
    reader = SealedEpochs()
    _store(sessions, 1, [71, 72])
    _store(sessions, EPOCH_ARTICLES + 1, [81, 82])
    with sessions() as session:
        assert reader.plan(session.connection(), [71]).open == (0, 1)
    seal_epochs(sessions)
    with sessions() as session:
        search = reader.plan(session.connection(), [71, 72])
    assert search.open == (1,) and set(search.sealed[0]) >= {71, 72}
    # the filters are built again (as for another database): the reader starts over
    with db.session_scope(sessions) as session:
        session.execute(delete(BandFilter))
    seal_epochs(sessions)
    with sessions() as session:
        search = reader.plan(session.connection(), [71, 72])
        assert session.scalar(select(func.count()).select_from(BandFilter)) == 1
    assert search.open == (1,) and set(search.sealed[0]) >= {71, 72}


def test_the_upgrade_puts_stored_rows_in_their_articles_epochs(database_url: str) -> None:
    engine = db.make_engine(database_url)
    try:
        db.upgrade(engine, "0005_band_index_without_rowid")
        with engine.begin() as connection:
            now = utcnow()
            connection.execute(
                insert(Site).values(id=1, origin="https://a.example", name="a", feeds=[],
                                    sitemaps=[], added_at=now)
            )  # fmt: skip
            for article_id in (7, EPOCH_ARTICLES + 7):
                connection.execute(
                    insert(Article).values(
                        _article(article_id, 1, f"https://a.example/{article_id}")
                    )
                )
                connection.execute(
                    text("INSERT INTO lsh_buckets (bucket, article_id, band) VALUES (:b, :a, 0)"),
                    [{"b": article_id * 10 + band, "a": article_id} for band in range(3)],
                )
        db.upgrade(engine)
        sessions = db.session_factory(engine)
        assert _epochs_of(sessions, 7) == {0} and _epochs_of(sessions, EPOCH_ARTICLES + 7) == {1}
        assert [r.epoch for r in seal_epochs(sessions)] == [0]  # what the first store does
        assert _ids(sessions, [70, 71, 72]) == [7]
        assert _ids(sessions, [(EPOCH_ARTICLES + 7) * 10, (EPOCH_ARTICLES + 7) * 10 + 1]) == [
            EPOCH_ARTICLES + 7
        ]
        db.downgrade(engine, "0005_band_index_without_rowid")
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT count(*) FROM lsh_buckets")).scalar()
            assert rows == 6
    finally:
        engine.dispose()


def test_the_upgrade_to_filter_format_2_drops_old_filters_and_the_next_seal_rebuilds_them(
    database_url: str,
) -> None:
    engine = db.make_engine(database_url)
    try:
        db.upgrade(engine, "0006_band_index_epochs")
        sessions = db.session_factory(engine)
        _store(sessions, 7, [70, 71, 72])
        _store(sessions, EPOCH_ARTICLES + 7, [80, 81])
        with db.session_scope(sessions) as session:  # a format-1 filter, as 0006's code sealed
            session.add(BandFilter(epoch=0, token="f1", rows=3, data=b"\x01" + bytes(79)))
        db.upgrade(engine)
        with sessions() as session:
            assert session.scalar(select(func.count()).select_from(BandFilter)) == 0
        assert [r.epoch for r in seal_epochs(sessions)] == [0]  # what the first store does
        assert _ids(sessions, [70, 71, 99]) == [7]
        db.downgrade(engine, "0006_band_index_epochs")
        with sessions() as session:
            assert session.scalar(select(func.count()).select_from(BandFilter)) == 0
    finally:
        engine.dispose()


def test_an_unreadable_filter_leaves_its_epoch_searched_by_index(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    sessions = db.session_factory(engine)
    _store(sessions, 3, [31, 32])
    _store(sessions, EPOCH_ARTICLES + 3, [33, 34])
    _store(sessions, 2 * EPOCH_ARTICLES + 3, [35, 36])
    seal_epochs(sessions)
    with db.session_scope(sessions) as session:  # epoch 1's filter in a format not known here
        data = session.scalars(select(BandFilter.data).where(BandFilter.epoch == 1)).one()
        session.execute(
            update(BandFilter).where(BandFilter.epoch == 1).values(data=b"\x09" + data[1:])
        )
    reader = SealedEpochs(direct_lookups=0)
    with sessions() as session:
        search = reader.plan(session.connection(), [31, 33, 35])
        assert reader.plan(session.connection(), [31, 33, 35]) == search
    assert search.open == (1, 2) and set(search.sealed) == {0}
    assert caplog.text.count("epoch 1's filter is unreadable") == 1  # not again each lookup
    assert _ids(sessions, [33, 34]) == [EPOCH_ARTICLES + 3]


def test_a_process_searches_every_epoch_by_index_before_it_loads_the_filters(
    engine: Engine,
) -> None:
    sessions = db.session_factory(engine)
    _store(sessions, 1, [91, 92])
    _store(sessions, EPOCH_ARTICLES + 1, [93, 94])
    seal_epochs(sessions)
    reader = SealedEpochs(direct_lookups=2)
    with sessions() as session:
        connection = session.connection()
        assert reader.plan(connection, [91]) == epochs.EpochSearch((0, 1))
        assert reader.plan(connection, [91]) == epochs.EpochSearch((0, 1))
        assert len(reader.stack) == 0  # nothing loaded for a one-off query
        search = reader.plan(connection, [91, 92])
    assert search.open == (1,) and set(search.sealed[0]) >= {91, 92}
    assert len(reader.stack) == 1


def test_a_seal_that_fails_is_logged_counted_and_tried_again(
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    sessions = db.session_factory(engine)
    _store(sessions, 1, [11, 12])
    _store(sessions, EPOCH_ARTICLES + 1, [13, 14])
    stats = standalone_stats()
    stage = StorePipeline(sessions, stats, spill_path=tmp_path / "spill.jsonl")

    def database_gone(_sessions: object) -> list[object]:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    with monkeypatch.context() as patched:
        patched.setattr(store, "seal_epochs", database_gone)
        stage.seal_due_epochs(EPOCH_ARTICLES + 1)
    assert stats.get_value("store/seal_failures") == 1
    assert "could not seal band-index epochs" in caplog.text
    assert _ids(sessions, [11, 12]) == [1]  # epoch 0, unsealed, is searched by index
    stage.seal_due_epochs(EPOCH_ARTICLES + 2)  # the next article tries again
    assert stats.get_value("store/epochs_sealed") == 1
    stage.seal_due_epochs(EPOCH_ARTICLES + 3)  # nothing more to seal in this epoch
    assert stats.get_value("store/epochs_sealed") == 1
    assert _ids(sessions, [11, 12]) == [1]


def test_two_processes_sealing_at_once_seal_each_epoch_once(engine: Engine) -> None:
    sessions = db.session_factory(engine)
    for epoch in range(3):
        _store(sessions, epoch * EPOCH_ARTICLES + 1, [epoch * 10 + 1, epoch * 10 + 2])
    barrier = threading.Barrier(2)

    def seal() -> list[int]:
        barrier.wait()
        return [report.epoch for report in seal_epochs(sessions)]

    with ThreadPoolExecutor(2) as pool:
        sealed = [future.result() for future in [pool.submit(seal), pool.submit(seal)]]
    assert sorted(sealed[0] + sealed[1]) == [0, 1]  # no error, no epoch twice
    with sessions() as session:
        assert session.scalars(select(BandFilter.epoch).order_by(BandFilter.epoch)).all() == [0, 1]
