"""Attribution benchmark: copies of real articles, made the ways copycats do, through the pipelines.

Usage::

    python bench/attribution.py [DATA_DIR] [--originals N] [--seed S]
    python bench/attribution.py --scale 100000      # per-document cost at 10k vs N stored docs
    python bench/attribution.py --scale 30000,100000,300000   # and at several sizes

DATA_DIR (default ``../shared/data/bbc_news_fulltext``) holds ``bbc/<topic>/<NNN>.txt``
(title line, blank line, paragraphs). The texts are read at run time and never written
anywhere but a temporary database.

The corpus: every article (minus the second of each pair ``derived_duplicate_pairs.tsv`` lists
as duplicates inside the set, and those sharing verbatim text with another) is published by
one of four outlets; a sample gets copies made with our own thesaurus spinner
(:mod:`bench.thesaurus`, Debian's mythes-en-us) in several page templates: verbatim, partial
(a run of 40-70 % of the paragraphs), excerpt (3-5 sentences inside a longer page), the same
spun at 20 or 30 % (of originals nothing else copies), spun at 10/30/50 %, partial and spun,
reworked (new headline and intro, paragraphs dropped and reordered, lightly spun) and
stitched (parts of two originals). Hard negatives that must pair
with nothing: held-out articles (never stored otherwise) with the quoted statements of a
same-topic stored article spliced in ("independent reports sharing quotes"; every other one
quotes them one after another, in their order), and every other stored article (same-topic
stories of other outlets).

Real re-publications: the pairs ``derived_duplicate_pairs.tsv`` lists (the outlet published a
text twice, as is or edited) keep their first version among the originals and put the second
on a copycat's site a day later. Their recall is reported on its own
(``recall_real_republications``), apart from the copies made here.

Everything is ingested, in publication order, through :class:`copycat.ingest.PipelineChain`
(extract, fingerprint, match, store) on a temporary SQLite database, as ``copycat ingest``
does: pages extracted and fingerprinted in ``--workers`` processes (default: one per CPU;
``--workers 0``: in the ingest thread), matched and stored in a writer thread. The datasketch
MinHash baseline (word 5-shingles, threshold 0.5) and bare ``trafilatura.extract`` run on the
same pages in the same run, so the figures are ratios on one machine at one moment.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

import trafilatura
from datasketch import MinHash, MinHashLSH
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chrome import site_chrome
from thesaurus import KEPT_WORDS, Spinner, load_thesaurus

from copycat.db import open_database
from copycat.demo.text import NewsWriter
from copycat.ingest import PipelineChain, ingest_lines, parse_record, standalone_stats
from copycat.models import Article, Match
from crawler.items import ArticleItem
from pipelines import epochs
from pipelines.extract import default_workers
from pipelines.fingerprint import tokenize
from pipelines.match import candidate_plan

OUTLETS = [
    "https://www.northpost.example",
    "https://dailyledger.example",
    "https://www.eveningwire.example",
    "https://gazette.example",
]
COPYCATS = [
    "https://newsmirror.example",
    "https://spinhub.example",
    "https://www.aggregat.example",
    "https://viralnow.example",
]
SINGLE_QUOTE_OUTLET = OUTLETS[1]
"""The outlet that puts quotations in single marks (‘…’), British style, where the set has
double ones. Its copies keep them, and so do the independent reports quoting its stories: a
matcher that sees only double marks counts their shared quotations as copied narrative."""
T0 = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
SPIN_RATES = (0.1, 0.3, 0.5)


@dataclass
class Doc:
    """One page of the corpus and what it is."""

    url: str
    site: str
    title: str
    paragraphs: list[str]
    published: datetime
    template: int
    kind: str = "original"
    originals: list[str] = field(default_factory=list)
    credit: str | None = None
    spin: float = 0.0
    single_quotes: bool = False
    """Its quotations are in single marks, British style (:data:`SINGLE_QUOTE_OUTLET`)."""

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)


def _duplicate_pairs(data_dir: Path) -> list[tuple[str, str, str]]:
    """Return (first file, second file, kind) per pair ``derived_duplicate_pairs.tsv`` lists."""
    listed = data_dir / "derived_duplicate_pairs.tsv"
    if not listed.exists():
        return []
    pairs = []
    for line in listed.read_text(encoding="utf-8").splitlines()[1:]:
        fields = line.split("\t")
        if len(fields) >= 3:
            pairs.append((fields[0], fields[1], fields[2]))
    return pairs


def _read_article(path: Path) -> tuple[str, list[str]]:
    """Return the title and paragraphs of one article file."""
    raw = path.read_bytes()
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError:
        content = raw.decode("latin-1")
    title, _, rest = content.strip().partition("\n")
    paragraphs = []
    for block in re.split(r"\n\s*\n", rest):
        paragraphs += _paragraphs(block.strip())
    return title.strip(), paragraphs


def read_articles(
    data_dir: Path, keep_first_of_pairs: bool = False
) -> list[tuple[str, str, list[str]]]:
    """Return (file id, title, paragraphs) of every article not listed as a duplicate.

    ``keep_first_of_pairs``: the first article of each listed pair stays (the second is what
    :func:`read_republications` reads). Exits with a message when there are none.
    """
    if not any((data_dir / "bbc").glob("*/*.txt")):
        raise SystemExit(f"no articles in {data_dir}: expected bbc/<topic>/<NNN>.txt files there")
    skip: set[str] = set()
    for first, second, _ in _duplicate_pairs(data_dir):
        skip.add(second)
        if not keep_first_of_pairs:
            skip.add(first)
    articles = []
    for path in sorted((data_dir / "bbc").glob("*/*.txt")):
        key = f"{path.parent.name}/{path.name}"
        if key in skip:
            continue
        title, paragraphs = _read_article(path)
        if len(paragraphs) >= 4:
            articles.append((key, title, paragraphs))
    return drop_natural_duplicates(articles)


@dataclass(frozen=True)
class Republication:
    """A real re-publication inside the data set: a second version of a stored article."""

    first: str
    """File id of the version stored as the original."""
    title: str
    paragraphs: list[str]
    kind: str
    """``republished_exact`` or ``republished_edited`` (as the pairs file says)."""


REPUBLISHED = "republished"
"""The kind prefix of real re-publications (scored apart from the copies made here)."""


def is_republication(kind: str) -> bool:
    """Whether a copy kind is one of the data set's own re-publications."""
    return kind.startswith(REPUBLISHED)


def read_republications(data_dir: Path, stored: set[str]) -> list[Republication]:
    """Return the second version of each listed pair whose first version is in ``stored``.

    These are not made by our spinner: the outlet itself published the text twice, as is or
    edited (the pairs file's ``same_title_edited``, 86-99.9 % of the word sequence kept). Put
    on a copycat's site they are the closest thing to real copies this data set holds.
    """
    found = []
    for first, second, kind in _duplicate_pairs(data_dir):
        if first not in stored or second in stored:
            continue
        title, paragraphs = _read_article(data_dir / "bbc" / second)
        label = f"{REPUBLISHED}_exact" if kind == "exact" else f"{REPUBLISHED}_edited"
        found.append(Republication(first, title, paragraphs, label))
    return found


def _paragraphs(block: str) -> list[str]:
    """Cut a long block (many files keep a whole story in two or three) into 2-4 sentences."""
    sentences = [s for s in re.split(r"(?<=[.!?\"”])\s+(?=[\"“A-Z0-9])", block) if s]
    out: list[str] = []
    i = 0
    while i < len(sentences):
        size = 2 + (len(out) + len(block)) % 3
        out.append(" ".join(sentences[i : i + size]))
        i += size
    return out


_QUOTE_SPAN = re.compile(r"[\"“][^\"“”\n]*[\"”]?")


def drop_natural_duplicates(
    articles: list[tuple[str, str, list[str]]], min_shared: int = 15
) -> list[tuple[str, str, list[str]]]:
    """Leave out articles that share verbatim text with an earlier one (outside quotations).

    The set holds more reused text than ``derived_duplicate_pairs.tsv`` lists: the outlet
    republishing its own paragraphs, or a few background sentences, under a new headline.
    Spread over several benchmark outlets such pairs are real copies (a 3-sentence excerpt is a
    copy), not negatives, so one of each is left out: ``min_shared`` unquoted word 8-grams in
    common (about two sentences taken word for word). Shared quotations do not count: reports
    sharing a quote are exactly the negatives to keep.
    """
    index: dict[tuple[str, ...], int] = {}
    kept: list[tuple[str, str, list[str]]] = []
    for key, title, paragraphs in articles:
        words = tokenize(_QUOTE_SPAN.sub(" ", "\n".join(paragraphs))).words
        grams = {words[i : i + 8] for i in range(len(words) - 7)}
        shared: dict[int, int] = defaultdict(int)
        for gram in grams:
            if gram in index:
                shared[index[gram]] += 1
        if shared and max(shared.values()) >= min(min_shared, 0.2 * len(grams)):
            continue
        for gram in grams:
            index.setdefault(gram, len(kept))
        kept.append((key, title, paragraphs))
    return kept


def in_single_quotes(paragraph: str) -> str:
    """Put a paragraph's quotations in single marks: “…” and "…" become ‘…’."""
    opened = re.sub(r'(?:^|(?<=[\s(]))"', "‘", paragraph.replace("“", "‘"))
    return opened.replace('"', "’").replace("”", "’")


def page(doc: Doc, rng: random.Random) -> str:
    """Render a page in one of several templates (navigation, sidebars, footers differ)."""
    paragraphs = map(in_single_quotes, doc.paragraphs) if doc.single_quotes else doc.paragraphs
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    credit = ""
    if doc.credit:
        credit = f'<p class="credit">Source: <a href="{doc.credit}">original report</a></p>'
    date = doc.published.isoformat()
    if doc.template == 0:
        return (
            f"<html><head><title>{escape(doc.title)}</title>"
            f'<meta property="article:published_time" content="{date}"></head><body>'
            "<header><nav><a href='/'>Home</a> <a href='/world'>World</a></nav></header>"
            f"<main><article><h1>{escape(doc.title)}</h1>{body}</article></main>"
            "<footer><p>Copyright. All rights reserved. Contact us.</p></footer></body></html>"
        )
    if doc.template == 1:
        related = "".join(
            f"<li><a href='/p/{rng.randint(1, 999)}'>Story {i}</a></li>" for i in range(6)
        )
        return (
            f"<html><head><title>{escape(doc.title)} | News</title></head><body>"
            "<div class='menu'><a href='/'>Latest</a><a href='/tags'>Tags</a></div>"
            f"<div class='post'><h2 class='entry-title'>{escape(doc.title)}</h2>"
            f"<div class='entry-content'>{body}{credit}</div></div>"
            f"<div class='sidebar'><h3>Recent posts</h3><ul>{related}</ul></div>"
            "<div class='comments'><p>Leave a reply. Your email will not be published.</p></div>"
            "</body></html>"
        )
    return (
        f"<!doctype html><html><head><title>{escape(doc.title)}</title></head><body>"
        f"<section class='story'><header><h1>{escape(doc.title)}</h1>"
        f"<time datetime='{date}'>{doc.published:%d %B %Y}</time></header>"
        f"<div class='story-body'>{body}</div>{credit}</section>"
        "<aside><h4>Trending</h4><p>Share this story with your friends.</p></aside>"
        "</body></html>"
    )


# A quotation with its attribution, as spliced into the quote-sharing negatives: an opening
# mark (at the start or after a space), the quoted words ending in their own punctuation, the
# closing mark, and, after a quotation that ends in a comma, question or exclamation mark, its
# attribution with the verb ("," he told reporters."). Stricter than "text between two
# marks": in the set's text that also spans the narrative between one quotation's closing mark
# and the next one's opening mark. And a quotation ending in a full stop ends its sentence:
# what follows is the reporter's next sentence ("… will do." However Bwalya warned …), and a
# negative holding another article's narrative sentences is not an independent report.
_ATTRIBUTION = r"[^\"“”.!?]{0,40}?\b(?:said|says|added|told|explained|insisted|admitted|warned)\b"
QUOTED = re.compile(
    r"(?:^|(?<=\s))[\"“][^\"“”]{20,}?"
    r"(?:[.!?][\"”]|[,!?][\"”]\s+" + _ATTRIBUTION + r"[^\"“”.!?]{0,40}?\.)(?=\s|$)"
)


SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def excerpt_of(paragraphs: list[str], rng: random.Random) -> str:
    """3-5 consecutive sentences of an article, from a random place, as one paragraph."""
    sentences = SENTENCE_END.split(" ".join(paragraphs))
    k = rng.randint(3, 5)
    start = rng.randint(0, max(0, len(sentences) - k))
    return " ".join(sentences[start : start + k])


def quoted_statements(paragraphs: list[str], limit: int = 4) -> list[str]:
    """The first ``limit`` quoted statements of an article, with their attribution
    (:data:`QUOTED`): what an independent report of the same story quotes too."""
    return [m.group(0) for p in paragraphs for m in QUOTED.finditer(p)][:limit]


class CorpusBuilder:
    """Makes the labelled corpus: originals, copies of every kind, hard negatives."""

    def __init__(self, articles: list[tuple[str, str, list[str]]], seed: int, spinner: Spinner):
        self.seed = seed
        self.rng = random.Random(seed)
        self.articles = articles
        self.spinner = spinner
        self.writer = NewsWriter(seed)

    def spin(
        self, paragraphs: list[str], rate: float, rng: random.Random
    ) -> tuple[list[str], float]:
        spun, _, achieved = self.spinner.spin("\n\n".join(paragraphs), rate, rng)
        return spun.split("\n\n"), achieved

    def filler(self, n: int) -> list[str]:
        return list(self.writer.filler(n))

    def build(
        self, n_originals: int, n_heldout: int, republications: Sequence[Republication] = ()
    ) -> tuple[list[Doc], list[Doc]]:
        """Return (stored documents in publication order, documents expected to pair nothing).

        ``republications`` are put on the copycats' sites, a day after their first version.
        """
        rng = self.rng
        order = list(range(len(self.articles)))
        rng.shuffle(order)
        heldout = order[:n_heldout]
        stored_idx = order[n_heldout:]
        originals: list[Doc] = []
        for rank, index in enumerate(stored_idx):
            key, title, paragraphs = self.articles[index]
            outlet = OUTLETS[rank % len(OUTLETS)]
            slug = key.replace("/", "-").removesuffix(".txt")
            originals.append(
                Doc(
                    url=f"{outlet}/news/{slug}",
                    site=outlet,
                    title=title,
                    paragraphs=paragraphs,
                    published=T0 + timedelta(minutes=20 * rank),
                    template=rank % 3,
                    single_quotes=outlet == SINGLE_QUOTE_OUTLET,
                )
            )
        by_topic: dict[str, list[Doc]] = defaultdict(list)
        for doc in originals:
            by_topic[doc.url.rsplit("/", 1)[1].split("-")[0]].append(doc)
        copies: list[Doc] = []
        kinds = [
            "verbatim", "partial", "excerpt", "spun10", "spun30", "spun50",
            "partial_spun", "reworked", "stitched",
        ]  # fmt: skip
        sources = rng.sample(originals, min(n_originals, len(originals)))
        for n, original in enumerate(sources):
            kind = kinds[n % len(kinds)]
            copies.append(self._copy(n, kind, original, by_topic, rng))
        stored_as = {
            self.articles[index][0]: doc for index, doc in zip(stored_idx, originals, strict=True)
        }
        # Spun excerpts, of originals nothing else copies, come from a random source of their
        # own: adding them (session 12) left every other page of the corpus as it was.
        excerpt_rng = random.Random(f"excerpt_spun-{self.seed}")
        copied = {doc.url for doc in sources} | {
            stored_as[r.first].url for r in republications if r.first in stored_as
        }
        unused = [doc for doc in originals if doc.url not in copied]
        how_many = min(len(unused), len(sources) // len(kinds))  # as many as of each kind
        for n, original in enumerate(excerpt_rng.sample(unused, how_many), start=len(sources)):
            copies.append(self._copy(n, "excerpt_spun", original, by_topic, excerpt_rng))
        for n, republication in enumerate(republications):
            first = stored_as.get(republication.first)
            if first is None:  # held out
                continue
            site = COPYCATS[n % len(COPYCATS)]
            published = first.published + timedelta(days=1, hours=rng.uniform(0, 12))
            copies.append(
                Doc(
                    url=f"{site}/{published:%Y/%m/%d}/{republication.kind}-{n}/",
                    site=site,
                    title=republication.title,
                    paragraphs=republication.paragraphs,
                    published=published,
                    template=rng.randrange(3),
                    kind=republication.kind,
                    originals=[first.url],
                )
            )
        negatives: list[Doc] = []
        for n, index in enumerate(heldout):
            key, title, paragraphs = self.articles[index]
            topic = key.split("/")[0]
            donor = rng.choice(by_topic[topic])
            quotes = quoted_statements(donor.paragraphs)
            places = [rng.randint(1, len(paragraphs) + i) for i in range(len(quotes))]
            mixed = list(paragraphs)
            if n % 2 == 1 and len(quotes) >= 2:
                # A report quoting several statements one after another, in the donor's
                # order: what a matcher that counts quotations as copied text would accuse.
                mixed[places[0] : places[0]] = quotes
                kind = "negative_quote_run"
            else:
                for quote, place in zip(quotes, places, strict=True):
                    mixed.insert(place, quote)
                kind = "negative_quotes" if quotes else "negative_heldout"
            site = COPYCATS[n % len(COPYCATS)].replace("://", "://independent-")
            negatives.append(
                Doc(
                    url=f"{site}/report/{key.replace('/', '-')}",
                    site=site,
                    title=title,
                    paragraphs=mixed,
                    published=donor.published + timedelta(hours=2),
                    template=n % 3,
                    kind=kind,
                    single_quotes=donor.single_quotes,
                )
            )
        docs = originals + copies + negatives
        docs.sort(key=lambda d: d.published)
        return docs, negatives

    def _copy(
        self,
        n: int,
        kind: str,
        original: Doc,
        by_topic: dict[str, list[Doc]],
        rng: random.Random,
    ) -> Doc:
        paragraphs = list(original.paragraphs)
        title = original.title
        originals = [original.url]
        spin = 0.0
        if kind == "partial" or kind == "partial_spun":
            k = max(2, round(len(paragraphs) * rng.uniform(0.4, 0.7)))
            # Long enough to be an article page at all (the extract stage drops < 500 chars).
            while k < len(paragraphs) and len(" ".join(paragraphs[:k])) < 700:
                k += 1
            start = rng.randint(0, len(paragraphs) - k)
            paragraphs = paragraphs[start : start + k]
            if rng.random() < 0.5:
                paragraphs = self.filler(rng.randint(1, 2)) + paragraphs
            if kind == "partial_spun":
                paragraphs, spin = self.spin(paragraphs, rng.choice((0.2, 0.3)), rng)
        elif kind == "excerpt" or kind == "excerpt_spun":
            excerpt = excerpt_of(paragraphs, rng)
            if kind == "excerpt_spun":
                [excerpt], spin = self.spin([excerpt], rng.choice((0.2, 0.3)), rng)
            paragraphs = [*self.filler(rng.randint(4, 7)), excerpt, *self.filler(rng.randint(2, 4))]
            title = self.writer.report(self.writer.event(), author="Staff").title
        elif kind.startswith("spun"):
            rate = int(kind[4:]) / 100
            paragraphs, spin = self.spin(paragraphs, rate, rng)
            title = self.spin([title], rate, rng)[0][0]
        elif kind == "reworked":
            keep = sorted(rng.sample(range(len(paragraphs)), max(3, round(len(paragraphs) * 0.7))))
            kept = [paragraphs[i] for i in keep]
            head, tail = kept[:2], kept[2:]
            rng.shuffle(tail)
            paragraphs, spin = self.spin(self.filler(1) + head[::-1] + tail, 0.15, rng)
            title = self.writer.report(self.writer.event(), author="Staff").title
        elif kind == "stitched":
            topic = original.url.rsplit("/", 1)[1].split("-")[0]
            other = rng.choice([d for d in by_topic[topic] if d is not original])
            originals.append(other.url)
            a = paragraphs[: max(2, round(len(paragraphs) * rng.uniform(0.5, 0.7)))]
            b = other.paragraphs[: max(2, round(len(other.paragraphs) * rng.uniform(0.5, 0.7)))]
            paragraphs = a + b
            if rng.random() < 0.5:
                paragraphs, spin = self.spin(paragraphs, 0.1, rng)
        site = COPYCATS[n % len(COPYCATS)]
        latest = original.published
        if kind == "stitched":
            latest = max(
                latest, next(d for d in by_topic[topic] if d.url == originals[1]).published
            )
        return Doc(
            url=f"{site}/{latest:%Y/%m/%d}/{kind}-{n}/",
            site=site,
            title=title,
            paragraphs=paragraphs,
            published=latest + timedelta(hours=rng.uniform(0.5, 30)),
            template=rng.randrange(3),
            kind=kind,
            originals=originals,
            credit=original.url if rng.random() < 0.3 else None,
            spin=spin,
            single_quotes=original.single_quotes,
        )


def _ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def baseline_pairs(texts: dict[str, str], queries: list[str]) -> set[frozenset[str]]:
    """The datasketch baseline: word 5-shingles, MinHashLSH at threshold 0.5."""
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    hashes = {}
    for url, body in texts.items():
        words = tokenize(body).words
        m = MinHash(num_perm=128)
        for i in range(max(1, len(words) - 4)):
            m.update(" ".join(words[i : i + 5]).encode())
        hashes[url] = m
        lsh.insert(url, m)
    pairs = set()
    for url in queries:
        if url in hashes:
            for other in lsh.query(hashes[url]):
                if other != url:
                    pairs.add(frozenset((url, other)))
    return pairs


def evaluate(
    label: str,
    found: set[tuple[str, str]],
    docs: list[Doc],
    directed: bool = True,
    details: dict[tuple[str, str], str] | None = None,
) -> dict[str, object]:
    """Score (copy, original) pairs against the labels."""
    copies = {d.url: d for d in docs if d.originals}
    originals_of = {u: set(d.originals) for u, d in copies.items()}
    kind_of = {d.url: d.kind for d in docs}
    by_kind_total: dict[str, int] = defaultdict(int)
    by_kind_found: dict[str, int] = defaultdict(int)
    both_found = stitched = 0
    correct = wrong_direction = sibling = false_accusation = 0
    unordered = {frozenset(p) for p in found}
    missed: dict[str, list[str]] = defaultdict(list)
    for url, doc in copies.items():
        by_kind_total[doc.kind] += 1
        hits = {o for o in doc.originals if frozenset((url, o)) in unordered}
        if hits:
            by_kind_found[doc.kind] += 1
        else:
            missed[doc.kind].append(url)
        if doc.kind == "stitched":
            stitched += 1
            both_found += len(hits) == len(doc.originals)
    negatives = {d.url for d in docs if d.kind.startswith("negative")}
    accused: list[tuple[str, str]] = []
    wrong: list[str] = []
    siblings: list[str] = []
    for copy, original in found:
        if original in originals_of.get(copy, ()):
            correct += 1
        elif copy in originals_of.get(original, ()):
            correct += 1
            wrong_direction += 1
            wrong.append(f"{copy} <- {original} {(details or {}).get((copy, original), '')}")
        elif common := originals_of.get(copy, set()) & originals_of.get(original, set()):
            sibling += 1
            siblings.append(_triangle(copy, original, min(common), details or {}))
        else:
            false_accusation += 1
            accused.append((copy, original))
    independent = sum(1 for c, o in found if c in negatives or o in negatives)
    # The real re-publications are scored on their own: the copies made here are the
    # benchmark's measure, the re-publications a check on real data.
    made = [k for k in by_kind_total if not is_republication(k)]
    real = [k for k in by_kind_total if is_republication(k)]
    total = sum(by_kind_total[k] for k in made)
    result: dict[str, object] = {
        "method": label,
        "recall": round(_ratio(sum(by_kind_found[k] for k in made), total), 4),
        "recall_real_republications": round(
            _ratio(sum(by_kind_found[k] for k in real), sum(by_kind_total[k] for k in real)), 4
        ),
        "recall_by_kind": {
            k: round(_ratio(by_kind_found[k], v), 4) for k, v in sorted(by_kind_total.items())
        },
        "stitched_both_originals": round(_ratio(both_found, stitched), 4),
        "pairs": len(found),
        "pair_precision": round(_ratio(correct, len(found)), 4),
        "false_accusations": false_accusation,
        "pairs_with_independent_reports": independent,
        "independent_reports": dict(
            sorted(Counter(d.kind for d in docs if d.kind.startswith("negative")).items())
        ),
        "sibling_copy_pairs": sibling,
    }
    if directed:
        result["wrong_direction"] = wrong_direction
        result["direction_right"] = round(_ratio(correct - wrong_direction, correct), 4)
    result["wrong_direction_examples"] = wrong[:10]
    result["missed_examples"] = {k: v[:4] for k, v in sorted(missed.items())}
    result["sibling_examples"] = siblings[:10]
    result["false_examples"] = [
        f"{kind_of.get(c)}:{c} -> {kind_of.get(o)}:{o} {(details or {}).get((c, o), '')}"
        for c, o in accused[:40]
    ]
    return result


def _triangle(one: str, two: str, root: str, details: dict[tuple[str, str], str]) -> str:
    """A pair between two copies of ``root``, and how each of them was paired with ``root``."""

    def pair(x: str, y: str) -> str:
        if (x, y) in details:
            return f"{x} -> {y} {details[(x, y)]}"
        if (y, x) in details:
            return f"{y} -> {x} {details[(y, x)]}"
        return f"{x} -- {y} not paired"

    return " | ".join((pair(one, two), pair(one, root), pair(two, root)))


@dataclass
class BenchCorpus:
    """The bench's labelled documents and their pages, and the random source that goes on."""

    docs: list[Doc]
    pages: dict[str, str]
    """Page HTML by document URL."""
    rng: random.Random
    """Seeded: what the run draws next (the ingest order's shifts, undated records)."""


PAGE_DATE = re.compile(r'<meta property="article:published_time"[^>]*>|<time[^>]*>.*?</time>')
"""The dates the bench's templates show (``--undated`` takes them out)."""


def build_corpus(args: argparse.Namespace) -> BenchCorpus:
    """Build the labelled corpus of ``args.seed`` and render its pages (and say so on stderr)."""
    articles = read_articles(args.data_dir, keep_first_of_pairs=True)
    republications = read_republications(args.data_dir, {key for key, _, _ in articles})
    spinner = Spinner(load_thesaurus(args.thesaurus), KEPT_WORDS[args.spin_words])
    docs, negatives = CorpusBuilder(articles, args.seed, spinner).build(
        args.originals, args.heldout, republications
    )
    rng = random.Random(args.seed + 1)
    pages = {d.url: page(d, rng) for d in docs}
    if not args.thin:
        headlines = [d.title for d in docs]
        chromes = {site: site_chrome(site) for site in {d.site for d in docs}}
        pages = {d.url: chromes[d.site].wrap(pages[d.url], headlines, rng) for d in docs}
    if args.undated:
        pages = {url: PAGE_DATE.sub("", html) for url, html in pages.items()}
    weights = sorted(len(html) for html in pages.values())
    print(
        f"corpus: {len(docs)} pages ({sum(1 for d in docs if d.originals)} copies, of which "
        f"{sum(1 for d in docs if is_republication(d.kind))} real re-publications, "
        f"{len(negatives)} held-out negatives, {len(articles)} articles read; "
        f"median page {weights[len(weights) // 2] / 1000:.0f} KB)",
        file=sys.stderr,
    )
    return BenchCorpus(docs, pages, rng)


def add_corpus_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that pick and render the corpus (shared by the benches built on it)."""
    parser.add_argument("data_dir", nargs="?", type=Path,
                        default=Path("../shared/data/bbc_news_fulltext"))  # fmt: skip
    parser.add_argument("--originals", type=int, default=900, help="articles that get a copy")
    parser.add_argument("--heldout", type=int, default=150, help="held-out quote-sharing reports")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--thesaurus", type=Path, default=Path("/usr/share/mythes/th_en_US_v2.dat"),
        help="the spinner's thesaurus: a MyThes .dat file or a WordNet directory "
        "(/usr/share/wordnet, `make bench-wordnet`)",
    )  # fmt: skip
    parser.add_argument(
        "--spin-words", choices=sorted(KEPT_WORDS), default="grammar",
        help="words the spinner keeps: grammar alone (it swaps adverbs and prepositions too), "
        "or copycat's whole stopword list (sessions 1-12); see bench/thesaurus.py",
    )  # fmt: skip
    parser.add_argument(
        "--undated", action="store_true",
        help="no dates in the records or the pages (a copy's URL may still hold its original's "
        "day): direction from credits, the text and the order pages arrive in",
    )  # fmt: skip
    parser.add_argument(
        "--thin", action="store_true",
        help="bare 3 KB article pages instead of ones in realistic page chrome (bench/chrome.py)",
    )  # fmt: skip


def dated_record(doc: Doc, html: str) -> str:
    """The JSONL record of ``doc``'s page, with its publication date on it."""
    record = {"url": doc.url, "html": html, "site": doc.site,
              "published_at": doc.published.isoformat()}  # fmt: skip
    return json.dumps(record)


def dated_item(doc: Doc, html: str) -> ArticleItem:
    """The ingest item of ``doc``'s page, with its publication date on the record."""
    return parse_record(dated_record(doc, html), datetime.now(UTC))


def bare_extraction(pages: Iterable[str]) -> tuple[float, float]:
    """Run bare ``trafilatura.extract`` on ``pages``: the floor the pipeline is measured
    against. Returns its wall and CPU seconds."""
    started, cpu_started = time.perf_counter(), time.process_time()
    for html in pages:
        trafilatura.extract(html)
    return time.perf_counter() - started, time.process_time() - cpu_started


def _cpu_with_workers() -> float:
    """CPU seconds of this process and of its child processes that have ended (the
    extraction workers, once the chain is closed)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def run_corpus(args: argparse.Namespace) -> dict[str, object]:
    corpus = build_corpus(args)
    docs, pages, rng = corpus.docs, corpus.pages, corpus.rng
    weights = sorted(len(html) for html in pages.values())

    # Bare extraction runs before the ingest and again after it: the machine's speed drifts
    # over minutes (a shared host), and the mean of the two brackets the ingest between them.
    bare_before, bare_cpu_before = bare_extraction(pages.values())

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        _, sessions = open_database(url)
        chain = PipelineChain(sessions, standalone_stats(), workers=args.workers)
        started = time.perf_counter()
        ingest_cpu = _cpu_with_workers()
        # Direction must not rest on one kind of evidence: 15 % of the records of pages that
        # show a date carry none (the page's own claim is left), and 10 % of the copies reach
        # us before their original (we crawled the copycat first).
        ingest_order = sorted(
            docs,
            key=lambda d: (
                d.published
                - (timedelta(days=2) if d.originals and rng.random() < 0.1 else timedelta(0))
            ),
        )

        def records() -> Iterator[str]:
            for doc in ingest_order:
                fields = {"url": doc.url, "html": pages[doc.url], "site": doc.site}
                # An undated record keeps the page's own claim (templates 0 and 2 show one).
                if not args.undated and (doc.template == 1 or rng.random() >= 0.15):
                    fields["published_at"] = doc.published.isoformat()
                yield json.dumps(fields)

        # What `copycat ingest` does: extraction and fingerprinting in the workers (or here,
        # with --workers 0), matching and storing in a writer thread, in order.
        with chain:  # the workers are stopped (and their CPU counted) when it is done
            ingested = ingest_lines(records(), chain)
        stored = ingested.stored
        stages = ("extract", "fingerprint", "match", "store")
        stage_time = {stage: chain.stats.get_value(f"{stage}/seconds", 0.0) for stage in stages}
        stage_cpu = {stage: chain.stats.get_value(f"{stage}/cpu_seconds", 0.0) for stage in stages}
        after_extraction_cpu = sum(stage_cpu[stage] for stage in stages if stage != "extract")
        elapsed = time.perf_counter() - started
        ingest_cpu = _cpu_with_workers() - ingest_cpu
        with sessions() as session:
            rows = session.execute(
                select(Match, Article.url).join(Article, Article.id == Match.copy_id)
            ).all()
            urls = dict(session.execute(select(Article.id, Article.url)).all())
            plan = candidate_plan(session, [1, 2, 3], 50, 2)
            kinds_found: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
            by_url = {d.url.rstrip("/") + "/" if d.url.endswith("/") else d.url: d for d in docs}
            found = set()
            details: dict[tuple[str, str], str] = {}
            rules: dict[str, int] = defaultdict(int)
            for match, copy_url in rows:
                original_url = urls[match.original_id]
                found.add((copy_url, original_url))
                details[(copy_url, original_url)] = (
                    f"[{match.kind} copy {match.copy_coverage} original {match.original_coverage}"
                    f" run {match.evidence.get('longest_run_sentences')}"
                    f" direction {match.direction_rule}]"
                )
                rules[match.direction_rule] += 1
                truth = by_url.get(copy_url)
                if truth is not None and truth.originals:
                    kinds_found[truth.kind][match.kind] += 1
    bare_after, bare_cpu_after = bare_extraction(pages.values())
    bare, bare_cpu = (bare_before + bare_after) / 2, (bare_cpu_before + bare_cpu_after) / 2
    # Stored URLs are canonicalised; map back to the corpus URLs.
    canon = {d.url.rstrip("/"): d.url for d in docs}

    def back(c: str, o: str) -> tuple[str, str]:
        return canon.get(c.rstrip("/"), c), canon.get(o.rstrip("/"), o)

    found = {back(c, o) for c, o in found}
    ours = evaluate("copycat", found, docs, details={back(*k): v for k, v in details.items()})
    extracted = {d.url: d.body for d in docs}
    started = time.perf_counter()
    base = baseline_pairs(extracted, [d.url for d in docs])
    base_time = time.perf_counter() - started
    published = {d.url: d.published for d in docs}
    oriented = {
        (a, b) if published[a] > published[b] else (b, a) for a, b in (tuple(p) for p in base)
    }
    baseline = evaluate("datasketch MinHash 5-shingles t=0.5", oriented, docs, directed=False)
    return {
        "pages": len(docs),
        "page_kb_quartiles": [round(weights[len(weights) * q // 4] / 1000) for q in (1, 2, 3)],
        "stored": stored,
        "dropped_by_extract": ingested.dropped,
        "copycat": ours,
        "baseline": baseline,
        "kind_labels": {k: dict(v) for k, v in kinds_found.items()},
        "direction_rules": dict(rules),
        "throughput": {
            "bare_trafilatura_docs_per_s": round(len(docs) / bare, 1),
            # the two bare runs' CPU, after over before: how far the machine drifted meanwhile
            "bare_trafilatura_cpu_drift": round(bare_cpu_after / bare_cpu_before, 3),
            "ingest_workers": args.workers,
            "pipeline_docs_per_s": round(stored / elapsed, 1),
            "ratio_to_bare_extraction": round(bare / elapsed, 3),
            # CPU of all the ingest's threads and workers against bare extraction's: above 1
            # by what the stages after extraction cost (and the workers' start-up)
            "cpu_ratio_to_bare_extraction": round(ingest_cpu / bare_cpu, 3),
            "stage_seconds": {k: round(v, 2) for k, v in stage_time.items()},
            "stage_cpu_seconds": {k: round(v, 2) for k, v in stage_cpu.items()},
            # wall time beyond extraction's, in-process only (workers extract side by side)
            "match_and_store_share_of_extract": None
            if args.workers
            else round((elapsed - stage_time["extract"]) / stage_time["extract"], 3),
            # The "under a quarter of extraction", in CPU: what fingerprint, match
            # (lookup and verification) and store (commits included) cost, against our
            # extraction and against bare trafilatura on the same pages
            "after_extraction_cpu_share_of_extract": round(
                after_extraction_cpu / stage_cpu["extract"], 3
            ),
            "after_extraction_cpu_share_of_bare_extraction": round(
                after_extraction_cpu / bare_cpu, 3
            ),
            "baseline_seconds_hash_and_query": round(base_time, 2),
            "candidates_verified_per_document": round(
                chain.stats.get_value("match/candidates", 0) / max(stored, 1), 2
            ),
        },
        "band_index": {
            "epoch_articles": epochs.EPOCH_ARTICLES,
            "epochs_sealed": chain.stats.get_value("store/epochs_sealed", 0),
            "seal_seconds": round(chain.stats.get_value("store/seal_seconds", 0.0), 2),
        },
        "candidate_query_plan": plan,
    }


BASE_LEVEL = 10_000
"""Stored documents every level is compared with."""


def scale_levels(value: str) -> list[int]:
    """Parse ``--scale``: stored documents to measure at besides 10k, comma-separated."""
    levels = [int(part) for part in value.split(",")]
    if any(level < BASE_LEVEL for level in levels) or len(levels) > 7:
        raise argparse.ArgumentTypeError(f"up to 7 levels of at least {BASE_LEVEL}: {value}")
    return levels


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_corpus_arguments(parser)
    parser.add_argument(
        "--scale", type=scale_levels, default=[],
        help="scaling mode: stored documents to measure at besides 10k (N or N,M,…)",
    )  # fmt: skip
    parser.add_argument(
        "--database", default=None,
        help="scaling mode: a PostgreSQL server URL to run on (a scratch database is made and "
        "dropped) instead of a temporary SQLite file",
    )  # fmt: skip
    parser.add_argument(
        "--workers", type=int, default=default_workers(),
        help="processes extracting and fingerprinting pages, as `copycat ingest --workers` "
        "(default: one per CPU; 0: in the ingest thread)",
    )  # fmt: skip
    parser.add_argument(
        "--interleaved", action="store_true",
        help="scaling mode: 10k and the largest level in two databases that take turns, so "
        "the host's drift falls on both alike (per-document cost only)",
    )  # fmt: skip
    parser.add_argument(
        "--epoch-articles", type=int, default=None,
        help="articles a band-index epoch takes (default: copycat's 8192); a small number "
        "seals epochs within the corpus, so that candidates are found through the sealed "
        "epochs' filters (the pairs found must not change)",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.epoch_articles:
        epochs.EPOCH_ARTICLES = args.epoch_articles  # read by the store stage as it writes
    if args.scale and args.interleaved:
        from scaling import run_interleaved

        result = run_interleaved(args)
    elif args.scale:
        from scaling import run_scaling

        result = run_scaling(args)
    else:
        result = run_corpus(args)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
