"""`copycat demo`: serve the demo web on loopback, crawl it into a fresh SQLite file, show pairs."""

from __future__ import annotations

import sys
from pathlib import Path

from copycat import db
from copycat.crawl import LOOPBACK_SETTINGS, CrawlOptions, run_crawl, summary_lines
from copycat.demo.web import FixtureWeb
from copycat.queries import list_matches, site_reports
from copycat.render import pair_lines, report_lines
from copycat.sites import make_record, save_site


def fresh_sqlite(path: Path) -> str:
    """Delete a SQLite file (and its WAL files) and return its URL."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path.resolve()}"


def run_demo(output: Path, quiet: bool = False) -> int:
    """Run the demo end to end and print the report and the pairs; return the exit status."""
    url = fresh_sqlite(output / "demo.db")
    with FixtureWeb() as web:
        _, sessions = db.open_database(url)
        with db.session_scope(sessions) as session:
            for site in web.sites:
                save_site(
                    session,
                    make_record(
                        site.origin,
                        role=site.role,
                        name=site.name,
                        feeds=list(site.feeds),
                        sitemaps=list(site.sitemaps),
                    ),
                )
        print(f"demo web: {len(web.sites)} sites on loopback, {len(web.article_urls)} articles")
        for site in web.sites:
            print(f"  {site.origin}  {site.role:8} {site.name}")
        result = run_crawl(
            CrawlOptions(
                database_url=url,
                log_file=output / "crawl.log",
                progress=sys.stderr.isatty() and not quiet,
                overrides=dict(LOOPBACK_SETTINGS),
            )
        )
    for line in summary_lines(result):
        print(line)
    with sessions() as session:
        reports = site_reports(session)
        pairs = list_matches(session)
    print("\nreport:")
    print("\n".join(report_lines(reports, indent="  ")))
    print(f"\npairs ({len(pairs)}):")
    print("\n".join(pair_lines(pairs, indent="  ")))
    print(f"\ndatabase: {output / 'demo.db'} (try: copycat --database {url} matches --json)")
    return 0 if result.status in ("finished", "partial") else 1
