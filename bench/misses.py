"""Why the attribution bench's copies of some kinds are missed: retrieval or verification.

Offline, for one seed's corpus as ``make bench`` builds it: every copy of the chosen kinds and
its first original are extracted as the pipeline extracts them, then fingerprinted and
profiled. A copy is *retrieved* when the two share at least ``MATCH_MIN_SHARED_BANDS`` buckets
(what the candidate query asks) and *verified* when :func:`pipelines.match.judge` accepts
their alignment. It prints the count of each outcome by kind, and for every copy that fails
either, the buckets it shares by view (0 word bands, 1 skeleton bands, 2 anchors) and the
figures :func:`pipelines.match.is_copy` reads: where to look before changing a threshold.

    python bench/misses.py [DATA_DIR] --seed 7 [--kinds excerpt,excerpt_spun] [--show URL]
"""

from __future__ import annotations

import argparse
from collections import Counter

from attribution import Doc, add_corpus_arguments, build_corpus, dated_item
from scrapy.exceptions import DropItem

from copycat.ingest import standalone_stats
from pipelines.align import Alignment, profile
from pipelines.extract import ExtractPipeline
from pipelines.fingerprint import VIEW_STRIDE, fingerprint_text
from pipelines.match import MatchConfig, judge


def alignment_facts(alignment: Alignment) -> str:
    """The figures :func:`is_copy` decides from, on one line."""
    return (
        f"run {alignment.longest_run} sentences / {alignment.run_words} words, "
        f"quoted run {alignment.quoted_run} / {alignment.quoted_run_words} narrative words, "
        f"specific sentences {alignment.specific_aligned}, "
        f"coverage {alignment.a_coverage:.2f} / {alignment.b_coverage:.2f} "
        f"({alignment.in_order:.2f} in order, {alignment.copied_sentences} sentences copied)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_corpus_arguments(parser)
    parser.add_argument("--kinds", default="excerpt,excerpt_spun", help="comma-separated")
    parser.add_argument("--show", action="append", default=[], help="print this copy's text")
    args = parser.parse_args()
    corpus = build_corpus(args)
    by_url = {doc.url: doc for doc in corpus.docs}
    extract = ExtractPipeline(stats=standalone_stats())
    config = MatchConfig()

    def text(doc: Doc) -> str:
        article = extract.extract_item(dated_item(doc, corpus.pages[doc.url])).article
        assert article is not None  # extract_item fills it or raises DropItem
        return article.text

    outcomes: Counter[tuple[str, str]] = Counter()
    kinds = set(args.kinds.split(","))
    for doc in corpus.docs:
        if doc.kind not in kinds:
            continue
        try:
            copy_text, original_text = text(doc), text(by_url[doc.originals[0]])
        except DropItem as reason:
            outcomes[(doc.kind, f"dropped: {reason}")] += 1
            continue
        shared = set(fingerprint_text(copy_text).buckets) & set(
            fingerprint_text(original_text).buckets
        )
        retrieved = len(shared) >= config.min_shared_bands
        alignment, verified = judge(profile(copy_text), profile(original_text), config)
        outcome = "paired" if retrieved and verified else "missed"
        if not retrieved:
            outcome += ", not retrieved"
        if not verified:
            outcome += ", not verified"
        outcomes[(doc.kind, outcome)] += 1
        if outcome != "paired":
            views = Counter(band // VIEW_STRIDE for band, _ in shared)
            print(f"{doc.url}: {outcome}; shared buckets by view {dict(sorted(views.items()))}")
            print(f"    {alignment_facts(alignment)}")
        if doc.url in args.show:
            print(f"--- {doc.url} ({doc.kind})\n{copy_text}\n--- its original\n{original_text}")
    for (kind, outcome), n in sorted(outcomes.items()):
        print(f"{kind:>14}  {outcome:<40} {n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
