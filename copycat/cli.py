"""The ``copycat`` command line: sites, crawl, ingest, attribute, matches, report, runs, demo, db.

Every command exits 0 on success and non-zero with a one-line ``copycat: error: …`` on failure.
``--json`` shapes are a contract that users' scripts rely on: extend them, never break them.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from copycat import db
from copycat.config import database_url
from copycat.fetch import FetchError, fetch_page
from copycat.ingest import IngestResult, PipelineChain, ingest_lines, standalone_stats
from copycat.models import SITE_ROLES, CrawlRun
from copycat.queries import (
    CSV_FIELDS,
    attribute_document,
    find_article,
    list_matches,
    site_reports,
    stored_attribution,
)
from copycat.render import pair_lines, report_lines
from copycat.sites import SiteError, dump_toml, list_sites, load_toml, make_record, save_site
from copycat.urls import origin_of
from pipelines.extract import NotAnArticle, default_workers, extract_page, extract_text_record
from pipelines.match import (
    METHOD_VERSION,
    DocumentView,
    older_method_advice,
    older_method_pairs,
)

logger = logging.getLogger("copycat")


class CommandError(RuntimeError):
    """A failure to report as one line and a non-zero exit status."""


def _open(args: argparse.Namespace) -> sessionmaker[Session]:
    try:
        _, sessions = db.open_database(args.database)
    except db.SchemaNotCurrent as error:
        raise CommandError(str(error)) from error
    return sessions


def _print_json(data: Any, out: TextIO = sys.stdout) -> None:
    json.dump(data, out, indent=2, ensure_ascii=False, default=str)
    out.write("\n")


def _parse_since(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a date: {value!r} (use ISO 8601, e.g. 2026-11-01)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _origin(value: str) -> str:
    try:
        return origin_of(value if "://" in value else f"https://{value}")
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


# -- sites -------------------------------------------------------------------------------------


def cmd_sites_add(args: argparse.Namespace) -> int:
    """Register (or update) one site."""
    record = make_record(
        args.url, role=args.role, name=args.name, feeds=args.feed, sitemaps=args.sitemap
    )
    with db.session_scope(_open(args)) as session:
        new = save_site(session, record)
    print(f"{'added' if new else 'updated'} {record.origin} ({record.role})")
    return 0


def cmd_sites_list(args: argparse.Namespace) -> int:
    """List registered sites."""
    with _open(args)() as session:
        records = list_sites(session)
    if args.json:
        _print_json([record.as_dict() for record in records])
        return 0
    for record in records:
        extras = [f"feeds: {len(record.feeds)}", f"sitemaps: {len(record.sitemaps)}"]
        print(f"{record.origin:40} {record.role:8} {record.name}  ({', '.join(extras)})")
    if not records:
        print("no sites registered: copycat sites add URL --role source|copycat|unknown")
    return 0


def cmd_sites_import(args: argparse.Namespace) -> int:
    """Register every site of a TOML file."""
    records = load_toml(Path(args.file))
    added = 0
    with db.session_scope(_open(args)) as session:
        for record in records:
            added += save_site(session, record)
    print(f"imported {len(records)} sites ({added} new, {len(records) - added} updated)")
    return 0


def cmd_sites_export(args: argparse.Namespace) -> int:
    """Write every registered site as TOML."""
    with _open(args)() as session:
        text = dump_toml(list_sites(session))
    if args.file in (None, "-"):
        sys.stdout.write(text)
    else:
        Path(args.file).write_text(text, encoding="utf-8")
        print(f"exported to {args.file}")
    return 0


# -- crawl -------------------------------------------------------------------------------------


def _setting_overrides(pairs: Sequence[str]) -> dict[str, str]:
    overrides = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise CommandError(f"-s takes NAME=VALUE, got {pair!r}")
        overrides[name] = value
    return overrides


def cmd_crawl(args: argparse.Namespace) -> int:
    """Crawl registered sites (all, or those given) into the database."""
    from copycat.crawl import CrawlOptions, run_crawl, summary_lines

    sessions = _open(args)
    if args.site:
        with sessions() as session:
            known = {record.origin for record in list_sites(session)}
        unknown = [origin for origin in args.site if origin not in known]
        if unknown:
            raise CommandError(
                f"not a registered site: {', '.join(unknown)} (see `copycat sites list`)"
            )
    options = CrawlOptions(
        database_url=database_url(args.database),
        sites=list(args.site or []),
        max_pages=args.max_pages,
        log_file=Path(args.log_file),
        progress=sys.stderr.isatty() and not args.quiet,
        overrides=_setting_overrides(args.setting),
    )
    result = run_crawl(options)
    for line in summary_lines(result):
        print(line)
    return {"finished": 0, "partial": 3}.get(result.status, 1)


# -- ingest ------------------------------------------------------------------------------------


def _warn_of_older_pairs(sessions: sessionmaker[Session]) -> None:
    """Say on stderr when an older method made stored pairs: a rematch is due."""
    with sessions() as session:
        older = older_method_pairs(session)
    if older:
        print(f"warning: {older_method_advice(older)}", file=sys.stderr)


def cmd_ingest(args: argparse.Namespace) -> int:
    """Ingest a JSONL file through the pipelines, without crawling."""
    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"no such file: {path}")
    sessions = _open(args)
    _warn_of_older_pairs(sessions)
    chain = PipelineChain(
        sessions, standalone_stats(), min_chars=args.min_chars, workers=args.workers
    )
    tty = sys.stderr.isatty()

    def progress(result: IngestResult) -> None:
        if tty and result.stored % 50 == 0:
            sys.stderr.write(
                f"\rlines {result.lines} · stored {result.stored} · pairs {result.pairs}"
            )

    with chain, path.open(encoding="utf-8", errors="replace") as lines:
        result = ingest_lines(lines, chain, progress)
    if tty:
        sys.stderr.write("\n")
    for number, reason in result.bad_lines:
        print(f"{path}:{number}: skipped: {reason}", file=sys.stderr)
    dropped = sum(result.dropped.values())
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(result.dropped.items()))
    print(
        f"ingested {result.lines} lines: {result.stored} articles stored, "
        f"{dropped} not articles{f' ({reasons})' if reasons else ''}, "
        f"{len(result.bad_lines)} bad lines, {result.pairs} pairs found"
    )
    return 0


# -- attribute ---------------------------------------------------------------------------------


def _document_from_input(args: argparse.Namespace) -> DocumentView:
    now = datetime.now(UTC)
    try:
        if args.text_file:
            path = Path(args.text_file)
            article = extract_text_record(
                path.read_text(encoding="utf-8", errors="replace"), path.resolve().as_uri(), None
            )
            url, site = path.resolve().as_uri(), "file://"
        elif args.html_file:
            path = Path(args.html_file)
            url, site = path.resolve().as_uri(), "file://"
            article = extract_page(path.read_bytes(), url, min_chars=1)
        else:
            from crawler.settings import USER_AGENT

            page = fetch_page(args.url, USER_AGENT)
            url, site = page.url, origin_of(page.url)
            article = extract_page(page.body, url, min_chars=1)
    except NotAnArticle as error:
        raise CommandError(f"no article text found ({error.reason})") from error
    except (OSError, FetchError) as error:
        raise CommandError(str(error)) from error
    return DocumentView(
        url=url,
        site=site,
        text=article.text,
        title=article.title,
        published_at=article.page_published_at,
        first_seen_at=now,
        canonical_url=article.canonical_url,
        links=tuple(link.url for link in article.links),
    )


def _print_attribution(result: dict[str, Any]) -> None:
    print(f"{result['url']}" + ("" if result["in_database"] else "  (not in the database)"))
    if not result["originals"]:
        print("  no original found: nothing stored explains this text")
    for pair in result["originals"]:
        print(
            f"  copies {pair['original_url']}\n"
            f"    {pair['kind']}, score {pair['score']:.2f}, covers {pair['copy_coverage']:.0%} "
            f"of this text and {pair['original_coverage']:.0%} of the original, "
            f"spin {pair['spin_rate']:.0%}, credited: {'yes' if pair['credited'] else 'no'}, "
            f"direction by {pair['direction_rule']}"
        )
        for sub in pair["evidence"].get("substitutions", [])[:5]:
            print(f"      swapped: {sub['original']!r} → {sub['copy']!r}")
    for pair in result["copies"]:
        print(f"  copied by {pair['copy_url']} ({pair['kind']}, score {pair['score']:.2f})")


def cmd_attribute(args: argparse.Namespace) -> int:
    """Say where a document came from: its original(s), with score and evidence."""
    sessions = _open(args)
    with sessions() as session:
        stored = find_article(session, args.url) if args.url else None
        if stored is not None:
            result = stored_attribution(session, stored)
        else:
            result = attribute_document(session, _document_from_input(args))
    if args.json:
        _print_json(result)
    else:
        _print_attribution(result)
    return 0


# -- matches, report, runs ---------------------------------------------------------------------


def cmd_matches(args: argparse.Namespace) -> int:
    """List stored (copy, original) pairs."""
    with _open(args)() as session:
        pairs = list_matches(session, sites=args.site, since=args.since)
    if args.json:
        _print_json(pairs)
    elif args.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=CSV_FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(pairs)
    else:
        for line in pair_lines(pairs):
            print(line)
        print(f"{len(pairs)} pairs")
    return 0


def cmd_rematch(args: argparse.Namespace) -> int:
    """Recompute fingerprints and pairs with the current method (after a method change)."""
    from pipelines.rematch import rematch

    result = rematch(_open(args), since=args.since)
    summary = {
        "articles": result.articles,
        "pairs_before": result.pairs_before,
        "pairs_after": result.pairs_after,
        "pairs_by_older_methods_before": result.outdated_before,
        "method": METHOD_VERSION,
    }
    if args.json:
        _print_json(summary)
    else:
        print(
            f"rematched {result.articles} articles with {METHOD_VERSION}: "
            f"{result.pairs_before} pairs before ({result.outdated_before} by older methods), "
            f"{result.pairs_after} after"
        )
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Per site: articles, copies found, share copied, top sources."""
    with _open(args)() as session:
        reports = site_reports(session)
    if args.json:
        _print_json([report.as_dict() for report in reports])
        return 0
    print("\n".join(report_lines(reports)))
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    """List crawl runs, newest first, with their per-site counts."""
    from copycat.locks import mark_interrupted_runs
    from crawler.extensions import per_site_counts
    from crawler.settings import CRAWL_LOCK_TTL

    sessions = _open(args)
    # A run killed since (kill -9, a reboot) still says "running": say what it is.
    with db.session_scope(sessions) as session:
        mark_interrupted_runs(session, CRAWL_LOCK_TTL)
    with sessions() as session:
        runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(args.limit))
        records = [
            {
                "id": run.id,
                "started_at": run.started_at.isoformat(),
                "finished_at": run.finished_at.isoformat() if run.finished_at else None,
                "status": run.status,
                "sites": run.sites,
                "pages_fetched": run.stats.get("response_received_count", 0),
                "articles_stored": run.stats.get("store/articles", 0),
                "pairs_found": run.stats.get("store/pairs", 0),
                "per_site": per_site_counts(run.stats),
                "stats": run.stats,
            }
            for run in runs
        ]
    if args.json:
        _print_json(records)
        return 0
    for r in records:
        print(
            f"#{r['id']:<4} {r['started_at'][:19]}  {r['status']:11} "
            f"pages {r['pages_fetched']:5}  articles {r['articles_stored']:5}  "
            f"pairs {r['pairs_found']:4}  sites {len(r['sites'])}"
        )
        for origin, c in r["per_site"].items():
            extras = [
                f"{name} {sum(c[name].values())} ({_reasons(c[name])})"
                for name in ("dropped", "errors")
                if c[name]
            ]
            extras += [
                f"{name.replace('_', ' ')} {c[name]}"
                for name in ("not_modified", "refetch_updated", "sites_locked")
                if c.get(name)
            ]
            print(
                f"      {origin:40} pages {c['pages_fetched']:5}  new {c['articles_new']:4}  "
                f"updated {c['articles_updated']:3}  pairs {c['pairs_found']:4}"
                + ("  " + ", ".join(extras) if extras else "")
            )
    return 0


def _reasons(counts: dict[str, int]) -> str:
    return ", ".join(f"{reason} {n}" for reason, n in sorted(counts.items()))


# -- demo, db ----------------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace) -> int:
    """Serve the built-in demo web on loopback, crawl it into a fresh SQLite file, show pairs."""
    from copycat.demo_run import run_demo

    return run_demo(Path(args.output), quiet=args.quiet)


def cmd_db(args: argparse.Namespace) -> int:
    """Migrate the database, or say which revision it is at."""
    engine = db.make_engine(args.database)
    if args.db_command == "upgrade":
        db.upgrade(engine, args.revision)
    elif args.db_command == "downgrade":
        db.downgrade(engine, args.revision)
    print(f"database at revision {db.current_revision(engine) or 'base (empty)'}")
    return 0


# -- parser ------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser for every command."""
    parser = argparse.ArgumentParser(
        prog="copycat", description="Find who copies the news, and from whom."
    )
    parser.add_argument(
        "--database",
        metavar="URL",
        help="SQLAlchemy URL (default: $COPYCAT_DATABASE_URL or sqlite:///copycat.db)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more to stderr")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sites = commands.add_parser("sites", help="register and list sites")
    site_commands = sites.add_subparsers(dest="sites_command", required=True, metavar="ACTION")
    add = site_commands.add_parser("add", help="register a site (or update it)")
    add.add_argument("url", help="any URL on the site; the site is its origin")
    add.add_argument("--role", choices=SITE_ROLES, default="unknown")
    add.add_argument("--name")
    add.add_argument("--feed", action="append", default=[], metavar="URL")
    add.add_argument("--sitemap", action="append", default=[], metavar="URL")
    add.set_defaults(handler=cmd_sites_add)
    listing = site_commands.add_parser("list", help="list registered sites")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_sites_list)
    imports = site_commands.add_parser("import", help="register the [[site]] tables of a TOML file")
    imports.add_argument("file")
    imports.set_defaults(handler=cmd_sites_import)
    export = site_commands.add_parser("export", help="write registered sites as TOML")
    export.add_argument("file", nargs="?", help="output file (default: stdout)")
    export.set_defaults(handler=cmd_sites_export)

    crawl = commands.add_parser("crawl", help="crawl registered sites")
    crawl.add_argument("--site", action="append", type=_origin, metavar="ORIGIN")
    crawl.add_argument("--max-pages", type=int, metavar="N", help="page budget per site")
    crawl.add_argument("--log-file", default="copycat-crawl.log", help="Scrapy's full log")
    crawl.add_argument(
        "-s", dest="setting", action="append", default=[], metavar="NAME=VALUE",
        help="override a Scrapy/copycat setting",
    )  # fmt: skip
    crawl.add_argument("-q", "--quiet", action="store_true", help="no progress line")
    crawl.set_defaults(handler=cmd_crawl)

    ingest = commands.add_parser("ingest", help="ingest a JSONL file without crawling")
    ingest.add_argument("file")
    ingest.add_argument("--min-chars", type=int, default=500, help="shorter texts are dropped")
    ingest.add_argument(
        "--workers",
        type=int,
        default=default_workers(),
        help="processes that extract and fingerprint pages (default: one per CPU, as a crawl's"
        " EXTRACT_WORKERS; 0: all in this process)",
    )
    ingest.set_defaults(handler=cmd_ingest)

    attribute = commands.add_parser("attribute", help="find where a document came from")
    source = attribute.add_mutually_exclusive_group(required=True)
    source.add_argument("url", nargs="?")
    source.add_argument("--text-file", metavar="F", help="a plain-text document")
    source.add_argument("--html-file", metavar="F", help="a saved HTML page")
    attribute.add_argument("--json", action="store_true")
    attribute.set_defaults(handler=cmd_attribute)

    matches = commands.add_parser("matches", help="list stored (copy, original) pairs")
    matches.add_argument("--site", action="append", type=_origin, metavar="ORIGIN")
    matches.add_argument("--since", type=_parse_since, metavar="DATE")
    out = matches.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true")
    out.add_argument("--csv", action="store_true")
    matches.set_defaults(handler=cmd_matches)

    rematch = commands.add_parser(
        "rematch", help="recompute pairs with the current method and thresholds"
    )
    rematch.add_argument("--since", type=_parse_since, metavar="DATE",
                         help="only articles first seen since DATE")  # fmt: skip
    rematch.add_argument("--json", action="store_true")
    rematch.set_defaults(handler=cmd_rematch)

    report = commands.add_parser("report", help="per site: how much is copied, and from whom")
    report.add_argument("--json", action="store_true")
    report.set_defaults(handler=cmd_report)

    runs = commands.add_parser("runs", help="list crawl runs")
    runs.add_argument("--json", action="store_true")
    runs.add_argument("--limit", type=int, default=20)
    runs.set_defaults(handler=cmd_runs)

    demo = commands.add_parser("demo", help="crawl the built-in demo web and show the pairs")
    demo.add_argument("--output", default="demo-output", help="folder for the database and log")
    demo.add_argument("-q", "--quiet", action="store_true")
    demo.set_defaults(handler=cmd_demo)

    database = commands.add_parser("db", help="migrate the database")
    db_commands = database.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = db_commands.add_parser("upgrade", help="migrate up (default: to head)")
    upgrade.add_argument("revision", nargs="?", default="head")
    downgrade = db_commands.add_parser("downgrade", help="migrate down (base: drop everything)")
    downgrade.add_argument("revision")
    db_commands.add_parser("current", help="show the current revision")
    database.set_defaults(handler=cmd_db)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.handler(args))
    except (CommandError, SiteError) as error:
        print(f"copycat: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader (head, less) went away: not an error of ours.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return 0
    except KeyboardInterrupt:
        print("copycat: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # the one place that turns any failure into one line
        logger.debug("unexpected failure", exc_info=True)
        print(f"copycat: error: {type(error).__name__}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
