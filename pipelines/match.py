"""The match stage: LSH candidates from the database, verified by alignment, with a direction.

The pure part (alignment, verdict, direction) works on :class:`DocumentView` values and needs no
database or Scrapy; :func:`find_candidates` is the one function that reads the band index.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from time import perf_counter
from typing import TYPE_CHECKING, Any, Self

import numpy as np
from sqlalchemy import Connection, Select, bindparam, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from copycat.db import driver_rows, parameter_mark
from copycat.models import Article, ArticleProfile, LshBucket, Match, Site
from copycat.urls import origin_of
from pipelines.align import (
    AlignConfig,
    Alignment,
    Passage,
    Profile,
    align,
    align_profiles,
    is_profiled,
    load_profile,
    profile,
    profile_bytes,
    unaligned_reporting,
    with_copied_sentences,
    with_evidence,
)
from pipelines.direction import credits, decide_direction
from pipelines.epochs import (
    last_article_id,
    sealed_epochs,
    search_parameters,
    search_shape,
)
from pipelines.outages import describe_error, retry_seconds_from, retry_transient_async
from pipelines.stats import add_seconds, count, timed
from pipelines.workers import WorkerPool, crawl_pool

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from scrapy.statscollectors import StatsCollector

    from crawler.items import ArticleItem

logger = logging.getLogger(__name__)

__all__ = [
    "Alignment",
    "DocumentView",
    "MatchConfig",
    "MatchVerdict",
    "Passage",
    "align",
    "classify",
    "credits",
    "decide_direction",
    "match_document",
    "redundant_pairs",
    "verify",
]

METHOD_VERSION = "sentence-align/9"
"""Recorded with every pair, so ``rematch`` knows which pairs an older method made.

4: fewer band rows an article (~87 instead of ~115: a 20-band word view, a 14-band skeleton view,
one anchor in two). Articles fingerprinted by 3 share few anchors with new ones until
``copycat rematch`` fingerprints them again.
5: an excerpt of a quote-heavy article pairs (quotations linked by the original's narrative
copied word for word or spun, :attr:`MatchConfig.min_narrative_words`); narrative evidence must
hold a name or a number (pages sharing only boilerplate lines no longer pair), and a sentence
explains one sentence of the other text. Fingerprints as 4's: ``copycat rematch`` verifies
again.
6: a copy whose sentences kept no order pairs when it covers the other text and three of its
narrative sentences, one naming something, are the other's copied word for word or spun
(:func:`copied_in_any_order`): a few one-sentence paragraphs kept and shuffled, every other
paragraph kept. A sentence whose names or numbers are other ones is not copied or spun (a
spinner keeps them), in that rule and in a quote-heavy excerpt's narrative. Quotations in
single marks (British style) are quotations: independent reports sharing them no longer pair.
That moves the fingerprints and profiles of texts quoting in single marks (profile format 3):
``copycat rematch`` fingerprints and verifies again.
7: an excerpt inside a long page is found. Anchors are sampled one in three, and a text keeps
every one it samples (up to 512, a bound for a hostile page) instead of its lowest 64, which
took from a page of several articles the anchors of whichever part hashed high; articles
index fewer rows (~80 instead of ~85). In an excerpt's run, a sentence less alike than the
run's mean asks still counts if it is copied word for word or spun (a third of its words
swapped), and a short sentence counts if it names something. A copy whose order is gone
needs two of its copied sentences to name something, not one (template lines and one reused
background sentence paired two copycat pages). Anchors of articles
fingerprinted by 6 are not all sampled as 7 samples them: ``copycat rematch`` fingerprints
them again.
8: a sentence keeps its own copy when a shorter sentence of the other text, contained in it,
is as alike (the shorter one took it and cut the copied run in two); a sentence spun with a
synonym phrase that keeps its word ("month" → "calendar month") is still spun, if no more
words are added than swapped and none of them is a name or a number. When nothing but the text
tells the direction, the side holding reporting the other lacks, while the other holds none of
its own, is the original (:func:`pipelines.direction.reporting_direction`). Fingerprints as
7's: ``copycat rematch`` verifies again.
9: an excerpt's run takes in the sentences next to it, in both texts, that share too few
content words to align on their own (short, or spun but for two) and are copied word for
word or spun ("This is more than a theory."): two long sentences and such a one are an
excerpt of three. Two sentences a rewriter joined into one ("... the wall; the cheapest
...") pair with it together (:func:`pipelines.align.join_split_sentences`): both count as
covered, the run goes on, and the word diff compares the joined sentence with both. A
sentence spun at half its words has neighbouring swaps that the diff sees as one: a spun
sentence may swap up to four words at one place (three before), and a word the diff sees
swapped that stands elsewhere in the other sentence was moved, so the sentence is not spun.
Fingerprints as 7's: ``copycat rematch`` verifies again."""


def older_method_advice(pairs: int) -> str:
    """Say that ``pairs`` stored pairs are an older method's, and what to do about it."""
    return (
        f"{pairs} stored pairs were made by an older matching method than {METHOD_VERSION}: "
        "the articles it stored are indexed the old way and found less well until "
        "`copycat rematch` fingerprints and matches them again"
    )


def older_method_pairs(session: Session) -> int:
    """Count the stored pairs an older method made (see :data:`METHOD_VERSION`)."""
    query = select(func.count()).select_from(Match).where(Match.method != METHOD_VERSION)
    return session.scalar(query) or 0


@dataclass(frozen=True, slots=True)
class MatchConfig:
    """Thresholds of the verification step, in domain terms."""

    min_coverage: float = 0.5
    """Share of a text's own (unquoted) words the other must explain for the pair to be a copy:
    a page half made of another text (a copy of 40 % of an original's paragraphs is most of
    the copy)."""
    min_excerpt_sentences: int = 3
    """An excerpt this many sentences long, in order, pairs whatever the coverage."""
    min_passage_words: int = 30
    """Countable words an excerpt (or a low-coverage copy) must hold: a shared name or stock
    phrase is no copy."""
    min_narrative_words: int = 10
    """Countable words of the original's narrative, copied between quotations (word for word
    or spun), that make an excerpt of a quote-heavy article (:attr:`Alignment.quoted_run`):
    reports sharing quotes write their own words around them."""
    min_copied_specific: int = 2
    """Sentences naming something among those copied that a copy whose order is gone needs
    (:func:`copied_in_any_order`; method 7, 1 before): page lines of one template name nothing."""
    spun_rate: float = 0.02
    """Share of aligned content words swapped from which a copy counts as spun."""
    min_in_order: float = 0.5
    """Share of aligned sentences that must sit in runs (of two or more, in both texts) for
    coverage to count: a copy keeps its source's sentences together, paragraph by paragraph."""
    max_candidates: int = 50
    min_shared_bands: int = 2
    """LSH bands a stored article must share to be verified: one shared band is mostly chance."""
    sentences: AlignConfig = field(default_factory=AlignConfig)

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Self:
        """Read the ``MATCH_*`` thresholds."""
        default = cls()  # an unset setting keeps the field's default, kept in one place
        return cls(
            min_coverage=settings.getfloat("MATCH_MIN_COVERAGE", default.min_coverage),
            min_passage_words=settings.getint("MATCH_MIN_PASSAGE_WORDS", default.min_passage_words),
            min_narrative_words=settings.getint(
                "MATCH_MIN_NARRATIVE_WORDS", default.min_narrative_words
            ),
            max_candidates=settings.getint("MATCH_MAX_CANDIDATES", default.max_candidates),
            min_shared_bands=settings.getint("MATCH_MIN_SHARED_BANDS", default.min_shared_bands),
        )


@dataclass(frozen=True, slots=True)
class DocumentView:
    """What matching needs to know about one document, stored or new."""

    url: str
    site: str
    text: str
    id: int | None = None
    site_role: str = "unknown"
    site_name: str | None = None
    title: str | None = None
    published_at: datetime | None = None
    first_seen_at: datetime | None = None
    canonical_url: str | None = None
    links: tuple[str, ...] = ()
    source_url_hint: str | None = None
    published_source: str | None = None


@dataclass(frozen=True, slots=True)
class MatchVerdict:
    """A verified pair between a new document and a stored one, oriented copy → original."""

    other_id: int
    other_url: str
    new_is_copy: bool
    kind: str
    score: float
    copy_coverage: float
    original_coverage: float
    spin_rate: float
    credited: bool
    direction_rule: str
    evidence: dict[str, Any] = field(default_factory=dict)
    method: str = METHOD_VERSION

    def pair_fields(self) -> dict[str, Any]:
        """The pair's own fields, as stored in a ``matches`` row and shown in ``--json``."""
        return {
            "kind": self.kind,
            "score": self.score,
            "copy_coverage": self.copy_coverage,
            "original_coverage": self.original_coverage,
            "spin_rate": self.spin_rate,
            "credited": self.credited,
            "direction_rule": self.direction_rule,
            "evidence": self.evidence,
            "method": self.method,
        }


def classify(
    copy_coverage: float,
    original_coverage: float,
    spin_rate: float,
    swaps: int = 0,
    reordered: bool = False,
    spun_rate: float = 0.02,
) -> str:
    """Name the kind of copy from coverage, swaps and order (``stitched`` is set per document)."""
    if reordered:
        return "reworked"
    # Three swaps or more: one or two could be an editor's fix, a pattern is a spinner.
    if swaps >= 3 and spin_rate >= spun_rate:
        return "spun"
    if copy_coverage >= 0.9 and original_coverage >= 0.9:
        return "verbatim"
    return "partial"


def is_copy(alignment: Alignment, config: MatchConfig = MatchConfig()) -> bool:
    """Decide from coverage of either text, or from one long excerpt, whether a pair is a copy."""
    # Narrative text makes a copy only if some of it is specific: an aligned sentence holding
    # a name or a number. Pages sharing only boilerplate lines ("stay with us for further
    # news") align, in runs even, and hold none.
    specific = alignment.specific_aligned > 0
    if (
        specific
        and alignment.run_words >= config.min_passage_words
        and alignment.longest_run >= config.min_excerpt_sentences
    ):
        return True
    if (
        specific
        and alignment.quoted_run >= config.min_excerpt_sentences
        and alignment.quoted_run_words >= config.min_narrative_words
    ):
        return True
    if (
        alignment.a_coverage >= 0.9
        and alignment.b_coverage >= 0.9
        and alignment.covered_words
        and (specific or alignment.quotes_aligned)
    ):
        # The whole of both texts line up: a short, quote-heavy article copied entire (its
        # quotations too, if its own few lines name nothing).
        return True
    if (
        alignment.quotes_aligned >= 4
        and alignment.whole_coverage >= 0.7
        and alignment.least_whole_coverage >= 0.5
        and alignment.in_order >= config.min_in_order
    ):
        # One or two shared quotes are independent reporting; a page that is mostly another
        # article's whole run of quotes is a copy of that article. Both must hold: a report
        # that quotes every line of a short interview is not mostly that interview.
        return True
    return covers(alignment, config) and (
        alignment.in_order >= config.min_in_order or copied_in_any_order(alignment, config)
    )


def covers(alignment: Alignment, config: MatchConfig = MatchConfig()) -> bool:
    """Whether one text explains enough of the other, in specific narrative, to be its copy
    if it also shows how it was copied: in order, or sentence by sentence."""
    return (
        alignment.specific_aligned > 0
        and max(alignment.a_coverage, alignment.b_coverage) >= config.min_coverage
        and alignment.covered_words >= min(config.min_passage_words, 20)
    )


def copied_in_any_order(alignment: Alignment, config: MatchConfig = MatchConfig()) -> bool:
    """Whether sentences copied word for word or spun, naming something, show a copy whose
    order is gone (a few one-sentence paragraphs kept and shuffled; every other one kept).

    Order is one proof of copying; sentences the other text's own, words swapped one for one
    at most and names and numbers kept, are another: two reporters writing the same facts add,
    drop and move words. Two of them must name something: two copycat pages in one template
    copy its lines from each other, in any order, and one background sentence their stories
    both reuse is not a copied article. Counted only when the verdict hangs on it (see
    :func:`judge`)."""
    return (
        alignment.copied_sentences >= config.min_excerpt_sentences
        and alignment.copied_words >= config.min_passage_words
        and alignment.copied_specific >= config.min_copied_specific
    )


def judge(a: Profile, b: Profile, config: MatchConfig = MatchConfig()) -> tuple[Alignment, bool]:
    """Align two profiled texts and decide whether one copies the other (:func:`is_copy`)."""
    alignment = align_profiles(a, b, config.sentences)
    if not is_copy(alignment, config) and covers(alignment, config):
        # the coverage is there but not the order: were the sentences themselves copied?
        alignment = with_copied_sentences(a, b, alignment, config.sentences)
    return alignment, is_copy(alignment, config)


def verify(
    new: DocumentView,
    stored: DocumentView,
    config: MatchConfig = MatchConfig(),
) -> MatchVerdict | None:
    """Align ``new`` with a stored candidate and return the oriented pair, or None if no copy."""
    if stored.id is None:
        raise ValueError("the stored side of a match needs an id")
    a, b = profile(new.text), profile(stored.text)
    # Cheap screen before aligning: copies share many content words.
    if a.content.shared_count(b.content) < 8:
        return None
    alignment, copied = judge(a, b, config)
    if not copied:
        return None
    alignment = with_evidence(a, b, alignment)
    reporting = (
        unaligned_reporting(a, (i for pair in alignment.pairs for i in pair.a_range)),
        unaligned_reporting(b, (j for pair in alignment.pairs for j in pair.b_range)),
    )
    new_is_copy, rule, direction_evidence = decide_direction(
        new, stored, alignment.substitutions, reporting
    )
    copy, original = (new, stored) if new_is_copy else (stored, new)
    copy_cov, orig_cov = (
        (alignment.a_coverage, alignment.b_coverage)
        if new_is_copy
        else (alignment.b_coverage, alignment.a_coverage)
    )
    passages = [
        {
            "copy_chars": list(p.a_chars if new_is_copy else p.b_chars),
            "original_chars": list(p.b_chars if new_is_copy else p.a_chars),
        }
        for p in alignment.passages
    ]
    substitutions = [
        {"original": o, "copy": c}
        for n, s in alignment.substitutions
        for o, c in [(s, n) if new_is_copy else (n, s)]
    ]
    how = credits(copy, original)
    return MatchVerdict(
        other_id=stored.id,
        other_url=stored.url,
        new_is_copy=new_is_copy,
        kind=classify(
            copy_cov,
            orig_cov,
            alignment.spin_rate,
            len(alignment.substitutions),
            alignment.reordered,
            config.spun_rate,
        ),
        score=round(copy_cov, 4),
        copy_coverage=round(copy_cov, 4),
        original_coverage=round(orig_cov, 4),
        spin_rate=round(alignment.spin_rate, 4),
        credited=how is not None,
        direction_rule=rule,
        evidence={
            "direction": direction_evidence,
            "passages": passages,
            "substitutions": substitutions[:200],
            "credit": how,
            "longest_run_sentences": alignment.longest_run,
            "quoted_run_sentences": alignment.quoted_run,
            "reordered": alignment.reordered,
        },
    )


def mark_stitched(verdicts: list[MatchVerdict]) -> list[MatchVerdict]:
    """Relabel the pairs of a copy built from two or more originals as ``stitched``.

    A copy is stitched when several originals each explain a part of it that the others do
    not (their passages in the copy barely overlap); each pair then says which part it covers.
    """
    as_copy = [v for v in verdicts if v.new_is_copy]
    if len(as_copy) < 2:
        return verdicts
    spans = {id(v): [tuple(p["copy_chars"]) for p in v.evidence["passages"]] for v in as_copy}
    shares = own_shares([spans[id(v)] for v in as_copy])
    stitched = {id(v) for v, share in zip(as_copy, shares, strict=True) if share >= 0.5}
    if len(stitched) < 2:
        return verdicts
    result = []
    for v in verdicts:
        if id(v) in stitched:
            evidence = {**v.evidence, "copy_parts": spans[id(v)], "stitched_from": len(stitched)}
            v = replace(v, kind="stitched", evidence=evidence)
        result.append(v)
    return result


def own_shares(parts: Sequence[Sequence[tuple[int, ...]]]) -> list[float]:
    """Per copy's parts (``(start, end)`` spans of its text), 1 minus their overlap with the
    other copies' parts over their length, an overlap counted once per span overlapping.

    One sweep over the spans' ends, not every span against every other: fifty pages of
    thousands of passages each (a hostile site's shuffled twins) would have taken hours.
    """
    spans_of = [np.array(spans, dtype=np.int64).reshape(-1, 2) for spans in parts]
    bounds = np.unique(np.concatenate([spans.ravel() for spans in spans_of]))
    widths = np.diff(bounds)

    def layers(spans: np.ndarray) -> np.ndarray:
        """How many of ``spans`` cover each piece between two neighbouring bounds."""
        steps = np.zeros(len(bounds), np.int64)
        np.add.at(steps, np.searchsorted(bounds, spans[:, 0]), 1)
        np.add.at(steps, np.searchsorted(bounds, spans[:, 1]), -1)
        return np.cumsum(steps)[:-1]

    everyone = layers(np.concatenate(spans_of))
    shares = []
    for spans in spans_of:
        own = layers(spans)
        shared = int((own * (everyone - own) * widths).sum())
        shares.append(1 - shared / (int((spans[:, 1] - spans[:, 0]).sum()) or 1))
    return shares


SIBLING_MARGIN = 0.1
"""How much closer a copy must be to a fellow copy than to their common original to be called
a copy of the copy: extraction alone (a headline kept in one body, not in the other) moves
scores by a few points, while a copy of a spun copy is tens of points closer to it."""


def redundant_pairs(pairs: dict[tuple[int, int], float]) -> set[tuple[int, int]]:
    """Return the pairs between two copies of one original that say nothing more than it does.

    ``pairs`` maps (copy, original) to score. When Y and X both copy R, Y and X match each
    other too; (Y, X) is kept only if Y is clearly closer to X than to R (Y copied the copy: it
    carries X's changes), otherwise it would accuse Y of copying a fellow copy.
    """
    originals_of: dict[int, dict[int, float]] = {}
    for (copy, original), score in pairs.items():
        originals_of.setdefault(copy, {})[original] = score
    redundant = set()
    for (y, x), score in pairs.items():
        shared_roots = set(originals_of.get(y, {})) & set(originals_of.get(x, {}))
        if any(originals_of[y][root] + SIBLING_MARGIN >= score for root in shared_roots):
            redundant.add((y, x))
    return redundant


# The columns a stored document's matching view is built from (no ORM entities: loading
# them cost more than the query itself).
_VIEW_COLUMNS = (
    Article.id, Article.url, Site.origin, Site.role, Site.name, Article.text, Article.title,
    Article.published_at, Article.first_seen_at, Article.canonical_url, Article.links,
    Article.source_url_hint, Article.published_source,
)  # fmt: skip


def view_query() -> Select[Any]:
    """Return the SELECT of stored documents' matching views (join and filter it further)."""
    return select(*_VIEW_COLUMNS).join(Site, Site.id == Article.site_id)


def view_of(row: Sequence[Any]) -> DocumentView:
    """Build the matching view of a stored article from a :func:`view_query` row."""
    (id_, url, origin, role, name, text, title, published_at, first_seen_at, canonical_url,
     links, source_url_hint, published_source) = row  # fmt: skip
    return DocumentView(
        id=id_,
        url=url,
        site=origin,
        site_role=role,
        site_name=name,
        text=text,
        title=title,
        published_at=published_at,
        first_seen_at=first_seen_at,
        canonical_url=canonical_url,
        links=tuple(link["url"] for link in links),
        source_url_hint=source_url_hint,
        published_source=published_source,
    )


def candidate_sql(paramstyle: str, shape: tuple[int, int, tuple[int, ...]]) -> str:
    """Return the candidate lookup of a given shape, in the driver's parameter style.

    ``shape``: how many open epochs, buckets, and buckets for each sealed epoch searched
    (:func:`pipelines.epochs.search_shape`). Parameters, in order: the open epochs, the
    buckets, each sealed epoch followed by its buckets, ``after_id``, the fewest shared
    buckets, the row limit. It returns the ids of the articles after ``after_id`` sharing
    enough buckets, most shared first. ``epoch IN (...) AND bucket IN (...)`` on the (epoch,
    bucket, article_id) primary key is one index probe per epoch and bucket on SQLite and
    PostgreSQL alike (never a table scan: ``tuple_(...).in_(...)`` would be one on SQLite),
    and the index alone answers it: no article row is read.

    Plain SQL run by the driver: this runs for every page, and SQLAlchemy's work on an
    expanding ``IN`` of a hundred values (building, cache keys, parameter processing) cost
    more than the lookup itself.
    """
    return _candidate_sql(parameter_mark(paramstyle), shape)


@lru_cache(maxsize=512)
def _candidate_sql(mark: str, shape: tuple[int, int, tuple[int, ...]]) -> str:
    table = LshBucket.__tablename__
    open_epochs, buckets, sealed = shape

    def marks(count: int) -> str:
        return ", ".join([mark] * count)

    searches = [f"epoch = {mark} AND bucket IN ({marks(hits)})" for hits in sealed]
    if open_epochs:  # none only if the newest epoch's rows were all deleted after its seal
        searches.insert(0, f"epoch IN ({marks(open_epochs)}) AND bucket IN ({marks(buckets)})")
    tail = f"GROUP BY article_id HAVING count(*) >= {mark} ORDER BY count(*) DESC LIMIT {mark}"
    if len(searches) == 1:
        return f"SELECT article_id FROM {table} WHERE {searches[0]} AND article_id > {mark} {tail}"
    union = " UNION ALL ".join(f"SELECT article_id FROM {table} WHERE {s}" for s in searches)
    return f"SELECT article_id FROM ({union}) AS shared WHERE article_id > {mark} {tail}"


def candidate_ids(
    session: Session, buckets: Sequence[int], limit: int, min_shared: int, after_id: int = 0
) -> list[int]:
    """Return the ids of stored articles (after ``after_id``) sharing LSH buckets, any site."""
    if not buckets:
        return []
    connection = session.connection()
    lookup = _candidate_lookup(connection, list(buckets), limit, min_shared, after_id)
    if lookup is None:
        return []
    sql, parameters = lookup
    return [row[0] for row in driver_rows(connection, sql, parameters)]


def _candidate_lookup(
    connection: Connection, buckets: list[int], limit: int, min_shared: int, after_id: int
) -> tuple[str, tuple[int, ...]] | None:
    """The candidate lookup's SQL and parameters on ``connection``'s driver (None: the band
    index is empty)."""
    search = sealed_epochs(connection).plan(connection, buckets)
    if not search.open and not search.sealed:
        return None
    sql = candidate_sql(connection.dialect.paramstyle, search_shape(search, buckets))
    # a few more than kept, since the document's own site is dropped afterwards
    return sql, (*search_parameters(search, buckets), after_id, min_shared, limit * 2)


def candidate_plan(
    session: Session, buckets: Sequence[int], limit: int, min_shared: int = 1
) -> list[str]:
    """Return the database's plan for the candidate lookup, one line per step (to check that
    it searches the bucket index); an empty list for an empty band index."""
    connection = session.connection()
    lookup = _candidate_lookup(connection, list(buckets), limit, min_shared, after_id=0)
    if lookup is None:
        return []
    sql, parameters = lookup
    explain = "EXPLAIN QUERY PLAN" if connection.dialect.name == "sqlite" else "EXPLAIN"
    rows = connection.exec_driver_sql(f"{explain} {sql}", parameters)
    return [str(row[-1]) for row in rows]


def views_by_id(
    session: Session, ids: Sequence[int], exclude_site_origin: str, limit: int | None = None
) -> list[DocumentView]:
    """Return the matching views of the articles ``ids`` (in that order), other sites only.

    ``limit`` caps the result after the site filter (the ids are in most-shared-bands order).
    No ids, no query. Their stored alignment profiles come in the same query, and those this
    process has not profiled yet are loaded: another process (a crawl's other worker, an
    earlier run) profiled them when it matched them, and loading costs about a fifteenth of
    profiling the text again. A view with no usable stored profile (none stored, another
    format) is profiled when needed.
    """
    if not ids:
        return []
    rows = session.execute(
        _views_with_profiles(), {"ids": list(ids), "other_than": exclude_site_origin}
    )
    found = {columns[0]: (view_of(columns), data) for *columns, data in rows}
    views = [found[i] for i in ids if i in found][:limit]
    for view, data in views:
        if data is not None and not is_profiled(view.text):
            load_profile(view.text, data)
    return [view for view, _ in views]


@lru_cache(maxsize=1)
def _views_with_profiles() -> Select[Any]:
    """The views of given ids, other sites only, with their stored profiles: built once (it
    runs for every page with candidates, and building it cost as much as running it)."""
    return (
        view_query()
        .add_columns(ArticleProfile.data)
        .outerjoin(ArticleProfile, ArticleProfile.article_id == Article.id)
        .where(
            Article.id.in_(bindparam("ids", expanding=True)),
            Site.origin != bindparam("other_than"),
        )
    )


def own_profile(view: DocumentView) -> bytes | None:
    """The serialised profile of a new document, if matching profiled it (to store with it)."""
    return profile_bytes(profile(view.text)) if is_profiled(view.text) else None


def find_candidates(
    session: Session,
    buckets: Sequence[int],
    exclude_site_origin: str,
    limit: int,
    min_shared: int = 1,
) -> list[DocumentView]:
    """Return stored articles sharing LSH buckets with ``buckets``, most shared bands first.

    Articles of the document's own site are excluded (an outlet's follow-up is not a copy of
    itself). At most ``limit``; none read at all when the band index has no candidate.
    """
    ids = candidate_ids(session, buckets, limit, min_shared)
    return views_by_id(session, ids, exclude_site_origin, limit)


def verify_candidates(
    new: DocumentView, candidates: Sequence[DocumentView], config: MatchConfig = MatchConfig()
) -> list[MatchVerdict]:
    """Verify ``new`` against each candidate: the pure, CPU-heavy half of matching.

    A crawl runs it in a worker process (see :class:`MatchPipeline`).
    """
    verdicts = []
    for candidate in candidates:
        if candidate.url == new.url:
            continue
        verdict = verify(new, candidate, config)
        if verdict is not None:
            verdicts.append(verdict)
    return verdicts


def match_document(
    session: Session,
    new: DocumentView,
    buckets: Sequence[int],
    config: MatchConfig = MatchConfig(),
) -> list[MatchVerdict]:
    """Find, verify and orient every stored article that ``new`` copies or is copied by."""
    candidates = find_candidates(
        session, buckets, new.site, config.max_candidates, config.min_shared_bands
    )
    return mark_stitched(verify_candidates(new, candidates, config))


def site_role(session: Session, origin: str) -> str | None:
    """The registered role of the site at ``origin`` (None for an unregistered one)."""
    return session.scalar(select(Site.role).where(Site.origin == origin))


def item_view(item: ArticleItem, site_role: str = "unknown") -> DocumentView:
    """Build the matching view of an item coming through the pipelines."""
    article = item.article
    if article is None:
        raise ValueError("match stage got an item the extract stage did not fill")
    return DocumentView(
        url=item.url,
        site=origin_of(item.url) if not item.site else item.site,
        site_role=site_role,
        text=article.text,
        title=article.title,
        published_at=article.published_at,
        first_seen_at=article.first_seen_at,
        canonical_url=article.canonical_url,
        links=tuple(link.url for link in article.links),
        source_url_hint=item.source_url_hint,
        published_source=article.published_source,
    )


_worker_sessions: dict[str, sessionmaker[Session]] = {}
"""Per worker process: one engine per database, made on its first item."""


@dataclass(frozen=True, slots=True)
class WorkerMatch:
    """A worker's answer for one document."""

    verdicts: list[MatchVerdict]
    watermark: int
    """The highest article id when the worker looked its candidates up."""
    seen: list[int]
    """The candidate ids it looked at."""
    verified: int
    """How many of them it verified (other sites' articles)."""
    seconds: float
    profile: bytes | None
    """The document's serialised alignment profile, if the worker profiled it."""


IN_FLIGHT_IDS = 100
"""How far below the watermark the reactor thread's last lookup goes. An id is handed out when
its row is inserted but the row is seen only once its transaction commits; with several
writers (a distributed crawl on PostgreSQL) an article with a lower id can become visible
after the watermark was read. Any of those the worker did not see is verified then."""
WorkerJob = Callable[[str, DocumentView, Sequence[int], MatchConfig], WorkerMatch]


def _match_stored(
    database_url: str, new: DocumentView, buckets: Sequence[int], config: MatchConfig
) -> WorkerMatch:
    """Look ``new``'s candidates up, read and verify them: a worker's job.

    Returns a :data:`WorkerMatch`. Articles stored after its lookup are left to the reactor
    thread's check when the answer is back (it loads their stored profiles: cheap). Looking a
    second time here, after verifying, found a candidate for one page in fifteen on the
    crawl benchmark and cost more CPU than verifying those few on the reactor thread.
    """
    from copycat.db import make_engine, session_factory

    started = perf_counter()
    sessions = _worker_sessions.get(database_url)
    if sessions is None:
        sessions = _worker_sessions[database_url] = session_factory(make_engine(database_url))
    with sessions() as session:
        # the watermark first: on PostgreSQL a row committed in between is in both
        watermark = last_article_id(session)
        seen = candidate_ids(session, buckets, config.max_candidates, config.min_shared_bands)
        candidates = views_by_id(session, seen, new.site, config.max_candidates)
    verdicts = verify_candidates(new, candidates, config)
    seconds = perf_counter() - started
    return WorkerMatch(verdicts, watermark, seen, len(candidates), seconds, own_profile(new))


class MatchPipeline:
    """Scrapy pipeline: find the stored articles each item copies (or that copy it).

    Candidate lookup reads the database on the reactor thread; with a worker ``pool`` the
    verification (sentence alignment, the costly part when a page has candidates) runs in
    worker processes meanwhile. Articles stored while an item was being verified are looked
    up again right after (the id watermark), so that two copies of each other in flight
    together still find each other. ``match_item`` is the synchronous, in-process path that
    ``copycat ingest`` uses.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        config: MatchConfig = MatchConfig(),
        stats: StatsCollector | None = None,
        pool: WorkerPool | None = None,
        worker_job: WorkerJob = _match_stored,
        retry_seconds: float = 0.0,
    ) -> None:
        self.sessions = sessions
        self.retry_seconds = retry_seconds
        """How long a worker's job waits out a database outage (``STORE_RETRY_SECONDS``)."""
        self.worker_job = worker_job
        """What a worker runs for each item (a module-level function)."""
        self.config = config
        self.stats = stats
        self._roles: dict[str, str] = {}
        """Site roles as this run first read them (a role edited mid-run applies next run)."""
        bind = sessions.kw.get("bind")
        # what a worker process connects with (it cannot be handed an engine)
        self._database_url = bind.url.render_as_string(hide_password=False) if bind else ""
        shareable = bind is not None and bind.url.database not in (None, "", ":memory:")
        self.pool = pool if shareable else None
        """Where verification runs (in-process when None)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Read ``MATCH_*`` settings and open the configured database.

        Verification goes to the crawl's worker pool (``EXTRACT_WORKERS`` processes) unless
        ``MATCH_IN_WORKERS`` is off.
        """
        from copycat.db import open_database
        from pipelines.extract import default_workers

        settings = crawler.settings
        _, sessions = open_database(settings.get("COPYCAT_DATABASE_URL"))
        config = MatchConfig.from_settings(settings)
        pool = None
        if settings.getbool("MATCH_IN_WORKERS", True):
            pool = crawl_pool(crawler, settings.getint("EXTRACT_WORKERS", default_workers()))
        retry_seconds = retry_seconds_from(settings)
        return cls(sessions, config, crawler.stats, pool, retry_seconds=retry_seconds)

    def _count_retry(self, _error: BaseException) -> None:
        count(self.stats, "match/retries")

    def open_spider(self) -> None:
        """Warn, once a crawl starts, if an older method made stored pairs (rematch is due)."""
        try:
            with self.sessions() as session:
                older = older_method_pairs(session)
        except SQLAlchemyError as error:  # an outage is the store stage's business
            logger.warning("could not count pairs by older methods: %s", describe_error(error))
            return
        if older:
            count(self.stats, "match/pairs_by_older_methods", older)
            logger.warning("%s", older_method_advice(older))

    def close_spider(self) -> None:
        """Stop the worker processes (started on the first item)."""
        if self.pool is not None:
            self.pool.close()

    def _site_role(self, session: Session, origin: str) -> str:
        role = self._roles.get(origin)
        if role is None:
            role = site_role(session, origin)
            # an unregistered site is "unknown" until the store stage registers it
            if role is None:
                return "unknown"
            self._roles[origin] = role
        return role

    def _finish(self, item: ArticleItem, verdicts: list[MatchVerdict]) -> ArticleItem:
        item.matches = mark_stitched(verdicts)
        count(self.stats, "match/items")
        count(self.stats, "match/pairs", len(item.matches))
        return item

    def match_item(self, item: ArticleItem, session: Session | None = None) -> ArticleItem:
        """Attach verified, oriented matches to the item, all in this process.

        ``session``: read through the caller's session (and its uncommitted writes) instead
        of a short one of our own.
        """
        buckets = item_buckets(item)
        with timed(self.stats, "match"):
            with nullcontext(session) if session is not None else self.sessions() as reader:
                view = item_view(item, self._site_role(reader, item.site))
                candidates = find_candidates(
                    reader,
                    buckets,
                    view.site,
                    self.config.max_candidates,
                    self.config.min_shared_bands,
                )
            count(self.stats, "match/candidates", len(candidates))
            item.extra["match_seen"] = [c.id for c in candidates]
            verdicts = verify_candidates(view, candidates, self.config)
            item.alignment_profile = own_profile(view)
        return self._finish(item, verdicts)

    async def process_item(self, item: ArticleItem) -> ArticleItem:
        """Attach verified, oriented matches to the item (the store stage writes them).

        With workers, a worker looks the item's candidates up in the band index when it takes
        the job up, reads them and verifies them: the reactor thread only checks, once the
        worker is done, for articles stored since the worker's lookup (by items further
        along) and verifies those here. With no wait between that check and the store stage,
        no article can slip in between.
        """
        if self.pool is None:
            return self.match_item(item)
        buckets = item_buckets(item)
        pool = self.pool

        async def in_worker() -> tuple[DocumentView, WorkerMatch]:
            with self.sessions() as session:  # connects only if the role is not cached
                view = item_view(item, self._site_role(session, item.site))
            answer = await pool.run(self.worker_job, self._database_url, view, buckets, self.config)
            return view, answer

        async def late_lookup() -> list[DocumentView]:
            with self.sessions() as session:
                ids = candidate_ids(
                    session,
                    buckets,
                    self.config.max_candidates,
                    self.config.min_shared_bands,
                    after_id=max(0, answer.watermark - IN_FLIGHT_IDS),
                )
                already = set(answer.seen)
                unseen = [i for i in ids if i not in already]
                item.extra["match_seen"] = [*answer.seen, *unseen]
                # only the articles the worker did not see are read
                return views_by_id(session, unseen, view.site, self.config.max_candidates)

        # A database outage is waited out here, as in the store stage, for the same budget.
        view, answer = await retry_transient_async(
            in_worker, self.retry_seconds, f"matching {item.url}", self._count_retry
        )
        count(self.stats, "match/candidates", answer.verified)
        add_seconds(self.stats, "match/worker_seconds", answer.seconds)
        started = perf_counter()
        late = await retry_transient_async(
            late_lookup, self.retry_seconds, f"matching {item.url}", self._count_retry
        )
        verdicts = list(answer.verdicts)
        item.alignment_profile = answer.profile
        if late:
            count(self.stats, "match/late_candidates", len(late))
            if answer.profile is not None:
                load_profile(view.text, answer.profile)  # the worker profiled the text already
            verdicts += verify_candidates(view, late, self.config)
            item.alignment_profile = item.alignment_profile or own_profile(view)
        add_seconds(self.stats, "match/seconds", perf_counter() - started)
        return self._finish(item, verdicts)


def item_buckets(item: ArticleItem) -> list[int]:
    """The item's LSH buckets (every view), as the candidate lookup takes them."""
    if item.fingerprint is None:
        raise ValueError("match stage got an item the fingerprint stage did not fill")
    return [bucket for _, bucket in item.fingerprint.buckets]
