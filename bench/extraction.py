"""Benchmark ``extract_page`` body text against a ground truth, beside bare trafilatura.

Usage: ``python bench/extraction.py DATA_DIR [--limit N]``

DATA_DIR holds ``ground-truth.json`` (``{id: {"url": ..., "articleBody": ...}}``) and
``html/<id>.html.gz`` (the layout of the public article-extraction benchmark). The data is
read in place and never copied. Scores are bag-of-words token precision/recall/F1 per page
(lowercased ``\\w+`` tokens, multiset overlap), averaged over pages; a page an extractor
refuses or returns nothing for scores 0 (unless the ground truth is empty too).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import trafilatura

from pipelines.extract import NotAnArticle, extract_page

_TOKEN = re.compile(r"\w+")


@dataclass
class Score:
    """Running totals for one extractor."""

    precision: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    f1: list[float] = field(default_factory=list)
    seconds: float = 0.0
    empty: int = 0
    refusals: Counter[str] = field(default_factory=Counter)

    def add(self, predicted: str, truth: str) -> None:
        """Score one page's predicted text against its ground truth."""
        pred, gold = (
            Counter(_TOKEN.findall(predicted.lower())),
            Counter(_TOKEN.findall(truth.lower())),
        )
        if not pred:
            self.empty += 1
        common = sum((pred & gold).values())
        n_pred, n_gold = sum(pred.values()), sum(gold.values())
        if not n_pred and not n_gold:
            p = r = 1.0
        else:
            p = common / n_pred if n_pred else 0.0
            r = common / n_gold if n_gold else 0.0
        self.precision.append(p)
        self.recall.append(r)
        self.f1.append(2 * p * r / (p + r) if p + r else 0.0)

    def row(self, name: str) -> str:
        """One line of the results table."""
        n = len(self.f1)
        mean = lambda xs: sum(xs) / len(xs) if xs else 0.0  # noqa: E731
        return (
            f"{name:<34} {mean(self.precision):9.3f} {mean(self.recall):7.3f} "
            f"{mean(self.f1):7.3f} {n / self.seconds if self.seconds else 0:9.1f} {self.empty:6d}"
        )


def _ours(min_chars: int) -> Callable[[bytes, str], tuple[str, str | None]]:
    """``extract_page`` as a (text, refusal reason) function."""

    def run(html: bytes, url: str) -> tuple[str, str | None]:
        try:
            return extract_page(html, url, min_chars=min_chars).text, None
        except NotAnArticle as exc:
            return "", exc.reason

    return run


def _bare_trafilatura(html: bytes, url: str) -> tuple[str, str | None]:
    """``trafilatura.extract`` with its defaults (no URL, as a bare call)."""
    return trafilatura.extract(html) or "", None


def _pipeline_row(
    pages: list[tuple[bytes, str]], truth: dict[str, dict[str, str]], bare_seconds: float
) -> None:
    """Ingest the real pages through the whole pipeline chain into a temporary SQLite file.

    The figure the attribution benchmark cannot give: throughput on pages of real weight and
    structure, against bare trafilatura on the same pages (timed just before).
    """
    from copycat.db import open_database
    from copycat.ingest import PipelineChain, ingest_lines, standalone_stats

    with tempfile.TemporaryDirectory() as tmp:
        _, sessions = open_database(f"sqlite:///{tmp}/bench.db")
        chain = PipelineChain(sessions, standalone_stats(), min_chars=0)
        lines = (
            json.dumps({"url": truth[i]["url"], "html": html.decode("utf-8", "replace")})
            for html, i in pages
        )
        started = time.perf_counter()
        stored = ingest_lines(lines, chain).stored
        seconds = time.perf_counter() - started
        stage_seconds = {
            stage: chain.stats.get_value(f"{stage}/seconds", 0.0)
            for stage in ("extract", "fingerprint", "match", "store")
        }
    print(
        f"{'whole pipeline (ingest)':<34} {'':>9} {'':>7} {'':>7} {len(pages) / seconds:>9.1f}"
        f"   stored {stored}; {bare_seconds / seconds:.2f} x bare trafilatura's pages/s"
    )
    per_page = ", ".join(f"{k} {1000 * v / len(pages):.1f}" for k, v in stage_seconds.items())
    print(
        f"  ms per page: {per_page} (match and store in a writer thread, beside the others);"
        f" bare trafilatura {1000 * bare_seconds / len(pages):.1f}"
    )


def main(argv: list[str] | None = None) -> int:
    """Run both extractors over the data set and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages")
    parser.add_argument(
        "--min-chars",
        type=int,
        default=0,
        help="extract_page min_chars (0: score all text; refusals are still counted)",
    )
    parser.add_argument(
        "--pipeline", action="store_true",
        help="also ingest the pages through every stage (extract, fingerprint, match, store)",
    )  # fmt: skip
    args = parser.parse_args(argv)

    truth = json.loads((args.data_dir / "ground-truth.json").read_text(encoding="utf-8"))
    ids = sorted(truth)[: args.limit or None]
    pages = [
        (gzip.decompress((args.data_dir / "html" / f"{i}.html.gz").read_bytes()), i) for i in ids
    ]

    extractors: dict[str, Callable[[bytes, str], tuple[str, str | None]]] = {
        "extract_page": _ours(args.min_chars),
        "trafilatura.extract (defaults)": _bare_trafilatura,
    }
    scores = {name: Score() for name in extractors}
    would_drop = 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for name, extract in extractors.items():
            score = scores[name]
            for html, page_id in pages:
                url, body = truth[page_id]["url"], truth[page_id]["articleBody"]
                start = time.perf_counter()
                text, reason = extract(html, url)
                score.seconds += time.perf_counter() - start
                score.add(text, body)
                if reason:
                    score.refusals[reason] += 1
                elif name == "extract_page" and len(text) < 500:
                    would_drop += 1

    print(f"{len(pages)} pages from {args.data_dir}")
    print(f"{'extractor':<34} {'precision':>9} {'recall':>7} {'F1':>7} {'pages/s':>9} {'empty':>6}")
    for name, score in scores.items():
        print(score.row(name))
    ours = scores["extract_page"]
    print(f"extract_page refusals: {dict(ours.refusals) or 'none'}")
    if args.min_chars < 500:
        print(f"extract_page texts under the default min_chars=500: {would_drop}")
    if args.pipeline:
        _pipeline_row(pages, truth, scores["trafilatura.extract (defaults)"].seconds)
    for message in {(w.category.__name__, str(w.message)) for w in caught}:
        print(f"warning: {message[0]}: {message[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
