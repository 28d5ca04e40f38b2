"""Pure parsers that turn robots.txt, sitemaps, feeds and HTML into URLs to crawl.

Nothing here imports Scrapy: every function takes bytes or text and returns plain data,
so the spider stays thin and the parsing is unit-testable on hand-written fixtures.

All XML is parsed with lxml configured not to resolve entities, load DTDs or touch the
network, and documents that *declare* entities are refused outright (the defusedxml
policy): sitemaps and feeds never need them, and they are how entity-expansion
("billion laughs") and external-entity (XXE) attacks work. Gzip bodies are decompressed
incrementally under a hard size cap so a small "zip bomb" cannot exhaust memory.
"""

from __future__ import annotations

import html as html_lib
import logging
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urljoin, urlsplit

import lxml.html
from lxml import etree

from copycat.urls import canonicalise, is_http_url

__all__ = [
    "MAX_DECOMPRESSED_BYTES",
    "MAX_ROBOTS_BYTES",
    "DiscoveryError",
    "FeedEntry",
    "Link",
    "Sitemap",
    "SitemapEntry",
    "feed_links_from_html",
    "is_pagination_link",
    "is_sitemap_or_feed",
    "looks_like_article_url",
    "page_links",
    "parse_date",
    "parse_feed",
    "parse_sitemap",
    "sitemap_urls_from_robots",
]

logger = logging.getLogger(__name__)

MAX_DECOMPRESSED_BYTES = 50 * 1024 * 1024
"""Largest sitemap/feed we accept after gzip decompression (the sitemaps.org limit)."""

MAX_ROBOTS_BYTES = 512 * 1024
"""Only this much of a robots.txt is read, like Google's parser does."""

_SNIFF_BYTES = 64 * 1024  # enough to reach the root element past any prolog
_GZIP_MAGIC = b"\x1f\x8b"
_GUNZIP_STEP = 1 << 20  # bytes of output per decompress() call
_MIN_DATE = datetime(1990, 1, 1, tzinfo=UTC)
_FUTURE_SLACK = timedelta(days=2)  # tolerate clock skew and time-zone mistakes, no more

_XML_NS = "http://www.w3.org/XML/1998/namespace"
_RDF_ABOUT = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about"
_IANA_REL_PREFIX = "http://www.iana.org/assignments/relation/"

# What lxml (and the codecs it calls) may raise on hostile bytes; all become DiscoveryError.
_LXML_ERRORS: tuple[type[Exception], ...] = (
    etree.LxmlError,
    ValueError,
    LookupError,
    UnicodeError,
)


class DiscoveryError(Exception):
    """A body could not be parsed as the sitemap or feed it was supposed to be."""


@dataclass(frozen=True, slots=True)
class SitemapEntry:
    """One ``<url>`` of a urlset, or one child ``<sitemap>`` of a sitemap index."""

    url: str
    lastmod: datetime | None = None
    news_title: str | None = None
    """``news:title`` of the Google News extension, if any."""
    news_published_at: datetime | None = None
    """``news:publication_date`` of the Google News extension, if any."""


@dataclass(frozen=True, slots=True)
class Sitemap:
    """A parsed sitemap: page URLs for a urlset, child sitemap URLs for an index."""

    kind: Literal["urlset", "index"]
    entries: list[SitemapEntry] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One RSS item or Atom entry that links to a page."""

    url: str
    title: str | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None
    source_url: str | None = None
    """Where the item says it came from (RSS ``<source url>``, Atom ``source/link``)."""
    source_name: str | None = None
    unreadable_dates: int = 0
    """Date elements present whose text is no date we can read (the page's own date, or the
    sitemap's, is used instead)."""


@dataclass(frozen=True, slots=True)
class Link:
    """A link found in an HTML page: canonical URL, collapsed anchor text, rel tokens."""

    url: str
    text: str = ""
    rel: frozenset[str] = frozenset()


# --------------------------------------------------------------------------- dates

_YEAR_MONTH_RE = re.compile(r"^(\d{4})(?:-(\d{1,2}))?$")
_SPACED_OFFSET_RE = re.compile(r"\s+(Z|[+-]\d{2}:?\d{2})$")
_UTC_NAME_RE = re.compile(r"\s*(?:UTC|GMT|UT)$")


def _parse_iso(text: str) -> datetime | None:
    """Parse ISO 8601 / W3C datetime, including the year and year-month forms."""
    if not text[:4].isdigit():
        return None
    match = _YEAR_MONTH_RE.match(text)
    if match:
        # W3C datetime allows "2024" and "2024-05"; datetime.fromisoformat does not.
        try:
            return datetime(int(match.group(1)), int(match.group(2) or 1), 1)
        except ValueError:
            return None
    candidate = text.upper()
    candidate = _UTC_NAME_RE.sub("+00:00", candidate)
    candidate = _SPACED_OFFSET_RE.sub(r"\1", candidate)
    try:
        return datetime.fromisoformat(candidate)
    except (ValueError, OverflowError):
        return None


def _parse_rfc822(text: str) -> datetime | None:
    """Parse an RFC 822/2822 date as found in RSS ``pubDate``."""
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError, AttributeError):
        # The email parser signals garbage in several ways across Python versions.
        return None


def parse_date(value: str | None, *, now: datetime | None = None) -> datetime | None:
    """Parse a feed or sitemap date into an aware UTC datetime, or None.

    Accepts RFC 822/2822 (RSS ``pubDate``) and ISO 8601 / W3C datetime (date only,
    with or without seconds or fractions, ``Z`` or numeric offsets). A date without a
    zone is taken as UTC. Dates before 1990 or more than two days after ``now``
    (default: the current time) are refused as bogus. Never raises.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 100:  # real dates are short; don't spend time on junk
        return None
    parsed = _parse_iso(text) or _parse_rfc822(text)
    if parsed is None:
        return None
    try:
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            parsed = parsed.replace(tzinfo=UTC)
        else:
            parsed = parsed.astimezone(UTC)
        current = now if now is not None else datetime.now(UTC)
        if current.tzinfo is None:
            current = current.replace(tzinfo=UTC)
        if parsed < _MIN_DATE or parsed > current + _FUTURE_SLACK:
            return None
    except (OverflowError, ValueError):  # offsets pushing year 1 or 9999 out of range
        return None
    return parsed


# --------------------------------------------------------------------------- XML plumbing


def _gunzip(body: bytes, limit: int, *, truncate: bool = False) -> bytes:
    """Decompress a (possibly multi-member) gzip body, never producing over ``limit`` bytes.

    With ``truncate`` the first ``limit`` bytes are returned instead of raising when the
    output is too large or the stream is damaged (used for sniffing only).
    """
    chunks: list[bytes] = []
    total = 0
    data = body
    while data.startswith(_GZIP_MAGIC):
        decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
        pending = data
        while not decomp.eof:
            try:
                # Small max_length steps bound memory: a bomb is stopped just past the
                # limit, and no single call preallocates a limit-sized buffer.
                chunk = decomp.decompress(pending, min(_GUNZIP_STEP, limit + 1 - total))
            except zlib.error as exc:
                if truncate:
                    return b"".join(chunks)
                raise DiscoveryError(f"corrupt gzip body: {exc}") from None
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                if truncate:
                    return b"".join(chunks)[:limit]
                raise DiscoveryError(f"gzip body decompresses to more than {limit} bytes; refused")
            pending = decomp.unconsumed_tail
            if not chunk and not pending:
                # Input ran out mid-stream (a cut-off download): keep what we have and
                # let the XML recovery salvage the complete elements.
                logger.debug("truncated gzip body; using the %d bytes decompressed", total)
                return b"".join(chunks)
        # Anything after the last member that isn't another member (padding) is ignored,
        # as gzip(1) does.
        data = decomp.unused_data
    return b"".join(chunks)


def _decompressed(body: bytes) -> bytes:
    """Return ``body`` gunzipped if it is gzip, enforcing the size cap either way."""
    if body.startswith(_GZIP_MAGIC):
        return _gunzip(body, MAX_DECOMPRESSED_BYTES)
    if len(body) > MAX_DECOMPRESSED_BYTES:
        raise DiscoveryError(f"body of {len(body)} bytes exceeds {MAX_DECOMPRESSED_BYTES}")
    return body


def _xml_parser(*, recover: bool) -> Any:
    """Build an lxml parser that resolves no entities and fetches nothing."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,  # keep libxml2's depth and node-size limits
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
        recover=recover,
    )


def _parse_xml(body: bytes, base_url: str, what: str) -> tuple[Any, Exception | None]:
    """Parse an XML body safely; return its root and the strict-parse error, if salvaged.

    A strictly invalid document is re-parsed with ``recover=True``; the caller decides
    whether what was salvaged is worth keeping.
    """
    if not isinstance(body, bytes | bytearray | memoryview):
        raise DiscoveryError(f"{what} body must be bytes, not {type(body).__name__}")
    data = _decompressed(bytes(body))
    if not data or data.isspace():
        raise DiscoveryError(f"empty {what} body from {base_url}")
    error: Exception | None = None
    try:
        root = etree.fromstring(data, _xml_parser(recover=False))
    except _LXML_ERRORS as exc:
        error = exc
        try:
            root = etree.fromstring(data, _xml_parser(recover=True))
        except _LXML_ERRORS:
            root = None
        if root is None:
            raise DiscoveryError(f"malformed XML in {what} from {base_url}: {exc}") from None
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise DiscoveryError(
            f"{what} from {base_url} declares XML entities; refused "
            "(entity expansion / external entity risk)"
        )
    return root, error


def _local(el: Any) -> str:
    """Return an element's local name, whatever its namespace or (unbound) prefix."""
    tag = el.tag
    if not isinstance(tag, str):  # comments, PIs, entity references
        return ""
    if tag.startswith("{"):
        return tag.rpartition("}")[2]
    # Recovery keeps an undeclared "news:news" as a literal tag name.
    return tag.rpartition(":")[2]


def _children(el: Any, name: str) -> Iterator[Any]:
    """Yield the direct children of ``el`` with local name ``name``."""
    for child in el:
        if _local(child) == name:
            yield child


def _child(el: Any, *names: str) -> Any:
    """Return the first direct child with one of ``names`` (tried in order), or None."""
    for name in names:
        for child in _children(el, name):
            return child
    return None


def _collect_text(node: Any, parts: list[str]) -> None:
    """Append the text under ``node`` to ``parts``, decoding leftover HTML entities."""
    if node.tag is etree.Entity:
        # Only undefined entities (e.g. &nbsp; kept by recovery) get here, since
        # documents declaring entities are refused; decode them as HTML would.
        parts.append(html_lib.unescape(node.text or ""))
        return
    if not isinstance(node.tag, str):
        return
    if node.text:
        parts.append(node.text)
    for child in node:
        _collect_text(child, parts)
        if child.tail:
            parts.append(child.tail)


def _text(el: Any) -> str | None:
    """Return the whitespace-collapsed text content of ``el``, or None if empty."""
    if el is None:
        return None
    parts: list[str] = []
    _collect_text(el, parts)
    text = " ".join("".join(parts).split())
    return text or None


def _resolve(raw: str | None, base: str) -> str | None:
    """Resolve a URL against ``base``; None unless the result is an http(s) URL."""
    if raw is None:
        return None
    # Drop wrapping whitespace and the tabs/newlines pretty-printers put inside <loc>.
    candidate = re.sub(r"[\t\r\n]", "", raw).strip()
    if not candidate:
        return None
    if candidate[:8].lower().startswith(("http://", "https://")):
        absolute = candidate  # the common case in sitemaps; urljoin is comparatively slow
    else:
        try:
            absolute = urljoin(base, candidate)
        except ValueError:
            return None
    return absolute if is_http_url(absolute) else None


def _xml_base(el: Any, base: str) -> str:
    """Apply an element's ``xml:base`` (common in Atom) to the inherited base URL."""
    value = el.get(f"{{{_XML_NS}}}base")
    if not value or not value.strip():
        return base
    try:
        return urljoin(base, value.strip())
    except ValueError:
        return base


# --------------------------------------------------------------------------- robots.txt

_SITEMAP_LINE_RE = re.compile(r"^\s*sitemap\s*:\s*(\S+)", re.IGNORECASE)


def sitemap_urls_from_robots(robots_txt: str | bytes, base_url: str) -> list[str]:
    """Return the ``Sitemap:`` URLs of a robots.txt, absolute, deduplicated, in order."""
    if isinstance(robots_txt, bytes | bytearray):
        text = bytes(robots_txt[:MAX_ROBOTS_BYTES]).decode("utf-8", "replace")
    else:
        text = robots_txt[:MAX_ROBOTS_BYTES]
    urls: list[str] = []
    seen: set[str] = set()
    for line in text.lstrip("\ufeff").splitlines():
        match = _SITEMAP_LINE_RE.match(line.split("#", 1)[0])
        if not match:
            continue
        url = _resolve(match.group(1), base_url)
        if url is not None and url not in seen:
            seen.add(url)
            urls.append(url)
    return urls


# --------------------------------------------------------------------------- sitemaps


def parse_sitemap(body: bytes, base_url: str, max_entries: int = 50_000) -> Sitemap:
    """Parse a sitemap (urlset or sitemap index, optionally gzipped) into entries.

    Understands ``loc``, ``lastmod`` and the Google News extension (``news:title``,
    ``news:publication_date``) under any namespace prefix. Relative locations are
    resolved against ``base_url``; non-http(s) ones are dropped; duplicates keep the
    first occurrence; at most ``max_entries`` entries are returned. Malformed XML is
    salvaged when possible.

    Raises:
        DiscoveryError: the body is not a sitemap, is malformed beyond salvage, declares
            XML entities, or decompresses to more than :data:`MAX_DECOMPRESSED_BYTES`.
    """
    root, error = _parse_xml(body, base_url, "sitemap")
    root_name = _local(root)
    kind: Literal["urlset", "index"]
    if root_name == "urlset":
        kind, item_name = "urlset", "url"
    elif root_name == "sitemapindex":
        kind, item_name = "index", "sitemap"
    else:
        raise DiscoveryError(f"not a sitemap: root element <{root_name}> in {base_url}")
    entries: list[SitemapEntry] = []
    seen: set[str] = set()
    for item in _children(root, item_name):
        if len(entries) >= max_entries:
            logger.info("sitemap %s: stopped at %d entries", base_url, max_entries)
            break
        url = _resolve(_text(_child(item, "loc")), base_url)
        if url is None or url in seen:
            continue
        seen.add(url)
        news_title = news_published_at = None
        news = _child(item, "news") if kind == "urlset" else None
        if news is not None:
            news_title = _text(_child(news, "title"))
            news_published_at = parse_date(_text(_child(news, "publication_date")))
        entries.append(
            SitemapEntry(
                url=url,
                lastmod=parse_date(_text(_child(item, "lastmod"))),
                news_title=news_title,
                news_published_at=news_published_at,
            )
        )
    if error is not None:
        if not entries:
            raise DiscoveryError(f"malformed sitemap XML from {base_url}: {error}")
        logger.info(
            "sitemap %s is malformed (%s); salvaged %d entries", base_url, error, len(entries)
        )
    return Sitemap(kind=kind, entries=entries)


# --------------------------------------------------------------------------- feeds

_HTML_TAG_RE = re.compile(r"<[^>]*>")


def _rss_items(root: Any) -> Iterator[Any]:
    """Yield RSS 2.0 / RSS 1.0 items: under ``channel`` (2.0) or beside it (1.0/RDF)."""
    for child in root:
        name = _local(child)
        if name == "item":
            yield child
        elif name == "channel":
            yield from _children(child, "item")


def _rss_entry(item: Any, base: str) -> FeedEntry | None:
    """Build a FeedEntry from an RSS item, or None if it has no usable link."""
    base = _xml_base(item, base)
    candidates: list[str | None] = []
    # FeedBurner rewrites <link> to its own redirector and keeps the publisher's URL here.
    candidates.append(_text(_child(item, "origLink")))
    for link in _children(item, "link"):
        if link.get("href") is not None:  # an atom:link inside an RSS item
            rel = (link.get("rel") or "alternate").strip().lower()
            if rel == "alternate":
                candidates.append(link.get("href"))
        else:
            candidates.append(_text(link))
    guid = _child(item, "guid")
    if guid is not None and (guid.get("isPermaLink") or "true").strip().lower() != "false":
        candidates.append(_text(guid))
    candidates.append(item.get(_RDF_ABOUT))  # RSS 1.0 items are identified by their URL
    url = next((u for u in (_resolve(c, base) for c in candidates) if u), None)
    if url is None:
        return None
    source = _child(item, "source")
    return FeedEntry(
        url=url,
        title=_text(_child(item, "title")),
        published_at=_first_date(item, "pubDate", "date", "published", "issued"),
        updated_at=_first_date(item, "updated", "modified"),
        unreadable_dates=_unreadable_dates(
            item, "pubDate", "date", "published", "issued", "updated", "modified"
        ),
        source_url=_resolve(source.get("url"), base) if source is not None else None,
        source_name=_text(source),
    )


def _first_date(el: Any, *names: str) -> datetime | None:
    """Return the first parseable date among the children named ``names``, in order."""
    for name in names:
        for child in _children(el, name):
            parsed = parse_date(_text(child))
            if parsed is not None:
                return parsed
    return None


def _unreadable_dates(el: Any, *names: str) -> int:
    """Count the children named ``names`` that hold text but no date we can read."""
    return sum(
        1
        for name in names
        for child in _children(el, name)
        if (_text(child) or "").strip() and parse_date(_text(child)) is None
    )


def _atom_link(el: Any, base: str) -> str | None:
    """Return the ``rel=alternate`` (or rel-less) link of an Atom element, HTML preferred."""
    fallback: str | None = None
    for link in _children(el, "link"):
        rel = (link.get("rel") or "alternate").strip().lower()
        rel = rel.removeprefix(_IANA_REL_PREFIX)
        if rel != "alternate":
            continue
        href = _resolve(link.get("href"), _xml_base(link, base))
        if href is None:
            continue
        mime = (link.get("type") or "").split(";", 1)[0].strip().lower()
        if mime in ("", "text/html", "application/xhtml+xml"):
            return href
        fallback = fallback or href
    return fallback


def _atom_text(el: Any) -> str | None:
    """Return an Atom text construct as plain text (tags of ``type="html"`` stripped)."""
    text = _text(el)
    if text is not None and (el.get("type") or "").strip().lower() == "html":
        text = " ".join(html_lib.unescape(_HTML_TAG_RE.sub(" ", text)).split()) or None
    return text


def _atom_entry(entry: Any, base: str) -> FeedEntry | None:
    """Build a FeedEntry from an Atom entry, or None if it has no usable link."""
    base = _xml_base(entry, base)
    url = _atom_link(entry, base) or _resolve(_text(_child(entry, "id")), base)
    if url is None:
        return None
    source = _child(entry, "source")
    source_url = source_name = None
    if source is not None:
        source_base = _xml_base(source, base)
        source_url = _atom_link(source, source_base) or _resolve(
            _text(_child(source, "id")), source_base
        )
        source_name = _atom_text(_child(source, "title"))
    return FeedEntry(
        url=url,
        title=_atom_text(_child(entry, "title")),
        # "issued"/"modified" are the Atom 0.3 names, still served by old CMSes.
        published_at=_first_date(entry, "published", "issued"),
        updated_at=_first_date(entry, "updated", "modified"),
        unreadable_dates=_unreadable_dates(entry, "published", "issued", "updated", "modified"),
        source_url=source_url,
        source_name=source_name,
    )


def parse_feed(body: bytes, base_url: str, max_entries: int = 10_000) -> list[FeedEntry]:
    """Parse an RSS 2.0, RSS 1.0 (RDF) or Atom feed (optionally gzipped) into entries.

    Entries without an http(s) link are skipped, relative links are resolved against
    ``base_url`` (and Atom ``xml:base``), duplicates keep the first occurrence and at
    most ``max_entries`` entries are returned. Malformed XML is salvaged when possible.

    Raises:
        DiscoveryError: unknown root element, malformed beyond salvage, declares XML
            entities, or decompresses to more than :data:`MAX_DECOMPRESSED_BYTES`.
    """
    root, error = _parse_xml(body, base_url, "feed")
    root_name = _local(root)
    base = _xml_base(root, base_url)
    items: Iterator[tuple[Any, bool]]
    if root_name in ("rss", "RDF"):
        items = ((item, False) for item in _rss_items(root))
    elif root_name == "feed":
        items = ((entry, True) for entry in _children(root, "entry"))
    else:
        raise DiscoveryError(f"not a feed: root element <{root_name}> in {base_url}")
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    for el, is_atom in items:
        if len(entries) >= max_entries:
            logger.info("feed %s: stopped at %d entries", base_url, max_entries)
            break
        entry = _atom_entry(el, base) if is_atom else _rss_entry(el, base)
        if entry is None or entry.url in seen:
            continue
        seen.add(entry.url)
        entries.append(entry)
    if error is not None:
        if not entries:
            raise DiscoveryError(f"malformed feed XML from {base_url}: {error}")
        logger.info("feed %s is malformed (%s); salvaged %d entries", base_url, error, len(entries))
    return entries


# --------------------------------------------------------------------------- sniffing

_SITEMAP_ROOTS = frozenset({"urlset", "sitemapindex"})
_FEED_ROOTS = frozenset({"rss", "RDF", "feed"})


def is_sitemap_or_feed(body: bytes) -> Literal["sitemap", "feed"] | None:
    """Tell from its root element whether a body is a sitemap, a feed, or neither.

    Only the first few KiB are looked at (after gunzipping, if gzip). Never raises.
    """
    if not isinstance(body, bytes | bytearray | memoryview):
        return None
    if bytes(body[:2]) == _GZIP_MAGIC:
        head = _gunzip(bytes(body), _SNIFF_BYTES, truncate=True)
    else:
        head = bytes(body[:_SNIFF_BYTES])
    parser = etree.XMLPullParser(
        events=("start",),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        recover=True,
    )
    root_name = ""
    try:
        parser.feed(head)
        for _event, el in parser.read_events():
            root_name = _local(el)
            break
    except _LXML_ERRORS:
        return None
    if root_name in _SITEMAP_ROOTS:
        return "sitemap"
    if root_name in _FEED_ROOTS:
        return "feed"
    return None


# --------------------------------------------------------------------------- HTML

_FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+xml",
        "application/rdf+xml",
    }
)


def _parse_html(markup: str) -> Any:
    """Parse (possibly broken) HTML text into an lxml document, or None if empty."""
    if not isinstance(markup, str) or not markup.strip():
        return None
    # lxml refuses str input carrying an XML encoding declaration, so hand it UTF-8
    # bytes and say so explicitly (which also overrides any <meta charset>).
    data = markup.encode("utf-8", "replace")
    parser = lxml.html.HTMLParser(encoding="utf-8", no_network=True, remove_comments=True)
    try:
        return lxml.html.document_fromstring(data, parser=parser)
    except _LXML_ERRORS:
        return None


def _document_base(doc: Any, base_url: str) -> str:
    """Return the base URL links resolve against: the first ``<base href>``, if valid."""
    for base_el in doc.iter("base"):
        href = base_el.get("href")
        if href is None:
            continue
        resolved = _resolve(href, base_url)
        return resolved or base_url
    return base_url


def _rel_tokens(value: str | None) -> frozenset[str]:
    """Split a ``rel`` attribute into lowercase tokens."""
    return frozenset(value.lower().split()) if value else frozenset()


def _collapse(text: str | None) -> str:
    """Collapse runs of whitespace to single spaces and trim."""
    return " ".join(text.split()) if text else ""


def feed_links_from_html(html: str, base_url: str) -> list[str]:
    """Return the feeds a page advertises via ``<link rel="alternate" type=…>``.

    RSS, Atom, "feed+xml" and RDF types are recognised; hrefs are made absolute
    (honouring ``<base href>``), non-http(s) ones dropped, duplicates removed.
    """
    doc = _parse_html(html)
    if doc is None:
        return []
    base = _document_base(doc, base_url)
    urls: list[str] = []
    seen: set[str] = set()
    for link in doc.iter("link"):
        if "alternate" not in _rel_tokens(link.get("rel")):
            continue
        mime = (link.get("type") or "").split(";", 1)[0].strip().lower()
        if mime not in _FEED_TYPES:
            continue
        url = _resolve(link.get("href"), base)
        if url is not None and url not in seen:
            seen.add(url)
            urls.append(url)
    return urls


def _anchor_text(el: Any) -> str:
    """Return a link's visible text, falling back to labels for icon-only links."""
    text = _collapse(el.text_content()) if el.tag == "a" else ""
    if text:
        return text
    for attr in ("aria-label", "title"):
        text = _collapse(el.get(attr))
        if text:
            return text
    for img in el.iter("img"):
        text = _collapse(img.get("alt"))
        if text:
            return text
    return ""


def page_links(html: str, base_url: str) -> list[Link]:
    """Return the links of a page: every ``<a href>`` plus ``<link rel="next">``.

    URLs are resolved (honouring ``<base href>``) and canonicalised with
    :func:`copycat.urls.canonicalise`; non-http(s) targets (mailto:, javascript:, tel:
    …) and same-page ``#anchors`` are dropped; duplicates keep the first occurrence.
    """
    doc = _parse_html(html)
    if doc is None:
        return []
    base = _document_base(doc, base_url)
    links: list[Link] = []
    seen: set[str] = set()
    for el in doc.iter("a", "link"):
        href = el.get("href")
        if href is None:
            continue
        rel = _rel_tokens(el.get("rel"))
        if el.tag == "link" and "next" not in rel:
            continue  # stylesheets, icons, feeds … are not pages to visit
        href = href.strip()
        if not href or href.startswith("#"):
            continue
        try:
            url = canonicalise(href, base)
        except ValueError:
            continue
        if url in seen:
            continue
        seen.add(url)
        links.append(Link(url=url, text=_anchor_text(el), rel=rel))
    return links


# --------------------------------------------------------------------------- URL heuristics

_STATIC_EXTENSIONS = frozenset(
    {
        "jpg", "jpeg", "png", "gif", "webp", "avif", "svg", "ico", "bmp", "tif", "tiff",
        "css", "js", "mjs", "map", "json", "xml", "rss", "atom", "txt", "csv",
        "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "epub",
        "zip", "gz", "tgz", "tar", "rar", "7z", "bz2", "xz", "exe", "dmg", "apk", "msi",
        "mp3", "mp4", "m4a", "m4v", "wav", "ogg", "webm", "avi", "mov", "mkv", "flv",
        "woff", "woff2", "ttf", "otf", "eot",
    }
)  # fmt: skip
_PAGE_EXTENSIONS = (".html", ".htm", ".shtml", ".php", ".asp", ".aspx", ".jsp")
# Path segments that mark listings, accounts and boilerplate pages rather than articles.
_NON_ARTICLE_SEGMENTS = frozenset(
    {
        "tag", "tags", "category", "categories", "author", "authors", "topic", "topics",
        "search", "feed", "feeds", "rss", "atom", "wp-admin", "wp-login", "wp-login.php",
        "wp-json", "wp-content", "wp-includes", "xmlrpc.php", "cdn-cgi",
        "login", "logout", "signin", "sign-in", "signup", "sign-up", "register", "account",
        "subscribe", "newsletter", "cart", "checkout",
        "about", "about-us", "contact", "contact-us", "privacy", "privacy-policy",
        "terms", "terms-of-service", "terms-of-use", "terms-and-conditions",
        "cookies", "cookie-policy", "imprint", "impressum", "legal", "sitemap",
    }
)  # fmt: skip
_PAGINATION_QUERY_KEYS = frozenset({"page", "paged", "pg"})
_NON_ARTICLE_QUERY_KEYS = frozenset({"s", "q", "search", "replytocom"})
_COMMENT_FRAGMENT_RE = re.compile(
    r"^(?:comments?|respond|reply|disqus_thread|comment-\d+|comments-\d+|li-comment-\d+)$",
    re.IGNORECASE,
)
_PAGE_SEGMENT_RE = re.compile(r"(?:^|/)page/\d+(?:/|$)", re.IGNORECASE)
# /2024/05/17/slug or /2024/05/slug; the final segment must not be a bare day number,
# otherwise the day archive /2024/05/17/ would count as an article.
_DATE_PATH_RE = re.compile(
    r"/(?:19|20)\d{2}/(?:0?[1-9]|1[0-2])/(?:(?:0?[1-9]|[12]\d|3[01])/)?(?!\d{1,2}(?:/|$))[^/]+"
)
# A compact date segment followed by more path, or prefixing a slug: /20240517/x, /2024-05-17-x
_COMPACT_DATE_RE = re.compile(
    r"/(?:19|20)\d{2}-?(?:0[1-9]|1[0-2])-?(?:0[1-9]|[12]\d|3[01])(?:/[^/]+|[-_][^/]*[^\W\d_])"
)
_ID_SLUG_RE = re.compile(r"^\d{5,}[-_][\w-]*[^\W\d_]")
_SLUG_ID_RE = re.compile(r"^[^\W\d_][\w-]*-\d{5,}$")


def _is_slug(segment: str, min_words: int) -> bool:
    """Tell whether a path segment is a hyphenated slug of at least ``min_words`` words."""
    words = [w for w in segment.split("-") if w]
    if len(words) < min_words or not all(w.replace("_", "").isalnum() for w in words):
        return False
    # At least two words with letters, so "2024-05-17" is not mistaken for a slug.
    return sum(any(c.isalpha() for c in w) for w in words) >= 2


def _strip_page_extension(segment: str) -> str:
    """Drop a trailing .html/.php/… so the slug itself can be examined."""
    lowered = segment.lower()
    for ext in _PAGE_EXTENSIONS:
        if lowered.endswith(ext):
            return segment[: -len(ext)]
    return segment


def looks_like_article_url(url: str) -> bool:
    """Guess from its shape alone whether a URL is an article rather than a listing.

    Positive signals: a date in the path (``/2024/05/17/slug``), a last segment that
    is a slug of three or more hyphenated words (optionally ``.html``/``.htm``/
    ``.php``), or a numeric id next to a slug. Listings (``/tag/``, ``/category/``,
    ``/author/``, ``/page/2``, ``?page=2``), utility pages (login, about, contact,
    privacy, terms, search, feeds, wp-admin), static files and comment anchors are
    rejected first.
    """
    if not is_http_url(url):
        return False
    parts = urlsplit(url.strip())
    if _COMMENT_FRAGMENT_RE.match(parts.fragment):
        return False
    path = unquote(parts.path)
    segments = [s for s in path.split("/") if s]
    if not segments:
        return False
    lowered = [s.lower() for s in segments]
    if any(s in _NON_ARTICLE_SEGMENTS for s in lowered) or _PAGE_SEGMENT_RE.search(path):
        return False
    last = lowered[-1]
    if "." in last and last.rsplit(".", 1)[1] in _STATIC_EXTENSIONS:
        return False
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        key = key.lower()
        if key in _NON_ARTICLE_QUERY_KEYS or (key in _PAGINATION_QUERY_KEYS and value.isdigit()):
            return False
    if _DATE_PATH_RE.search(path) or _COMPACT_DATE_RE.search(path):
        return True
    last_slug = _strip_page_extension(lowered[-1])
    if _is_slug(last_slug, 3):
        return True
    tail = [_strip_page_extension(s) for s in lowered[-2:]]
    if any(_ID_SLUG_RE.match(s) or _SLUG_ID_RE.match(s) for s in tail):
        return True
    # /news/123456/some-title or /news/some-title/123456
    if len(tail) == 2:
        first, second = tail
        for num, other in ((first, second), (second, first)):
            if num.isdigit() and len(num) >= 5 and "-" in other and _is_slug(other, 2):
                return True
    return False


_PAGINATION_WORDS = frozenset(
    {
        "next", "next page", "next posts", "older", "older posts", "older entries",
        "older articles", "older stories", "previous", "prev", "previous page",
        "newer", "newer posts", "newer entries", "more posts", "more articles",
        # a few common non-English labels
        "suivant", "page suivante", "weiter", "nächste", "nächste seite", "siguiente",
        "próximo", "próxima", "successivo", "avanti", "volgende", "następna", "další",
    }
)  # fmt: skip
# Guillemets, single angle quotes and arrows people use as "next"/"previous" labels.
_ARROW_CHARS = "\u00ab\u00bb\u2039\u203a<>\u2190\u2192\u27e8\u27e9\u21d0\u21d2"
_PAGE_NUMBER_TEXT_RE = re.compile(r"^(?:page\s*)?\d{1,4}$")


def is_pagination_link(link: Link) -> bool:
    """Tell whether a link leads to another page of a listing rather than to content.

    Signals: ``rel`` next/prev, a ``/page/N`` path, a ``?page=N``/``?paged=N`` query,
    or anchor text such as "Next", "Older posts", "»" or a bare page number.
    """
    if link.rel & {"next", "prev", "previous"}:
        return True
    try:
        parts = urlsplit(link.url)
    except ValueError:
        return False
    if _PAGE_SEGMENT_RE.search(parts.path):
        return True
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key.lower() in _PAGINATION_QUERY_KEYS and value.isdigit():
            return True
    text = _collapse(link.text).lower()
    if not text:
        return False
    if _PAGE_NUMBER_TEXT_RE.match(text):
        return True
    core = text.strip(_ARROW_CHARS + " .:|-\u2013\u2014")  # and en/em dashes
    if not core:
        # Only arrows or guillemets (e.g. ">>"), but not a lone "..." or "|".
        return any(c in _ARROW_CHARS for c in text)
    return core in _PAGINATION_WORDS
