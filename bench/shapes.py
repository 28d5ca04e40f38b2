"""Copy shapes the attribution bench does not make: are they still retrieved and paired?

Offline and at the text level (no HTML, no extraction, no database): for a sample of the BBC
articles, each shape below turns an article's paragraphs into a copy, spun at each rate with
the bench's thesaurus spinner; a copy is *retrieved* when it shares ``MATCH_MIN_SHARED_BANDS``
buckets with its original (what the candidate query asks, :func:`views.retrieves`) and
*paired* when verification accepts the two (:func:`views.accepted`). Copies under the
extract stage's 500 characters are counted apart (the pipeline drops them as not articles).
It prints the shares per shape and rate, and the articles whose copy was missed.

Then copies stitched from runs of two or three same-topic stories (:data:`STITCHED`): how
many of their originals verification pairs with them (the pipeline's judgement of a stitched
copy is one pair per original; retrieval is left out here, as a run of a quarter of a story is
retrieved like a partial copy).

Then the other side: independent reports (a sampled article given a run of up to four quoted
statements of a same-topic article, one after another as the bench's ``negative_quote_run``)
checked against that article, with every quotation in double marks and with every one in
single marks (British style, :func:`attribution.in_single_quotes`). Any pair is a false
accusation.

    python bench/shapes.py [DATA_DIR] [--articles 200] [--seed 5]
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

from attribution import (
    SENTENCE_END,
    excerpt_of,
    in_single_quotes,
    quoted_statements,
    read_articles,
)
from thesaurus import Spinner, load_thesaurus
from views import accepted, retrieves

from pipelines.extract import DEFAULT_MIN_CHARS
from pipelines.fingerprint import FingerprintConfig
from pipelines.match import MatchConfig

Article = tuple[str, str, list[str]]
"""An article as :func:`attribution.read_articles` reads it: key (``topic/file``), title,
paragraphs."""
Shape = Callable[[list[str], random.Random, list[Article]], list[str]]
"""Turns an article's paragraphs into a copy's, with a random source and the articles of other
topics (for headlines and host pages)."""


def topic_of(article: Article) -> str:
    """The article's topic: its key's first part."""
    return article[0].split("/")[0]


def by_topic(articles: list[Article]) -> dict[str, list[Article]]:
    """The articles grouped by topic, in their order."""
    grouped: dict[str, list[Article]] = defaultdict(list)
    for article in articles:
        grouped[topic_of(article)].append(article)
    return grouped


def headline(rng: random.Random, others: list[Article]) -> str:
    """Another article's title, as a link or a caption."""
    return rng.choice(others)[1]


def interleaved(paragraphs: list[str], rng: random.Random, others: list[Article]) -> list[str]:
    """An aggregator's copy: a "READ MORE" link to another story after every paragraph."""
    return [line for p in paragraphs for line in (p, f"READ MORE: {headline(rng, others)}")]


def captions_and_ads(paragraphs: list[str], rng: random.Random, others: list[Article]) -> list[str]:
    """Image captions and advertisement labels between paragraphs, a source line at the end."""
    lines = []
    for n, paragraph in enumerate(paragraphs):
        lines.append(paragraph)
        if n % 3 == 1:
            lines.append("Advertisement")
        if n % 4 == 2:
            lines.append(f"Image caption: {headline(rng, others)} (Photo: agency)")
    return [*lines, "Source link"]


def one_paragraph(paragraphs: list[str], rng: random.Random, others: list[Article]) -> list[str]:
    """Every paragraph run together into one."""
    return [" ".join(paragraphs)]


def sentence_paragraphs(
    paragraphs: list[str], rng: random.Random, others: list[Article]
) -> list[str]:
    """Every sentence a paragraph of its own."""
    return [s for p in paragraphs for s in SENTENCE_END.split(p)]


def every_other_paragraph(
    paragraphs: list[str], rng: random.Random, others: list[Article]
) -> list[str]:
    """Half the paragraphs, none next to another: a cut-down copy that is no run."""
    return paragraphs[::2]


def reworked_40(paragraphs: list[str], rng: random.Random, others: list[Article]) -> list[str]:
    """Two paragraphs in five kept (three at least), all shuffled: the bench's reworked copies
    keep seven in ten and shuffle all but the first two."""
    how_many = min(len(paragraphs), max(3, round(len(paragraphs) * 0.4)))
    kept = [paragraphs[i] for i in sorted(rng.sample(range(len(paragraphs)), how_many))]
    rng.shuffle(kept)
    return kept


def _joined(first: str, second: str) -> str:
    """Two sentences as one, joined with a semicolon: the first's full stop goes and the
    second's capital too, unless it starts with a name or an acronym."""
    if first.endswith("."):
        first = first[:-1]
    word = second.split(" ", 1)[0]
    if word[:1].isupper() and word[1:].islower() and word not in ("I", "I'm"):
        second = word.lower() + second[len(word) :]
    return f"{first}; {second}"


def joined_sentences(paragraphs: list[str], rng: random.Random, others: list[Article]) -> list[str]:
    """Every two sentences of a paragraph joined into one (a rewriter's merge): a copy's
    sentences are then no longer the original's, one for one."""
    copy = []
    for paragraph in paragraphs:
        sentences = SENTENCE_END.split(paragraph)
        pairs = [sentences[i : i + 2] for i in range(0, len(sentences), 2)]
        copy.append(" ".join(_joined(*pair) if len(pair) == 2 else pair[0] for pair in pairs))
    return copy


CLAUSE = re.compile(r", (?:and|but|which|while|after|as) ")
"""Where :func:`split_sentences` cuts a long sentence."""


def split_sentences(paragraphs: list[str], rng: random.Random, others: list[Article]) -> list[str]:
    """Sentences cut in two at a clause (", and ..." → ". And ..."), where the first part
    holds forty characters or more: the rewriter's other move."""
    copy = []
    for paragraph in paragraphs:
        sentences = []
        for sentence in SENTENCE_END.split(paragraph):
            cut = CLAUSE.search(sentence, 40)
            if cut is None:
                sentences.append(sentence)
                continue
            rest = sentence[cut.start() + 2 :]
            sentences.append(f"{sentence[: cut.start()]}. {rest[:1].upper()}{rest[1:]}")
        copy.append(" ".join(sentences))
    return copy


def joined_run(paragraphs: list[str], rng: random.Random, others: list[Article]) -> list[str]:
    """A run of 45 % of the paragraphs (:func:`stitched_run`), its sentences joined two by
    two: a partial copy whose sentences are not the original's."""
    return joined_sentences(stitched_run(paragraphs, 0.45, rng), rng, others)


TYPOGRAPHY = (
    (re.compile(r"\bdo not\b"), "don't"),
    (re.compile(r"\bis not\b"), "isn't"),
    (re.compile(r"\bit is\b"), "it's"),
    (re.compile(r"\bwill not\b"), "won't"),
    (re.compile(r'"(?=\w)'), "\u201c"),
    (re.compile(r'(?<=[\w.,!?])"'), "\u201d"),
    (re.compile(r"'"), "\u2019"),
    (re.compile(r" - "), " \u2014 "),
    (re.compile(r"(?<=\d)%"), " per cent"),
)
"""A house style's rewrites, in order: contractions, then curly quotes and apostrophes,
dashes, "per cent"."""


def house_style(paragraphs: list[str], rng: random.Random, others: list[Article]) -> list[str]:
    """Every paragraph in another outlet's house style (:data:`TYPOGRAPHY`)."""
    copy = []
    for paragraph in paragraphs:
        for pattern, replacement in TYPOGRAPHY:
            paragraph = pattern.sub(replacement, paragraph)
        copy.append(paragraph)
    return copy


def excerpt_inside(hosts: int) -> Shape:
    """A 3-5 sentence excerpt (:func:`attribution.excerpt_of`) as one paragraph inside ``hosts``
    other-topic articles run together (a roundup page): the bench's excerpts sit among short
    page lines instead, so the copy is mostly the excerpt and its coverage helps."""

    def shape(paragraphs: list[str], rng: random.Random, others: list[Article]) -> list[str]:
        excerpt = excerpt_of(paragraphs, rng)
        pages = [p for _ in range(hosts) for p in rng.choice(others)[2]]
        at = rng.randint(1, len(pages) - 1)
        return [*pages[:at], excerpt, *pages[at:]]

    return shape


SHAPES: dict[str, tuple[Shape, tuple[float, ...]]] = {
    "interleaved": (interleaved, (0.0, 0.3, 0.5)),
    "captions_and_ads": (captions_and_ads, (0.0, 0.3, 0.5)),
    "one_paragraph": (one_paragraph, (0.0, 0.3, 0.5)),
    "sentence_paragraphs": (sentence_paragraphs, (0.0, 0.3, 0.5)),
    "every_other_paragraph": (every_other_paragraph, (0.0, 0.3, 0.5)),
    "reworked_40": (reworked_40, (0.15, 0.3)),
    "joined_sentences": (joined_sentences, (0.0, 0.3, 0.5)),
    "split_sentences": (split_sentences, (0.0, 0.3, 0.5)),
    "joined_run_45": (joined_run, (0.0, 0.3, 0.5)),
    "house_style": (house_style, (0.0, 0.3, 0.5)),
    "excerpt_in_article": (excerpt_inside(1), (0.0, 0.3, 0.5)),
    "excerpt_in_roundup": (excerpt_inside(3), (0.0, 0.3, 0.5)),
}
"""Each shape and the spin rates it is measured at."""


STITCHED: tuple[tuple[int, float, float], ...] = (
    (2, 0.3, 0.0),
    (2, 0.3, 0.3),
    (3, 0.25, 0.0),
    (3, 0.25, 0.1),
    (3, 0.25, 0.3),
)
"""Stitched copies measured: (originals, share of each taken, spin rate). ``make bench``
stitches the leading half or more of two same-topic stories; these take a run from anywhere
in each, down to a quarter of it, from up to three stories."""


def stitched_run(paragraphs: list[str], share: float, rng: random.Random) -> list[str]:
    """A run of ``share`` of the paragraphs from a random place, of three sentences at least:
    the issue's floor for a part of an article (a 3+ sentence excerpt)."""
    k = min(len(paragraphs), max(2, round(len(paragraphs) * share)))
    start = rng.randint(0, len(paragraphs) - k)
    while sum(len(SENTENCE_END.split(p)) for p in paragraphs[start : start + k]) < 3:
        if start + k < len(paragraphs):
            k += 1
        elif start > 0:
            start -= 1
        else:
            break
    return paragraphs[start : start + k]


def stitched_copies(
    sample: list[Article],
    topics: dict[str, list[Article]],
    spinner: Spinner,
    rng: random.Random,
) -> dict[str, dict[str, float | int]]:
    """Copies stitched from runs of several same-topic stories (:data:`STITCHED`, ``topics``
    from :func:`by_topic`): the share of their originals verification pairs with the copy, and
    of copies with all of them."""
    result: dict[str, dict[str, float | int]] = {}
    for how_many, share, rate in STITCHED:
        found = originals = complete = copies = 0
        for article in sample:
            others = [a for a in topics[topic_of(article)] if a[0] != article[0]]
            sources = [article, *rng.sample(others, how_many - 1)]
            parts = [stitched_run(paragraphs, share, rng) for _, _, paragraphs in sources]
            copy = "\n\n".join(p for part in parts for p in part)
            if rate:
                copy = spinner.spin(copy, rate, rng)[0]
            paired = [accepted(copy, "\n\n".join(source[2])) for source in sources]
            copies += 1
            originals += len(sources)
            found += sum(paired)
            complete += all(paired)
        result[f"{how_many} stories, {share:.0%} of each, spun {rate:.0%}"] = {
            "copies": copies,
            "originals_paired": round(found / originals, 3),
            "all_originals_paired": round(complete / copies, 3),
        }
    return result


def independent_reports(
    sample: list[Article],
    topics: dict[str, list[Article]],
    rng: random.Random,
) -> dict[str, dict[str, int]]:
    """Reports quoting a run of a same-topic story's statements (``topics`` from
    :func:`by_topic`), in double and in single marks: how many there are, and how many
    verification pairs with the story (must be 0)."""
    counts = {"double_marks": Counter[str](), "single_marks": Counter[str]()}
    for article in sample:
        key, _, paragraphs = article
        donor_key, _, story = rng.choice(topics[topic_of(article)])
        quotes = quoted_statements(story)
        if donor_key == key or len(quotes) < 2:
            continue
        at = rng.randint(1, len(paragraphs))
        report = [*paragraphs[:at], *quotes, *paragraphs[at:]]
        for marks, style in (("double_marks", str), ("single_marks", in_single_quotes)):
            paired = accepted("\n\n".join(map(style, report)), "\n\n".join(map(style, story)))
            counts[marks]["reports"] += 1
            counts[marks]["paired"] += paired
    return {marks: dict(c) for marks, c in counts.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", type=Path,
                        default=Path("../shared/data/bbc_news_fulltext"))  # fmt: skip
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--thesaurus", type=Path, default=Path("/usr/share/mythes/th_en_US_v2.dat"))
    args = parser.parse_args()
    articles = read_articles(args.data_dir, keep_first_of_pairs=True)
    rng = random.Random(args.seed)
    sample = rng.sample(articles, min(args.articles, len(articles)))
    topics = by_topic(articles)
    other_topics = {topic: [a for a in articles if topic_of(a) != topic] for topic in topics}
    spinner = Spinner(load_thesaurus(args.thesaurus))
    setting, min_shared = FingerprintConfig(), MatchConfig().min_shared_bands
    outcomes: dict[str, Counter[str]] = defaultdict(Counter)
    missed: dict[str, list[str]] = defaultdict(list)
    for name, (shape, rates) in SHAPES.items():
        for rate in rates:
            label = f"{name} spun {rate:.0%}"
            for article in sample:
                key, _, paragraphs = article
                copy = "\n\n".join(shape(paragraphs, rng, other_topics[topic_of(article)]))
                if rate:
                    copy = spinner.spin(copy, rate, rng)[0]
                original = "\n\n".join(paragraphs)
                if len(copy) < DEFAULT_MIN_CHARS:
                    outcomes[label]["too_short"] += 1
                    continue
                retrieved = retrieves(copy, original, setting, min_shared)
                paired = accepted(copy, original)
                outcomes[label]["copies"] += 1
                outcomes[label]["retrieved"] += retrieved
                outcomes[label]["paired"] += paired
                outcomes[label]["found"] += retrieved and paired
                if not (retrieved and paired):
                    missed[label].append(key)
    result: dict[str, object] = {
        label: {
            "copies": c["copies"],
            "too_short": c["too_short"],
            "retrieved": round(c["retrieved"] / c["copies"], 3),
            "paired": round(c["paired"] / c["copies"], 3),
            "found": round(c["found"] / c["copies"], 3),
            "missed": missed[label][:5],
        }
        for label, c in outcomes.items()
    }
    result["independent_reports"] = independent_reports(sample, topics, rng)
    result["stitched"] = stitched_copies(sample, topics, spinner, rng)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
