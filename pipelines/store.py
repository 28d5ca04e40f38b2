"""The store stage: idempotent upserts of an article, its band index rows and its pairs.

One short transaction per item. An article is keyed by its canonical URL, so storing the same
page twice (a re-crawl, an ingest run repeated) updates one row instead of adding another.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from copycat.db import session_scope
from copycat.models import Article, ArticleVersion, DroppedPage, LshBucket, Match, Site, utcnow
from copycat.urls import canonicalise, on_site
from pipelines.match import redundant_pairs

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

    from crawler.items import ArticleItem

logger = logging.getLogger(__name__)


def _insert(session: Session) -> Any:
    """Return the dialect's INSERT construct, which knows ON CONFLICT."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"upserts are written for SQLite and PostgreSQL, not {dialect}")


def article_key(item_url: str, site_origin: str, canonical_url: str | None) -> str:
    """Return the URL an article is stored under: its canonical URL when that is on its own site.

    A copycat often declares the *original's* URL as canonical; that is evidence, not identity,
    so a canonical on another origin is ignored here.
    """
    if canonical_url:
        # The same page under the site's other scheme (http/https) counts as the same site.
        same_site = on_site(canonical_url, site_origin)
        if same_site is not None:
            return same_site
    return on_site(item_url, site_origin) or canonicalise(item_url)


def ensure_site(session: Session, origin: str) -> int:
    """Return the id of the site at ``origin``, registering it as ``unknown`` if it is new."""
    insert = _insert(session)
    session.execute(
        insert(Site)
        .values(
            origin=origin, name=origin.split("://", 1)[-1], role="unknown", feeds=[], sitemaps=[]
        )
        .on_conflict_do_nothing(index_elements=["origin"])
    )
    site_id = session.scalar(select(Site.id).where(Site.origin == origin))
    assert site_id is not None
    return site_id


def store_item(session: Session, item: ArticleItem) -> tuple[int, int]:
    """Write one processed item (article, buckets, pairs); return its id and the pairs pruned."""
    article, fingerprint = item.article, item.fingerprint
    if article is None or fingerprint is None:
        raise ValueError("store stage got an item the earlier stages did not fill")
    insert = _insert(session)
    site_id = ensure_site(session, item.site)
    values: dict[str, Any] = {
        "site_id": site_id,
        "url": article_key(item.url, item.site, article.canonical_url),
        "fetched_url": canonicalise(item.url),
        "canonical_url": article.canonical_url,
        "title": article.title or item.title_hint,
        "author": article.author,
        "language": article.language,
        "text": article.text,
        "word_count": fingerprint.word_count,
        "text_hash": fingerprint.text_hash,
        "minhash": fingerprint.minhash,
        "published_at": article.published_at,
        "published_source": article.published_source,
        "page_published_at": article.page_published_at,
        "first_seen_at": article.first_seen_at,
        "fetched_at": item.fetched_at,
        "discovered_via": item.discovered_via,
        "source_url_hint": item.source_url_hint,
        "links": [asdict(link) for link in article.links],
    }
    # A re-fetch of a changed page keeps the earlier text (article_versions); the item says
    # which it was, for the run's per-site counts.
    item.extra["stored"] = archive_previous_version(session, values)
    if values["published_at"] is None:
        # A re-fetch that learnt no date (an updated page: its new lastmod is an edit time, not
        # a publication) keeps the publication date stored before.
        known = session.execute(
            select(Article.published_at, Article.published_source).where(
                Article.url == values["url"]
            )
        ).first()
        if known is not None:
            values["published_at"], values["published_source"] = known
    # first_seen_at is when we first saw the page: a later fetch must not move it.
    update = {k: v for k, v in values.items() if k not in ("url", "first_seen_at")}
    statement = (
        insert(Article)
        .values(**values)
        .on_conflict_do_update(index_elements=["url"], set_=update)
        .returning(Article.id)
    )
    article_id: int = session.execute(statement).scalar_one()

    session.execute(delete(LshBucket).where(LshBucket.article_id == article_id))
    if fingerprint.buckets:
        session.execute(
            insert(LshBucket)
            .values(
                [
                    {"bucket": bucket, "band": band, "article_id": article_id}
                    for band, bucket in fingerprint.buckets
                ]
            )
            .on_conflict_do_nothing()
        )

    # The match stage recomputed every pair this article takes part in; replace the old ones.
    session.execute(
        delete(Match).where(or_(Match.copy_id == article_id, Match.original_id == article_id))
    )
    for verdict in item.matches:
        copy_id, original_id = (
            (article_id, verdict.other_id)
            if verdict.new_is_copy
            else (verdict.other_id, article_id)
        )
        pair = {
            "kind": verdict.kind,
            "score": verdict.score,
            "copy_coverage": verdict.copy_coverage,
            "original_coverage": verdict.original_coverage,
            "spin_rate": verdict.spin_rate,
            "credited": verdict.credited,
            "direction_rule": verdict.direction_rule,
            "evidence": verdict.evidence,
            "method": verdict.method,
        }
        session.execute(
            insert(Match)
            .values(copy_id=copy_id, original_id=original_id, **pair)
            .on_conflict_do_update(index_elements=["copy_id", "original_id"], set_=pair)
        )
    return article_id, prune_sibling_pairs(session, article_id)


def archive_previous_version(session: Session, values: dict[str, Any]) -> str:
    """Keep the stored text of the article about to be overwritten if the new one differs.

    Returns ``new`` (nothing stored under that URL yet), ``unchanged`` (same text hash) or
    ``updated`` (the previous text is now a row of ``article_versions``).
    """
    previous = session.execute(
        select(
            Article.id, Article.title, Article.text, Article.word_count, Article.text_hash,
            Article.fetched_at,
        ).where(Article.url == values["url"])
    ).first()  # fmt: skip
    if previous is None:
        return "new"
    if previous.text_hash == values["text_hash"]:
        return "unchanged"
    session.add(
        ArticleVersion(
            article_id=previous.id,
            title=previous.title,
            text=previous.text,
            word_count=previous.word_count,
            text_hash=previous.text_hash,
            fetched_at=previous.fetched_at,
            replaced_at=utcnow(),
        )
    )
    session.flush()
    return "updated"


def record_dropped_page(session: Session, site_origin: str, url: str, reason: str) -> None:
    """Remember that ``url`` was fetched and is not an article (idempotent)."""
    insert = _insert(session)
    site_id = ensure_site(session, site_origin)
    session.execute(
        insert(DroppedPage)
        .values(site_id=site_id, url=url, reason=reason, dropped_at=utcnow())
        .on_conflict_do_update(index_elements=["url"], set_={"reason": reason})
    )


def prune_sibling_pairs(session: Session, article_id: int) -> int:
    """Delete pairs between copies of a common original around ``article_id``; return how many."""
    partners = {
        other
        for copy_id, original_id in session.execute(
            select(Match.copy_id, Match.original_id).where(
                or_(Match.copy_id == article_id, Match.original_id == article_id)
            )
        )
        for other in (copy_id, original_id)
    }
    if not partners:
        return 0
    rows = session.execute(
        select(Match.copy_id, Match.original_id, Match.score).where(
            Match.copy_id.in_(partners), Match.original_id.in_(partners)
        )
    ).all()
    redundant = redundant_pairs({(c, o): score for c, o, score in rows})
    for copy_id, original_id in redundant:
        session.execute(
            delete(Match).where(Match.copy_id == copy_id, Match.original_id == original_id)
        )
    return len(redundant)


class StorePipeline:
    """Scrapy pipeline: write each item in its own short transaction."""

    def __init__(self, sessions: sessionmaker[Session], stats: StatsCollector | None = None):
        self.sessions = sessions
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Open the configured database (``COPYCAT_DATABASE_URL``)."""
        from copycat.db import open_database

        _, sessions = open_database(crawler.settings.get("COPYCAT_DATABASE_URL"))
        return cls(sessions, crawler.stats)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        """Store the item; count articles and pairs stored."""
        with session_scope(self.sessions) as session:
            _, pruned = store_item(session, item)
        if self.stats is not None:
            self.stats.inc_value("store/articles")
            # Net pairs: those between two copies of one original are taken back out.
            self.stats.inc_value("store/pairs", len(item.matches) - pruned)
        return item
