"""Crawl benchmark: pages/s and peak memory, crawl only vs crawl + pipelines, and where time goes.

Serves a bulk web (``copycat.demo.bulk``, default 20 sites × 500 articles) from a process of
its own on loopback, then crawls it into fresh SQLite databases, each crawl in its own
process:

a. crawl only (no item pipelines),
b. crawl + pipelines with extraction in the crawl process (``EXTRACT_WORKERS=0``),
c. crawl + pipelines with extraction and match verification in worker processes
   (``EXTRACT_WORKERS`` = CPUs).

Politeness is off for the measurement (no AutoThrottle, robots.txt still read): the question
is how fast copycat can go, not how fast it should. a crawls the whole web; b and c crawl the
same pages, the first ``--pages-per-site`` of every site's sitemap (``CRAWL_MAX_PAGES_PER_SITE``),
so that they do the same work: the generated articles share sentence templates, so a page's
candidates grow with the pages already stored, and a time limit would hand the faster crawl
more work per page. ``--seconds`` only guards against a crawl that never ends. b and c run
``--rounds`` times each, alternately, so that the load of other work on the machine weighs on
both alike. Besides measured pages/s it prints a model of what the machine would do
with nothing else running: the crawl process's CPU per page bounds it (the reactor thread), and
so does all the crawl's CPU per page spread over the CPUs.

    python bench/crawl.py                      # make bench-crawl
    python bench/crawl.py --sites 5 --articles 100 --pages-per-site 50
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from copycat.crawl import CrawlOptions, run_crawl  # noqa: E402
from copycat.db import open_database, session_scope  # noqa: E402
from copycat.sites import (  # noqa: E402
    SiteRecord,
    save_site,
)
from crawler.items import ArticleItem  # noqa: E402

STAGES = ("fingerprint", "match", "store")
SPEED = {
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 64,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "DOWNLOAD_TIMEOUT": 30,
    "LOG_LEVEL": "INFO",
}


class StageClock:
    """Bench-only item pipeline: sums the time spent in the stage before it into the stats.

    One clock follows every synchronous stage; those run back to back on the reactor thread,
    so the time between two clocks is the stage's own time.
    """

    stage = "start"

    def __init__(self, stats: Any) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> StageClock:
        """Use the crawl's stats."""
        return cls(crawler.stats)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        """Add the time since the previous clock to this stage's total."""
        now = time.perf_counter()
        started = item.extra.get("_clock")
        if started is not None and self.stage != "start":
            key = f"bench/seconds/{self.stage}"
            self.stats.set_value(key, self.stats.get_value(key, 0.0) + now - started)
        item.extra["_clock"] = now
        return item


class AfterExtract(StageClock):
    """Starts the clock once the article is extracted."""


class AfterFingerprint(StageClock):
    """Stops the fingerprint stage's clock."""

    stage = "fingerprint"


class AfterMatch(StageClock):
    """Stops the match stage's clock."""

    stage = "match"


class AfterStore(StageClock):
    """Stops the store stage's clock."""

    stage = "store"


def _pipelines() -> dict[str, int]:
    """The crawl's pipelines with a clock after each (this module is ``__main__`` there)."""
    return {
        "pipelines.extract.ExtractPipeline": 100,
        f"{__name__}.AfterExtract": 150,
        "pipelines.fingerprint.FingerprintPipeline": 200,
        f"{__name__}.AfterFingerprint": 250,
        "pipelines.match.MatchPipeline": 300,
        f"{__name__}.AfterMatch": 350,
        "pipelines.store.StorePipeline": 400,
        f"{__name__}.AfterStore": 450,
    }


def child(config_path: str) -> int:
    """Run one crawl (in this process) and write its stats and CPU use next to the config."""
    config = json.loads(Path(config_path).read_text())
    overrides: dict[str, Any] = dict(SPEED)
    overrides["CLOSESPIDER_TIMEOUT"] = config["seconds"]
    overrides.update(config.get("settings") or {})
    if config["pipelines"]:
        overrides["ITEM_PIPELINES"] = _pipelines()
        overrides["EXTRACT_WORKERS"] = config["workers"]
    else:
        overrides["ITEM_PIPELINES"] = {}
    options = CrawlOptions(
        database_url=config["database"], log_file=Path(config["log"]), overrides=overrides
    )
    started = time.perf_counter()
    if config.get("profile"):
        profiler = cProfile.Profile()
        result = profiler.runcall(run_crawl, options)
        profiler.dump_stats(config["profile"])
    else:
        result = run_crawl(options)
    wall = time.perf_counter() - started
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = {
        "stats": result.stats,
        "wall": wall,
        "cpu_crawl": me.ru_utime + me.ru_stime,
        "cpu_workers": kids.ru_utime + kids.ru_stime,
    }
    Path(config["out"]).write_text(json.dumps(out, default=str))
    return 0


def _tree_rss(pid: int) -> tuple[int, int]:
    """RSS in bytes of ``pid`` and of all its descendants together: (process, descendants)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            statm = Path(f"/proc/{entry}/statm").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        children.setdefault(int(fields[1]), []).append(int(entry))
        rss[int(entry)] = int(statm.split()[1]) * page
    below, stack = 0, list(children.get(pid, []))
    while stack:
        current = stack.pop()
        below += rss.get(current, 0)
        stack.extend(children.get(current, []))
    return rss.get(pid, 0), below


def _cpu_seconds(pid: int | None = None) -> float:
    """CPU seconds used so far by process ``pid``, or by the whole machine (busy, all CPUs)."""
    tick = os.sysconf("SC_CLK_TCK")
    if pid is None:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return (sum(fields) - fields[3] - fields[4]) / tick  # all but idle and iowait
    fields_ = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields_[11]) + int(fields_[12])) / tick


def run_scenario(
    name: str,
    sites: list[dict[str, str]],
    workdir: Path,
    seconds: float,
    server: int,
    **config: Any,
) -> dict[str, Any]:
    """Crawl the web into a fresh database in a child process; sample its memory and CPU."""
    database = f"sqlite:///{workdir / f'{name}.db'}"
    _, sessions = open_database(database)
    with session_scope(sessions) as session:
        for site in sites:
            record = SiteRecord(site["origin"], site["name"], site["role"], (), (site["sitemap"],))
            save_site(session, record)
    paths = {k: str(workdir / f"{name}.{k}") for k in ("json", "log", "out")}
    Path(paths["json"]).write_text(
        json.dumps({"database": database, "log": paths["log"], "out": paths["out"],
                    "seconds": seconds, **config,
                    "profile": str(Path(config["profile"]) / f"{name}.prof")
                    if config.get("profile") else None})
    )  # fmt: skip
    machine, served, begun = _cpu_seconds(), _cpu_seconds(server), time.perf_counter()
    process = subprocess.Popen([sys.executable, __file__, "--child", paths["json"]], cwd=REPO)
    peak_main = peak_total = peak_workers = 0
    while process.poll() is None:
        main, below = _tree_rss(process.pid)
        peak_main = max(peak_main, main)
        peak_workers = max(peak_workers, below)
        peak_total = max(peak_total, main + below)
        time.sleep(0.2)
    if process.returncode != 0:
        raise SystemExit(f"{name}: the crawl process exited {process.returncode}")
    result: dict[str, Any] = json.loads(Path(paths["out"]).read_text())
    stats = result["stats"]
    result.update(
        peak_main=peak_main,
        peak_workers=peak_workers,
        peak_total=peak_total,
        cpu_machine=_cpu_seconds() - machine,
        cpu_server=_cpu_seconds(server) - served,
        wall=time.perf_counter() - begun,
        elapsed=(
            datetime.fromisoformat(stats["finish_time"])
            - datetime.fromisoformat(stats["start_time"])
        ).total_seconds(),
        responses=stats.get("response_received_count", 0),
        items=stats.get("item_scraped_count", 0) + stats.get("item_dropped_count", 0),
    )
    return result


_SUMMED = ("elapsed", "responses", "items", "cpu_crawl", "cpu_workers", "cpu_machine",
           "cpu_server", "wall")  # fmt: skip
_PEAKS = ("peak_main", "peak_workers", "peak_total")


def combine(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Add up the rounds of one scenario (peaks: the highest)."""
    total: dict[str, Any] = {key: sum(r[key] for r in results) for key in _SUMMED}
    total.update({key: max(r[key] for r in results) for key in _PEAKS})
    stats: dict[str, float] = {}
    for r in results:
        for key, value in r["stats"].items():
            if key.startswith(("bench/", "extract/seconds", "match/", "store/pairs")):
                stats[key] = stats.get(key, 0.0) + value
            elif key == "extract/max_in_flight":
                stats[key] = max(stats.get(key, 0), value)
    total["stats"] = stats
    return total


def describe(
    name: str, result: dict[str, Any], workers: int, cpus: int
) -> tuple[float, float, list[str]]:
    """Pages/s, memory, CPU, and where the reactor thread's time went; also a capacity model.

    The model: the crawl process's CPU per page bounds it at 1/that pages/s, and all the
    crawl's CPU per page (crawl process + workers) spread over the machine's CPUs bounds it
    too; what the machine would do if nothing else ran on it (the web server excluded: a
    real one is elsewhere).
    """
    stats, elapsed, items = result["stats"], result["elapsed"], result["items"]
    rate = items / elapsed if elapsed else 0.0
    mib = 1024 * 1024
    per_page = {k: 1000 * result[k] / max(items, 1) for k in ("cpu_crawl", "cpu_workers")}
    capacity = min(
        1000 / max(per_page["cpu_crawl"], 1e-9),
        cpus * 1000 / max(per_page["cpu_crawl"] + per_page["cpu_workers"], 1e-9),
    )
    lines = [
        name,
        f"  {result['responses']} responses, {items} article pages through the pipelines in"
        f" {elapsed:.1f} s: {rate:.1f} article pages/s",
        f"  peak RSS: crawl process {result['peak_main'] / mib:.0f} MiB, workers"
        f" {result['peak_workers'] / mib:.0f} MiB, together {result['peak_total'] / mib:.0f} MiB;"
        f" most pages waiting for a worker at once: {stats.get('extract/max_in_flight', '-')}",
        f"  CPU: crawl process {result['cpu_crawl']:.1f} s ({per_page['cpu_crawl']:.1f} ms/page),"
        f" workers {result['cpu_workers']:.1f} s ({per_page['cpu_workers']:.1f} ms/page), web"
        f" server {result['cpu_server']:.1f} s; whole machine busy"
        f" {result['cpu_machine'] / result['wall'] if result['wall'] else 0:.2f} of {cpus} CPUs",
    ]
    if "extract/seconds" in stats:
        stage = {s: stats.get(f"bench/seconds/{s}", 0.0) for s in STAGES}
        # The match stage awaits its workers: its clock would count the wait, so the time
        # it spent on this thread comes from the stage itself.
        stage["match"] = stats.get("match/seconds", stage["match"])
        parts = [f"{s} {seconds:.1f} s" for s, seconds in stage.items()]
        busy = sum(stage.values())
        if workers:
            where = (
                f"extract {stats['extract/seconds']:.1f} s and verification"
                f" {stats.get('match/worker_seconds', 0.0):.1f} s in {workers} workers"
            )
        else:
            busy += stats["extract/seconds"]
            parts.insert(0, f"extract {stats['extract/seconds']:.1f} s")
            where = "extraction included"
        lines.append(
            f"  reactor thread, wall time in the stages: {', '.join(parts)}: {busy:.1f} s of"
            f" {elapsed:.1f} s ({where}); the rest is Scrapy fetching, parsing, scheduling"
        )
    if "match/items" in stats:
        lines.append(
            f"  match: {stats['match/items']:.0f} items, {stats.get('match/candidates', 0):.0f}"
            f" candidates verified, {stats.get('match/pairs', 0):.0f} pairs found;"
            f" {stats.get('match/late_candidates', 0):.0f} more stored while their item waited"
            " for a worker, verified in-process"
        )
    lines.append(f"  model, this machine with nothing else running: ≤ {capacity:.0f} pages/s")
    return rate, capacity, lines


def _setting(text: str) -> tuple[str, Any]:
    """Parse ``NAME=VALUE`` (the value as JSON when it is JSON, else as text)."""
    name, _, value = text.partition("=")
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value


def main() -> int:
    """Serve the bulk web, run the three crawls, print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--articles", type=int, default=500, help="articles per site")
    parser.add_argument(
        "--pages-per-site",
        type=int,
        default=150,
        help="article pages per site that b and c crawl (a crawls them all)",
    )
    parser.add_argument(
        "--seconds", type=float, default=600, help="time limit of each crawl (a guard)"
    )
    parser.add_argument(
        "--rounds", type=int, default=2, help="b and c run alternately this many times each"
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a Scrapy setting for the crawls with pipelines (b and c), e.g. EXTRACT_WORKERS=3",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="write a cProfile of each crawl process (not its workers) to this directory",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child)

    cpus = os.cpu_count() or 1
    extra = dict(_setting(text) for text in args.set)
    print(f"generating {args.sites} sites × {args.articles} articles…", flush=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "copycat.demo.bulk", "--sites", str(args.sites),
         "--articles", str(args.articles)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO,
    )  # fmt: skip
    assert server.stdout is not None and server.stdin is not None
    try:
        web = json.loads(server.stdout.readline())
        print(f"serving {web['articles']} article pages on {len(web['sites'])} loopback sites")
        print(f"machine: {cpus} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
        scenarios = {
            "a": ("a. crawl only", {"pipelines": False, "workers": 0}),
            "b": ("b. crawl + pipelines, extraction in-process", {"pipelines": True, "workers": 0}),
            "c": (
                f"c. crawl + pipelines, {args.workers} workers extracting and verifying",
                {"pipelines": True, "workers": args.workers},
            ),
        }
        # b and c alternate, so that a change in the machine's load hits both alike
        order = ["a"] + ["b", "c"] * args.rounds
        runs: dict[str, list[dict[str, Any]]] = {key: [] for key in scenarios}
        with tempfile.TemporaryDirectory(prefix="copycat-bench-") as tmp:
            for index, key in enumerate(order):
                print(f"  run {index + 1}/{len(order)}: {key}", flush=True)
                runs[key].append(
                    run_scenario(
                        f"{key}{index}", web["sites"], Path(tmp), args.seconds, server.pid,
                        **scenarios[key][1], profile=args.profile,
                        settings={"CRAWL_MAX_PAGES_PER_SITE": args.pages_per_site, **extra}
                        if scenarios[key][1]["pipelines"] else {},
                    )
                )  # fmt: skip
        print()
        rates, models = {}, {}
        for key, (name, config) in scenarios.items():
            rates[key], models[key], lines = describe(
                name, combine(runs[key]), config["workers"], cpus
            )
            print("\n".join(lines))
        print(f"\nload average now {os.getloadavg()[0]:.1f}")
        if rates["b"] and models["b"]:
            print(
                f"c / b = {rates['c'] / rates['b']:.2f} measured,"
                f" {models['c'] / models['b']:.2f} modelled (target ≥ 1.5 on 2 cores)"
            )
    finally:
        server.stdin.close()
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
