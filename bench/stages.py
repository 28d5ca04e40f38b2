"""The stages after extraction, alone and in one thread: their CPU per document, by stage.

``make bench`` times the stages inside a real ingest, where extraction runs beside them in
another thread and every figure moves with the machine's load. This runs the attribution
bench's pages (same corpus, same seed) through extraction first, untimed, and then through
fingerprint, match and store alone, one item after another, as a crawl runs them in-process
(the per-item path: a commit per article), so that a change to those stages can be weighed
by itself. It prints CPU milliseconds per document by stage, and the same as a share of our
extraction's and of bare ``trafilatura.extract``'s CPU on the same pages.

    python bench/stages.py ../shared/data/bbc_news_fulltext --seed 7 [--profile out.prof]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from attribution import add_corpus_arguments, bare_extraction, build_corpus
from scrapy.exceptions import DropItem

from copycat.db import open_database
from copycat.ingest import PipelineChain, parse_record, standalone_stats
from crawler.items import ArticleItem

STAGES = ("fingerprint", "match", "store")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_corpus_arguments(parser)
    parser.add_argument("--profile", type=Path, help="write a cProfile of the timed stages here")
    args = parser.parse_args()
    corpus = build_corpus(args)
    ordered = sorted(corpus.docs, key=lambda d: d.published)  # originals before their copies

    _, bare_cpu = bare_extraction(corpus.pages[doc.url] for doc in ordered)

    with tempfile.TemporaryDirectory() as tmp:
        engine, sessions = open_database(f"sqlite:///{tmp}/stages.db")
        chain = PipelineChain(sessions, standalone_stats())
        items: list[ArticleItem] = []
        for doc in ordered:
            record = {"url": doc.url, "html": corpus.pages[doc.url], "site": doc.site,
                      "published_at": doc.published.isoformat()}  # fmt: skip
            try:
                items.append(
                    chain.extract.extract_item(parse_record(json.dumps(record), datetime.now(UTC)))
                )
            except DropItem:
                continue
        profiler = cProfile.Profile() if args.profile else None
        if profiler is not None:
            profiler.enable()
        for item in items:
            chain.finish(chain.fingerprint.process_item(item))
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
        engine.dispose()

    stats = chain.stats
    extract_cpu = stats.get_value("extract/cpu_seconds", 0.0)
    stage_cpu = {stage: stats.get_value(f"{stage}/cpu_seconds", 0.0) for stage in STAGES}
    after = sum(stage_cpu.values())
    result = {
        "documents": len(items),
        "cpu_ms_per_document": {
            stage: round(seconds / len(items) * 1000, 3) for stage, seconds in stage_cpu.items()
        },
        "extract_cpu_ms_per_document": round(extract_cpu / len(items) * 1000, 3),
        "bare_trafilatura_cpu_ms_per_page": round(bare_cpu / len(ordered) * 1000, 3),
        "after_extraction_cpu_share_of_extract": round(after / extract_cpu, 3),
        "after_extraction_cpu_share_of_bare_extraction": round(after / bare_cpu, 3),
        "pairs": stats.get_value("store/pairs", 0),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
