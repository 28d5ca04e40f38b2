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
from typing import Any

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.orm import Session, sessionmaker

from copycat.db import session_scope
from copycat.models import Article, LshBucket, Match, Site
from pipelines.fingerprint import FingerprintConfig, fingerprint_text
from pipelines.match import MatchConfig, match_document, redundant_pairs, view_of


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


def _replace_pairs(session: Session, article_id: int, verdicts: list[Any]) -> None:
    session.execute(
        delete(Match).where(or_(Match.copy_id == article_id, Match.original_id == article_id))
    )
    for verdict in verdicts:
        copy_id, original_id = (
            (article_id, verdict.other_id)
            if verdict.new_is_copy
            else (verdict.other_id, article_id)
        )
        # Two articles of a pair are both rematched: the later one replaces what the first wrote.
        session.execute(
            delete(Match).where(Match.copy_id == original_id, Match.original_id == copy_id)
        )
        session.execute(
            insert(Match).values(
                copy_id=copy_id,
                original_id=original_id,
                kind=verdict.kind,
                score=verdict.score,
                copy_coverage=verdict.copy_coverage,
                original_coverage=verdict.original_coverage,
                spin_rate=verdict.spin_rate,
                credited=verdict.credited,
                direction_rule=verdict.direction_rule,
                evidence=verdict.evidence,
                method=verdict.method,
            )
        )
    # Pairs between two copies of one original say nothing the original does not.
    partners = {v.other_id for v in verdicts} | {article_id}
    rows = session.execute(
        select(Match.copy_id, Match.original_id, Match.score).where(
            Match.copy_id.in_(partners), Match.original_id.in_(partners)
        )
    ).all()
    for copy_id, original_id in redundant_pairs({(c, o): s for c, o, s in rows}):
        session.execute(
            delete(Match).where(Match.copy_id == copy_id, Match.original_id == original_id)
        )


def rematch(
    sessions: sessionmaker[Session],
    since: datetime | None = None,
    fingerprint: FingerprintConfig = FingerprintConfig(),
    match: MatchConfig = MatchConfig(),
    on_progress: Callable[[int, int], None] | None = None,
) -> RematchResult:
    """Refingerprint and rematch the articles first seen since ``since`` (all when None)."""
    from pipelines.match import METHOD_VERSION

    result = RematchResult()
    with sessions() as session:
        ids = _selected_ids(session, since)
        result.pairs_before = session.scalar(select(func.count()).select_from(Match)) or 0
        result.outdated_before = (
            session.scalar(
                select(func.count()).select_from(Match).where(Match.method != METHOD_VERSION)
            )
            or 0
        )
    # Pass 1: buckets of the current views, so pass 2 finds candidates the current way.
    for article_id in ids:
        with session_scope(sessions) as session:
            text = session.scalar(select(Article.text).where(Article.id == article_id))
            if text is None:
                continue
            print_ = fingerprint_text(text, fingerprint)
            session.execute(delete(LshBucket).where(LshBucket.article_id == article_id))
            if print_.buckets:
                session.execute(
                    insert(LshBucket),
                    [
                        {"bucket": bucket, "band": band, "article_id": article_id}
                        for bucket, band in {b: a for a, b in print_.buckets}.items()
                    ],
                )
    # Pass 2: match each one again and replace its pairs.
    for n, article_id in enumerate(ids, start=1):
        with session_scope(sessions) as session:
            row = session.execute(
                select(Article, Site).join(Site).where(Article.id == article_id)
            ).first()
            if row is None:
                continue
            article, site = row
            buckets = list(
                session.scalars(select(LshBucket.bucket).where(LshBucket.article_id == article_id))
            )
            view = view_of(article, site)
            # Matched as if new: the stored row itself must not be its own candidate.
            verdicts = [
                v for v in match_document(session, view, buckets, match) if v.other_id != article_id
            ]
            _replace_pairs(session, article_id, verdicts)
        result.articles += 1
        if on_progress is not None:
            on_progress(n, len(ids))
    with sessions() as session:
        result.pairs_after = session.scalar(select(func.count()).select_from(Match)) or 0
    return result
