"""Tests for the demo web: text generator, spinner and the loopback fixture sites."""

from __future__ import annotations

import io
import random
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import redirect_stdout
from datetime import datetime
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import pytest
from lxml import etree, html

from copycat.demo.__main__ import main
from copycat.demo.spinner import SYNONYMS, spin
from copycat.demo.text import TOPICS, NewsWriter
from copycat.demo.web import FixtureWeb

UA = "copycat-tests/1.0"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
SM_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
ATOM_NS = "http://www.w3.org/2005/Atom"

# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def fetch(url: str, user_agent: str = UA, method: str = "GET") -> tuple[int, str, bytes]:
    """Fetch ``url`` over loopback: (status, content type, body); errors do not raise."""
    request = urllib.request.Request(url, headers={"User-Agent": user_agent}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers.get("Content-Type", ""), error.read()


def get_ok(url: str) -> bytes:
    status, _, body = fetch(url)
    assert status == 200, url
    return body


def page_text(body: bytes) -> str:
    """Visible text of an HTML page, whitespace normalised."""
    tree = html.fromstring(body)
    return " ".join(" ".join(tree.itertext()).split())


def links(base: str, body: bytes) -> list[tuple[str, str | None]]:
    """Absolute ``href`` of every ``<a>`` and its ``rel``."""
    tree = html.fromstring(body)
    return [(urljoin(base, a.get("href")), a.get("rel")) for a in tree.iter("a") if a.get("href")]


def published(body: bytes) -> datetime:
    """The publication time a page declares (meta, JSON-LD or <time datetime>)."""
    tree = html.fromstring(body)
    meta = tree.xpath('//meta[@property="article:published_time"]/@content')
    stamps = meta or tree.xpath("//time/@datetime")
    return datetime.fromisoformat(str(stamps[0]))


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9£']+", text.lower())


def longest_common_run(a: str, b: str) -> int:
    """Length in words of the longest word sequence found in both texts."""
    wa, wb = words(a), words(b)
    best = 0
    previous = [0] * (len(wb) + 1)
    for i in range(1, len(wa) + 1):
        current = [0] * (len(wb) + 1)
        for j in range(1, len(wb) + 1):
            if wa[i - 1] == wb[j - 1]:
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
        previous = current
    return best


def quotes_in(text: str) -> set[str]:
    return {q.rstrip(".,") for q in re.findall(r'"([^"]+)"', text)}


def without_quotes(text: str) -> str:
    return re.sub(r'"[^"]*"', " | ", text)


@pytest.fixture(scope="module")
def web() -> Iterator[FixtureWeb]:
    with FixtureWeb(seed=7) as fixture:
        yield fixture


# --------------------------------------------------------------------------------------------
# text generator and spinner
# --------------------------------------------------------------------------------------------


def test_writer_articles_have_news_shape() -> None:
    writer = NewsWriter(3)
    for topic in TOPICS * 2:
        event = writer.event(topic)
        for article in (
            writer.report(event, author="A. Writer"),
            writer.report(event, author="B. Writer", quotes=(0, 2)),
            writer.follow_up(event, author="A. Writer"),
        ):
            assert 350 <= article.word_count <= 900
            assert 6 <= len(article.paragraphs) <= 12
            for paragraph in article.paragraphs:
                sentences = re.findall(r'\S.*?[.?!]"?(?=\s|$)', paragraph)
                assert 2 <= len(sentences) <= 4, paragraph
            assert article.title and "{" not in article.text and "[" not in article.text
            assert len(article.slug.split("-")) >= 4


def test_writer_is_deterministic() -> None:
    one, two = NewsWriter(11), NewsWriter(11)
    assert one.report(one.event(), author="x") == two.report(two.event(), author="x")
    other = NewsWriter(12)
    assert one.report(one.event(), author="x").text != other.report(other.event(), author="x").text


def test_independent_reports_share_facts_and_a_quote_but_not_prose() -> None:
    writer = NewsWriter(5)
    for topic in TOPICS:
        event = writer.event(topic)
        first = writer.report(event, author="x", quotes=(0, 1))
        second = writer.report(event, author="y", quotes=(0, 2))
        assert event.quotes[0].text.rstrip(".") in first.text
        assert event.quotes[0].text.rstrip(".") in second.text
        assert event.place in first.text and event.place in second.text
        assert longest_common_run(without_quotes(first.text), without_quotes(second.text)) < 20


def test_spin_is_context_blind_keeps_case_and_reports_substitutions() -> None:
    text, subs = spin("He told us. Source link at the FRONT line.", 1.0, random.Random(1))
    assert text.startswith("He ")
    assert {old for old, _ in subs} == {"told", "Source", "link", "FRONT"}
    assert "Supply hyperlink" in text or "Origin hyperlink" in text
    assert "ENTRANCE line" in text
    for old, new in subs:
        assert new.lower() in SYNONYMS[old.lower()]
        assert new[0].isupper() == old[0].isupper()
    assert spin("He told us.", 0.0, random.Random(1)) == ("He told us.", [])
    with pytest.raises(ValueError):
        spin("x", 1.5, random.Random(1))


def test_spin_rate_is_roughly_respected() -> None:
    writer = NewsWriter(2)
    text = writer.report(writer.event(), author="x").text
    eligible = sum(
        1 for w in re.findall(r"[A-Za-z]+(?:'[A-Za-z]+)?", text) if w.lower() in SYNONYMS
    )
    assert len(SYNONYMS) >= 300
    _, subs = spin(text, 0.3, random.Random(9))
    assert 0.2 * eligible <= len(subs) <= 0.4 * eligible
    again, _ = spin(text, 0.3, random.Random(9))
    assert again == spin(text, 0.3, random.Random(9))[0]


# --------------------------------------------------------------------------------------------
# the web
# --------------------------------------------------------------------------------------------


def test_generation_is_deterministic_for_a_seed() -> None:
    assert FixtureWeb(seed=7).content_digest() == FixtureWeb(seed=7).content_digest()
    assert FixtureWeb(seed=7).content_digest() != FixtureWeb(seed=8).content_digest()


def test_ground_truth_needs_started_web() -> None:
    with pytest.raises(RuntimeError):
        _ = FixtureWeb(seed=7).article_urls


def test_sites_and_sizes(web: FixtureWeb) -> None:
    sites = web.sites
    assert len(sites) == 6
    assert [s.role for s in sites].count("source") == 3
    assert all(s.origin.startswith("http://127.0.0.1:") for s in sites)
    assert len({s.origin for s in sites}) == 6
    assert any(not s.feeds and not s.sitemaps for s in sites)
    for site in sites:
        for url in site.feeds + site.sitemaps:
            assert url.startswith(site.origin + "/")
    originals = web.original_urls
    for site in sites[:3]:
        count = sum(1 for u in originals if u.startswith(site.origin + "/"))
        assert 8 <= count <= 12
    kinds = {p.kind for p in web.expected_pairs}
    assert kinds == {"verbatim", "partial", "spun"}
    assert len(web.independent_pairs) >= 2 and len(web.follow_up_pairs) >= 1
    assert len(web.fail_once_urls) == 3
    truth = {p.copy_url for p in web.expected_pairs} | {p.original_url for p in web.expected_pairs}
    assert truth <= web.article_urls
    assert not web.disallowed_urls & web.article_urls


def test_robots_txt_everywhere_and_sitemap_line(web: FixtureWeb) -> None:
    for site in web.sites:
        status, ctype, body = fetch(site.origin + "/robots.txt")
        assert status == 200 and ctype.startswith("text/plain")
        assert body.startswith(b"User-agent: *")
    courier = web.origin_of("The Harbour Courier")
    robots = get_ok(courier + "/robots.txt").decode()
    assert f"Sitemap: {courier}/sitemap_index.xml" in robots


def test_every_article_url_is_served(web: FixtureWeb) -> None:
    for url in sorted(web.article_urls):
        status, ctype, body = fetch(url)
        if status != 200 and url in web.fail_once_urls:
            status, ctype, body = fetch(url)
        assert status == 200, url
        assert ctype == "text/html; charset=utf-8"
        title, paragraphs = web.article_text(url)
        assert paragraphs[0] in page_text(body)
        assert title


def test_fail_once_pages_fail_first_then_succeed() -> None:
    with FixtureWeb(seed=7) as fresh:
        for url in fresh.fail_once_urls:
            first, _, _ = fetch(url)
            second, _, _ = fetch(url)
            assert first in (500, 503)
            assert second == 200
            statuses = [r.status for r in fresh.request_log if r.origin + r.path == url]
            assert statuses == [first, 200]
            assert fresh.fetch_count(url) == 2


def test_unknown_paths_404_and_content_types(web: FixtureWeb) -> None:
    courier, ledger = web.origin_of("a"), web.origin_of("b")
    assert fetch(courier + "/no/such/page")[0] == 404
    assert fetch(courier + "/feed.xml")[1] == "application/rss+xml"
    assert fetch(courier + "/sitemap_index.xml")[1] == "application/xml"
    assert fetch(ledger + "/atom.xml")[1] == "application/atom+xml"
    assert fetch(courier + "/")[1] == "text/html; charset=utf-8"
    status, _, body = fetch(courier + "/", method="HEAD")
    assert status == 200 and body == b""


def test_sitemap_index_leads_to_google_news_sitemap(web: FixtureWeb) -> None:
    courier = web.origin_of("The Harbour Courier")
    robots = get_ok(courier + "/robots.txt").decode()
    index_url = re.search(r"^Sitemap: (\S+)$", robots, re.M).group(1)  # type: ignore[union-attr]
    index = etree.fromstring(get_ok(index_url))
    assert etree.QName(index).localname == "sitemapindex"
    children = index.findall(f"{{{SM_NS}}}sitemap/{{{SM_NS}}}loc")
    news_seen = 0
    for loc in children:
        urlset = etree.fromstring(get_ok(loc.text))
        for url in urlset.findall(f"{{{SM_NS}}}url"):
            news = url.find(f"{{{NEWS_NS}}}news")
            if news is None:
                continue
            news_seen += 1
            assert url.findtext(f"{{{SM_NS}}}loc") in web.article_urls
            stamp = news.findtext(f"{{{NEWS_NS}}}publication_date")
            assert stamp and datetime.fromisoformat(stamp).year == 2026
            assert news.findtext(f"{{{NEWS_NS}}}title")
    assert news_seen >= 8
    # the plain sitemap also lists a page robots.txt forbids
    listed = {
        loc.text
        for child in children
        for loc in etree.fromstring(get_ok(child.text)).iter(f"{{{SM_NS}}}loc")
    }
    assert listed & web.disallowed_urls


def test_atom_feed_is_discoverable_from_home_page(web: FixtureWeb) -> None:
    ledger = web.origin_of("Valley Ledger")
    home = html.fromstring(get_ok(ledger + "/"))
    atom = home.xpath('//link[@rel="alternate"][@type="application/atom+xml"]/@href')
    rss = home.xpath('//link[@rel="alternate"][@type="application/rss+xml"]/@href')
    assert atom and rss
    feed = etree.fromstring(get_ok(urljoin(ledger, atom[0])))
    entries = feed.findall(f"{{{ATOM_NS}}}entry")
    hrefs = {e.find(f"{{{ATOM_NS}}}link").get("href") for e in entries}
    assert len(hrefs) >= 8 and hrefs <= web.article_urls
    channel = etree.fromstring(get_ok(urljoin(ledger, rss[0])))
    assert {i.findtext("link") for i in channel.iter("item")} == hrefs


def test_copycat_feed_items_carry_source(web: FixtureWeb) -> None:
    buzz = next(s for s in web.sites if s.name == "Daily News Buzz")
    rss = etree.fromstring(get_ok(buzz.feeds[0]))
    truth = {p.copy_url: p.original_url for p in web.expected_pairs}
    items = list(rss.iter("item"))
    assert items
    for item in items:
        assert item.find("source").get("url") == truth[item.findtext("link")]


def test_pagination_only_site_is_crawlable_from_home(web: FixtureWeb) -> None:
    wire = web.origin_of("Trending Wire")
    found: set[str] = set()
    listing_pages: list[str] = []
    url: str | None = wire + "/"
    while url:
        listing_pages.append(url)
        page_links = links(url, get_ok(url))
        found |= {u for u, _ in page_links if u in web.article_urls}
        url = next((u for u, rel in page_links if rel == "next"), None)
    expected = {u for u in web.article_urls if u.startswith(wire + "/")}
    assert found >= expected
    assert len(listing_pages) >= 3
    all_links = {u for page in listing_pages for u, _ in links(page, get_ok(page))}
    non_articles = {u for u in all_links if u.startswith(wire) and u not in web.article_urls}
    assert any("/category/" in u for u in non_articles)
    assert any("/tag/" in u for u in non_articles)
    assert any("/author/" in u for u in non_articles)


def test_disallowed_pages_exist_are_linked_and_blocked(web: FixtureWeb) -> None:
    assert len(web.disallowed_urls) >= 2
    for url in web.disallowed_urls:
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
        assert fetch(url)[0] == 200
        home_links = {u for u, _ in links(origin + "/", get_ok(origin + "/"))}
        assert url in home_links
        robots = RobotFileParser()
        robots.parse(get_ok(origin + "/robots.txt").decode().splitlines())
        assert not robots.can_fetch(UA, url)
        assert robots.can_fetch(UA, origin + "/")


def test_copies_contain_their_originals(web: FixtureWeb) -> None:
    for pair in web.expected_pairs:
        copy_body = get_ok(pair.copy_url)
        copy_text = page_text(copy_body)
        original_body = get_ok(pair.original_url)
        _, paragraphs = web.article_text(pair.original_url)
        assert all(p in page_text(original_body) for p in paragraphs)
        present = sum(p in copy_text for p in paragraphs) / len(paragraphs)
        if pair.kind == "verbatim":
            assert present >= 0.9
        elif pair.kind == "partial":
            assert present >= 0.4
        else:
            assert present < 0.9
            original_words = words(" ".join(paragraphs))
            kept = set(words(copy_text))
            assert sum(w in kept for w in original_words) / len(original_words) > 0.6
        assert published(copy_body) > published(original_body)


def test_copycat_credit_links(web: FixtureWeb) -> None:
    buzz = web.origin_of("Daily News Buzz")
    for pair in web.expected_pairs:
        if not pair.copy_url.startswith(buzz):
            continue
        anchors = {
            text
            for url, text in (
                (urljoin(pair.copy_url, a.get("href")), a.text_content())
                for a in html.fromstring(get_ok(pair.copy_url)).iter("a")
            )
            if url == pair.original_url
        }
        assert anchors == {"Supply hyperlink" if pair.kind == "spun" else "Source link"}


def test_independent_pairs_share_a_quote_but_not_prose(web: FixtureWeb) -> None:
    for one, two in web.independent_pairs + web.follow_up_pairs:
        text_one = " ".join(web.article_text(one)[1])
        text_two = " ".join(web.article_text(two)[1])
        assert text_one[:200] in page_text(get_ok(one))
        if (one, two) in web.independent_pairs:
            assert quotes_in(text_one) & quotes_in(text_two)
        assert longest_common_run(without_quotes(text_one), without_quotes(text_two)) < 20


def test_request_log_records_requests(web: FixtureWeb) -> None:
    web.clear_log()
    courier = web.origin_of("a")
    fetch(courier + "/?utm_source=test", user_agent="log-check/0.1")
    fetch(courier + "/missing")
    assert web.fetch_count(courier + "/?utm_source=test") == 1
    assert web.fetch_count(courier + "/") == 0
    first, second = web.request_log[-2:]
    assert (first.origin, first.path, first.status, first.user_agent) == (
        courier,
        "/?utm_source=test",
        200,
        "log-check/0.1",
    )
    assert second.status == 404 and second.at >= first.at
    web.clear_log()
    assert web.request_log == []


def test_main_prints_one_line_per_site() -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["--seed", "7"], wait=lambda: None) == 0
    lines = out.getvalue().splitlines()
    assert len(lines) == 6
    assert all(line.startswith("http://127.0.0.1:") for line in lines)
    assert "source\tThe Harbour Courier" in lines[0]


def test_feeds_and_sitemaps_parse_and_point_at_articles(web: FixtureWeb) -> None:
    documents = [u for s in web.sites for u in s.feeds + s.sitemaps]
    documents += [web.origin_of("c") + "/sitemap.xml", web.origin_of("b") + "/rss.xml"]
    for url in documents:
        root = etree.fromstring(get_ok(url))
        if etree.QName(root).localname == "sitemapindex":
            documents += [e.text for e in root.iter(f"{{{SM_NS}}}loc")]  # visited later
            continue
        targets = [e.text for e in root.iter(f"{{{SM_NS}}}loc", "link")]
        targets += [e.get("href") for e in root.iter(f"{{{ATOM_NS}}}link")]
        assert any(t in web.article_urls for t in targets), url


def test_internal_links_resolve_and_reach_every_article(web: FixtureWeb) -> None:
    for site in web.sites:
        robots = RobotFileParser()
        robots.parse(get_ok(site.origin + "/robots.txt").decode().splitlines())
        seen = {site.origin + "/"}
        queue = [site.origin + "/"]
        while queue:
            url = queue.pop()
            status, ctype, body = fetch(url)
            if status != 200 and url in web.fail_once_urls:
                status, ctype, body = fetch(url)
            assert status == 200, url
            if ctype != "text/html; charset=utf-8":
                continue
            for link, _ in links(url, body):
                link = link.split("#")[0]
                if link.startswith(site.origin + "/") and link not in seen:
                    seen.add(link)
                    if robots.can_fetch(UA, link):
                        queue.append(link)
        mine = {u for u in web.article_urls if u.startswith(site.origin + "/")}
        assert mine <= seen, site.name
