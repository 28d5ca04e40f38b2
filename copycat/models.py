"""The SQLAlchemy 2 typed models: sites, articles, the LSH band index, matches and crawl runs.

The schema itself is created and changed only by Alembic revisions (``migrations/``); these
classes describe it for the application and for Alembic's autogenerate.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Constraint names that are stable across databases, so migrations can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SITE_ROLES = ("source", "copycat", "unknown")


def utcnow() -> datetime:
    """Return the current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite keeps no zone and returns naive values; PostgreSQL returns aware ones. Both come
    back as aware UTC so comparisons between articles never mix the two.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base carrying the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class Site(Base):
    """A registered site, identified by its origin (scheme, host, port)."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    origin: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="unknown")
    feeds: Mapped[list[Any]] = mapped_column(default=list)
    sitemaps: Mapped[list[Any]] = mapped_column(default=list)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    articles: Mapped[list[Article]] = relationship(back_populates="site")


class Article(Base):
    """One article, keyed by its canonical URL, with its text and fingerprints."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    fetched_url: Mapped[str] = mapped_column(String(2048), index=True)
    canonical_url: Mapped[str | None] = mapped_column(String(2048))
    title: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(512))
    language: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    word_count: Mapped[int] = mapped_column(Integer)
    text_hash: Mapped[bytes] = mapped_column(LargeBinary(16), index=True)
    minhash: Mapped[bytes] = mapped_column(LargeBinary)
    published_at: Mapped[datetime | None]
    published_source: Mapped[str | None] = mapped_column(String(32))
    page_published_at: Mapped[datetime | None]
    first_seen_at: Mapped[datetime]
    fetched_at: Mapped[datetime]
    discovered_via: Mapped[str] = mapped_column(String(16))
    source_url_hint: Mapped[str | None] = mapped_column(String(2048))
    links: Mapped[list[Any]] = mapped_column(default=list)

    site: Mapped[Site] = relationship(back_populates="articles")


EPOCH_ARTICLES = 8192
"""Articles a band-index epoch takes: a new article's rows go to epoch ``id // EPOCH_ARTICLES``."""


class LshBucket(Base):
    """One LSH band of one article's MinHash: the band number is folded into ``bucket``.

    The primary key (epoch, bucket, article_id) is the lookup index. Rows are written into
    the newest epoch, so an article's ~80 rows land in a part of the B-tree no larger than one
    epoch's, whatever the archive's size: that is what keeps writing them (and writing their
    pages back at a checkpoint) flat as the archive grows. Older epochs are sealed behind a
    Bloom filter (:class:`BandFilter`), so a lookup searches the open epoch by index and a
    sealed one only for the buckets its filter may hold (``pipelines.epochs``). On SQLite the
    table is that index (WITHOUT ROWID): the rows are not kept a second time in a rowid table.
    """

    __tablename__ = "lsh_buckets"
    __table_args__ = {"sqlite_with_rowid": False}

    epoch: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    band: Mapped[int] = mapped_column(SmallInteger)


class BandFilter(Base):
    """The Bloom filter of a sealed band-index epoch's buckets (``pipelines.bloom``).

    An epoch is sealed once a newer one takes the new rows; rows written to it later (a
    writer that raced the seal) are moved to an open epoch by that writer, so a sealed
    epoch's rows are all in its filter. ``token`` tells a process's cached copy from a
    filter built again (a database replaced by another with as many epochs).
    """

    __tablename__ = "band_filters"

    epoch: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(String(32))
    rows: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    sealed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ArticleProfile(Base):
    """An article's alignment profile, serialised (``pipelines.align.profile_bytes``).

    Stored when matching profiled the text anyway, so that other processes (a crawl's
    workers, later runs, queries) load it instead of profiling the text again. Its bytes
    carry their format version and the text's checksum: a stale row is never used.
    """

    __tablename__ = "article_profiles"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Match(Base):
    """A (copy, original) pair with its score and evidence."""

    __tablename__ = "matches"
    __table_args__ = (UniqueConstraint("copy_id", "original_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    copy_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    original_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    score: Mapped[float] = mapped_column(Float)
    copy_coverage: Mapped[float] = mapped_column(Float)
    original_coverage: Mapped[float] = mapped_column(Float)
    spin_rate: Mapped[float] = mapped_column(Float)
    credited: Mapped[bool]
    direction_rule: Mapped[str] = mapped_column(String(32))
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    method: Mapped[str] = mapped_column(String(32))
    found_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    copy: Mapped[Article] = relationship(foreign_keys=[copy_id])
    original: Mapped[Article] = relationship(foreign_keys=[original_id])


class DroppedPage(Base):
    """A fetched page that was not an article (too short, not HTML…), so it is not fetched again."""

    __tablename__ = "dropped_pages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    reason: Mapped[str] = mapped_column(String(32))
    dropped_at: Mapped[datetime] = mapped_column(default=utcnow)


class CrawlRun(Base):
    """One run of the crawler: when, which sites, and its counters."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")
    sites: Mapped[list[Any]] = mapped_column(default=list)
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Who runs it (host:pid:token) and when it last said so: a "running" run whose owner died
    # (kill -9, power cut) is marked "interrupted" by the next run.
    owner: Mapped[str | None] = mapped_column(String(255))
    heartbeat_at: Mapped[datetime | None]


Index("ix_articles_published_at", Article.published_at)


class ArticleVersion(Base):
    """An earlier text of an article, kept when a re-fetch found the page changed."""

    __tablename__ = "article_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    word_count: Mapped[int] = mapped_column(Integer)
    text_hash: Mapped[bytes] = mapped_column(LargeBinary(16))
    fetched_at: Mapped[datetime]
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow)


class HttpValidator(Base):
    """The ETag / Last-Modified a listing URL (feed, sitemap, home page) last answered with."""

    __tablename__ = "http_validators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    """``xml`` (feed or sitemap: read again every run), ``page`` or ``robots``."""
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)


class SiteLock(Base):
    """Which crawler process is crawling a site now; a lock whose owner stopped beating expires."""

    __tablename__ = "site_locks"

    origin: Mapped[str] = mapped_column(String(255), primary_key=True)
    owner: Mapped[str] = mapped_column(String(255))
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
