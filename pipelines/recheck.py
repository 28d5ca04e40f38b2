"""The recheck stage: once an article is committed, pair it with articles that landed meanwhile.

Two crawler processes writing to one PostgreSQL database can each match an article just
before the other commits its copy: each looked, neither saw the other, and the pair is lost.
Looking once more *after* committing closes that: of two articles committed in either order,
the one committed second sees the first when it looks again. Only what was committed shortly
before (ids near the article's own) and not verified by the match stage is verified here.

With one writer (a single crawl on SQLite) there is no such window, so the stage is on by
default only for other databases (``MATCH_RECHECK``: ``auto``, ``true`` or ``false``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from copycat.db import session_scope
from pipelines.match import (
    IN_FLIGHT_IDS,
    MatchConfig,
    candidate_ids,
    item_buckets,
    item_view,
    mark_stitched,
    site_role,
    verify_candidates,
    views_by_id,
)
from pipelines.outages import retry_seconds_from, retry_transient
from pipelines.stats import count
from pipelines.store import replace_pairs

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector
    from sqlalchemy.orm import Session, sessionmaker

    from crawler.items import ArticleItem
    from pipelines.match import MatchVerdict

__all__ = ["RecheckPipeline", "recheck_stored"]


def recheck_stored(
    session: Session, item: ArticleItem, config: MatchConfig = MatchConfig()
) -> list[MatchVerdict]:
    """Verify the stored ``item`` against candidates committed near it that it has not met.

    Adds the pairs found (in the caller's transaction) and returns them.
    """
    article_id = item.extra.get("article_id")
    if article_id is None or item.fingerprint is None:
        return []
    met = {article_id, *item.extra.get("match_seen", ()), *(v.other_id for v in item.matches)}
    buckets = item_buckets(item)
    ids = candidate_ids(
        session,
        buckets,
        config.max_candidates,
        config.min_shared_bands,
        after_id=max(0, article_id - IN_FLIGHT_IDS),
    )
    unmet = [i for i in ids if i not in met]
    if not unmet:
        return []
    view = item_view(item, site_role(session, item.site) or "unknown")
    candidates = views_by_id(session, unmet, view.site, config.max_candidates)
    verdicts = mark_stitched(verify_candidates(view, candidates, config))
    if verdicts:
        replace_pairs(session, article_id, verdicts, fresh=True)
    return verdicts


class RecheckPipeline:
    """Scrapy pipeline after the store stage: see the module's docstring."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        config: MatchConfig = MatchConfig(),
        stats: StatsCollector | None = None,
        retry_seconds: float = 0.0,
    ) -> None:
        self.sessions = sessions
        self.config = config
        self.stats = stats
        self.retry_seconds = retry_seconds

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Open the configured database; read ``MATCH_RECHECK`` and the match thresholds."""
        from scrapy.exceptions import NotConfigured

        from copycat.db import open_database

        settings = crawler.settings
        engine, sessions = open_database(settings.get("COPYCAT_DATABASE_URL"))
        wanted = str(settings.get("MATCH_RECHECK", "auto")).lower()
        if wanted in ("false", "0", "off") or (
            wanted == "auto" and engine.dialect.name == "sqlite"
        ):
            raise NotConfigured("one writer: nothing can land between matching and storing")
        config = MatchConfig.from_settings(settings)
        retry_seconds = retry_seconds_from(settings)
        return cls(sessions, config, crawler.stats, retry_seconds)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        """Pair the just-stored item with what was committed while it was being matched."""

        def recheck() -> list[MatchVerdict]:
            with session_scope(self.sessions) as session:
                return recheck_stored(session, item, self.config)

        found = retry_transient(
            recheck,
            self.retry_seconds,
            f"rechecking {item.url}",
            on_retry=lambda _error: count(self.stats, "match/retries"),
        )
        count(self.stats, "match/recheck_pairs", len(found))
        item.matches = [*item.matches, *found]
        return item
