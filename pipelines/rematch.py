"""Recompute fingerprints and pairs of stored articles after the method or thresholds change.

``copycat rematch [--since DATE]`` runs this: first every selected article's band buckets are
rewritten with the current fingerprint views (so candidates are found the current way), then
each one is matched again against everything stored and its pairs are replaced. Every pair
records the method version that made it (:data:`pipelines.match.METHOD_VERSION`), so what an
older method made is easy to find and a rerun changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from copycat.db import session_scope
from copycat.models import Article, LshBucket, Match
from pipelines.fingerprint import FingerprintConfig, fingerprint_text
from pipelines.match import (
    MatchConfig,
    match_document,
    older_method_pairs,
    view_of,
    view_query,
)
from pipelines.store import replace_buckets, replace_pairs


@dataclass
class RematchResult:
    """What a rematch run did."""

    articles: int = 0
    pairs_before: int = 0
    pairs_after: int = 0
    outdated_before: int = 0


def _selected_ids(session: Session, since: datetime | None) -> list[int]:
    query = select(Article.id).order_by(Article.id)
    if since is not None:
        query = query.where(Article.first_seen_at >= since)
    return list(session.scalars(query))


def rematch(
    sessions: sessionmaker[Session],
    since: datetime | None = None,
    fingerprint: FingerprintConfig = FingerprintConfig(),
    match: MatchConfig = MatchConfig(),
    on_progress: Callable[[int, int], None] | None = None,
) -> RematchResult:
    """Refingerprint and rematch the articles first seen since ``since`` (all when None)."""
    result = RematchResult()
    with sessions() as session:
        ids = _selected_ids(session, since)
        result.pairs_before = session.scalar(select(func.count()).select_from(Match)) or 0
        result.outdated_before = older_method_pairs(session)
    # Pass 1: buckets of the current views, so pass 2 finds candidates the current way.
    for article_id in ids:
        with session_scope(sessions) as session:
            text = session.scalar(select(Article.text).where(Article.id == article_id))
            if text is None:
                continue
            print_ = fingerprint_text(text, fingerprint)
            replace_buckets(session, article_id, print_.buckets)
    # Pass 2: match each one again and replace its pairs.
    for n, article_id in enumerate(ids, start=1):
        with session_scope(sessions) as session:
            row = session.execute(view_query().where(Article.id == article_id)).first()
            if row is None:
                continue
            buckets = list(
                session.scalars(select(LshBucket.bucket).where(LshBucket.article_id == article_id))
            )
            view = view_of(row)
            # Matched as if new: the stored row itself must not be its own candidate.
            verdicts = [
                v for v in match_document(session, view, buckets, match) if v.other_id != article_id
            ]
            replace_pairs(session, article_id, verdicts)
        result.articles += 1
        if on_progress is not None:
            on_progress(n, len(ids))
    with sessions() as session:
        result.pairs_after = session.scalar(select(func.count()).select_from(Match)) or 0
    return result
