"""The read side: stored pairs, per-site reports and source attribution. Nothing here writes."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from copycat.models import Article, Match, Site
from copycat.urls import canonicalise
from pipelines.fingerprint import FingerprintConfig, fingerprint_text
from pipelines.match import DocumentView, MatchConfig, MatchVerdict, match_document

CopyArticle = aliased(Article, name="copy_article")
OriginalArticle = aliased(Article, name="original_article")
CopySite = aliased(Site, name="copy_site")
OriginalSite = aliased(Site, name="original_site")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _pair_record(
    match: Match, copy: Article, original: Article, copy_site: Site, original_site: Site
) -> dict[str, Any]:
    return {
        "copy_url": copy.url,
        "original_url": original.url,
        "kind": match.kind,
        "score": match.score,
        "copy_site": copy_site.origin,
        "original_site": original_site.origin,
        "copy_title": copy.title,
        "original_title": original.title,
        "copy_published_at": _iso(copy.published_at),
        "original_published_at": _iso(original.published_at),
        "copy_first_seen_at": _iso(copy.first_seen_at),
        "original_first_seen_at": _iso(original.first_seen_at),
        "copy_coverage": match.copy_coverage,
        "original_coverage": match.original_coverage,
        "spin_rate": match.spin_rate,
        "credited": match.credited,
        "direction_rule": match.direction_rule,
        "method": match.method,
        "found_at": _iso(match.found_at),
        "evidence": match.evidence,
    }


CSV_FIELDS = [
    "copy_url",
    "original_url",
    "kind",
    "score",
    "copy_site",
    "original_site",
    "copy_coverage",
    "original_coverage",
    "spin_rate",
    "credited",
    "direction_rule",
    "copy_published_at",
    "original_published_at",
    "method",
    "found_at",
]


def _pairs_query() -> Any:
    return (
        select(Match, CopyArticle, OriginalArticle, CopySite, OriginalSite)
        .join(CopyArticle, Match.copy_id == CopyArticle.id)
        .join(OriginalArticle, Match.original_id == OriginalArticle.id)
        .join(CopySite, CopyArticle.site_id == CopySite.id)
        .join(OriginalSite, OriginalArticle.site_id == OriginalSite.id)
    )


def list_matches(
    session: Session, sites: list[str] | None = None, since: datetime | None = None
) -> list[dict[str, Any]]:
    """Return stored pairs, newest first; ``sites`` keeps pairs with either side on those sites.

    ``since`` keeps pairs whose copy was first seen at or after that time.
    """
    query = _pairs_query()
    if sites:
        query = query.where(or_(CopySite.origin.in_(sites), OriginalSite.origin.in_(sites)))
    if since is not None:
        query = query.where(CopyArticle.first_seen_at >= since)
    query = query.order_by(Match.found_at.desc(), Match.id.desc())
    return [_pair_record(*row) for row in session.execute(query).all()]


@dataclass(frozen=True, slots=True)
class SiteReport:
    """How much of one site is copied, and from whom."""

    origin: str
    name: str
    role: str
    articles: int
    copies: int
    copied_by_others: int
    top_sources: list[tuple[str, int]]

    @property
    def share_copied(self) -> float:
        """Share of the site's articles that are copies of another site's."""
        return self.copies / self.articles if self.articles else 0.0

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {
            "site": self.origin,
            "name": self.name,
            "role": self.role,
            "articles": self.articles,
            "copies": self.copies,
            "share_copied": round(self.share_copied, 4),
            "copied_by_others": self.copied_by_others,
            "top_sources": [{"site": site, "copies": n} for site, n in self.top_sources],
        }


def site_reports(session: Session, top: int = 3) -> list[SiteReport]:
    """Return one report per registered site: articles, copies found, share copied, top sources."""
    article_counts = dict(
        session.execute(select(Article.site_id, func.count()).group_by(Article.site_id)).all()
    )
    copies: dict[int, set[int]] = defaultdict(set)
    sources: dict[int, Counter[str]] = defaultdict(Counter)
    copied_originals: dict[int, set[int]] = defaultdict(set)
    rows = session.execute(
        select(CopyArticle.site_id, CopyArticle.id, OriginalArticle.site_id, OriginalArticle.id)
        .select_from(Match)
        .join(CopyArticle, Match.copy_id == CopyArticle.id)
        .join(OriginalArticle, Match.original_id == OriginalArticle.id)
    ).all()
    origins = dict(session.execute(select(Site.id, Site.origin)).all())
    for copy_site, copy_id, original_site, original_id in rows:
        copies[copy_site].add(copy_id)
        sources[copy_site][origins[original_site]] += 1
        copied_originals[original_site].add(original_id)
    return [
        SiteReport(
            origin=site.origin,
            name=site.name,
            role=site.role,
            articles=article_counts.get(site.id, 0),
            copies=len(copies[site.id]),
            copied_by_others=len(copied_originals[site.id]),
            top_sources=sources[site.id].most_common(top),
        )
        for site in session.scalars(select(Site).order_by(Site.origin))
    ]


def find_article(session: Session, url: str) -> Article | None:
    """Return the stored article at ``url`` (by its key or by the URL it was fetched from)."""
    key = canonicalise(url)
    return session.scalar(
        select(Article).where(or_(Article.url == key, Article.fetched_url == key)).limit(1)
    )


def stored_attribution(session: Session, article: Article) -> dict[str, Any]:
    """Return the originals a stored article copies and the copies made of it."""
    originals = session.execute(_pairs_query().where(Match.copy_id == article.id)).all()
    copies = session.execute(_pairs_query().where(Match.original_id == article.id)).all()
    return {
        "url": article.url,
        "in_database": True,
        "title": article.title,
        "originals": sorted(
            (_pair_record(*row) for row in originals), key=lambda p: -float(p["score"])
        ),
        "copies": sorted((_pair_record(*row) for row in copies), key=lambda p: -float(p["score"])),
    }


def _verdict_record(
    document: DocumentView, verdict: MatchVerdict, other: Article, other_site: Site
) -> dict[str, Any]:
    """Shape a verdict about an unstored document like a stored pair record."""
    sides = {
        "url": document.url,
        "site": document.site,
        "title": document.title,
        "published_at": _iso(document.published_at),
        "first_seen_at": _iso(document.first_seen_at),
    }
    stored = {
        "url": other.url,
        "site": other_site.origin,
        "title": other.title,
        "published_at": _iso(other.published_at),
        "first_seen_at": _iso(other.first_seen_at),
    }
    copy, original = (sides, stored) if verdict.new_is_copy else (stored, sides)
    fields = verdict.pair_fields()
    return {
        "copy_url": copy["url"],
        "original_url": original["url"],
        "kind": fields.pop("kind"),
        "score": fields.pop("score"),
        **{f"copy_{k}": v for k, v in copy.items() if k != "url"},
        **{f"original_{k}": v for k, v in original.items() if k != "url"},
        **fields,
        "found_at": None,
    }


def attribute_document(
    session: Session,
    document: DocumentView,
    fingerprint_config: FingerprintConfig = FingerprintConfig(),
    match_config: MatchConfig = MatchConfig(),
) -> dict[str, Any]:
    """Match a document that is not stored against the database, without storing anything."""
    fingerprint = fingerprint_text(document.text, fingerprint_config)
    verdicts = match_document(
        session, document, [bucket for _, bucket in fingerprint.buckets], match_config
    )
    originals: list[dict[str, Any]] = []
    copies: list[dict[str, Any]] = []
    for verdict in sorted(verdicts, key=lambda v: -v.score):
        other = session.get(Article, verdict.other_id)
        assert other is not None
        record = _verdict_record(document, verdict, other, other.site)
        (originals if verdict.new_is_copy else copies).append(record)
    return {
        "url": document.url,
        "in_database": False,
        "title": document.title,
        "originals": originals,
        "copies": copies,
    }
