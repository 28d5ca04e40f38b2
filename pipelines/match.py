"""The match stage: LSH candidates from the database, verified by alignment, with a direction.

The pure part (alignment, verdict, direction) works on :class:`DocumentView` values and needs no
database or Scrapy; :func:`find_candidates` is the one function that reads the band index.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from copycat.models import Article, LshBucket, Site
from copycat.urls import canonicalise, origin_of
from pipelines.fingerprint import Tokens, tokenize

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

    from crawler.items import ArticleItem

logger = logging.getLogger(__name__)

METHOD_VERSION = "anchor-align/1"
"""Recorded with every pair, so ``rematch`` knows which pairs an older method made."""

ANCHOR_SIZE = 3
"""Words in an anchor: a run both texts share word for word."""


@dataclass(frozen=True, slots=True)
class MatchConfig:
    """Thresholds of the verification step, in domain terms."""

    min_coverage: float = 0.5
    """Share of a text that must be explained by the other for the pair to be a copy."""
    min_passage_words: int = 12
    """Aligned runs shorter than this are ignored: a shared name or stock phrase is no copy."""
    max_gap_words: int = 4
    """Longest run of swapped words bridged inside one passage (a spinner's substitutions)."""
    max_candidates: int = 50
    min_shared_bands: int = 2
    """LSH bands a stored article must share to be verified: one shared band is mostly chance."""


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


@dataclass(frozen=True, slots=True)
class Passage:
    """A run of text aligned between two documents, as word and character ranges in each."""

    a_words: tuple[int, int]
    b_words: tuple[int, int]
    a_chars: tuple[int, int]
    b_chars: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Alignment:
    """How two texts line up: aligned passages, the words swapped inside them, coverages."""

    passages: tuple[Passage, ...]
    substitutions: tuple[tuple[str, str], ...]
    a_coverage: float
    b_coverage: float
    aligned_words: int
    swapped_words: int

    @property
    def spin_rate(self) -> float:
        """Share of aligned words that were swapped for other words."""
        return self.swapped_words / self.aligned_words if self.aligned_words else 0.0


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


def _anchor_index(words: tuple[str, ...]) -> dict[tuple[str, ...], list[int]]:
    index: dict[tuple[str, ...], list[int]] = {}
    for i in range(len(words) - ANCHOR_SIZE + 1):
        index.setdefault(words[i : i + ANCHOR_SIZE], []).append(i)
    return index


def _diagonal_runs(a: tuple[str, ...], b: tuple[str, ...]) -> list[tuple[int, int, int]]:
    """Return maximal runs (a_start, b_start, length) of words equal in both, found from anchors.

    Walks ``b`` once; each anchor shared with ``a`` starts or extends a run, preferring the
    position in ``a`` that continues the current run so repeated phrases do not scatter it.
    """
    index = _anchor_index(a)
    runs: list[tuple[int, int, int]] = []
    j = 0
    last_a_end = 0
    while j <= len(b) - ANCHOR_SIZE:
        positions = index.get(b[j : j + ANCHOR_SIZE])
        if not positions:
            j += 1
            continue
        # Prefer the next occurrence after the previous run: copies keep the original's order.
        i = next((p for p in positions if p >= last_a_end), positions[0])
        length = ANCHOR_SIZE
        while i + length < len(a) and j + length < len(b) and a[i + length] == b[j + length]:
            length += 1
        runs.append((i, j, length))
        last_a_end = i + length
        j += length
    return runs


def align(a: Tokens, b: Tokens, config: MatchConfig = MatchConfig()) -> Alignment:
    """Align two tokenised texts: exact runs joined across short swapped gaps into passages."""
    runs = _diagonal_runs(a.words, b.words)
    passages: list[Passage] = []
    substitutions: list[tuple[str, str]] = []
    aligned = swapped = 0
    covered_a = covered_b = 0

    def close(chain: list[tuple[int, int, int]], chain_subs: list[tuple[str, str]]) -> None:
        nonlocal aligned, swapped, covered_a, covered_b
        a_start, b_start, _ = chain[0]
        a_last, b_last, last_len = chain[-1]
        a_end, b_end = a_last + last_len, b_last + last_len
        if min(a_end - a_start, b_end - b_start) < config.min_passage_words:
            return
        passages.append(
            Passage(
                a_words=(a_start, a_end),
                b_words=(b_start, b_end),
                a_chars=(a.spans[a_start][0], a.spans[a_end - 1][1]),
                b_chars=(b.spans[b_start][0], b.spans[b_end - 1][1]),
            )
        )
        substitutions.extend(chain_subs)
        equal = sum(length for _, _, length in chain)
        aligned += max(a_end - a_start, b_end - b_start)
        swapped += max(a_end - a_start, b_end - b_start) - equal
        covered_a += a_end - a_start
        covered_b += b_end - b_start

    chain: list[tuple[int, int, int]] = []
    chain_subs: list[tuple[str, str]] = []
    for run in runs:
        if chain:
            prev_a, prev_b, prev_len = chain[-1]
            gap_a = run[0] - (prev_a + prev_len)
            gap_b = run[1] - (prev_b + prev_len)
            if 0 <= gap_a <= config.max_gap_words and 0 <= gap_b <= config.max_gap_words:
                if gap_a or gap_b:
                    chain_subs.append(
                        (
                            " ".join(a.words[prev_a + prev_len : run[0]]),
                            " ".join(b.words[prev_b + prev_len : run[1]]),
                        )
                    )
                chain.append(run)
                continue
            close(chain, chain_subs)
        chain, chain_subs = [run], []
    if chain:
        close(chain, chain_subs)
    return Alignment(
        passages=tuple(passages),
        substitutions=tuple(substitutions),
        a_coverage=covered_a / len(a) if len(a) else 0.0,
        b_coverage=covered_b / len(b) if len(b) else 0.0,
        aligned_words=aligned,
        swapped_words=swapped,
    )


def _same_page(url_a: str | None, url_b: str | None) -> bool:
    if not url_a or not url_b:
        return False
    try:
        return canonicalise(url_a) == canonicalise(url_b)
    except ValueError:
        return False


def credits(copy: DocumentView, original: DocumentView) -> str | None:
    """Return how ``copy`` credits ``original`` (a link, a canonical, a feed source), or None."""
    targets = [original.url, original.canonical_url]
    if any(_same_page(link, target) for link in copy.links for target in targets):
        return "link"
    if any(_same_page(copy.canonical_url, target) for target in targets):
        return "canonical"
    if any(_same_page(copy.source_url_hint, target) for target in targets):
        return "feed_source"
    return None


def _effective_time(doc: DocumentView) -> datetime | None:
    times = [t for t in (doc.published_at, doc.first_seen_at) if t is not None]
    return min(times) if times else None


def decide_direction(a: DocumentView, b: DocumentView) -> tuple[bool, str, dict[str, Any]]:
    """Decide which of two matched documents is the copy: returns (a_is_copy, rule, evidence).

    Strongest evidence first: the copy crediting the other, then site roles, then the earlier
    publication time. The rule that decided is returned so a person can check it.
    """
    for copy, original, a_is_copy in ((a, b, True), (b, a, False)):
        how = credits(copy, original)
        if how is not None and credits(original, copy) is None:
            return a_is_copy, f"credit_{how}", {"credit": how}
    if {a.site_role, b.site_role} == {"source", "copycat"}:
        return a.site_role == "copycat", "site_role", {"roles": [a.site_role, b.site_role]}
    time_a, time_b = _effective_time(a), _effective_time(b)
    evidence: dict[str, Any] = {
        "times": [time_a.isoformat() if time_a else None, time_b.isoformat() if time_b else None]
    }
    if time_a is not None and time_b is not None and time_a != time_b:
        return time_a > time_b, "earlier_published", evidence
    if time_a is None and time_b is not None:
        return True, "earlier_published", evidence
    if time_b is None and time_a is not None:
        return False, "earlier_published", evidence
    # Nothing tells them apart: the one stored first stays the original.
    return a.id is None or (b.id is not None and a.id > b.id), "first_stored", evidence


def classify(
    copy_coverage: float, original_coverage: float, spin_rate: float, swaps: int = 0
) -> str:
    """Name the kind of copy from how much of each text is aligned and how much was swapped."""
    # Two swaps or more: one could be an editor's fix, a pattern of them is a spinner.
    if swaps >= 2 and spin_rate >= 0.01:
        return "spun"
    if original_coverage < 0.8:
        return "partial"
    if copy_coverage >= 0.9 and original_coverage >= 0.9:
        return "verbatim"
    return "partial"


def verify(
    new: DocumentView,
    stored: DocumentView,
    config: MatchConfig = MatchConfig(),
    new_tokens: Tokens | None = None,
) -> MatchVerdict | None:
    """Align ``new`` with a stored candidate and return the oriented pair, or None if no copy."""
    if stored.id is None:
        raise ValueError("the stored side of a match needs an id")
    a = new_tokens if new_tokens is not None else tokenize(new.text)
    b = tokenize(stored.text)
    alignment = align(a, b, config)
    if max(alignment.a_coverage, alignment.b_coverage) < config.min_coverage:
        return None
    new_is_copy, rule, direction_evidence = decide_direction(new, stored)
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
    return MatchVerdict(
        other_id=stored.id,
        other_url=stored.url,
        new_is_copy=new_is_copy,
        kind=classify(copy_cov, orig_cov, alignment.spin_rate, len(alignment.substitutions)),
        score=round(copy_cov, 4),
        copy_coverage=round(copy_cov, 4),
        original_coverage=round(orig_cov, 4),
        spin_rate=round(alignment.spin_rate, 4),
        credited=credits(copy, original) is not None,
        direction_rule=rule,
        evidence={
            "direction": direction_evidence,
            "passages": passages,
            "substitutions": substitutions[:200],
        },
    )


def redundant_pairs(pairs: dict[tuple[int, int], float]) -> set[tuple[int, int]]:
    """Return the pairs between two copies of one original that say nothing more than it does.

    ``pairs`` maps (copy, original) to score. When Y and X both copy R, Y and X match each
    other too; (Y, X) is kept only if Y is closer to X than to R (Y copied the copy: it
    carries X's changes), otherwise it would accuse Y of copying a fellow copy.
    """
    originals_of: dict[int, dict[int, float]] = {}
    for (copy, original), score in pairs.items():
        originals_of.setdefault(copy, {})[original] = score
    redundant = set()
    for (y, x), score in pairs.items():
        shared_roots = set(originals_of.get(y, {})) & set(originals_of.get(x, {}))
        if any(originals_of[y][root] >= score for root in shared_roots):
            redundant.add((y, x))
    return redundant


def find_candidates(
    session: Session,
    buckets: Sequence[int],
    exclude_site_origin: str,
    limit: int,
    min_shared: int = 1,
) -> list[DocumentView]:
    """Return stored articles sharing an LSH bucket with ``buckets``, most shared bands first.

    ``bucket IN (...)`` on the (bucket, article_id) primary key is one index range scan per
    bucket on SQLite and PostgreSQL alike; articles of the document's own site are excluded
    (an outlet's follow-up is not a copy of itself).
    """
    if not buckets:
        return []
    shared = func.count(LshBucket.bucket).label("shared")
    top = (
        select(LshBucket.article_id, shared)
        .where(LshBucket.bucket.in_(list(buckets)))
        .group_by(LshBucket.article_id)
        .having(shared >= min_shared)
        .order_by(shared.desc())
        .limit(limit * 2)
        .subquery()
    )
    rows = session.execute(
        select(Article, Site)
        .join(top, top.c.article_id == Article.id)
        .join(Site, Site.id == Article.site_id)
        .where(Site.origin != exclude_site_origin)
        .order_by(top.c.shared.desc())
        .limit(limit)
    ).all()
    return [view_of(article, site) for article, site in rows]


def view_of(article: Article, site: Site) -> DocumentView:
    """Build the matching view of a stored article."""
    return DocumentView(
        id=article.id,
        url=article.url,
        site=site.origin,
        site_role=site.role,
        site_name=site.name,
        text=article.text,
        title=article.title,
        published_at=article.published_at,
        first_seen_at=article.first_seen_at,
        canonical_url=article.canonical_url,
        links=tuple(link["url"] for link in article.links),
        source_url_hint=article.source_url_hint,
    )


def match_document(
    session: Session,
    new: DocumentView,
    buckets: Sequence[int],
    config: MatchConfig = MatchConfig(),
) -> list[MatchVerdict]:
    """Find, verify and orient every stored article that ``new`` copies or is copied by."""
    tokens = tokenize(new.text)
    verdicts = []
    candidates = find_candidates(
        session, buckets, new.site, config.max_candidates, config.min_shared_bands
    )
    for candidate in candidates:
        if candidate.url == new.url:
            continue
        verdict = verify(new, candidate, config, tokens)
        if verdict is not None:
            verdicts.append(verdict)
    return verdicts


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

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Read ``MATCH_*`` settings and open the configured database."""
        from copycat.db import open_database

        settings = crawler.settings
        _, sessions = open_database(settings.get("COPYCAT_DATABASE_URL"))
        config = MatchConfig(
            min_coverage=settings.getfloat("MATCH_MIN_COVERAGE", 0.5),
            min_passage_words=settings.getint("MATCH_MIN_PASSAGE_WORDS", 12),
            max_gap_words=settings.getint("MATCH_MAX_GAP_WORDS", 4),
            max_candidates=settings.getint("MATCH_MAX_CANDIDATES", 50),
            min_shared_bands=settings.getint("MATCH_MIN_SHARED_BANDS", 2),
        )
        return cls(sessions, config, crawler.stats)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        """Attach verified, oriented matches to the item (the store stage writes them)."""
        if item.fingerprint is None:
            raise ValueError("match stage got an item the fingerprint stage did not fill")
        with self.sessions() as session:
            role = session.scalar(select(Site.role).where(Site.origin == item.site)) or "unknown"
            item.matches = match_document(
                session,
                item_view(item, role),
                [bucket for _, bucket in item.fingerprint.buckets],
                self.config,
            )
        if self.stats is not None:
            self.stats.inc_value("match/items")
            self.stats.inc_value("match/pairs", len(item.matches))
        return item
