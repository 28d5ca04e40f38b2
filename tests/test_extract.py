"""Tests for the extract stage: page extraction, text records, date choice, the pipeline."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import trafilatura
from scrapy.exceptions import DropItem
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler
from trafilatura.settings import Document

from crawler.items import ArticleItem
from pipelines.extract import (
    MAX_LINKS,
    MAX_TEXT_CHARS,
    ExtractedArticle,
    ExtractPipeline,
    NotAnArticle,
    OutboundLink,
    choose_published,
    extract_page,
    extract_text_record,
)

# All article text below is invented for these tests.

ORIGINAL_URL = "https://www.harbor-ledger.example/news/2024/03/larkmoor-bridge-vote"
COPY_URL = "https://dailyfeedhub.example/larkmoor-council-approves-bridge/"

PARAGRAPHS = [
    "The Larkmoor town council voted seven to two on Tuesday night to build a covered "
    "bicycle bridge across the Wend river, ending a debate that had filled the council "
    "chamber for most of the winter.",
    "The bridge, designed by a regional engineering cooperative, will link the old "
    "ferry landing with the new school campus on the northern bank. Supporters said it "
    "would cut the morning ride for hundreds of pupils from forty minutes to twelve.",
    "Councillor Imelda Voss, who chaired the transport committee, said the vote showed "
    "that the town was ready to invest in quieter streets. Opponents warned that the "
    "projected cost of four million crowns could rise once the riverbed survey is done.",
    "Construction is expected to begin in late spring, after the annual salmon run, and "
    "the council has asked the contractor to keep one lane of the ferry road open for "
    "delivery trucks throughout the works.",
    "Residents can comment on the final drawings at the library until the end of the "
    "month, and a public walk along the planned route is scheduled for the first "
    "Saturday of April.",
]
BODY_HTML = "\n".join(f"<p>{p}</p>" for p in PARAGRAPHS)

SIDEBAR_TEXT = "Winter gardening tips from our community almanac"
RELATED_TEXT = "Ferry timetable changes announced for the holiday weekend"
COMMENT_FORM_TEXT = "Your email address will not be published"
FOOTER_TEXT = "Copyright Daily Feed Hub, all rights reserved"

COPY_PAGE = f"""<!DOCTYPE html>
<html lang="en-US">
<head>
<meta charset="utf-8">
<title>Larkmoor council approves bridge &#8211; Daily Feed Hub</title>
<meta property="og:title" content="Larkmoor council approves bridge">
<link rel="canonical" href="/larkmoor-council-approves-bridge/">
<meta property="article:published_time" content="2024-03-14T09:30:00+01:00">
</head>
<body class="post-template-default single single-post">
<header id="masthead" class="site-header">
  <a href="/" class="site-title">Daily Feed Hub</a>
  <nav class="main-navigation"><ul>
    <li><a href="/category/local/">Local</a></li>
    <li><a href="/category/world/">World</a></li>
    <li><a href="https://dailyfeedhub.example/about/">About us</a></li>
  </ul></nav>
</header>
<div id="content" class="site-content">
<main id="main" class="site-main">
<article id="post-4182" class="post type-post status-publish">
  <header class="entry-header">
    <h1 class="entry-title">Larkmoor council approves bridge</h1>
    <div class="entry-meta">Posted on
      <time class="entry-date published" datetime="2024-03-14T08:30:00+00:00">March 14, 2024</time>
      by <span class="author vcard"><a href="/author/autobot/">autobot</a></span></div>
  </header>
  <div class="entry-content">
{BODY_HTML}
<p><a href="{ORIGINAL_URL}" target="_blank" rel="noopener">Source link </a></p>
  </div>
  <div id="jp-relatedposts" class="jp-relatedposts">
    <h3 class="jp-relatedposts-headline"><em>Related</em></h3>
    <div class="jp-relatedposts-items">
      <p class="jp-relatedposts-post"><a href="/ferry-timetable/">{RELATED_TEXT}</a></p>
      <p class="jp-relatedposts-post"><a href="/harbor-lights/">Harbor lights festival
        returns with a longer programme than ever before</a></p>
    </div>
  </div>
  <footer class="entry-footer"><span class="cat-links">Posted in
    <a href="/category/local/" rel="category tag">Local</a></span></footer>
</article>
<div id="comments" class="comments-area">
  <div id="respond" class="comment-respond">
    <h3 id="reply-title" class="comment-reply-title">Leave a Reply</h3>
    <form action="/wp-comments-post.php" method="post" id="commentform" class="comment-form">
      <p class="comment-notes">{COMMENT_FORM_TEXT}. Required fields are marked.</p>
      <p class="comment-form-comment"><label for="comment">Comment</label>
        <textarea id="comment" name="comment"></textarea></p>
      <p class="form-submit"><input name="submit" type="submit" value="Post Comment"></p>
    </form>
  </div>
</div>
</main>
<aside id="secondary" class="widget-area sidebar">
  <section class="widget widget_recent_entries"><h2 class="widget-title">Recent Posts</h2>
    <ul><li><a href="/gardening/">{SIDEBAR_TEXT}</a></li>
        <li><a href="/market-day/">Market day moves to the old tannery square</a></li></ul>
  </section>
  <section class="widget"><h2 class="widget-title">Partners</h2>
    <ul><li><a href="https://partner-radio.example/live#player">  Partner
        Radio   live </a></li></ul>
  </section>
</aside>
</div>
<footer id="colophon" class="site-footer"><div class="site-info">{FOOTER_TEXT}.
  <a href="http://www.dailyfeedhub.example/privacy/">Privacy</a>
  <a href="mailto:tips@dailyfeedhub.example">Send a tip</a>
  <a href="javascript:void(0)">Back to top</a>
  <a href="{ORIGINAL_URL}#comments">Source link</a>
</div></footer>
</body>
</html>
"""

PUBLISHER_PAGE = f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>Larkmoor votes for covered bicycle bridge | The Harbor Ledger</title>
<link rel="canonical" href="{ORIGINAL_URL}">
<meta property="og:url" content="https://www.harbor-ledger.example/elsewhere">
<meta property="article:published_time" content="2024-03-14T07:00:00Z">
<script type="application/ld+json">
{{"@context": "https://schema.org",
  "@graph": [
    {{"@type": "WebSite", "name": "The Harbor Ledger", "url": "https://www.harbor-ledger.example/"}},
    {{"@type": "WebPage", "@id": "{ORIGINAL_URL}", "datePublished": "2020-01-01T00:00:00Z"}},
    {{"@type": ["NewsArticle"], "headline": "Larkmoor votes for covered bicycle bridge",
      "datePublished": "2024-03-13T22:15:00-05:00",
      "inLanguage": "en-GB",
      "author": [{{"@type": "Person", "name": "Tomas  Okafor-Lind"}}]}}
  ]}}
</script>
</head>
<body>
<div class="topbar"><a href="/subscribe">Subscribe</a> <a href="/login">Log in</a></div>
<article>
  <h1>Larkmoor votes for covered bicycle bridge</h1>
  <p class="byline">By <a rel="author" href="/staff/tomas">Tomas Okafor-Lind</a></p>
  {BODY_HTML}
  <p>Read the engineering summary on the
    <a href="https://coop-engineering.example/projects/wend">cooperative's site</a>.</p>
</article>
<footer><a href="https://www.harbor-ledger.example/contact">Contact</a></footer>
</body>
</html>
"""

BROKEN_JSON_LD_PAGE = f"""<!DOCTYPE html>
<html>
<head>
<meta http-equiv="content-language" content="de">
<title>Brückenbau in Larkmoor beschlossen</title>
<script type="application/ld+json">
<!--
{{
  "@context": "https://schema.org",
  "@type": "BlogPosting",
  "headline": "Brückenbau in Larkmoor beschlossen",
  "description": "Ein Text mit einem
Zeilenumbruch mitten im String",
  "datePublished": "2024-02-29T18:45:00+0100",
  "author": {{"@type": "Person", "name": "Greta Vollmer"}},
}}
-->
</script>
</head>
<body><main><article>
<h1>Brückenbau in Larkmoor beschlossen</h1>
{BODY_HTML}
</article></main></body></html>
"""

UNPARSEABLE_JSON_LD_PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><title>Bridge vote</title>
<script type="application/ld+json">
{{ "@type": "NewsArticle", "headline": "Bridge vote" "datePublished": "2023-11-05T10:00:00Z",
   author: unquoted }}
</script></head>
<body><article><h1>Bridge vote</h1>{BODY_HTML}</article></body></html>
"""

LATIN1_TEXT = [
    "Le conseil municipal de Larkmoor a approuvé mardi soir la construction d'une "
    "passerelle cyclable couverte au-dessus de la Wend, après des mois de débats animés "
    "où chacun a donné son avis sur le tracé, le coût et la durée des travaux prévus.",
    "Les élèves du lycée situé sur la rive nord gagneront près d'une demi-heure chaque "
    "matin, selon l'étude présentée par la coopérative d'ingénierie régionale, qui a "
    "également promis de préserver les saules centenaires de la berge du côté sud.",
    "Les travaux commenceront à la fin du printemps, après la remontée des saumons, et "
    "une promenade publique le long du tracé aura lieu le premier samedi d'avril à dix "
    "heures, au départ de l'ancien embarcadère du bac, près de la maison éclusière.",
]
LATIN1_PAGE = (
    '<!DOCTYPE html>\n<html><head><meta http-equiv="Content-Type" '
    'content="text/html; charset=iso-8859-1">'
    "<title>Passerelle approuvée à Larkmoor</title></head><body><article>"
    "<h1>Passerelle approuvée à Larkmoor</h1>"
    + "".join(f"<p>{p}</p>" for p in LATIN1_TEXT)
    + "</article></body></html>"
).encode("latin-1")

SHORT_PAGE = """<!DOCTYPE html>
<html lang="en"><head><title>Brief</title></head>
<body><article><h1>Brief</h1>
<p>The Larkmoor ferry will not run on Monday because of the river inspection.</p>
</article></body></html>
"""

BINARY_BODY = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)) * 4


@pytest.fixture(scope="module")
def copy_page():
    return extract_page(COPY_PAGE, COPY_URL)


@pytest.fixture(scope="module")
def publisher_page():
    return extract_page(PUBLISHER_PAGE, ORIGINAL_URL)


# --------------------------------------------------------------------------- body text


def test_copy_page_body_has_the_article_and_no_boilerplate(copy_page):
    assert copy_page.text.split("\n") == PARAGRAPHS
    for boilerplate in (
        SIDEBAR_TEXT,
        RELATED_TEXT,
        COMMENT_FORM_TEXT,
        FOOTER_TEXT,
        "Source link",
        "Leave a Reply",
        "Recent Posts",
    ):
        assert boilerplate not in copy_page.text


def test_copy_page_metadata(copy_page):
    assert copy_page.title == "Larkmoor council approves bridge"
    assert copy_page.language == "en"
    # relative canonical resolved against the page URL
    assert copy_page.canonical_url == COPY_URL
    # the meta tag wins over the <time> element; +01:00 converted to UTC
    assert copy_page.page_published_at == datetime(2024, 3, 14, 8, 30, tzinfo=UTC)
    assert copy_page.page_published_source == "meta"


def test_copy_page_links_are_outbound_only(copy_page):
    links = {link.url: link.text for link in copy_page.links}
    # the credit in the body and the one in the footer are the same resource: one entry
    assert links[ORIGINAL_URL] == "Source link"
    assert OutboundLink(ORIGINAL_URL, "Source link") in copy_page.links
    # whitespace collapsed, fragment dropped
    assert links["https://partner-radio.example/live"] == "Partner Radio live"
    # same site (relative, absolute, http/www variants) and non-http links are not outbound
    assert set(links) == {ORIGINAL_URL, "https://partner-radio.example/live"}


def test_publisher_page_json_ld_canonical_byline(publisher_page):
    assert publisher_page.text.split("\n")[: len(PARAGRAPHS)] == PARAGRAPHS
    assert publisher_page.author == "Tomas Okafor-Lind"
    assert publisher_page.language == "en"
    # <link rel=canonical> beats og:url
    assert publisher_page.canonical_url == ORIGINAL_URL
    # the NewsArticle's date, not the WebPage's, and it beats the meta tag
    assert publisher_page.page_published_at == datetime(2024, 3, 14, 3, 15, tzinfo=UTC)
    assert publisher_page.page_published_source == "json-ld"
    assert publisher_page.page_published_at.tzinfo is UTC
    assert [link.url for link in publisher_page.links] == [
        "https://coop-engineering.example/projects/wend"
    ]


def test_broken_json_ld_is_tolerated():
    page = extract_page(BROKEN_JSON_LD_PAGE, "https://larkmoor-blog.example/bruecke")
    assert page.page_published_at == datetime(2024, 2, 29, 17, 45, tzinfo=UTC)
    assert page.page_published_source == "json-ld"
    assert page.author == "Greta Vollmer"
    assert page.language == "de"
    assert page.canonical_url is None


def test_unparseable_json_ld_still_gives_its_date():
    page = extract_page(UNPARSEABLE_JSON_LD_PAGE, "https://example.org/bridge")
    assert page.page_published_at == datetime(2023, 11, 5, 10, 0, tzinfo=UTC)
    assert page.page_published_source == "json-ld"


def test_json_ld_nested_comment_date_is_not_the_article_date():
    # the article object has no date; its comment's date must not stand in for it
    html = PUBLISHER_PAGE.replace(
        '"datePublished": "2024-03-13T22:15:00-05:00",',
        '"comment": [{"@type": "Comment", "datePublished": "2025-01-01T00:00:00Z",'
        ' "author": {"name": "A Reader"}}],',
    ).replace('"datePublished": "2020-01-01T00:00:00Z"', '"name": "page"')
    page = extract_page(html, ORIGINAL_URL)
    assert page.author == "Tomas Okafor-Lind"
    assert (page.page_published_at, page.page_published_source) == (
        datetime(2024, 3, 14, 7, 0, tzinfo=UTC),
        "meta",
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-03-14T09:30:00+01:00", datetime(2024, 3, 14, 8, 30, tzinfo=UTC)),
        ("2024-03-14T09:30:00.250-0500", datetime(2024, 3, 14, 14, 30, tzinfo=UTC)),
        ("2024-03-14 09:30", datetime(2024, 3, 14, 9, 30, tzinfo=UTC)),
        ("2024-03-14", datetime(2024, 3, 14, tzinfo=UTC)),
        ("Thu, 14 Mar 2024 09:30:00 +0100", datetime(2024, 3, 14, 8, 30, tzinfo=UTC)),
        ("March 14, 2024", datetime(2024, 3, 14, tzinfo=UTC)),
        ("09:30 AM IST 14th Mar 2024", datetime(2024, 3, 14, tzinfo=UTC)),
        ("0001-01-01T00:00:00Z", None),  # placeholder some CMSs emit
        ("2024-02-30", None),
        ("soon", None),
    ],
)
def test_page_date_formats(raw, expected):
    html = COPY_PAGE.replace("2024-03-14T09:30:00+01:00", raw).replace(
        '<time class="entry-date published" datetime="2024-03-14T08:30:00+00:00">', "<time>"
    )
    page = extract_page(html, COPY_URL)
    if expected is None:
        assert page.page_published_source != "meta"
    else:
        assert (page.page_published_at, page.page_published_source) == (expected, "meta")


def test_time_element_date_when_no_structured_date():
    html = COPY_PAGE.replace(
        '<meta property="article:published_time" content="2024-03-14T09:30:00+01:00">', ""
    )
    page = extract_page(html, COPY_URL)
    assert page.page_published_at == datetime(2024, 3, 14, 8, 30, tzinfo=UTC)
    assert page.page_published_source == "time-element"


def test_an_unmarked_time_element_makes_the_day_found_precise_on_that_day_only():
    """A ``<time>`` outside the article, unmarked, is not the page's date by itself; but one
    on the very day htmldate found (here from the URL) tells the time of day."""
    html = (
        COPY_PAGE.replace(
            '<meta property="article:published_time" content="2024-03-14T09:30:00+01:00">', ""
        )
        .replace(
            '<time class="entry-date published" datetime="2024-03-14T08:30:00+00:00">', "<time>"
        )
        .replace(
            '<a href="/" class="site-title">',
            '<time datetime="2024-03-14T17:05:00Z">today</time><a href="/" class="site-title">',
        )
    )
    assert html.count("<time") == 2
    dated_url = "https://dailyfeedhub.example/2024/03/14/larkmoor-council-approves-bridge/"
    page = extract_page(html, dated_url)
    assert (page.page_published_at, page.page_published_source) == (
        datetime(2024, 3, 14, 17, 5, tzinfo=UTC),
        "time-element",
    )
    # a time on another day says nothing about this one: the bare day stays
    other_day = html.replace("2024-03-14T17:05:00Z", "2024-03-15T17:05:00Z")
    page = extract_page(other_day, dated_url)
    assert (page.page_published_at, page.page_published_source) == (
        datetime(2024, 3, 14, tzinfo=UTC),
        "htmldate",
    )


def test_invalid_canonical_falls_back_or_is_none():
    html = PUBLISHER_PAGE.replace(f'href="{ORIGINAL_URL}">', 'href="ftp://files.example/x">', 1)
    assert extract_page(html, ORIGINAL_URL).canonical_url == (
        "https://www.harbor-ledger.example/elsewhere"
    )
    html = html.replace('content="https://www.harbor-ledger.example/elsewhere"', 'content=""')
    assert extract_page(html, ORIGINAL_URL).canonical_url is None


def test_feed_footer_removed_and_its_link_kept():
    footer = (
        f'<p>The post <a href="{ORIGINAL_URL}">Larkmoor votes for covered bicycle bridge</a> '
        'appeared first on <a href="https://www.harbor-ledger.example/">The Harbor Ledger</a>.</p>'
    )
    html = COPY_PAGE.replace('<p><a href="' + ORIGINAL_URL, footer + '<p><a href="' + ORIGINAL_URL)
    page = extract_page(html, COPY_URL)
    assert page.text.split("\n") == PARAGRAPHS
    # first anchor text wins for a URL linked twice
    assert OutboundLink(ORIGINAL_URL, "Larkmoor votes for covered bicycle bridge") in page.links
    assert OutboundLink("https://www.harbor-ledger.example/", "The Harbor Ledger") in page.links


def test_json_ld_author_by_reference():
    # Yoast-style graph: the article's author is an {"@id"} pointing at a Person node
    html = PUBLISHER_PAGE.replace(
        '"author": [{"@type": "Person", "name": "Tomas  Okafor-Lind"}]}',
        '"author": {"@id": "#ada"}}, {"@type": "Person", "@id": "#ada", "name": "Ada Quill"}',
    )
    assert '"#ada"' in html
    assert extract_page(html, ORIGINAL_URL).author == "Ada Quill"


def test_table_layout_page_falls_back_to_default_mode():
    # an old layout: the whole story is one table cell of <br>-separated text, which
    # trafilatura's precision mode discards entirely
    body = "<br><br>\n".join(PARAGRAPHS)
    html = f"""<html><head><title>The Larkmoor Review: Bridge vote</title></head>
<body><table width="760"><tr><td width="160" valign="top"><a href="/">Home</a><br>
<a href="/archive/">Archive</a></td><td valign="top"><font face="Arial" size="2">
<b>Bridge vote</b><br>by Ada Quill<br><br>{body}</font></td></tr></table></body></html>"""
    lines = extract_page(html, "https://review.example/article/1").text.split("\n")
    assert all(p in lines for p in PARAGRAPHS)


def test_base_href_decides_where_relative_links_point():
    html = PUBLISHER_PAGE.replace(
        "<head>", '<head><base href="https://mirror.example/ledger/">', 1
    ).replace('<a href="/subscribe">', '<a href="subscribe">')
    urls = [link.url for link in extract_page(html, ORIGINAL_URL).links]
    assert "https://mirror.example/ledger/subscribe" in urls
    # root-relative links resolve against the base too, as in a browser
    assert "https://mirror.example/login" in urls


def test_latin1_page_decoded_with_its_meta_charset():
    page = extract_page(LATIN1_PAGE, "https://larkmoor-fr.example/passerelle")
    assert page.text.split("\n") == LATIN1_TEXT
    assert page.title == "Passerelle approuvée à Larkmoor"


def test_utf8_bom_bytes():
    page = extract_page(b"\xef\xbb\xbf" + PUBLISHER_PAGE.encode(), ORIGINAL_URL)
    assert page.canonical_url == ORIGINAL_URL


def test_links_are_capped():
    anchors = "".join(
        f'<a href="https://site{i}.example/">s{i}</a> ' for i in range(MAX_LINKS + 50)
    )
    html = PUBLISHER_PAGE.replace("</article>", f"</article><div>{anchors}</div>")
    assert len(extract_page(html, ORIGINAL_URL).links) == MAX_LINKS


def test_tree_reuse_matches_trafilatura_on_the_string():
    """Handing trafilatura our parsed tree gives what it gets from the raw string."""
    options: dict[str, Any] = {
        "with_metadata": True,
        "include_comments": False,
        "include_tables": False,
        "favor_precision": True,
        "deduplicate": False,
    }
    for html, url in ((COPY_PAGE, COPY_URL), (PUBLISHER_PAGE, ORIGINAL_URL)):
        from_string = trafilatura.bare_extraction(html, url=url, **options)
        tree = trafilatura.load_html(html)
        from_tree = trafilatura.bare_extraction(tree, url=url, **options)
        assert isinstance(from_string, Document)
        assert isinstance(from_tree, Document)
        assert from_tree.text == from_string.text
        assert (from_tree.title, from_tree.author, from_tree.date) == (
            from_string.title,
            from_string.author,
            from_string.date,
        )


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        (BINARY_BODY, "binary"),
        (b"GIF89a" + b"\x01" * 200, "binary"),
        ("<html><body>\x00\x00\x00\x01\x02</body></html>", "binary"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "binary"),
        ('{"status": "ok", "items": []}', "not_html"),
        ("Plain words with no markup at all.", "not_html"),
        (SHORT_PAGE, "too_short"),
        ("", "no_text"),
        (b"   \n", "no_text"),
    ],
)
def test_not_an_article_reasons(html, reason):
    with pytest.raises(NotAnArticle) as caught:
        extract_page(html, "https://example.org/x")
    assert caught.value.reason == reason


def test_min_chars_is_a_parameter():
    page = extract_page(SHORT_PAGE, "https://example.org/brief", min_chars=20)
    assert "river inspection" in page.text


# --------------------------------------------------------------------------- text records


def test_text_record_paragraphs():
    # hard-wrapped paragraphs: single newlines inside, blank lines (CRLF) between
    text = "\r\n\r\n".join(textwrap.fill(p, 60) for p in PARAGRAPHS)
    page = extract_text_record("  " + text + "\n\nSource link\n", "ingest://1", "  A   title ")
    assert page.text.split("\n") == PARAGRAPHS
    assert page.title == "A title"
    assert page.links == ()


def test_text_record_lines_are_paragraphs_without_blank_lines():
    page = extract_text_record("\n".join(PARAGRAPHS), "ingest://2", None)
    assert page.text.split("\n") == PARAGRAPHS
    assert page.title is None


def test_text_record_refusals():
    with pytest.raises(NotAnArticle) as caught:
        extract_text_record(" \n\t ", "ingest://3", None)
    assert caught.value.reason == "no_text"
    with pytest.raises(NotAnArticle) as caught:
        extract_text_record(PARAGRAPHS[0], "ingest://4", None)
    assert caught.value.reason == "too_short"


def test_a_body_longer_than_any_article_is_refused() -> None:
    """Aligning costs the product of two texts' sentence counts: a megabyte of body text (a
    hostile page, a whole archive on one page) never reaches the match stage."""
    paragraphs = "\n".join(PARAGRAPHS) + "\n"  # as the record's text is normalised
    repeats = MAX_TEXT_CHARS // len(paragraphs)
    longest = extract_text_record(paragraphs * repeats, "ingest://5", None).text
    assert MAX_TEXT_CHARS - len(paragraphs) < len(longest) <= MAX_TEXT_CHARS
    with pytest.raises(NotAnArticle) as caught:
        extract_text_record(paragraphs * (repeats + 1), "ingest://6", None)
    assert caught.value.reason == "too_long"


def test_a_page_whose_body_is_too_long_is_not_an_article(monkeypatch) -> None:
    # the same check on an HTML page's extracted body (a smaller bound keeps the page small)
    monkeypatch.setattr("pipelines.extract.MAX_TEXT_CHARS", 2_000)
    page = "".join(f"<p>{p}</p>" for p in PARAGRAPHS * 4)
    with pytest.raises(NotAnArticle) as caught:
        extract_page(f"<html><body><article>{page}</article></body></html>", ORIGINAL_URL)
    assert caught.value.reason == "too_long"


# --------------------------------------------------------------------------- dates


PAGE_DATE = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
FEED_DATE = datetime(2024, 3, 11, 12, 0, tzinfo=UTC)
SITEMAP_DATE = datetime(2024, 3, 12, 12, 0, tzinfo=UTC)
GIVEN_DATE = datetime(2024, 3, 13, 12, 0, tzinfo=UTC)


def test_choose_published_preference_order():
    page = (PAGE_DATE, "json-ld")
    assert choose_published(page, FEED_DATE, SITEMAP_DATE, GIVEN_DATE) == (GIVEN_DATE, "input")
    assert choose_published(page, FEED_DATE, SITEMAP_DATE, None) == (FEED_DATE, "feed")
    assert choose_published(page, None, SITEMAP_DATE, None) == (SITEMAP_DATE, "sitemap")
    assert choose_published(page, None, None, None) == (PAGE_DATE, "json-ld")
    assert choose_published((None, None), None, None, None) == (None, None)


def test_choose_published_normalises_to_utc():
    cet = timezone(timedelta(hours=1))
    chosen, source = choose_published(
        (None, None), datetime(2024, 1, 1, 13, 0, tzinfo=cet), None, None
    )
    assert (chosen, source) == (datetime(2024, 1, 1, 12, 0, tzinfo=UTC), "feed")
    assert chosen is not None
    assert chosen.tzinfo is UTC
    naive, _ = choose_published((None, None), None, None, datetime(2024, 1, 1, 12, 0))
    assert naive == datetime(2024, 1, 1, 12, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- pipeline

FETCHED = datetime(2024, 3, 15, 6, 0, tzinfo=UTC)


def make_item(**kwargs: Any) -> ArticleItem:
    fields: dict[str, Any] = {
        "url": COPY_URL,
        "site": "https://dailyfeedhub.example",
        "fetched_at": FETCHED,
    }
    fields.update(kwargs)
    return ArticleItem(**fields)


@pytest.fixture
def pipeline():
    crawler = get_crawler(settings_dict={"EXTRACT_MIN_CHARS": 300})
    return ExtractPipeline.from_crawler(crawler)


def test_from_crawler_reads_settings_and_stats(pipeline):
    assert pipeline.min_chars == 300
    assert isinstance(pipeline.stats, MemoryStatsCollector)


def test_pipeline_fills_article(pipeline):
    item = make_item(
        html=COPY_PAGE, content_type="text/html; charset=utf-8", sitemap_published_at=SITEMAP_DATE
    )
    assert pipeline.extract_item(item) is item
    article = item.article
    assert isinstance(article, ExtractedArticle)
    assert article.text.split("\n") == PARAGRAPHS
    assert article.first_seen_at == FETCHED
    assert (article.published_at, article.published_source) == (SITEMAP_DATE, "sitemap")
    assert article.page_published_source == "meta"
    assert OutboundLink(ORIGINAL_URL, "Source link") in article.links
    assert pipeline.stats.get_value("extract/articles") == 1


def test_pipeline_uses_page_date_without_feed_or_sitemap(pipeline):
    item = pipeline.extract_item(make_item(html=PUBLISHER_PAGE, url=ORIGINAL_URL))
    assert item.article.published_source == "json-ld"
    assert item.article.published_at == datetime(2024, 3, 14, 3, 15, tzinfo=UTC)


def test_pipeline_text_record(pipeline):
    item = make_item(
        text="\n\n".join(PARAGRAPHS),
        title_hint="Bridge approved",
        input_published_at=GIVEN_DATE,
        feed_published_at=FEED_DATE,
        discovered_via="ingest",
    )
    article = pipeline.extract_item(item).article
    assert article.title == "Bridge approved"
    assert (article.published_at, article.published_source) == (GIVEN_DATE, "input")


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"html": SHORT_PAGE}, "too_short"),
        ({"html": BINARY_BODY.decode("latin-1")}, "binary"),
        ({"html": COPY_PAGE, "content_type": "application/pdf"}, "not_html"),
        ({}, "no_html"),
    ],
)
def test_pipeline_drops_with_reason_and_counts(pipeline, fields, reason):
    with pytest.raises(DropItem, match=rf"not an article \({reason}\): {COPY_URL}"):
        pipeline.extract_item(make_item(**fields))
    assert pipeline.stats.get_value(f"extract/dropped/{reason}") == 1
    assert pipeline.stats.get_value("extract/articles") is None


def test_pipeline_without_stats():
    with pytest.raises(DropItem):
        ExtractPipeline().extract_item(make_item(html=SHORT_PAGE))


def test_unparseable_json_ld_is_an_anomaly_counted_by_the_pipeline(pipeline):
    assert extract_page(UNPARSEABLE_JSON_LD_PAGE, "https://example.org/bridge").anomalies == (
        "json_ld_invalid",
    )
    assert extract_page(PUBLISHER_PAGE, "https://example.org/bridge").anomalies == ()
    item = make_item(html=UNPARSEABLE_JSON_LD_PAGE, content_type="text/html")
    pipeline.extract_item(item)
    assert pipeline.stats.get_value("extract/anomalies/json_ld_invalid") == 1


def test_text_the_charset_could_not_decode_is_an_anomaly():
    # A page whose bytes are not in the charset it claims: the decoder replaces what it cannot
    # read, and the damage is reported instead of passing silently.
    html = PUBLISHER_PAGE.replace("</p>", " caf\ufffd na\ufffdve r\ufffdsum\ufffd</p>", 3)
    assert "undecodable_text" in extract_page(html, "https://example.org/bridge").anomalies
