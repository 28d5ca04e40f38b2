"""Which fingerprint settings retrieve the attribution bench's copies, and at how many band rows.

Retrieval alone, offline: for each seed the bench's corpus is built as ``make bench`` builds it,
every document's body text is fingerprinted with each setting, and a pair counts as retrieved
when the two documents share at least ``MATCH_MIN_SHARED_BANDS`` buckets (any view), as the
candidate query asks. Only pairs that verification accepts (``pipelines.match.verify`` on the
two texts, once per pair) are counted, so a setting is judged on the copies it could make
pairs of. Also printed: band rows an article (each one a random write into the band index,
what the per-document cost at scale grows with) and the unrelated pairs retrieved per document
(the verifications a setting costs). Then the same for a verbatim 40 % of every article
(:func:`partial_copies`).

    python bench/views.py [DATA_DIR] [--seed 7 --seed 11 --seed 23]
        [--setting num_perm=20,threshold=0.3,skeleton_num_perm=28,anchor_sample=2 …]

A setting is ``FingerprintConfig`` fields; the current defaults are always measured first.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import random
from collections import Counter, defaultdict
from pathlib import Path

from attribution import CorpusBuilder, Doc, read_articles, read_republications
from thesaurus import Spinner, load_thesaurus

from pipelines.fingerprint import FingerprintConfig, fingerprint_text
from pipelines.match import DocumentView, MatchConfig, verify

CROWDED_BUCKET = 200
"""A bucket this many documents share is skipped when counting pairs (a pair count of its
square would dominate the run; the candidate query caps at 50 anyway)."""


def parse_setting(text: str) -> FingerprintConfig:
    """Read ``field=value,…`` into a :class:`FingerprintConfig` (other fields: defaults)."""
    fields = {f.name: f.type for f in dataclasses.fields(FingerprintConfig)}
    values: dict[str, int | float] = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        if name not in fields:
            raise argparse.ArgumentTypeError(f"no FingerprintConfig field {name!r}")
        values[name] = float(value) if "threshold" in name else int(value)
    return dataclasses.replace(FingerprintConfig(), **values)  # type: ignore[arg-type]


def true_pairs(docs: list[Doc]) -> dict[tuple[int, int], str]:
    """The (lower, higher) document indexes of each copy and its original, with the copy's kind."""
    index = {d.url: i for i, d in enumerate(docs)}
    pairs = {}
    for i, doc in enumerate(docs):
        for original in doc.originals:
            j = index[original]
            pairs[(min(i, j), max(i, j))] = doc.kind
    return pairs


def accepted(text: str, other: str) -> bool:
    """Whether verification makes a pair of the two texts when it is handed them."""
    return (
        verify(
            DocumentView(url="https://one.example/a", site="https://one.example", text=text, id=1),
            DocumentView(url="https://two.example/b", site="https://two.example", text=other, id=2),
        )
        is not None
    )


def bucket_set(text: str, setting: FingerprintConfig) -> frozenset[int]:
    """The band index rows ``text`` gets with ``setting`` (their bucket values)."""
    return frozenset(bucket for _, bucket in fingerprint_text(text, setting).buckets)


def retrieves(copy: str, original: str, setting: FingerprintConfig, min_shared: int) -> bool:
    """Whether the candidate query would find ``original`` for ``copy``: ``min_shared``
    buckets in common."""
    return len(bucket_set(copy, setting) & bucket_set(original, setting)) >= min_shared


def retrieved(buckets: list[frozenset[int]], min_shared: int) -> set[tuple[int, int]]:
    """The document pairs sharing at least ``min_shared`` buckets."""
    holders: dict[int, list[int]] = defaultdict(list)
    for i, doc_buckets in enumerate(buckets):
        for bucket in doc_buckets:
            holders[bucket].append(i)
    shared: Counter[tuple[int, int]] = Counter()
    for ids in holders.values():
        if len(ids) <= CROWDED_BUCKET:
            shared.update(itertools.combinations(ids, 2))
    return {pair for pair, n in shared.items() if n >= min_shared}


def partial_copies(
    articles: list[tuple[str, str, list[str]]], share: float
) -> list[tuple[str, str]]:
    """A contiguous ``share`` of each article's paragraphs, verbatim, with the whole article.

    The bench's own partial copies are 40-70 % of an original; this puts every article at the
    issue's floor, where a text mostly made of quotations leaves its skeleton views few grams.
    """
    pairs = []
    for n, (_, _, paragraphs) in enumerate(articles):
        keep = max(1, round(len(paragraphs) * share))
        start = random.Random(n).randrange(len(paragraphs) - keep + 1)
        pairs.append(("\n\n".join(paragraphs[start : start + keep]), "\n\n".join(paragraphs)))
    return pairs


def retrieved_partials(
    pairs: list[tuple[str, str]], setting: FingerprintConfig, min_shared: int
) -> int:
    """How many (copy, original) text pairs share at least ``min_shared`` buckets."""
    return sum(retrieves(copy, original, setting, min_shared) for copy, original in pairs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", type=Path,
                        default=Path("../shared/data/bbc_news_fulltext"))  # fmt: skip
    parser.add_argument("--seed", type=int, action="append")
    parser.add_argument("--setting", type=parse_setting, action="append", default=[])
    parser.add_argument("--thesaurus", type=Path, default=Path("/usr/share/mythes/th_en_US_v2.dat"))
    args = parser.parse_args()
    settings = [FingerprintConfig(), *args.setting]
    min_shared = MatchConfig().min_shared_bands
    articles = read_articles(args.data_dir, keep_first_of_pairs=True)
    republications = read_republications(args.data_dir, {key for key, _, _ in articles})
    spinner = Spinner(load_thesaurus(args.thesaurus))
    for seed in args.seed or [7]:
        docs, _ = CorpusBuilder(articles, seed, spinner).build(900, 150, republications)
        pairs = true_pairs(docs)
        wanted = {(i, j) for i, j in pairs if accepted(docs[i].body, docs[j].body)}
        print(f"seed {seed}: {len(docs)} documents, {len(pairs)} copy pairs, "
              f"{len(wanted)} that verification accepts")  # fmt: skip
        for setting in settings:
            buckets = [bucket_set(d.body, setting) for d in docs]
            found = retrieved(buckets, min_shared)
            missed = Counter(pairs[p] for p in wanted - found)
            rows = sum(map(len, buckets)) / len(docs)
            print(
                f"  rows {rows:5.1f}  retrieved {len(wanted & found) / len(wanted):.4f}"
                f"  unrelated/doc {len(found - pairs.keys()) / len(docs):.2f}"
                f"  missed {dict(missed) or '-'}  {setting}"
            )
    share = 0.4
    partials = [pair for pair in partial_copies(articles, share) if accepted(*pair)]
    print(f"{share:.0%} of each of {len(articles)} articles, verbatim: {len(partials)} pairs "
          "that verification accepts")  # fmt: skip
    for setting in settings:
        print(f"  retrieved {retrieved_partials(partials, setting, min_shared)}  {setting}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
