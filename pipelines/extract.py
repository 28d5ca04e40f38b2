"""Extract stage: turn a fetched page (or an ingested text record) into an ``ExtractedArticle``.

The pure functions (``extract_page``, ``extract_text_record``, ``choose_published``) do not
depend on Scrapy, so ``copycat ingest`` and the benchmark use them directly; only
``ExtractPipeline`` speaks Scrapy (settings, stats, ``DropItem``).

Cost: trafilatura is the expensive part. The page is parsed once, by ``trafilatura.load_html``
(so the tree is exactly the one trafilatura would build itself); our own metadata (canonical,
language, JSON-LD, dates, links) is read from that tree, and the same tree is handed to
``trafilatura.bare_extraction``, which works on its own copy instead of reparsing. Only the
body comes from trafilatura (in its fast mode); title, author and dates are read by us, and
htmldate's search runs only for a page that states no date anywhere we look first.
"""

from __future__ import annotations

import codecs
import json
import logging
import os
import re
import unicodedata
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urljoin, urlsplit, urlunsplit

import trafilatura
from htmldate import find_date
from lxml.html import HtmlElement
from scrapy.exceptions import DropItem
from trafilatura.metadata import extract_title
from trafilatura.settings import Document

from pipelines.fingerprint import Fingerprint, FingerprintConfig, fingerprint_text
from pipelines.stats import Timing, add_timing, clock, count, since, timed
from pipelines.workers import BrokenProcessPool, WorkerPool, crawl_pool

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

    from crawler.items import ArticleItem

__all__ = [
    "DEFAULT_MIN_CHARS",
    "MAX_HTML_CHARS",
    "MAX_LINKS",
    "MAX_TEXT_CHARS",
    "ExtractPipeline",
    "ExtractedArticle",
    "NotAnArticle",
    "OutboundLink",
    "PageDate",
    "PageExtraction",
    "choose_published",
    "default_workers",
    "extract_page",
    "extract_text_record",
]

DEFAULT_MIN_CHARS = 500
MAX_HTML_CHARS = 6_000_000
"""Larger pages are not articles (``too_large``): even bloated news pages stay well below,
while trafilatura needs about a second and 30 MB per megabyte of HTML, so a hostile 20 MB page
would hold an extraction worker for many seconds and hundreds of megabytes."""
MAX_TEXT_CHARS = 1_000_000
"""Longer body texts are not articles (``too_long``): a long feature is under 100 K characters
and a day's live blog a few hundred K, while aligning two texts costs the product of their
sentence counts: two texts of 1 M characters take ~2 s a pair (3 M: 20 s), so a hostile page's
longer text must not reach the match stage."""
logger = logging.getLogger(__name__)

UNDECODABLE_MIN_CHARS = 3
"""Replacement characters in a body text that show its charset was wrong."""
MAX_LINKS = 500
"""Cap on ``links``: a page with thousands of links is a hub, not an article, and the
matcher only needs the few that credit a source."""


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class OutboundLink:
    """A link from the page to another site, with its whitespace-collapsed anchor text."""

    url: str
    text: str


@dataclass(frozen=True, slots=True)
class PageExtraction:
    """What one page (or text record) says about itself, before the date choice."""

    text: str
    """Body text, one paragraph per line (``"\\n"``-separated), boilerplate removed."""
    title: str | None
    author: str | None
    language: str | None
    """Two-letter lowercase code, e.g. ``"en"``."""
    canonical_url: str | None
    """Absolute http(s) URL from ``<link rel=canonical>`` or ``og:url``."""
    page_published_at: datetime | None
    """The publication date the page claims, timezone-aware UTC."""
    page_published_source: str | None
    """Where that date came from: ``json-ld``, ``meta``, ``time-element`` or ``htmldate``."""
    links: tuple[OutboundLink, ...]
    """Links to other sites, from the whole page (a copy's "Source link" is often outside
    the body), deduplicated, at most ``MAX_LINKS``."""
    anomalies: tuple[str, ...] = ()
    """What was wrong with the page but did not stop extraction (``json_ld_invalid``,
    ``undecodable_text``): counted in the crawl stats, so a site's bad markup shows up."""


@dataclass(frozen=True, slots=True)
class ExtractedArticle:
    """The extract stage's result, stored on ``ArticleItem.article``."""

    text: str
    title: str | None
    author: str | None
    language: str | None
    canonical_url: str | None
    page_published_at: datetime | None
    page_published_source: str | None
    published_at: datetime | None
    """The chosen publication date (see ``choose_published``)."""
    published_source: str | None
    """``input``, ``feed``, ``sitemap`` or the page's own source name."""
    first_seen_at: datetime
    links: tuple[OutboundLink, ...]

    @classmethod
    def from_page(
        cls,
        page: PageExtraction,
        *,
        first_seen_at: datetime,
        published_at: datetime | None,
        published_source: str | None,
    ) -> Self:
        """Build the stored article from a page extraction plus the chosen date."""
        return cls(
            text=page.text,
            title=page.title,
            author=page.author,
            language=page.language,
            canonical_url=page.canonical_url,
            page_published_at=page.page_published_at,
            page_published_source=page.page_published_source,
            published_at=published_at,
            published_source=published_source,
            first_seen_at=first_seen_at,
            links=page.links,
        )


class NotAnArticle(Exception):
    """The input is not an article we can use; ``reason`` is a short machine-friendly tag."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


# --------------------------------------------------------------------------- text


# whitespace other than the newline, including NBSP and the other Unicode spaces
_INLINE_WS = re.compile(r"[^\S\n]+")
# invisible characters that only get in the way of matching
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")

# Whole lines that copy sites and feed plugins append to a post. They are removed only
# from the end of the body, where they are footers; the same words mid-text are content.
_TRAILING_BOILERPLATE = re.compile(
    r"""^(?:
        source(?:\s+link)?s?
      | original\s+source
      | via
      | read\s+more(?:\s+here|\s+at\s+.{1,120})?
      | continue\s+reading.{0,200}
      | read\s+the\s+(?:full|original|rest\s+of\s+the)\s+(?:article|story|post).{0,200}
      | the\s+post\s+.{1,300}\s+appeared\s+first\s+on\s+.{1,200}
      | this\s+(?:article|post|story)\s+(?:was\s+)?(?:originally\s+)?(?:appeared|published)
        \s+(?:first\s+)?(?:on|in|at)\s+.{1,200}
      | originally\s+(?:published|posted|appeared)\s+(?:on|in|at)\s+.{1,200}
      | like\s+this
      | like\s+loading
      | share\s+this(?:\s+(?:article|story|post))?
      | related(?:\s+(?:posts|articles|stories|news))?
      | you\s+(?:may|might)\s+also\s+like
      | advertisement
    )[\s:.…!]*$""",
    re.IGNORECASE | re.VERBOSE,
)


def _clean_line(line: str) -> str:
    """Collapse the whitespace of one paragraph and drop invisible characters."""
    return _INLINE_WS.sub(" ", _INVISIBLE.sub("", line)).strip()


def _collapse(text: str) -> str:
    """Collapse all whitespace, newlines included, to single spaces (for one-line values)."""
    return " ".join(_INVISIBLE.sub("", text).split())


def _strip_trailing_boilerplate(paragraphs: list[str]) -> list[str]:
    """Drop footer lines ("Source link", "The post … appeared first on …") from the end."""
    end = len(paragraphs)
    while (
        end and len(paragraphs[end - 1]) <= 400 and _TRAILING_BOILERPLATE.match(paragraphs[end - 1])
    ):
        end -= 1
    return paragraphs[:end]


def _normalise_extracted(text: str) -> str:
    """Normalise extractor output: one clean paragraph per line, footers removed."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    paragraphs = [p for p in (_clean_line(line) for line in text.split("\n")) if p]
    return "\n".join(_strip_trailing_boilerplate(paragraphs))


_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")


def _drop_leading_title(text: str, title: str | None) -> str:
    """Remove the headline when the body starts with it: it is stored as ``title``, and a
    copy that restyles its header would otherwise differ from the original in the body."""
    if not title:
        return text
    first, _, rest = text.partition("\n")
    return rest if first.casefold() == title.casefold() else text


def _normalise_plain(text: str) -> str:
    """Normalise a plain-text record into one paragraph per line.

    With blank lines present they separate paragraphs and single newlines are hard wraps
    (joined with a space); without any, every line is its own paragraph.
    """
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    if _BLANK_LINE.search(text):
        blocks = [" ".join(block.split("\n")) for block in _BLANK_LINE.split(text)]
    else:
        blocks = text.split("\n")
    paragraphs = [p for p in (_clean_line(block) for block in blocks) if p]
    return "\n".join(_strip_trailing_boilerplate(paragraphs))


def _check_length(text: str, min_chars: int) -> None:
    """Refuse empty or too-short bodies (too little text to fingerprint reliably) and bodies
    no article reaches (:data:`MAX_TEXT_CHARS`)."""
    if not text:
        raise NotAnArticle("no_text")
    if len(text) < min_chars:
        raise NotAnArticle("too_short", f"{len(text)} < {min_chars} characters")
    if len(text) > MAX_TEXT_CHARS:
        raise NotAnArticle("too_long", f"{len(text)} > {MAX_TEXT_CHARS} characters")


# --------------------------------------------------------------------------- decoding

_BOMS: tuple[tuple[bytes, str], ...] = (
    # UTF-32 first: its little-endian BOM starts with the UTF-16 one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE
)
# Browsers decode these labels as windows-1252 (WHATWG Encoding Standard); pages that
# declare latin-1 but use curly quotes rely on it.
_WHATWG_ALIASES = {"latin1": "cp1252", "iso8859-1": "cp1252", "ascii": "cp1252"}
_BINARY_MAGIC = (
    b"%PDF-",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"BZh",
    b"\xfd7zXZ",
    b"RIFF",
    b"OggS",
    b"\x00\x00\x01\x00",
)
# C0 controls that never occur in real HTML text (tab, LF, FF, CR excluded)
_CONTROL_BYTES = bytes(c for c in range(32) if c not in (9, 10, 12, 13))
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f]")


def _declared_encoding(head: bytes) -> str | None:
    """The codec named by a ``<meta charset>`` in the first bytes, if Python knows it."""
    match = _META_CHARSET.search(head)
    if not match:
        return None
    try:
        name = codecs.lookup(match.group(1).decode("ascii")).name
    except LookupError:
        return None
    # a page that reached us as bytes cannot really be UTF-16 without a BOM
    if name.startswith(("utf-16", "utf-32")):
        return "utf-8"
    return _WHATWG_ALIASES.get(name, name)


def _decode(html: bytes) -> str:
    """Decode with the BOM or the ``<meta charset>``, else UTF-8; never fails."""
    for bom, encoding in _BOMS:
        if html.startswith(bom):
            return html[len(bom) :].decode(encoding, errors="replace")
    if html.startswith(_BINARY_MAGIC) or _looks_binary(html[:8192]):
        raise NotAnArticle("binary")
    encoding = _declared_encoding(html[:4096]) or "utf-8"
    return html.decode(encoding, errors="replace")


def _looks_binary(sample: bytes) -> bool:
    """True when a byte sample has NULs or many control bytes, as images and PDFs do."""
    if b"\x00" in sample:
        return True
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls > max(8, len(sample) // 100)


# --------------------------------------------------------------------------- dates

_ISO_PREFIX = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?",
    re.IGNORECASE,
)
_MIN_YEAR, _MAX_YEAR = 1990, 2100


def _as_utc(value: datetime) -> datetime:
    """Make a datetime aware UTC; naive ones are taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


_MONTHS = {
    m: i
    for i, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for m in names
}
_WRITTEN_DATE = re.compile(
    r"\b(?:([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})"
    r"|(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]{3,9})\.?,?\s+(\d{4}))\b",
    re.IGNORECASE,
)


def _parse_written_date(value: str) -> datetime | None:
    """The day of an English written date ("November 19, 2019", "19 Nov 2019"), at midnight:
    some JSON-LD carries these; the time beside them is too irregular to trust."""
    match = _WRITTEN_DATE.search(value)
    if not match:
        return None
    month_name, day, year = (
        match.group(1, 2, 3) if match.group(1) else (match.group(5), match.group(4), match.group(6))
    )
    month = _MONTHS.get(month_name.lower())
    if month is None:
        return None
    try:
        return datetime(int(year), month, int(day))
    except ValueError:
        return None


def _parse_date(raw: object) -> datetime | None:
    """Parse the date formats pages use (ISO 8601 variants, RFC 2822) to aware UTC."""
    if not isinstance(raw, str):
        return None
    value = raw.strip()
    if not value:
        return None
    parsed: datetime | None = None
    match = _ISO_PREFIX.match(value)
    if match:
        year, month, day, hour, minute, second, zone = match.groups()
        try:
            parsed = datetime(
                int(year),
                int(month),
                int(day),
                int(hour or 0),
                int(minute or 0),
                int(second or 0),
            )
            if zone and zone.upper() != "Z":
                offset = zone.replace(":", "")
                offset = offset if len(offset) == 5 else offset + "00"
                parsed = datetime.strptime(
                    f"{parsed:%Y-%m-%dT%H:%M:%S}{offset}", "%Y-%m-%dT%H:%M:%S%z"
                )
            elif zone:
                parsed = parsed.replace(tzinfo=UTC)
        except ValueError:
            parsed = None
    else:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            parsed = _parse_written_date(value)
    if parsed is None or not _MIN_YEAR <= parsed.year <= _MAX_YEAR:
        return None
    return _as_utc(parsed)


# --------------------------------------------------------------------------- JSON-LD

_JSON_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_JSON_WRAPPERS = re.compile(r"^\s*(?://\s*)?(?:<!--|<!\[CDATA\[)|(?://\s*)?(?:-->|\]\]>)\s*$")
_DATE_PUBLISHED_RAW = re.compile(r'"datePublished"\s*:\s*"([^"]{6,40})"')
# ClaimReview: a fact-check site's article is a ClaimReview
_ARTICLE_TYPES = re.compile(r"(?:Article|Posting|Report|ClaimReview)$")


def _load_json_lenient(raw: str) -> list[Any] | None:
    """Parse JSON-LD as sites write it: comment wrappers, trailing commas, raw newlines in
    strings, several objects in one script. None when nothing could be parsed."""
    text = _JSON_WRAPPERS.sub("", raw.strip()).strip()
    if not text:
        return []
    decoder = json.JSONDecoder(strict=False)  # strict=False accepts raw control chars
    best: list[Any] = []
    for candidate in (text, _JSON_TRAILING_COMMA.sub(r"\1", text)):
        values: list[Any] = []
        pos = 0
        try:
            while pos < len(candidate):
                value, pos = decoder.raw_decode(candidate, pos)
                values.append(value)
                # skip whitespace and stray separators between concatenated objects
                while pos < len(candidate) and candidate[pos] in " \t\r\n,;":
                    pos += 1
        except json.JSONDecodeError:
            best = max(best, values, key=len)  # keep what parsed before the error
            continue
        return values
    return best or None


def _walk_json(value: Any) -> Iterator[dict[str, Any]]:
    """Yield every object in a JSON-LD value, depth first (``@graph``, lists, nesting)."""
    if isinstance(value, dict):
        yield value
        for child in value.values():
            if isinstance(child, dict | list):
                yield from _walk_json(child)
    elif isinstance(value, list):
        for child in value:
            yield from _walk_json(child)


def _types(obj: dict[str, Any]) -> list[str]:
    """The ``@type`` values of a JSON-LD object (a string or a list of strings)."""
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return [k for k in kinds if isinstance(k, str)]


def _is_article(obj: dict[str, Any]) -> bool:
    """True for JSON-LD objects typed as an article (NewsArticle, BlogPosting, Report, …)."""
    return any(_ARTICLE_TYPES.search(k) for k in _types(obj))


def _is_page(obj: dict[str, Any]) -> bool:
    """True for WebPage-like objects, whose date is the article's when it has none."""
    return any(k.endswith("Page") for k in _types(obj))


def _person_names(value: Any, by_id: dict[str, dict[str, Any]], depth: int = 0) -> list[str]:
    """Names from a JSON-LD ``author``: a string, a Person/Organization, a list of them, or
    an ``{"@id": …}`` reference to a node elsewhere in the ``@graph`` (as Yoast writes it)."""
    if depth > 3:  # references can form cycles
        return []
    if isinstance(value, str):
        return [value] if value.strip() and "://" not in value else []
    if isinstance(value, dict):
        if "name" not in value and isinstance(value.get("@id"), str):
            value = by_id.get(value["@id"], {})
        return _person_names(value.get("name"), by_id, depth + 1)
    if isinstance(value, list):
        return [name for item in value for name in _person_names(item, by_id, depth + 1)]
    return []


@dataclass(slots=True)
class _JsonLd:
    """The few JSON-LD facts we use."""

    published: datetime | None = None
    author: str | None = None
    headline: str | None = None
    language: str | None = None
    invalid_scripts: int = 0


def _read_json_ld(tree: HtmlElement) -> _JsonLd:
    """Collect the article's date, author, headline and language from JSON-LD scripts."""
    objects: list[dict[str, Any]] = []
    unparsed: list[str] = []
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        values = _load_json_lenient(script.text or "")
        if values is None:
            unparsed.append(script.text or "")
            continue
        for value in values:
            objects.extend(_walk_json(value))
    by_id = {o["@id"]: o for o in objects if isinstance(o.get("@id"), str)}
    # Only the article object and the page around it speak for the article: a nested
    # comment, review or video has a datePublished and author of its own.
    articles = [o for o in objects if _is_article(o)]
    pages = [o for o in objects if _is_page(o) and not _is_article(o)]
    found = _JsonLd()
    for obj in articles + pages:
        if found.published is None:
            found.published = _parse_date(obj.get("datePublished"))
        if found.author is None:
            names = _person_names(obj.get("author"), by_id)
            if names:
                found.author = "; ".join(dict.fromkeys(_collapse(n) for n in names))
        if found.headline is None and isinstance(obj.get("headline"), str):
            found.headline = _collapse(obj["headline"]) or None
    for obj in objects:
        if found.language is None:
            found.language = _language_code(obj.get("inLanguage"))
    if found.published is None:
        # a script even the lenient parser cannot read may still hold a clean date
        for raw in unparsed:
            match = _DATE_PUBLISHED_RAW.search(raw)
            if match and (parsed := _parse_date(match.group(1))):
                found.published = parsed
                break
    found.invalid_scripts = len(unparsed)
    return found


# --------------------------------------------------------------------------- metadata

_META_DATE_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "publish-date",
    "publish_date",
    "publishdate",
    "pubdate",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.issued",
)
_PUBLISHED_CLASS = re.compile(r"publish|entry-date|post-date|dateline", re.IGNORECASE)
_LANGUAGE = re.compile(r"^\s*([a-zA-Z]{2})(?:[-_][a-zA-Z0-9-]*)?\s*$")


def _language_code(raw: object) -> str | None:
    """Two-letter lowercase primary subtag of a language tag (``en-US`` → ``en``)."""
    if not isinstance(raw, str):
        return None
    match = _LANGUAGE.match(raw)
    return match.group(1).lower() if match else None


def _metas(tree: HtmlElement) -> dict[str, str]:
    """First ``content`` of each ``<meta>`` key (property/name/itemprop/http-equiv), lowercased."""
    found: dict[str, str] = {}
    for meta in tree.iter("meta"):
        content = meta.get("content")
        if content is None:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = meta.get(attr)
            if key:
                found.setdefault(key.strip().lower(), content.strip())
    return found


def _meta_date(metas: dict[str, str]) -> datetime | None:
    """The publication date from the well-known ``<meta>`` keys."""
    for key in _META_DATE_KEYS:
        if key in metas and (parsed := _parse_date(metas[key])):
            return parsed
    return None


def _dated_times(tree: HtmlElement) -> Iterator[tuple[HtmlElement, datetime]]:
    """The page's ``<time>`` elements whose ``datetime`` parses, with that date, in order."""
    for element in tree.iter("time"):
        parsed = _parse_date(element.get("datetime"))
        if parsed is not None:
            yield element, parsed


def _time_element_date(tree: HtmlElement) -> datetime | None:
    """The date of a ``<time datetime>`` marked as the publication time, else of the first
    one inside ``<article>``/``<main>``: a stray ``<time>`` elsewhere is often a sidebar's."""
    first_in_article: datetime | None = None
    for element, parsed in _dated_times(tree):
        marked = (
            (element.get("itemprop") or "").lower() == "datepublished"
            or element.get("pubdate") is not None
            or _PUBLISHED_CLASS.search(element.get("class") or "")
        )
        if marked:
            return parsed
        if first_in_article is None and any(
            anc.tag in ("article", "main") for anc in element.iterancestors()
        ):
            first_in_article = parsed
    return first_in_article


# WHATWG URL parsing removes tabs and newlines anywhere in a URL
_URL_NOISE = re.compile(r"[\t\n\r]")
# hrefs that can leave the page's site; anything else is relative or not http(s)
_ABSOLUTE_HREF = re.compile(r"^\s*(?:https?:)?//([^/?#\\\s]*)", re.IGNORECASE)


def _http_parts(raw: str | None, base: str) -> tuple[str, str] | None:
    """Resolve ``raw`` against ``base`` to ``(url, site key)`` if it is absolute http(s)."""
    if not raw:
        return None
    raw = _URL_NOISE.sub("", raw).strip().replace(" ", "%20")
    if not raw:
        return None
    try:
        parts = urlsplit(urljoin(base, raw))
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return None
    host = parts.hostname
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    # the fragment never names another document; lowercase what is case-insensitive
    url = urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, "")
    )
    return url, _host_key(host)


def _http_url(raw: str | None, base: str) -> str | None:
    """Resolve ``raw`` against ``base``; None unless it is an absolute http(s) URL with a host."""
    resolved = _http_parts(raw, base)
    return resolved[0] if resolved else None


def _canonical(tree: HtmlElement, url: str, metas: dict[str, str]) -> str | None:
    """The page's canonical URL from ``<link rel=canonical>``, else ``og:url``."""
    for link in tree.iter("link"):
        rels = (link.get("rel") or "").lower().split()
        if "canonical" in rels:
            resolved = _http_url(link.get("href"), url)
            if resolved:
                return resolved
    return _http_url(metas.get("og:url"), url)


def _host_key(host: str) -> str:
    """The key sites are compared on: lowercase host without a trailing dot or ``www.``.

    Scheme, port and the ``www.`` prefix are ignored on purpose: a site linking to its own
    ``http://`` or ``www.`` variant is not crediting another outlet.
    """
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def _site_key(url: str) -> str | None:
    """``_host_key`` of a URL's host, None for a URL without one."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return _host_key(host) if host else None


def _base_url(tree: HtmlElement, url: str) -> str:
    """The URL relative links resolve against: ``<base href>`` if valid, else the page URL."""
    for base in tree.iter("base"):
        resolved = _http_url(base.get("href"), url)
        if resolved:
            return resolved
        break
    return url


def _anchor_text(anchor: HtmlElement) -> str:
    """Collapsed anchor text; falls back to ``title`` or an image's ``alt``."""
    text = _collapse(anchor.text_content())
    if text:
        return text
    alts = [img.get("alt") or "" for img in anchor.iter("img")]
    return _collapse(anchor.get("title") or " ".join(alts))


def _outbound_links(tree: HtmlElement, url: str) -> tuple[OutboundLink, ...]:
    """All ``<a href>`` links in the page that point to another site, deduplicated."""
    own = _site_key(url)
    base = _base_url(tree, url)
    # most links are relative; when they resolve to our own site they need no URL parsing
    relative_is_own = _site_key(base) == own
    links: dict[str, str] = {}
    for anchor in tree.iter("a"):
        href = anchor.get("href")
        if not href:
            continue
        absolute = _ABSOLUTE_HREF.match(href)
        if absolute is None:
            if relative_is_own:
                continue
        elif _host_key(absolute.group(1).rpartition("@")[2].partition(":")[0]) == own:
            # many sites write their internal links absolute: skip them before URL parsing
            continue
        resolved = _http_parts(href, base)
        if resolved is None or resolved[1] == own:
            continue
        target = resolved[0]
        text = _anchor_text(anchor)
        if target not in links:
            if len(links) >= MAX_LINKS:
                break
            links[target] = text
        elif not links[target] and text:
            # an image link first, a text link later: keep the words
            links[target] = text
    return tuple(OutboundLink(u, t) for u, t in links.items())


def _page_language(tree: HtmlElement, metas: dict[str, str], json_ld: _JsonLd) -> str | None:
    """The page language from ``<html lang>``, then meta tags, then JSON-LD."""
    root = tree.getroottree().getroot()
    candidates = [
        root.get("lang"),
        root.get("{http://www.w3.org/XML/1998/namespace}lang"),
        metas.get("content-language"),
        metas.get("language"),
        metas.get("og:locale"),
        metas.get("dc.language"),
    ]
    for candidate in candidates:
        code = _language_code(candidate)
        if code:
            return code
    return json_ld.language


# --------------------------------------------------------------------------- entry points


def _to_tree(html: str | bytes) -> HtmlElement:
    """Decode and parse once, the way trafilatura itself would parse the page."""
    if len(html) > MAX_HTML_CHARS:
        raise NotAnArticle("too_large", f"{len(html)} characters")
    text = _decode(html) if isinstance(html, bytes) else html.removeprefix("\ufeff")
    if "\x00" in text[:8192] or len(_CONTROL_CHARS.findall(text[:8192])) > 8:
        raise NotAnArticle("binary")
    if not text.strip():
        raise NotAnArticle("no_text")
    tree = trafilatura.load_html(text)
    if tree is None:
        raise NotAnArticle("not_html")
    return tree


def _trafilatura(tree: HtmlElement, url: str) -> Document | None:
    """Run trafilatura's body extraction (no metadata: we read our own) on our parsed tree."""
    # bare_extraction copies a tree it is given, so ours stays intact for our own reads.
    # ``fast`` skips the readability/jusText comparison: on the public article-extraction
    # benchmark it costs 0.004 of token F1 (0.958 against 0.962) and saves a third of
    # trafilatura's time; ``with_metadata`` is off because its author, category, tag and
    # license searches cost another third and we read what we need (below) for much less.
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        fast=True,
        include_comments=False,
        include_tables=False,
        deduplicate=False,
    )
    # a dict comes back only with as_dict=True; the check narrows the type
    return document if isinstance(document, Document) else None


_TITLE_META_KEYS = ("og:title", "twitter:title", "dc.title", "headline")
_AUTHOR_META_KEYS = ("author", "article:author", "byl", "dc.creator", "parsely-author",
                     "sailthru.author")  # fmt: skip
_BYLINE_PREFIX = re.compile(r"^\s*by\s+", re.IGNORECASE)


def _page_title(tree: HtmlElement, metas: dict[str, str], json_ld: _JsonLd) -> str | None:
    """The headline: social/Dublin Core metas, then JSON-LD, then trafilatura's own search."""
    for key in _TITLE_META_KEYS:
        if title := _collapse(metas.get(key, "")):
            return title
    if json_ld.headline:
        return json_ld.headline
    return _collapse(extract_title(tree) or "") or None


def _page_author(metas: dict[str, str], json_ld: _JsonLd) -> str | None:
    """The byline from JSON-LD or the author metas; a URL or a single word is no name."""
    if json_ld.author:
        return json_ld.author
    for key in _AUTHOR_META_KEYS:
        name = _collapse(_BYLINE_PREFIX.sub("", metas.get(key, "")))
        if name and " " in name and "://" not in name:
            return name
    return None


def _fallback_date(tree: HtmlElement, url: str) -> tuple[datetime | None, str]:
    """htmldate's search of the page: the last resort, only run when nothing cheaper spoke.

    htmldate gives a day (often the URL's). A ``<time datetime>`` anywhere on the page with a
    time on that very day says when in it (:func:`_time_on_day`); otherwise the day stands for
    all of it. Returns the date and its source.
    """
    found = find_date(tree, url=url, original_date=True, extensive_search=False)
    day = _midnight_utc(found) if found else None
    if day is None:
        return None, "htmldate"
    precise = _time_on_day(tree, day)
    return (precise, "time-element") if precise is not None else (day, "htmldate")


def _time_on_day(tree: HtmlElement, day: datetime) -> datetime | None:
    """The first ``<time datetime>`` of the page with a time of day on ``day`` (UTC), if any.

    Not taken alone (a stray ``<time>`` is often a sidebar's, :func:`_time_element_date`), but
    one that agrees with the day the page's date was found for only makes it precise: a copy
    posted hours after its original, on the same day, is then later by its own page's claim.
    """
    return next(
        (
            parsed
            for _, parsed in _dated_times(tree)
            if parsed.date() == day.date() and parsed != day
        ),
        None,
    )


def extract_page(html: str | bytes, url: str, min_chars: int = DEFAULT_MIN_CHARS) -> PageExtraction:
    """Extract body text and metadata from one HTML page, or raise ``NotAnArticle``."""
    tree = _to_tree(html)
    metas = _metas(tree)
    json_ld = _read_json_ld(tree)
    canonical = _canonical(tree, url, metas)
    language = _page_language(tree, metas, json_ld)
    links = _outbound_links(tree, url)
    title = _page_title(tree, metas, json_ld)

    document = _trafilatura(tree, url)
    if document is None:
        raise NotAnArticle("no_text")
    text = _drop_leading_title(_normalise_extracted(document.text or ""), title)
    _check_length(text, min_chars)

    published, source = json_ld.published, "json-ld"
    if published is None:
        published, source = _meta_date(metas), "meta"
    if published is None:
        published, source = _time_element_date(tree), "time-element"
    if published is None:
        published, source = _fallback_date(tree, url)

    anomalies = []
    if json_ld.invalid_scripts:
        anomalies.append("json_ld_invalid")
    if text.count("\ufffd") >= UNDECODABLE_MIN_CHARS:
        # Bytes the declared (or guessed) charset could not decode: a wrong or lying charset.
        anomalies.append("undecodable_text")
    return PageExtraction(
        text=text,
        title=title,
        author=_page_author(metas, json_ld),
        language=language,
        canonical_url=canonical,
        page_published_at=published,
        page_published_source=source if published is not None else None,
        links=links,
        anomalies=tuple(anomalies),
    )


def _midnight_utc(raw: str) -> datetime | None:
    """A bare ``YYYY-MM-DD`` (what htmldate gives): midnight UTC of that day."""
    parsed = _parse_date(raw)
    if parsed is None:
        return None
    return datetime.combine(parsed.date(), time(0, 0), tzinfo=UTC)


def extract_text_record(
    text: str, url: str, title: str | None = None, *, min_chars: int = DEFAULT_MIN_CHARS
) -> PageExtraction:
    """Normalise an ingest record's plain text (no HTML) into a ``PageExtraction``.

    ``url`` identifies the record; nothing is derived from it, since a text record has no
    markup to hold a canonical URL, language or date.
    """
    del url  # part of the signature for symmetry with extract_page
    body = _normalise_plain(text)
    _check_length(body, min_chars)
    return PageExtraction(
        text=body,
        title=_collapse(title or "") or None,
        author=None,
        language=None,
        canonical_url=None,
        page_published_at=None,
        page_published_source=None,
        links=(),
    )


PageDate = tuple[datetime | None, str | None]
"""A page's own claim: ``(page_published_at, page_published_source)``."""


def choose_published(
    page: PageDate,
    feed: datetime | None,
    sitemap: datetime | None,
    given: datetime | None,
) -> tuple[datetime | None, str | None]:
    """Pick the publication date: input > feed > sitemap > the page's own claim.

    A page's claim is the least trustworthy (copies keep or invent dates); feed and sitemap
    dates record what the site published at the time.
    """
    for value, source in ((given, "input"), (feed, "feed"), (sitemap, "sitemap")):
        if value is not None:
            return _as_utc(value), source
    page_at, page_source = page
    if page_at is None:
        return None, None
    return _as_utc(page_at), page_source


# --------------------------------------------------------------------------- pipeline


def _is_html_type(content_type: str | None) -> bool:
    """True when a Content-Type is HTML/XHTML or unknown (unknown is tried as HTML)."""
    if not content_type:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return not media or "html" in media


@dataclass(frozen=True, slots=True)
class WorkerExtraction:
    """A worker's answer for one page: the extraction or a (reason, detail) refusal, the
    body's fingerprint when one was asked for, and the time each took in the worker."""

    outcome: PageExtraction | tuple[str, str]
    fingerprint: Fingerprint | None
    extract_time: Timing
    fingerprint_time: Timing | None


PageJob = tuple[str | bytes, str]
"""A page for a worker: its HTML and URL."""


def extract_pages_in_worker(
    pages: Sequence[PageJob], min_chars: int, fingerprint: FingerprintConfig | None = None
) -> list[WorkerExtraction]:
    """Run ``extract_page`` on every page, then fingerprint every text, timing each: a job of
    several pages in a worker (one answer per page, in order).

    ``NotAnArticle`` comes back as its reason and detail rather than raised: an exception
    with extra constructor arguments does not survive pickling intact. The fingerprint is
    computed here because it depends on the text alone and is the next costliest step: in
    the crawl, every millisecond kept off the reactor thread is throughput. The texts are
    fingerprinted together, after all the extractions: trafilatura leaves the CPU's caches full
    of its own data, and a fingerprint right after it took 1.2-1.4 ms where eight in a row
    took 0.7-0.9 ms each.
    """
    extracted: list[tuple[PageExtraction | tuple[str, str], Timing]] = []
    for html, url in pages:
        started = clock()
        try:
            extracted.append((extract_page(html, url, min_chars), since(started)))
        except NotAnArticle as exc:
            extracted.append(((exc.reason, exc.detail), since(started)))
    answers = []
    for outcome, extract_time in extracted:
        if isinstance(outcome, tuple) or fingerprint is None:
            answers.append(WorkerExtraction(outcome, None, extract_time, None))
            continue
        started = clock()
        printed = fingerprint_text(outcome.text, fingerprint)
        answers.append(WorkerExtraction(outcome, printed, extract_time, since(started)))
    return answers


def extract_in_worker(
    html: str | bytes, url: str, min_chars: int, fingerprint: FingerprintConfig | None = None
) -> WorkerExtraction:
    """Extract and fingerprint one page in a worker (see :func:`extract_pages_in_worker`)."""
    return extract_pages_in_worker([(html, url)], min_chars, fingerprint)[0]


def _warm_up() -> None:
    """Worker initializer: pay trafilatura's first-call setup before the first real page."""
    with suppress(NotAnArticle):
        extract_page("<html><body><p>warm up</p></body></html>", "http://warm.up/", 1)


def default_workers() -> int:
    """The default ``EXTRACT_WORKERS``: one worker process per CPU."""
    return os.cpu_count() or 1


class ExtractPipeline:
    """Scrapy item pipeline: fill ``item.article`` or drop pages that are not articles.

    With ``workers`` > 0 the HTML extraction (trafilatura, the costly part) runs in a pool of
    worker processes, so the reactor thread keeps fetching and running the other stages
    meanwhile; ``workers=0`` extracts in-process. ``extract_item`` is the synchronous,
    in-process path that ``copycat ingest`` uses.

    Memory stays bounded without a queue of our own: Scrapy counts a response's body against
    ``SCRAPER_SLOT_MAX_ACTIVE_SIZE`` until its item leaves the pipelines, and stops handing
    out requests while that is exceeded, so the pages waiting for a worker are capped.
    """

    def __init__(
        self,
        min_chars: int = DEFAULT_MIN_CHARS,
        stats: StatsCollector | None = None,
        workers: int = 0,
        fingerprint: FingerprintConfig | None = None,
        pool: WorkerPool | None = None,
    ) -> None:
        self.min_chars = min_chars
        self.stats = stats
        self.workers = max(0, workers)
        self.fingerprint = fingerprint
        """Fingerprint the text in the worker too (the fingerprint stage then skips it)."""
        if pool is None and self.workers:
            pool = WorkerPool(self.workers, "extraction", _warm_up)
        self.pool = pool
        """Worker processes (``pool``, else a pool of our own when ``workers`` > 0)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build from ``EXTRACT_MIN_CHARS``, ``EXTRACT_WORKERS`` and the crawler's stats.

        Workers fingerprint what they extract, with the fingerprint stage's own settings.
        """
        settings = crawler.settings
        workers = settings.getint("EXTRACT_WORKERS", default_workers())
        return cls(
            min_chars=settings.getint("EXTRACT_MIN_CHARS", DEFAULT_MIN_CHARS),
            stats=crawler.stats,
            workers=workers,
            fingerprint=FingerprintConfig.from_settings(settings),
            pool=crawl_pool(crawler, workers, _warm_up),
        )

    # -- lifecycle -----------------------------------------------------------------------

    def open_spider(self) -> None:
        """Start the worker processes (none with ``workers=0``)."""
        if self.pool is not None:
            self.pool.start()

    def close_spider(self) -> None:
        """Stop the worker processes."""
        self.close()

    def close(self) -> None:
        """Shut the pool down (waiting for running extractions); safe to call twice."""
        if self.pool is not None:
            self.pool.close()

    # -- processing ----------------------------------------------------------------------

    def _html_of(self, item: ArticleItem) -> str | bytes:
        """The item's HTML, or raise ``NotAnArticle`` when it carries none to extract."""
        if not _is_html_type(item.content_type):
            raise NotAnArticle("not_html", item.content_type or "")
        if item.html is None:
            raise NotAnArticle("no_html")
        return item.html

    def _extract(self, item: ArticleItem) -> PageExtraction:
        """Run the right extractor for what the item carries, in this process."""
        if item.text is not None:
            return extract_text_record(
                item.text, item.url, item.title_hint, min_chars=self.min_chars
            )
        html = self._html_of(item)
        with timed(self.stats, "extract"):
            return extract_page(html, item.url, self.min_chars)

    def extract_item(self, item: ArticleItem) -> ArticleItem:
        """Extract in this process (the synchronous path); raise DropItem for non-articles."""
        try:
            page = self._extract(item)
        except NotAnArticle as exc:
            raise self._drop(item, exc) from exc
        return self._finish(item, page)

    async def process_item(self, item: ArticleItem) -> ArticleItem:
        """Extract ``item``'s article, in a worker process when there is a pool."""
        if self.pool is None or item.text is not None:
            # text records are cheap to normalise: not worth a round trip to a worker
            return self.extract_item(item)
        html, url = self.page_job(item)
        pool = self.pool
        if self.stats is not None:
            self.stats.max_value("extract/max_in_flight", pool.in_flight + 1)
        try:
            answer = await pool.run(extract_in_worker, html, url, self.min_chars, self.fingerprint)
        except BrokenProcessPool as exc:
            raise self.crashed(item, exc) from exc
        return self.from_worker(item, answer)

    def submit(self, item: ArticleItem) -> Future[WorkerExtraction]:
        """Hand the item's page to a worker now and return the future of its answer (for a
        caller that keeps its own bounded window of pages, as ``copycat ingest`` does).

        Raises:
            DropItem: the item carries no HTML to extract.
            BrokenProcessPool: the pool broke and its replacement did too.
        """
        return self.submit_pages([self.page_job(item)])[0]

    def submit_pages(self, pages: Sequence[PageJob]) -> list[Future[WorkerExtraction]]:
        """Hand ``pages`` (from :meth:`page_job`) to one worker as one job, which extracts
        them all and then fingerprints them all; return the future of each page's answer.

        Raises:
            BrokenProcessPool: the pool broke and its replacement did too.
        """
        if self.pool is None:
            raise ValueError("submit needs worker processes (workers > 0)")
        job = self.pool.submit(extract_pages_in_worker, pages, self.min_chars, self.fingerprint)
        answers: list[Future[WorkerExtraction]] = [Future() for _ in pages]

        def hand_out(done: Future[list[WorkerExtraction]]) -> None:
            error = done.exception()
            if error is not None:  # a worker that died loses the whole job's pages
                for answer in answers:
                    answer.set_exception(error)
                return
            for answer, outcome in zip(answers, done.result(), strict=True):
                answer.set_result(outcome)

        job.add_done_callback(hand_out)
        return answers

    def page_job(self, item: ArticleItem) -> PageJob:
        """The item's page as a worker takes it (DropItem when it carries no HTML)."""
        try:
            html = self._html_of(item)
        except NotAnArticle as exc:
            raise self._drop(item, exc) from exc
        return html, item.url

    def from_worker(self, item: ArticleItem, answer: WorkerExtraction) -> ArticleItem:
        """Finish ``item`` with a worker's answer; raise DropItem for a non-article."""
        add_timing(self.stats, "extract", *answer.extract_time)
        if isinstance(answer.outcome, tuple):
            refusal = NotAnArticle(*answer.outcome)
            # the reason travels as the cause: DroppedPageRecorder reads it from there
            raise self._drop(item, refusal) from refusal
        if answer.fingerprint_time is not None:
            add_timing(self.stats, "fingerprint", *answer.fingerprint_time)
        item.fingerprint = answer.fingerprint
        return self._finish(item, answer.outcome)

    def crashed(self, item: ArticleItem, error: BrokenProcessPool) -> DropItem:
        """Count a page lost with a worker that died and return the DropItem to raise.

        The page is dropped, not remembered as a non-article: the next run fetches it again.
        """
        return self._drop(item, NotAnArticle("worker_crashed", str(error)))

    def _drop(self, item: ArticleItem, exc: NotAnArticle) -> DropItem:
        """Count a page that is not an article and return the DropItem to raise."""
        count(self.stats, f"extract/dropped/{exc.reason}")
        return DropItem(f"not an article ({exc.reason}): {item.url}")

    def _finish(self, item: ArticleItem, page: PageExtraction) -> ArticleItem:
        """Choose the publication date and put the article on the item."""
        published_at, published_source = choose_published(
            (page.page_published_at, page.page_published_source),
            feed=item.feed_published_at,
            sitemap=item.sitemap_published_at,
            given=item.input_published_at,
        )
        if page.title is None and item.title_hint:
            # a page without a title of its own: the feed/sitemap title is the next best
            page = replace(page, title=_collapse(item.title_hint) or None)
        item.article = ExtractedArticle.from_page(
            page,
            first_seen_at=_as_utc(item.fetched_at),
            published_at=published_at,
            published_source=published_source,
        )
        for anomaly in page.anomalies:
            count(self.stats, f"extract/anomalies/{anomaly}")
            logger.info("article %s stored despite bad markup: %s", item.url, anomaly)
        count(self.stats, "extract/articles")
        return item
