"""Ingest of a 1,000-line JSONL file, then the query commands, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, func, inspect, select, text

from copycat import db
from copycat.ingest import IngestResult, PipelineChain, ingest_lines, standalone_stats
from copycat.models import Article, ArticleProfile, Match, Site
from pipelines.match import METHOD_VERSION, MatchPipeline, views_by_id
from pipelines.store import prune_sibling_pairs
from tests.conftest import run_cli
from tests.corpus import build_corpus


def test_ingest_1000_lines_then_matches_json(database_url: str, tmp_path: Path) -> None:
    corpus = build_corpus(1000)
    path = corpus.write(tmp_path / "archive.jsonl")
    with path.open("a", encoding="utf-8") as out:
        out.write("this is not json\n")
        out.write('{"url": "https://x.example/a", "title": "no body"}\n')
    if not database_url.startswith("sqlite"):
        run_cli("db", "upgrade", database=database_url)

    result = run_cli("ingest", str(path), database=database_url)
    assert "1002 lines: 1000 articles stored" in result.stdout
    assert f"{path}:1001: skipped: not JSON" in result.stderr
    assert f"{path}:1002: skipped: needs 'html' or 'text'" in result.stderr

    pairs = json.loads(run_cli("matches", "--json", database=database_url).stdout)
    for pair in pairs:
        assert {"copy_url", "original_url", "kind", "score"} <= pair.keys()
    found = {pair["copy_url"]: pair["original_url"] for pair in pairs}
    # Every copy is found, pointing at its own original; nothing else is paired.
    assert found == corpus.expected
    kinds = {pair["copy_url"]: pair["kind"] for pair in pairs}
    assert sum(kinds[url] == kind for url, kind in corpus.kinds.items()) >= 0.9 * len(corpus.kinds)

    # Every page with candidates (each copy, at least) keeps the alignment profile it got.
    engine = db.make_engine(database_url)
    with engine.connect() as connection:
        profiled = connection.scalar(select(func.count()).select_from(ArticleProfile)) or 0
    assert len(corpus.expected) <= profiled < 1000

    # Ingesting the same file again changes nothing (writes are idempotent), extracted in
    # this process this time instead of in worker processes.
    run_cli("ingest", str(path), "--workers", "0", database=database_url)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Article)) == 1000
        assert connection.scalar(select(func.count()).select_from(Match)) == len(pairs)
        assert (
            connection.scalar(select(func.count()).select_from(ArticleProfile)) or 0
        ) >= profiled
    engine.dispose()


def test_query_commands_on_a_small_archive(sqlite_url: str, tmp_path: Path) -> None:
    corpus = build_corpus(40, seed=9)
    run_cli("ingest", str(corpus.write(tmp_path / "small.jsonl")), database=sqlite_url)
    copy_url, original_url = next(iter(corpus.expected.items()))

    attribution = json.loads(run_cli("attribute", copy_url, "--json", database=sqlite_url).stdout)
    assert attribution["in_database"] is True
    assert [p["original_url"] for p in attribution["originals"]] == [original_url]
    evidence = attribution["originals"][0]["evidence"]
    assert evidence["passages"] and "direction" in evidence

    rows = list(
        csv.DictReader(io.StringIO(run_cli("matches", "--csv", database=sqlite_url).stdout))
    )
    assert {row["copy_url"] for row in rows} == set(corpus.expected)

    site = original_url.split("/news/")[0]
    only_site = json.loads(run_cli("matches", "--site", site, "--json", database=sqlite_url).stdout)
    assert only_site and all(p["original_site"] == site for p in only_site)
    future = run_cli("matches", "--since", "2100-01-01", "--json", database=sqlite_url)
    assert json.loads(future.stdout) == []

    report = json.loads(run_cli("report", "--json", database=sqlite_url).stdout)
    by_site = {r["site"]: r for r in report}
    copies = sum(r["copies"] for r in report)
    assert copies == len(corpus.expected)
    assert all(0 <= r["share_copied"] <= 1 for r in by_site.values())


def test_attribute_a_text_file_not_in_the_database(sqlite_url: str, tmp_path: Path) -> None:
    corpus = build_corpus(40, seed=9)
    run_cli("ingest", str(corpus.write(tmp_path / "small.jsonl")), database=sqlite_url)
    original = next(r for r in corpus.records if r["url"] in corpus.expected.values())
    pasted = tmp_path / "pasted.txt"
    pasted.write_text("Shared on a forum today.\n\n" + str(original["text"]), encoding="utf-8")
    result = json.loads(
        run_cli("attribute", "--text-file", str(pasted), "--json", database=sqlite_url).stdout
    )
    assert result["in_database"] is False
    assert original["url"] in [p["original_url"] for p in result["originals"]]


def test_bad_input_gives_one_line_and_non_zero_status(sqlite_url: str, tmp_path: Path) -> None:
    missing = run_cli("ingest", str(tmp_path / "nope.jsonl"), database=sqlite_url, check=False)
    assert missing.returncode != 0
    assert missing.stderr.strip().count("\n") == 0 and "no such file" in missing.stderr
    bad_site = run_cli("sites", "add", "ftp://x.example", database=sqlite_url, check=False)
    assert bad_site.returncode != 0 and "copycat: error:" in bad_site.stderr


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_migrations_upgrade_and_downgrade(kind: str, request: pytest.FixtureRequest) -> None:
    url = str(request.getfixturevalue("sqlite_url" if kind == "sqlite" else "postgres_url"))
    engine = db.make_engine(url)
    try:
        db.upgrade(engine)
        assert db.current_revision(engine) == db.head_revision()
        tables = set(inspect(engine).get_table_names())
        assert {"sites", "articles", "lsh_buckets", "matches", "crawl_runs"} <= tables
        db.downgrade(engine, "base")
        assert db.current_revision(engine) is None
        assert not {"sites", "articles"} & set(inspect(engine).get_table_names())
        db.upgrade(engine)
        assert db.current_revision(engine) == db.head_revision()
    finally:
        engine.dispose()


def test_band_index_migration_keeps_the_rows(sqlite_url: str) -> None:
    """Rebuilding SQLite's band index without rowid (and back) keeps every row and the index."""
    engine = db.make_engine(sqlite_url)

    def layout() -> str:
        with engine.connect() as connection:
            return str(
                connection.exec_driver_sql(
                    "SELECT sql FROM sqlite_master WHERE name = 'lsh_buckets'"
                ).scalar_one()
            )

    def band_rows() -> list[tuple[int, int, int]]:
        with engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT bucket, article_id, band FROM lsh_buckets ORDER BY bucket"
            )
            return [tuple(row) for row in rows]

    try:
        db.upgrade(engine, "0004_article_profiles")
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO sites (id, origin, name, role, feeds, sitemaps, added_at) "
                "VALUES (1, 'https://a.example', 'a', 'unknown', '[]', '[]', '2026-01-01')"
            )
            connection.exec_driver_sql(
                "INSERT INTO articles (id, site_id, url, fetched_url, title, text, word_count, "
                "text_hash, minhash, first_seen_at, fetched_at, links, discovered_via) VALUES "
                "(7, 1, 'https://a.example/1', 'https://a.example/1', 't', 'x', 1, x'00', x'', "
                "'2026-01-01', '2026-01-01', '[]', 'test')"
            )
            connection.exec_driver_sql(
                "INSERT INTO lsh_buckets (bucket, article_id, band) VALUES "
                "(-5, 7, 0), (2, 7, 1), (9223372036854775807, 7, 2)"
            )
        stored = band_rows()
        assert "WITHOUT ROWID" not in layout()
        db.upgrade(engine)
        assert "WITHOUT ROWID" in layout() and band_rows() == stored
        with engine.connect() as connection:
            indexes = {
                row[1] for row in connection.exec_driver_sql("PRAGMA index_list(lsh_buckets)")
            }
            assert "ix_lsh_buckets_article_id" in indexes
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.exec_driver_sql("DELETE FROM articles WHERE id = 7")
            # the foreign key's cascade survived the rebuild
            assert connection.exec_driver_sql("SELECT count(*) FROM lsh_buckets").scalar() == 0
            connection.rollback()
        db.downgrade(engine, "0004_article_profiles")
        assert "WITHOUT ROWID" not in layout() and band_rows() == stored
    finally:
        engine.dispose()


def _older_pairs_seen_by_a_crawl(database_url: str, caplog: pytest.LogCaptureFixture) -> int:
    """What the match stage counts, as a crawl opens, of pairs made by an older method."""
    stats = standalone_stats()
    engine, sessions = db.open_database(database_url)
    with caplog.at_level(logging.WARNING, logger="pipelines.match"):
        MatchPipeline(sessions, stats=stats).open_spider()
    engine.dispose()
    return int(stats.get_value("match/pairs_by_older_methods", 0))


def test_rematch_recomputes_pairs_with_the_current_method(
    sqlite_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    corpus = build_corpus(40, seed=9)
    run_cli("ingest", str(corpus.write(tmp_path / "small.jsonl")), database=sqlite_url)
    before = json.loads(run_cli("matches", "--json", database=sqlite_url).stdout)
    assert before
    engine = db.make_engine(sqlite_url)
    with engine.begin() as connection:
        # As if an older method had made the pairs and the index held only its buckets.
        connection.execute(text("UPDATE matches SET method = 'anchor-align/1', kind = 'old'"))
        connection.execute(text("DELETE FROM lsh_buckets WHERE band >= 1000"))
    engine.dispose()
    # Until the rematch, a crawl and an ingest say that one is due.
    assert _older_pairs_seen_by_a_crawl(sqlite_url, caplog) == len(before)
    assert "copycat rematch" in caplog.text
    (tmp_path / "empty.jsonl").write_text("")
    ingest = run_cli("ingest", str(tmp_path / "empty.jsonl"), database=sqlite_url)
    assert f"warning: {len(before)} stored pairs were made by an older" in ingest.stderr
    summary = json.loads(run_cli("rematch", "--json", database=sqlite_url).stdout)
    assert summary["pairs_by_older_methods_before"] == len(before)
    assert _older_pairs_seen_by_a_crawl(sqlite_url, caplog) == 0
    ingest = run_cli("ingest", str(tmp_path / "empty.jsonl"), database=sqlite_url)
    assert "warning" not in ingest.stderr
    after = json.loads(run_cli("matches", "--json", database=sqlite_url).stdout)
    assert {(p["copy_url"], p["original_url"]) for p in after} == {
        (p["copy_url"], p["original_url"]) for p in before
    }
    assert all(p["method"] == METHOD_VERSION and p["kind"] != "old" for p in after)
    since = run_cli("rematch", "--since", "2100-01-01", database=sqlite_url)
    assert "rematched 0 articles" in since.stdout


def test_ingest_commits_in_batches_yet_within_the_delay(sqlite_url: str) -> None:
    """Pages arriving at extraction's pace are committed many at a time, and an article never
    waits uncommitted much longer than the commit delay, even while the input stalls."""
    lines = [json.dumps(record) for record in build_corpus(30, seed=41).records]
    engine, sessions = db.open_database(sqlite_url)
    chain = PipelineChain(sessions, standalone_stats())
    reported: list[int] = []
    seen_during_stall: list[tuple[int, int]] = []  # (committed, reported as stored)

    def count_committed() -> int:
        with sessions() as session:  # a session of its own: sees only what was committed
            return session.scalar(select(func.count()).select_from(Article)) or 0

    def arriving() -> Iterator[str]:
        for number, line in enumerate(lines):
            if number == 20:  # the input stalls for longer than the delay
                time.sleep(1.0)
                seen_during_stall.append((count_committed(), reported[-1] if reported else 0))
            else:
                time.sleep(0.01)  # the writer catches up after every page
            yield line

    def progress(result: IngestResult) -> None:
        reported.append(result.stored)

    result = ingest_lines(arriving(), chain, progress, commit_delay=0.4)
    assert result.stored == count_committed() >= 28
    # the 20 pages before the stall were committed during it, and reported as stored
    [(committed, stored)] = seen_during_stall
    assert committed == stored >= 18
    # not one commit per page (the writer caught up after each: 30 commits), but a batch per
    # delay at most, however slowly a loaded machine extracts
    assert chain.stats.get_value("ingest/commits") <= 10
    engine.dispose()


def test_candidate_views_leave_out_the_own_site_and_sibling_pairs_are_pruned(
    database_url: str,
) -> None:
    """The two prebuilt statements of the match and store stages, on each database: candidates'
    views come in the order asked, without the document's own site, and of two copies of one
    original only their pairs with the original are kept."""
    engine, sessions = db.open_database(database_url)
    lines = [json.dumps(record) for record in build_corpus(12, seed=43).records]
    ingest_lines(lines, PipelineChain(sessions, standalone_stats()))
    with sessions() as session:
        stored = session.execute(
            select(Article.id, Site.origin).join(Site).order_by(Article.id.desc())
        ).all()
        origin = stored[0].origin
        others = [article_id for article_id, site in stored if site != origin]
        views = views_by_id(session, [article_id for article_id, _ in stored], origin)
        assert [view.id for view in views] == others and len(others) >= 3
        assert all(view.site != origin for view in views)
        limited = views_by_id(session, [article_id for article_id, _ in stored], origin, limit=2)
        assert [view.id for view in limited] == others[:2]

    original, copy, other_copy = sorted(others)[:3]
    with sessions() as session, session.begin():
        session.execute(delete(Match))
        for copy_id, original_id, score in (
            (copy, original, 0.95),
            (other_copy, original, 0.97),
            (other_copy, copy, 0.93),  # two copies of one original: no pair of their own
        ):
            session.add(
                Match(
                    copy_id=copy_id, original_id=original_id, kind="verbatim", score=score,
                    copy_coverage=1.0, original_coverage=1.0, spin_rate=0.0, credited=False,
                    direction_rule="first_seen", method=METHOD_VERSION,
                )
            )  # fmt: skip
        session.flush()
        assert prune_sibling_pairs(session, {original, copy, other_copy}) == 1
        kept = {(c, o) for c, o in session.execute(select(Match.copy_id, Match.original_id))}
    engine.dispose()
    assert kept == {(copy, original), (other_copy, original)}
