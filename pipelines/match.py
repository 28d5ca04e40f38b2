"""The match stage: LSH candidates from the database, verified by alignment, with a direction.

The pure part (alignment, verdict, direction) works on :class:`DocumentView` values and needs no
database or Scrapy; :func:`find_candidates` is the one function that reads the band index.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import BigInteger, Integer, Row, Select, String, bindparam, func, select
from sqlalchemy.orm import Session, sessionmaker

from copycat.models import Article, LshBucket, Site
from copycat.urls import origin_of
from pipelines.align import AlignConfig, Alignment, Passage, align, align_profiles, profile
from pipelines.align import with_substitutions as _with_substitutions
from pipelines.direction import credits, decide_direction

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
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

METHOD_VERSION = "sentence-align/2"
"""Recorded with every pair, so ``rematch`` knows which pairs an older method made."""


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
    spun_rate: float = 0.02
    """Share of aligned content words swapped from which a copy counts as spun."""
    min_in_order: float = 0.5
    """Share of aligned sentences that must sit in runs (of two or more, in both texts) for
    coverage to count: a copy keeps its source's sentences together, paragraph by paragraph."""
    max_candidates: int = 50
    min_shared_bands: int = 2
    """LSH bands a stored article must share to be verified: one shared band is mostly chance."""
    sentences: AlignConfig = field(default_factory=AlignConfig)


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
    if alignment.run_words >= config.min_passage_words and (
        alignment.longest_run >= config.min_excerpt_sentences
    ):
        return True
    if alignment.a_coverage >= 0.9 and alignment.b_coverage >= 0.9 and alignment.covered_words:
        # The whole of both texts line up: a short, quote-heavy article copied entire.
        return True
    if (
        alignment.quotes_aligned >= 4
        and alignment.whole_coverage >= 0.7
        and alignment.in_order >= config.min_in_order
    ):
        # One or two shared quotes are independent reporting; a page that is mostly another
        # article's whole run of quotes is a copy of that article.
        return True
    return (
        max(alignment.a_coverage, alignment.b_coverage) >= config.min_coverage
        and alignment.covered_words >= min(config.min_passage_words, 20)
        and alignment.in_order >= config.min_in_order
    )


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
    if len(a.keys & b.keys) < 8:
        return None
    alignment = align_profiles(a, b, config.sentences)
    if not is_copy(alignment, config):
        return None
    alignment = _with_substitutions(a, b, alignment, config.sentences)
    new_is_copy, rule, direction_evidence = decide_direction(new, stored, alignment.substitutions)
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

    def own_share(v: MatchVerdict) -> float:
        mine = spans[id(v)]
        others = [s for w in as_copy if w is not v for s in spans[id(w)]]
        total = sum(e - s for s, e in mine) or 1
        shared = sum(max(0, min(e, oe) - max(s, os)) for s, e in mine for os, oe in others)
        return 1 - shared / total

    stitched = {id(v) for v in as_copy if own_share(v) >= 0.5}
    if len(stitched) < 2:
        return verdicts
    result = []
    for v in verdicts:
        if id(v) in stitched:
            evidence = {**v.evidence, "copy_parts": spans[id(v)], "stitched_from": len(stitched)}
            v = replace(v, kind="stitched", evidence=evidence)
        result.append(v)
    return result


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


def view_of(row: Row[*tuple[Any, ...]]) -> DocumentView:
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


@cache
def _candidate_statement() -> Select[Any]:
    """The candidate SELECT with bound parameters (built once: building it cost more than
    running it)."""
    shared = func.count(LshBucket.bucket).label("shared")
    top = (
        select(LshBucket.article_id, shared)
        .where(LshBucket.bucket.in_(bindparam("buckets", expanding=True, type_=BigInteger)))
        .group_by(LshBucket.article_id)
        .having(shared >= bindparam("min_shared", type_=Integer))
        .order_by(shared.desc())
        .limit(bindparam("top_limit", type_=Integer))
        .subquery()
    )
    return (
        view_query()
        .join(top, top.c.article_id == Article.id)
        .where(Site.origin != bindparam("exclude_origin", type_=String))
        .order_by(top.c.shared.desc())
        .limit(bindparam("limit", type_=Integer))
    )


def _candidate_params(
    buckets: Sequence[int], exclude_site_origin: str, limit: int, min_shared: int
) -> dict[str, Any]:
    return {
        "buckets": list(buckets),
        "exclude_origin": exclude_site_origin,
        "limit": limit,
        # a few more than kept, since the outer query drops the document's own site
        "top_limit": limit * 2,
        "min_shared": min_shared,
    }


def candidate_query(
    buckets: Sequence[int], exclude_site_origin: str, limit: int, min_shared: int = 1
) -> Select[Any]:
    """Return the SELECT of stored articles sharing LSH buckets, most shared bands first.

    ``bucket IN (...)`` on the (bucket, article_id) primary key is one index range scan per
    bucket on SQLite and PostgreSQL alike (never a table scan: ``tuple_(...).in_(...)`` would
    be one on SQLite); the buckets of every fingerprint view are in the list.
    """
    return _candidate_statement().params(
        _candidate_params(buckets, exclude_site_origin, limit, min_shared)
    )


def find_candidates(
    session: Session,
    buckets: Sequence[int],
    exclude_site_origin: str,
    limit: int,
    min_shared: int = 1,
) -> list[DocumentView]:
    """Return stored articles sharing LSH buckets with ``buckets``, most shared bands first.

    Articles of the document's own site are excluded (an outlet's follow-up is not a copy of
    itself).
    """
    if not buckets:
        return []
    params = _candidate_params(buckets, exclude_site_origin, limit, min_shared)
    return [view_of(row) for row in session.execute(_candidate_statement(), params)]


def match_document(
    session: Session,
    new: DocumentView,
    buckets: Sequence[int],
    config: MatchConfig = MatchConfig(),
) -> list[MatchVerdict]:
    """Find, verify and orient every stored article that ``new`` copies or is copied by."""
    verdicts = []
    candidates = find_candidates(
        session, buckets, new.site, config.max_candidates, config.min_shared_bands
    )
    for candidate in candidates:
        if candidate.url == new.url:
            continue
        verdict = verify(new, candidate, config)
        if verdict is not None:
            verdicts.append(verdict)
    return mark_stitched(verdicts)


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


class MatchPipeline:
    """Scrapy pipeline: find the stored articles each item copies (or that copy it)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        config: MatchConfig = MatchConfig(),
        stats: StatsCollector | None = None,
    ) -> None:
        self.sessions = sessions
        self.config = config
        self.stats = stats
        self._roles: dict[str, str] = {}
        """Site roles as this run first read them (a role edited mid-run applies next run)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Read ``MATCH_*`` settings and open the configured database."""
        from copycat.db import open_database

        settings = crawler.settings
        _, sessions = open_database(settings.get("COPYCAT_DATABASE_URL"))
        config = MatchConfig(
            min_coverage=settings.getfloat("MATCH_MIN_COVERAGE", 0.5),
            min_passage_words=settings.getint("MATCH_MIN_PASSAGE_WORDS", 30),
            max_candidates=settings.getint("MATCH_MAX_CANDIDATES", 50),
            min_shared_bands=settings.getint("MATCH_MIN_SHARED_BANDS", 2),
        )
        return cls(sessions, config, crawler.stats)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        """Attach verified, oriented matches to the item (the store stage writes them)."""
        if item.fingerprint is None:
            raise ValueError("match stage got an item the fingerprint stage did not fill")
        with self.sessions() as session:
            role = self._roles.get(item.site)
            if role is None:
                role = session.scalar(select(Site.role).where(Site.origin == item.site))
                # an unregistered site is "unknown" until the store stage registers it
                if role is not None:
                    self._roles[item.site] = role
            item.matches = match_document(
                session,
                item_view(item, role or "unknown"),
                [bucket for _, bucket in item.fingerprint.buckets],
                self.config,
            )
        if self.stats is not None:
            self.stats.inc_value("match/items")
            self.stats.inc_value("match/pairs", len(item.matches))
        return item
