"""The stages after extraction, alone and in one thread: their CPU per document, by stage.

``make bench`` times the stages inside a real ingest, where extraction runs beside them in
another thread and every figure moves with the machine's load. This runs the attribution
bench's pages (same corpus, same seed) one document at a time, in one thread, as a crawl runs
them in-process (the per-item path: a commit per article), in rounds of :data:`CHUNK` pages:
bare ``trafilatura.extract`` on the round's pages, then our extraction, fingerprint, match
and store of each. A shared host's drift over minutes (a fifth, some days) then moves the
bare figure and ours alike. It prints CPU milliseconds per document by stage, and the stages'
share of our extraction's and of bare ``trafilatura.extract``'s CPU.

    python bench/stages.py ../shared/data/bbc_news_fulltext --seed 7 [--profile out.prof]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import tempfile
from pathlib import Path

from attribution import add_corpus_arguments, bare_extraction, build_corpus, dated_item
from scrapy.exceptions import DropItem

from copycat.db import open_database
from copycat.ingest import PipelineChain, standalone_stats

STAGES = ("fingerprint", "match", "store")
CHUNK = 50
"""Pages per round of bare extraction, then ours and the stages on the same pages: a second
or two apart, so drift cancels, and each in a run of its own kind, so neither finds the
caches cold after the other every time."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_corpus_arguments(parser)
    parser.add_argument("--profile", type=Path, help="write a cProfile of the timed stages here")
    args = parser.parse_args()
    corpus = build_corpus(args)
    ordered = sorted(corpus.docs, key=lambda d: d.published)  # originals before their copies

    with tempfile.TemporaryDirectory() as tmp:
        engine, sessions = open_database(f"sqlite:///{tmp}/stages.db")
        chain = PipelineChain(sessions, standalone_stats())
        profiler = cProfile.Profile() if args.profile else None
        bare_cpu = 0.0
        documents = 0
        for first in range(0, len(ordered), CHUNK):
            chunk = ordered[first : first + CHUNK]
            bare_cpu += bare_extraction(corpus.pages[doc.url] for doc in chunk)[1]
            for doc in chunk:
                try:
                    item = chain.extract.extract_item(dated_item(doc, corpus.pages[doc.url]))
                except DropItem:
                    continue
                documents += 1
                if profiler is not None:
                    profiler.enable()
                chain.finish(chain.fingerprint.process_item(item))
                if profiler is not None:
                    profiler.disable()
        if profiler is not None:
            profiler.dump_stats(args.profile)
        engine.dispose()

    stats = chain.stats
    extract_cpu = stats.get_value("extract/cpu_seconds", 0.0)
    stage_cpu = {stage: stats.get_value(f"{stage}/cpu_seconds", 0.0) for stage in STAGES}
    after = sum(stage_cpu.values())
    result = {
        "documents": documents,
        "cpu_ms_per_document": {
            stage: round(seconds / documents * 1000, 3) for stage, seconds in stage_cpu.items()
        },
        "extract_cpu_ms_per_document": round(extract_cpu / documents * 1000, 3),
        "bare_trafilatura_cpu_ms_per_page": round(bare_cpu / len(ordered) * 1000, 3),
        "after_extraction_cpu_share_of_extract": round(after / extract_cpu, 3),
        "after_extraction_cpu_share_of_bare_extraction": round(after / bare_cpu, 3),
        "pairs": stats.get_value("store/pairs", 0),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
