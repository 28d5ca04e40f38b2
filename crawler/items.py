"""The item that carries one fetched (or ingested) page through the pipelines.

A plain dataclass, so the pipelines and `copycat ingest` use it without Scrapy; Scrapy
handles dataclass items through itemadapter. Each stage fills in its own field:
extract → ``article``, fingerprint → ``fingerprint``, match → ``matches`` (and
``alignment_profile``, when matching profiled the text).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the stage modules import this one; avoid the cycle at run time
    from pipelines.extract import ExtractedArticle
    from pipelines.fingerprint import Fingerprint
    from pipelines.match import MatchVerdict


@dataclass
class ArticleItem:
    """One page on its way from the spider (or an ingest file) to the database."""

    url: str
    """The URL the page was fetched from (after redirects), or the ingest record's ``url``."""
    site: str
    """Origin of the registered site it belongs to: ``scheme://host[:port]``."""
    fetched_at: datetime
    """When we fetched (first saw) it, timezone-aware UTC."""
    html: str | None = None
    text: str | None = None
    """Body text given directly (ingest of ``text`` records); skips HTML extraction."""
    content_type: str | None = None
    discovered_via: str = "links"
    """How the URL was found: ``sitemap``, ``feed``, ``links`` or ``ingest``."""
    title_hint: str | None = None
    """Title from a feed entry, a Google News sitemap or the ingest record."""
    feed_published_at: datetime | None = None
    sitemap_published_at: datetime | None = None
    input_published_at: datetime | None = None
    """``published_at`` given by an ingest record."""
    source_url_hint: str | None = None
    """An RSS ``<source url=…>`` credit attached to the entry that led us here."""
    extra: dict[str, Any] = field(default_factory=dict)

    article: ExtractedArticle | None = None
    fingerprint: Fingerprint | None = None
    matches: list[MatchVerdict] = field(default_factory=list)
    alignment_profile: bytes | None = None
    """The text's serialised alignment profile (``pipelines.align``), stored with it so that
    no other process has to profile it again."""
