"""A small "web" of fictional news sites served on loopback, for crawling and matching tests.

:class:`FixtureWeb` builds three publishers (the sources), two copycat sites and an
aggregator, all generated deterministically from a seed, and serves each site from its own
``ThreadingHTTPServer`` on ``127.0.0.1``. It knows the ground truth: which pages are articles,
which copy pages copy which original and how (``verbatim``, ``partial`` or ``spun``), which
pairs are independent reports of the same event (must *not* be matched), which pages robots.txt
forbids, and it logs every request it serves.

Pages are rendered once, with a placeholder for every site's origin; :meth:`FixtureWeb.start`
binds the ports and substitutes the real origins, so feeds, sitemaps and credit links carry
absolute URLs that work.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from typing import Self
from urllib.parse import urlsplit

from copycat.demo.serving import LoopbackServer, ThreadedServers, serve_in_thread
from copycat.demo.spinner import spin
from copycat.demo.text import TOPICS, Article, Event, NewsWriter, slugify

__all__ = [
    "ExpectedPair",
    "FixtureSite",
    "FixtureWeb",
    "LoggedRequest",
]

HTML_TYPE = "text/html; charset=utf-8"
RSS_TYPE = "application/rss+xml"
ATOM_TYPE = "application/atom+xml"
XML_TYPE = "application/xml"
TEXT_TYPE = "text/plain; charset=utf-8"

# fmt: off
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)
# fmt: on

# --------------------------------------------------------------------------------------------
# Public records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FixtureSite:
    """One site of the fixture web and the feed/sitemap URLs a user would register for it."""

    origin: str
    name: str
    role: str
    feeds: tuple[str, ...]
    sitemaps: tuple[str, ...]


@dataclass(frozen=True)
class ExpectedPair:
    """Ground truth: ``copy_url`` copies ``original_url`` (``verbatim``, ``partial``, ``spun``)."""

    copy_url: str
    original_url: str
    kind: str


@dataclass(frozen=True)
class LoggedRequest:
    """One request served by the fixture web."""

    origin: str
    path: str
    status: int
    user_agent: str
    at: float


# --------------------------------------------------------------------------------------------
# Internal content model
# --------------------------------------------------------------------------------------------


def _o(key: str) -> str:
    """The placeholder standing for the origin of site ``key`` until ports are bound."""
    return "{{origin:" + key + "}}"


@dataclass
class _Resource:
    """A servable document (origin placeholders not yet substituted)."""

    body: str
    content_type: str
    fail_status: int | None = None


@dataclass
class _Story:
    """An article page on a site, with its provenance when it is a copy."""

    site: str
    path: str
    article: Article
    kind: str | None = None  # None for originals, else verbatim / partial / spun / excerpt
    originals: tuple[_Story, ...] = ()
    credit: str | None = None  # link text of the credit link to the original, if any
    fail_status: int | None = None

    @property
    def ref(self) -> str:
        """The URL of the page with an origin placeholder."""
        return _o(self.site) + self.path


@dataclass
class _Site:
    """A site under construction: identity, registered feeds/sitemaps and its documents."""

    key: str
    name: str
    role: str
    feed_paths: tuple[str, ...] = ()
    sitemap_paths: tuple[str, ...] = ()
    resources: dict[str, _Resource] = field(default_factory=dict)
    stories: list[_Story] = field(default_factory=list)
    disallowed: list[str] = field(default_factory=list)

    def add(self, path: str, body: str, content_type: str = HTML_TYPE) -> None:
        """Register a document at ``path`` (paths must be unique)."""
        if path in self.resources:
            raise ValueError(f"duplicate path {path} on site {self.key}")
        self.resources[path] = _Resource(body, content_type)


# --------------------------------------------------------------------------------------------
# Small rendering helpers
# --------------------------------------------------------------------------------------------


def _t(text: str) -> str:
    """Escape text for an HTML/XML text node (quotes kept as they are)."""
    return html.escape(text, quote=False)


def _a(text: str) -> str:
    """Escape text for an HTML/XML attribute value."""
    return html.escape(text, quote=True)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _human(moment: datetime) -> str:
    return (
        f"{_WEEKDAYS[moment.weekday()]} {moment.day} {_MONTHS[moment.month - 1]} {moment.year}, "
        f"{moment.hour:02d}:{moment.minute:02d}"
    )


def _short_date(moment: datetime) -> str:
    return f"{_MONTHS[moment.month - 1]} {moment.day}, {moment.year}"


def _paras(paragraphs: Iterable[str]) -> str:
    return "\n".join(f"<p>{_t(p)}</p>" for p in paragraphs)


_SENTENCE_RE = re.compile(r"\S.*?[.?!]\"?(?=\s|$)", re.S)


def _sentences(text: str) -> list[str]:
    """Split a paragraph into sentences (a closing quote stays with its sentence)."""
    return [m.group(0) for m in _SENTENCE_RE.finditer(text)]


def _document(
    *,
    title: str,
    head: str = "",
    body: str,
    lang: str = "en-GB",
    body_class: str = "",
) -> str:
    """A complete HTML document."""
    cls = f' class="{body_class}"' if body_class else ""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_t(title)}</title>\n{head}\n</head>\n<body{cls}>\n{body}\n</body>\n</html>\n"
    )


def _robots(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def _rss(
    *,
    title: str,
    link: str,
    self_url: str,
    description: str,
    items: Sequence[str],
    last_build: datetime,
    extra_ns: str = "",
) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" '
        f'xmlns:dc="http://purl.org/dc/elements/1.1/"{extra_ns}>\n<channel>\n'
        f"<title>{_t(title)}</title>\n<link>{link}</link>\n"
        f'<atom:link href="{self_url}" rel="self" type="application/rss+xml"/>\n'
        f"<description>{_t(description)}</description>\n<language>en-gb</language>\n"
        f"<lastBuildDate>{format_datetime(last_build)}</lastBuildDate>\n"
        + "".join(items)
        + "</channel>\n</rss>\n"
    )


def _rss_item(story: _Story, origin: str, guid: str, extra: str = "") -> str:
    """One RSS ``<item>`` for a story: title, link, guid, date, any ``extra`` elements, summary."""
    return (
        "<item>"
        f"<title>{_t(story.article.title)}</title><link>{origin}{story.path}</link>"
        f"{guid}<pubDate>{format_datetime(story.article.published)}</pubDate>{extra}"
        f"<description>{_t(story.article.summary)}</description></item>\n"
    )


def _urlset(entries: Iterable[str], news: bool = False) -> str:
    ns = ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"' if news else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"{ns}>\n'
        + "".join(entries)
        + "</urlset>\n"
    )


def _url_entry(loc: str, lastmod: datetime | None = None, priority: str | None = None) -> str:
    parts = [f"<url><loc>{loc}</loc>"]
    if lastmod is not None:
        parts.append(f"<lastmod>{_iso(lastmod)}</lastmod>")
    if priority is not None:
        parts.append(f"<priority>{priority}</priority>")
    parts.append("</url>\n")
    return "".join(parts)


def _newest_first(stories: Iterable[_Story]) -> list[_Story]:
    return sorted(stories, key=lambda s: (s.article.published, s.path), reverse=True)


# --------------------------------------------------------------------------------------------
# The builder: generates all stories and renders all documents (origin-independent)
# --------------------------------------------------------------------------------------------

_SITE_NAMES = {
    "a": ("The Harbour Courier", "source"),
    "b": ("Valley Ledger", "source"),
    "c": ("The Moorland Chronicle", "source"),
    "d": ("Daily News Buzz", "copycat"),
    "e": ("Trending Wire", "copycat"),
    "f": ("Headline Digest", "copycat"),
}


class _Builder:
    """Generates the content of every site from a seed."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.writer = NewsWriter(seed)
        self.sites: dict[str, _Site] = {
            key: _Site(key, name, role) for key, (name, role) in _SITE_NAMES.items()
        }
        self.reporters: dict[str, list[str]] = {
            key: [self.writer.person_name() for _ in range(3)] for key in ("a", "b", "c", "e")
        }
        self.independent: list[tuple[_Story, _Story]] = []
        self.follow_ups: list[tuple[_Story, _Story]] = []
        topics = list(TOPICS) * 6
        self.rng.shuffle(topics)
        self._topics = topics
        self._day = 0

    # -- generation ----------------------------------------------------------------------

    def _event(self) -> Event:
        topic = self._topics.pop()
        when = date(2026, 11, 2) + timedelta(days=self._day // 2)
        self._day += 1
        return self.writer.event(topic, when)

    def _when(self, event: Event, hours_later: int = 0) -> datetime:
        base = datetime(event.day.year, event.day.month, event.day.day, tzinfo=UTC)
        hour = self.rng.randint(6, 18)
        minute = self.rng.choice((0, 10, 20, 30, 40, 50))
        return base + timedelta(hours=hour + hours_later, minutes=minute)

    def _path(self, key: str, article: Article) -> str:
        slug = article.slug
        taken = {s.path for s in self.sites[key].stories} | set(self.sites[key].resources)
        stamp = article.published
        for n in range(1, 100):
            s = slug if n == 1 else f"{slug}-{n}"
            if key == "a":
                path = f"/news/{article.section.lower()}/{s}"
            elif key == "b":
                path = f"/stories/{s}/"
            elif key == "c":
                if len(self.sites["c"].stories) % 2 == 0:
                    path = f"/{stamp.year}/{stamp.month:02d}/{stamp.day:02d}/{s}.html"
                else:
                    path = f"/local/{s}.html"
            elif key == "d":
                path = f"/{stamp.year}/{stamp.month:02d}/{stamp.day:02d}/{s}/"
            elif key == "e":
                path = f"/{s}/"
            else:
                path = f"/digest/{s}/"
            if path not in taken:
                return path
        raise RuntimeError("could not find a free path")  # pragma: no cover

    def _add_story(
        self,
        key: str,
        article: Article,
        kind: str | None = None,
        originals: tuple[_Story, ...] = (),
        credit: str | None = None,
    ) -> _Story:
        story = _Story(key, self._path(key, article), article, kind, originals, credit)
        self.sites[key].stories.append(story)
        return story

    def _report(
        self, key: str, event: Event, quotes: Sequence[int], hours_later: int = 0
    ) -> _Story:
        article = self.writer.report(
            event,
            author=self.rng.choice(self.reporters[key]),
            published=self._when(event, hours_later),
            quotes=quotes,
        )
        return self._add_story(key, article)

    def _follow_up(self, key: str, event: Event, days_later: int) -> _Story:
        article = self.writer.follow_up(
            event,
            author=self.rng.choice(self.reporters[key]),
            published=self._when(event, 24 * days_later),
        )
        return self._add_story(key, article)

    def _draft(self, key: str, prefix: str) -> str:
        event = self._event()
        article = self.writer.report(
            event, author=self.rng.choice(self.reporters[key]), published=self._when(event, 72)
        )
        path = f"{prefix}{article.slug}/"
        self.sites[key].disallowed.append(path)
        self._render_draft(key, path, article)
        return path

    def generate(self) -> None:
        """Write every original and every copy."""
        rng = self.rng
        # Independent reports of the same event by two outlets (hard negatives).
        for first, second, q1, q2 in (
            ("a", "b", (0, 1), (0, 2)),
            ("b", "c", (0, 1), (1, 2)),
            ("a", "c", (0, 1), (0, 1)),
        ):
            event = self._event()
            one = self._report(first, event, q1)
            two = self._report(second, event, q2, hours_later=rng.randint(1, 6))
            self.independent.append((one, two))
        # Same-outlet follow-ups.
        for key in ("a", "c"):
            event = self._event()
            first_story = self._report(key, event, (0, 1))
            later = self._follow_up(key, event, days_later=rng.randint(2, 4))
            self.follow_ups.append((first_story, later))
        # Stand-alone stories up to 10 / 9 / 10 per publisher.
        for key, total in (("a", 10), ("b", 9), ("c", 10)):
            while len(self.sites[key].stories) < total:
                self._report(key, self._event(), (0, 1))

        # Stories that fail once.
        for key, status in (("a", 500), ("c", 503)):
            rng.choice(self.sites[key].stories).fail_status = status

        originals = [s for key in ("a", "b", "c") for s in self.sites[key].stories]
        by_site = {key: list(self.sites[key].stories) for key in ("a", "b", "c")}

        # Copycat D: verbatim and spun copies of A/B/C with credit links.
        verbatim: list[_Story] = [self.independent[0][0]]
        for key in ("a", "b", "c"):
            pool = [s for s in by_site[key] if s not in verbatim]
            verbatim.extend(rng.sample(pool, 2 if key != "a" else 1))
        spun_pool = [s for s in originals if s not in verbatim]
        spun_sources = rng.sample(spun_pool, 5)
        d_jobs: list[tuple[_Story, str]] = [(s, "verbatim") for s in verbatim]
        d_jobs += [(s, "spun") for s in spun_sources]
        rng.shuffle(d_jobs)
        for original, kind in d_jobs:
            self._copy_to_d(original, kind)
        rng.choice(self.sites["d"].stories).fail_status = 500

        # Copycat E: partial copies (some credited) and spun copies (never credited).
        e_partial = rng.sample(originals, 6)
        e_spun = rng.sample([s for s in originals if s not in e_partial], 4)
        e_jobs = [(s, "partial") for s in e_partial] + [(s, "spun") for s in e_spun]
        rng.shuffle(e_jobs)
        for i, (original, kind) in enumerate(e_jobs):
            credited = kind == "partial" and i % 2 == 0
            self._copy_to_e(original, kind, credited)

        # Aggregator F: short excerpts and one stitched page from two originals.
        for original in rng.sample(originals, 5):
            self._excerpt_to_f(original)
        first_half = rng.choice(by_site["a"])
        second_half = rng.choice(by_site["c"])
        self._stitch_to_f(first_half, second_half)

    def _copy_time(self, original: _Story) -> datetime:
        return original.article.published + timedelta(minutes=self.rng.randrange(180, 2400, 5))

    def _spin_title(self, title: str, rate: float) -> str:
        """Spin a headline, making sure at least one word changes."""
        for attempt in range(11):
            spun, changes = spin(title, max(rate, 0.1 * attempt), self.rng)
            if changes:
                return spun
        return title  # pragma: no cover - every headline has table words

    def _copy_to_d(self, original: _Story, kind: str) -> None:
        src = original.article
        if kind == "spun":
            rate = self.rng.uniform(0.1, 0.4)
            title = self._spin_title(src.title, rate)
            paragraphs = tuple(spin(p, rate, self.rng)[0] for p in src.paragraphs)
            credit = "Supply hyperlink"
        else:
            title, paragraphs, credit = src.title, src.paragraphs, "Source link"
        article = replace(
            src,
            title=title,
            paragraphs=paragraphs,
            author="admin",
            published=self._copy_time(original),
        )
        self._add_story("d", article, kind=kind, originals=(original,), credit=credit)

    def _copy_to_e(self, original: _Story, kind: str, credited: bool) -> None:
        src = original.article
        rng = self.rng
        if kind == "partial":
            n = len(src.paragraphs)
            length = min(n, max(math.ceil(0.4 * n), math.ceil(rng.uniform(0.45, 0.8) * n)))
            start = rng.randint(0, n - length)
            intro = " ".join(self.writer.filler(2))
            outro = " ".join(self.writer.filler(2))
            paragraphs = (intro, *src.paragraphs[start : start + length], outro)
            title, _ = spin(src.title, 0.5, rng)
        else:
            rate = rng.uniform(0.15, 0.35)
            title = self._spin_title(src.title, rate)
            paragraphs = tuple(spin(p, rate, rng)[0] for p in src.paragraphs)
        article = replace(
            src,
            title=title,
            paragraphs=paragraphs,
            author=rng.choice(self.reporters["e"]),
            published=self._copy_time(original),
        )
        self._add_story(
            "e", article, kind=kind, originals=(original,), credit="Via" if credited else None
        )

    def _excerpt_to_f(self, original: _Story) -> None:
        src = original.article
        sentences = _sentences(src.paragraphs[0]) + _sentences(src.paragraphs[1])
        article = replace(
            src,
            paragraphs=(" ".join(sentences[:3]),),
            author="Digest desk",
            published=self._copy_time(original),
        )
        self._add_story("f", article, kind="excerpt", originals=(original,), credit="Read more")

    def _stitch_to_f(self, one: _Story, two: _Story) -> None:
        first = one.article.paragraphs
        second = two.article.paragraphs
        paragraphs = (
            *first[: math.ceil(len(first) / 2)],
            *second[len(second) - math.ceil(len(second) / 2) :],
        )
        title = f"Round-up: {one.article.title} and more from {two.article.section.lower()}"
        published = max(self._copy_time(one), self._copy_time(two))
        article = replace(
            one.article,
            title=title,
            paragraphs=paragraphs,
            author="Digest desk",
            published=published,
        )
        self._add_story("f", article, kind="partial", originals=(one, two), credit="Sources")

    # -- rendering -----------------------------------------------------------------------

    def render(self) -> None:
        """Render every document of every site."""
        self._render_a()
        self._render_b()
        self._render_c()
        self._render_d()
        self._render_e()
        self._render_f()
        for site in self.sites.values():
            for story in site.stories:
                site.resources[story.path].fail_status = story.fail_status

    def _render_draft(self, key: str, path: str, article: Article) -> None:
        site = self.sites[key]
        body = (
            f'<header><a href="/">{_t(site.name)}</a></header>\n<main><article>\n'
            f'<p class="draft-flag">DRAFT - not for publication</p>\n'
            f"<h1>{_t(article.title)}</h1>\n<p>By {_t(article.author)}</p>\n"
            f"{_paras(article.paragraphs)}\n</article></main>"
        )
        site.add(
            path,
            _document(
                title=f"[Draft] {article.title}",
                head='<meta name="robots" content="noindex">',
                body=body,
            ),
        )

    @staticmethod
    def _static_page(
        site: _Site, path: str, title: str, paragraphs: Sequence[str], chrome: Callable[[str], str]
    ) -> None:
        inner = f"<main><h1>{_t(title)}</h1>\n{_paras(paragraphs)}</main>"
        site.add(path, _document(title=f"{title} | {site.name}", body=chrome(inner)))

    # Publisher A: sitemap index, news sitemap, RSS, JSON-LD, canonical, bylines. ------------

    def _render_a(self) -> None:
        site = self.sites["a"]
        origin = _o("a")
        site.feed_paths = ("/feed.xml",)
        site.sitemap_paths = ("/sitemap_index.xml",)
        stories = _newest_first(site.stories)
        sections = sorted({s.article.section for s in stories})
        draft = self._draft("a", "/drafts/")

        def chrome(inner: str) -> str:
            nav = " ".join(f'<a href="/section/{sec.lower()}/">{_t(sec)}</a>' for sec in sections)
            return (
                f'<header class="masthead"><a class="logo" href="/">{_t(site.name)}</a>\n'
                f'<nav class="sections">{nav}</nav></header>\n{inner}\n'
                '<footer class="site-footer"><p>Copyright 2026 The Harbour Courier. '
                'Independent news for the harbour towns.</p>\n<a href="/about/">About us</a> '
                '<a href="/contact/">Contact</a> <a href="/feed.xml">RSS</a></footer>'
            )

        feed_link = (
            f'<link rel="alternate" type="application/rss+xml" title="{_a(site.name)}" '
            f'href="{origin}/feed.xml">'
        )

        def teaser(story: _Story) -> str:
            art = story.article
            return (
                f'<li class="teaser"><a href="{story.path}">{_t(art.title)}</a>\n'
                f'<p>{_t(art.summary)}</p><span class="when">{_human(art.published)}</span>'
                "</li>"
            )

        for story in stories:
            art = story.article
            url = origin + story.path
            related = [s for s in stories if s is not story][:3]
            ld = {
                "@context": "https://schema.org",
                "@type": "NewsArticle",
                "headline": art.title,
                "datePublished": _iso(art.published),
                "dateModified": _iso(art.published + timedelta(minutes=25)),
                "author": {"@type": "Person", "name": art.author},
                "publisher": {"@type": "Organization", "name": site.name},
                "articleSection": art.section,
                "mainEntityOfPage": url,
                "description": art.summary,
            }
            head = (
                f'<link rel="canonical" href="{url}">\n'
                f'<meta name="description" content="{_a(art.summary)}">\n'
                '<meta property="og:type" content="article">\n'
                f'<meta property="og:title" content="{_a(art.title)}">\n'
                f'<meta property="og:url" content="{url}">\n'
                f'<meta property="article:published_time" content="{_iso(art.published)}">\n'
                f'<meta property="article:section" content="{_a(art.section)}">\n'
                f'<meta name="author" content="{_a(art.author)}">\n{feed_link}\n'
                f'<script type="application/ld+json">{json.dumps(ld)}</script>'
            )
            author_slug = slugify(art.author)
            body = chrome(
                '<main><article class="story">\n'
                f'<p class="kicker"><a href="/section/{art.section.lower()}/">'
                f"{_t(art.section)}</a></p>\n"
                f'<h1 class="headline">{_t(art.title)}</h1>\n'
                f'<p class="byline">By <a rel="author" href="/authors/{author_slug}/">'
                f'{_t(art.author)}</a>, <span class="dateline">{_human(art.published)}</span>'
                "</p>\n"
                f'<div class="story-body">\n{_paras(art.paragraphs)}\n</div>\n'
                '<aside class="more-stories"><h2>More stories</h2><ul>\n'
                + "\n".join(teaser(s) for s in related)
                + "</ul></aside>\n</article></main>"
            )
            site.add(
                story.path, _document(title=f"{art.title} | {site.name}", head=head, body=body)
            )

        home = chrome(
            '<main><h1>Latest news</h1>\n<ul class="teasers">\n'
            + "\n".join(teaser(s) for s in stories)
            + "\n</ul>\n"
            f'<section class="coming-up"><h2>Coming up</h2><a href="{draft}">Preview: '
            "tomorrow's front page</a></section></main>"
        )
        site.add("/", _document(title=f"{site.name} - Latest news", head=feed_link, body=home))
        for sec in sections:
            inner = (
                f"<main><h1>{_t(sec)}</h1>\n<ul>\n"
                + "\n".join(teaser(s) for s in stories if s.article.section == sec)
                + "\n</ul></main>"
            )
            site.add(
                f"/section/{sec.lower()}/",
                _document(title=f"{sec} | {site.name}", body=chrome(inner)),
            )
        for author in sorted({s.article.author for s in stories}):
            inner = (
                f"<main><h1>Stories by {_t(author)}</h1>\n<ul>\n"
                + "\n".join(teaser(s) for s in stories if s.article.author == author)
                + "\n</ul></main>"
            )
            site.add(
                f"/authors/{slugify(author)}/",
                _document(title=f"{author} | {site.name}", body=chrome(inner)),
            )
        self._static_page(
            site,
            "/about/",
            "About us",
            (
                "The Harbour Courier has covered the harbour towns and their hinterland since the "
                "days of hot metal. Our reporters live in the communities they write about.",
                "We are funded by our readers and by local advertising. We do not accept money "
                "from the organisations we report on.",
            ),
            chrome,
        )
        self._static_page(
            site,
            "/contact/",
            "Contact the newsroom",
            (
                "Got a story? Call the newsdesk or write to us at the Harbour Office, Quay Street.",
                "Corrections and complaints are handled by the readers' editor within five "
                "working days.",
            ),
            chrome,
        )

        site.add(
            "/robots.txt",
            _robots(
                "User-agent: *", "Disallow: /drafts/", "", f"Sitemap: {origin}/sitemap_index.xml"
            ),
            TEXT_TYPE,
        )
        newest = stories[0].article.published
        site.add(
            "/sitemap_index.xml",
            (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                f"<sitemap><loc>{origin}/sitemaps/news.xml</loc>"
                f"<lastmod>{_iso(newest)}</lastmod></sitemap>\n"
                f"<sitemap><loc>{origin}/sitemaps/pages.xml</loc>"
                f"<lastmod>{_iso(newest)}</lastmod></sitemap>\n"
                "</sitemapindex>\n"
            ),
            XML_TYPE,
        )
        news_entries = [
            f"<url><loc>{origin}{s.path}</loc><news:news><news:publication>"
            f"<news:name>{_t(site.name)}</news:name><news:language>en</news:language>"
            "</news:publication>"
            f"<news:publication_date>{_iso(s.article.published)}</news:publication_date>"
            f"<news:title>{_t(s.article.title)}</news:title></news:news></url>\n"
            for s in stories
        ]
        site.add("/sitemaps/news.xml", _urlset(news_entries, news=True), XML_TYPE)
        page_entries = [_url_entry(f"{origin}/", newest, "1.0")]
        page_entries += [
            _url_entry(f"{origin}/section/{sec.lower()}/", newest, "0.6") for sec in sections
        ]
        page_entries += [
            _url_entry(f"{origin}{s.path}", s.article.published, "0.8") for s in stories
        ]
        page_entries.append(_url_entry(f"{origin}{draft}", newest, "0.3"))
        page_entries += [_url_entry(f"{origin}/about/"), _url_entry(f"{origin}/contact/")]
        site.add("/sitemaps/pages.xml", _urlset(page_entries), XML_TYPE)
        items = [
            _rss_item(
                s,
                origin,
                f'<guid isPermaLink="true">{origin}{s.path}</guid>',
                f"<dc:creator>{_t(s.article.author)}</dc:creator>"
                f"<category>{_t(s.article.section)}</category>",
            )
            for s in stories
        ]
        site.add(
            "/feed.xml",
            _rss(
                title=site.name,
                link=f"{origin}/",
                self_url=f"{origin}/feed.xml",
                description="Latest news from the harbour towns",
                items=items,
                last_build=newest,
            ),
            RSS_TYPE,
        )

    # Publisher B: Atom feed advertised only on the home page, <time datetime>. ----------

    def _render_b(self) -> None:
        site = self.sites["b"]
        origin = _o("b")
        stories = _newest_first(site.stories)
        sections = sorted({s.article.section for s in stories})
        private = self._draft("b", "/private/")
        alternates = (
            f'<link rel="alternate" type="application/atom+xml" title="{_a(site.name)} (Atom)" '
            f'href="{origin}/atom.xml">\n'
            f'<link rel="alternate" type="application/rss+xml" title="{_a(site.name)} (RSS)" '
            f'href="{origin}/rss.xml">'
        )

        def chrome(inner: str) -> str:
            topics = "".join(
                f'<li><a href="/topics/{sec.lower()}/">{_t(sec)}</a></li>' for sec in sections
            )
            return (
                f'<div class="top"><a href="/">{_t(site.name)}</a> '
                f'<span class="tagline">News from up and down the valley</span></div>\n'
                f'<ul class="topics">{topics}</ul>\n<div class="content">{inner}</div>\n'
                '<div class="bottom">Valley Ledger is a community news cooperative. '
                '<a href="/about/">Who we are</a> | '
                f'<a href="{private}">Members area</a></div>'
            )

        def card(story: _Story) -> str:
            art = story.article
            return (
                f'<div class="card"><h3><a href="{story.path}">{_t(art.title)}</a></h3>'
                f'<time datetime="{_iso(art.published)}">{_short_date(art.published)}</time>'
                f"<p>{_t(art.summary)}</p></div>"
            )

        for story in stories:
            art = story.article
            body = chrome(
                "<article>\n<header>\n"
                f"<h1>{_t(art.title)}</h1>\n"
                f'<p class="meta">By <span class="author">{_t(art.author)}</span>, '
                f'<time datetime="{_iso(art.published)}">{_human(art.published)}</time></p>\n'
                f"</header>\n{_paras(art.paragraphs)}\n"
                f'<footer class="filed">Filed under <a href="/topics/{art.section.lower()}/">'
                f"{_t(art.section)}</a></footer>\n</article>"
            )
            site.add(story.path, _document(title=art.title, body=body))
        home = chrome(
            "<h1>Today in the valley</h1>\n"
            + "\n".join(card(s) for s in stories)
            + f'\n<p class="private-note"><a href="{private}">Read the members-only '
            "briefing</a></p>"
        )
        site.add("/", _document(title=site.name, head=alternates, body=home))
        for sec in sections:
            inner = f"<h1>{_t(sec)}</h1>\n" + "\n".join(
                card(s) for s in stories if s.article.section == sec
            )
            site.add(
                f"/topics/{sec.lower()}/",
                _document(title=f"{sec} - {site.name}", body=chrome(inner)),
            )
        self._static_page(
            site,
            "/about/",
            "Who we are",
            (
                "Valley Ledger is owned by its readers. Members elect the board every spring and "
                "anyone in the valley can pitch a story.",
                "Our reporters cover council meetings, courts, schools and sport across the "
                "valley towns.",
            ),
            chrome,
        )
        site.add("/robots.txt", _robots("User-agent: *", "Disallow: /private/"), TEXT_TYPE)
        newest = stories[0].article.published
        entries = [
            "<entry>"
            f"<title>{_t(s.article.title)}</title>"
            f'<link rel="alternate" type="text/html" href="{origin}{s.path}"/>'
            f"<id>{origin}{s.path}</id>"
            f"<published>{_iso(s.article.published)}</published>"
            f"<updated>{_iso(s.article.published)}</updated>"
            f"<author><name>{_t(s.article.author)}</name></author>"
            f'<category term="{_a(s.article.section)}"/>'
            f"<summary>{_t(s.article.summary)}</summary></entry>\n"
            for s in stories
        ]
        site.add(
            "/atom.xml",
            (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                '<feed xmlns="http://www.w3.org/2005/Atom">\n'
                f"<title>{_t(site.name)}</title>\n<id>{origin}/</id>\n"
                f"<updated>{_iso(newest)}</updated>\n"
                f'<link rel="self" type="application/atom+xml" href="{origin}/atom.xml"/>\n'
                f'<link rel="alternate" type="text/html" href="{origin}/"/>\n'
                + "".join(entries)
                + "</feed>\n"
            ),
            ATOM_TYPE,
        )
        items = [
            _rss_item(s, origin, f'<guid isPermaLink="true">{origin}{s.path}</guid>')
            for s in stories
        ]
        site.add(
            "/rss.xml",
            _rss(
                title=site.name,
                link=f"{origin}/",
                self_url=f"{origin}/rss.xml",
                description="News from up and down the valley",
                items=items,
                last_build=newest,
            ),
            RSS_TYPE,
        )

    # Publisher C: RSS with pubDate, plain sitemap with lastmod, date paths. --------------

    def _render_c(self) -> None:
        site = self.sites["c"]
        origin = _o("c")
        site.feed_paths = ("/rss.xml",)
        stories = _newest_first(site.stories)

        def chrome(inner: str) -> str:
            return (
                f'<div id="banner"><a href="/"><b>{_t(site.name)}</b></a>'
                '<form action="/search" method="get"><input name="q" type="search">'
                "<button>Search</button></form></div>\n"
                '<div id="menu"><a href="/">Front page</a> <a href="/archive/">Archive</a> '
                '<a href="/about/">About</a></div>\n'
                f'<div id="page">{inner}</div>\n'
                '<div id="colophon">The Moorland Chronicle, published every day from the '
                "moor's edge.</div>"
            )

        def row(story: _Story) -> str:
            art = story.article
            return (
                f'<tr><td><a href="{story.path}">{_t(art.title)}</a></td>'
                f"<td>{_short_date(art.published)}</td><td>{_t(art.author)}</td></tr>"
            )

        for story in stories:
            art = story.article
            head = (
                f'<meta property="article:published_time" content="{_iso(art.published)}">\n'
                f'<meta name="author" content="{_a(art.author)}">\n'
                f'<link rel="alternate" type="application/rss+xml" href="{origin}/rss.xml">'
            )
            body = chrome(
                '<div class="story">\n'
                f'<h1 class="title">{_t(art.title)}</h1>\n'
                f'<div class="info">{_t(art.author)} | {_human(art.published)} | '
                f"{_t(art.section)}</div>\n"
                f'<div class="text">\n{_paras(art.paragraphs)}\n</div>\n'
                '<div class="share">Share this story: <a href="/about/">email a friend</a></div>'
                "\n</div>"
            )
            site.add(
                story.path, _document(title=f"{art.title} - {site.name}", head=head, body=body)
            )
        home = chrome(
            "<h1>Front page</h1>\n<table>\n"
            + "\n".join(row(s) for s in stories[:6])
            + '\n</table>\n<p><a href="/archive/">All stories</a></p>'
        )
        site.add("/", _document(title=site.name, body=home))
        site.add(
            "/archive/",
            _document(
                title=f"Archive - {site.name}",
                body=chrome(
                    "<h1>Archive</h1>\n<table>\n"
                    + "\n".join(row(s) for s in stories)
                    + "\n</table>"
                ),
            ),
        )
        self._static_page(
            site,
            "/about/",
            "About the Chronicle",
            (
                "The Moorland Chronicle reports on the market towns and villages around the moor.",
                "Letters to the editor are welcome and are published every Saturday.",
            ),
            chrome,
        )
        site.add(
            "/robots.txt",
            _robots("User-agent: *", "Disallow: /search", "", f"Sitemap: {origin}/sitemap.xml"),
            TEXT_TYPE,
        )
        newest = stories[0].article.published
        entries = [_url_entry(f"{origin}/", newest), _url_entry(f"{origin}/archive/", newest)]
        entries += [_url_entry(f"{origin}{s.path}", s.article.published) for s in stories]
        site.add("/sitemap.xml", _urlset(entries), XML_TYPE)
        items = [_rss_item(s, origin, f"<guid>{origin}{s.path}</guid>") for s in stories]
        site.add(
            "/rss.xml",
            _rss(
                title=site.name,
                link=f"{origin}/",
                self_url=f"{origin}/rss.xml",
                description="News from around the moor",
                items=items,
                last_build=newest,
            ),
            RSS_TYPE,
        )

    # Copycat D: WordPress-like, verbatim and spun copies with credit links, RSS <source>. ---

    def _render_d(self) -> None:
        site = self.sites["d"]
        origin = _o("d")
        site.feed_paths = ("/feed/",)
        stories = _newest_first(site.stories)
        categories = sorted({s.article.section for s in stories})

        def tags(story: _Story) -> list[str]:
            return [story.article.topic, f"{story.article.section.lower()}-news"]

        all_tags = sorted({t for s in stories for t in tags(s)})

        def sidebar() -> str:
            recent = "".join(
                f'<li><a href="{s.path}">{_t(s.article.title)}</a></li>' for s in stories[:5]
            )
            cats = "".join(
                f'<li class="cat-item"><a href="/category/{c.lower()}/">{_t(c)}</a></li>'
                for c in categories
            )
            return (
                '<aside id="secondary" class="widget-area">\n'
                '<section class="widget widget_search"><form role="search" method="get" '
                'action="/"><input type="search" name="s" placeholder="Search ...">'
                "<button>Search</button></form></section>\n"
                '<section class="widget widget_recent_entries"><h2 class="widget-title">'
                f"Recent Posts</h2><ul>{recent}</ul></section>\n"
                '<section class="widget widget_categories"><h2 class="widget-title">'
                f"Categories</h2><ul>{cats}</ul></section>\n"
                '<section class="widget widget_text"><h2 class="widget-title">Advertisement'
                '</h2><div class="ad-slot">Your advert could be here. Contact us for rates.'
                "</div></section>\n</aside>"
            )

        def chrome(inner: str) -> str:
            nav = "".join(
                f'<li class="menu-item"><a href="/category/{c.lower()}/">{_t(c)}</a></li>'
                for c in categories
            )
            return (
                '<div id="page" class="site">\n<header id="masthead" class="site-header">\n'
                f'<p class="site-title"><a href="/" rel="home">{_t(site.name)}</a></p>\n'
                '<p class="site-description">All the news, all the time</p>\n'
                '<nav id="site-navigation" class="main-navigation"><ul id="primary-menu">'
                f'<li class="menu-item"><a href="/">Home</a></li>{nav}'
                '<li class="menu-item"><a href="/about-us/">About Us</a></li>'
                '<li class="menu-item"><a href="/contact/">Contact</a></li></ul></nav>\n'
                f'</header>\n<div id="content" class="site-content">\n'
                f'<main id="primary" class="site-main">{inner}</main>\n{sidebar()}\n</div>\n'
                '<footer id="colophon" class="site-footer"><div class="site-info">'
                f"Copyright 2026 {_t(site.name)}. All rights reserved. "
                '<a href="/privacy-policy/">Privacy Policy</a></div></footer>\n</div>'
            )

        def excerpt(story: _Story) -> str:
            words = story.article.paragraphs[0].split()[:30]
            return _t(" ".join(words)) + " [\u2026]"

        def post_summary(story: _Story) -> str:
            art = story.article
            return (
                f'<article class="post type-post status-publish">\n<header class="entry-header">'
                f'<h2 class="entry-title"><a href="{story.path}" rel="bookmark">'
                f"{_t(art.title)}</a></h2></header>\n"
                f'<div class="entry-summary"><p>{excerpt(story)}</p></div>\n'
                f'<a class="more-link" href="{story.path}">Continue reading</a>\n</article>'
            )

        for i, story in enumerate(stories):
            art = story.article
            original = story.originals[0]
            related = [stories[(i + k) % len(stories)] for k in (1, 2, 3)]
            related_html = "".join(
                f'<li><a href="{r.path}">{_t(r.article.title)}</a><p>{excerpt(r)}</p></li>'
                for r in related
            )
            tag_links = ", ".join(f'<a href="/tag/{t}/" rel="tag">{t}</a>' for t in tags(story))
            inner = (
                f'<article class="post type-post status-publish format-standard">\n'
                f'<header class="entry-header"><h1 class="entry-title">{_t(art.title)}</h1>\n'
                '<div class="entry-meta"><span class="posted-on">Posted on '
                f'<time class="entry-date published" datetime="{_iso(art.published)}">'
                f"{_short_date(art.published)}</time></span> "
                '<span class="byline">by <span class="author vcard"><a class="url fn n" '
                'href="/author/admin/">admin</a></span></span></div>\n</header>\n'
                f'<div class="entry-content">\n{_paras(art.paragraphs)}\n'
                f'<p><a href="{original.ref}" target="_blank" rel="noopener">'
                f"{story.credit}</a></p>\n</div>\n"
                '<footer class="entry-footer"><span class="cat-links">Posted in '
                f'<a href="/category/{art.section.lower()}/" rel="category tag">'
                f"{_t(art.section)}</a></span> "
                f'<span class="tags-links">Tagged {tag_links}</span></footer>\n</article>\n'
                '<div class="related-posts"><h3>Related Posts</h3><ul>'
                f"{related_html}</ul></div>\n"
                '<div id="comments" class="comments-area"><div id="respond" '
                'class="comment-respond"><h3 id="reply-title" class="comment-reply-title">'
                "Leave a Reply</h3>\n"
                '<form action="/wp-comments-post.php" method="post" id="commentform">'
                '<p class="comment-notes">Your email address will not be published. Required '
                "fields are marked *</p>\n"
                '<p><label for="comment">Comment</label><textarea id="comment" name="comment">'
                "</textarea></p>\n"
                '<p><label for="author">Name *</label><input id="author" name="author"></p>\n'
                '<p><label for="email">Email *</label><input id="email" name="email"></p>\n'
                '<p><input name="submit" type="submit" value="Post Comment"></p></form>'
                "</div></div>"
            )
            head = (
                f'<link rel="canonical" href="{origin}{story.path}">\n'
                f'<meta property="article:published_time" content="{_iso(art.published)}">\n'
                f'<link rel="alternate" type="application/rss+xml" href="{origin}/feed/">'
            )
            site.add(
                story.path,
                _document(
                    title=f"{art.title} - {site.name}",
                    head=head,
                    body=chrome(inner),
                    lang="en-US",
                    body_class="post-template-default single single-post",
                ),
            )

        def listing(path: str, heading: str, members: Sequence[_Story]) -> None:
            inner = (
                f'<header class="page-header"><h1 class="page-title">{_t(heading)}</h1>'
                "</header>\n" + "\n".join(post_summary(s) for s in members)
            )
            site.add(
                path,
                _document(
                    title=f"{heading} - {site.name}",
                    body=chrome(inner),
                    lang="en-US",
                    body_class="archive",
                ),
            )

        listing("/", "Latest News", stories)
        for cat in categories:
            listing(
                f"/category/{cat.lower()}/",
                f"Category: {cat}",
                [s for s in stories if s.article.section == cat],
            )
        for tag in all_tags:
            listing(f"/tag/{tag}/", f"Tag: {tag}", [s for s in stories if tag in tags(s)])
        listing("/author/admin/", "Author: admin", stories)
        for path, title, text in (
            (
                "/about-us/",
                "About Us",
                (
                    "Daily News Buzz brings you the most important stories of the day from all "
                    "over the web, in one place.",
                    "Our mission is to keep you informed with fresh content every single day.",
                ),
            ),
            (
                "/contact/",
                "Contact",
                (
                    "Use the form below to get in touch with our editorial team.",
                    "We aim to reply to every message within two working days.",
                ),
            ),
            (
                "/privacy-policy/",
                "Privacy Policy",
                (
                    "This website uses cookies to improve your experience and to show relevant "
                    "advertising.",
                    "We never sell your personal information to third parties.",
                ),
            ),
        ):
            self._static_page(site, path, title, text, chrome)
        site.add(
            "/robots.txt",
            _robots("User-agent: *", "Disallow: /wp-admin/", "Allow: /wp-admin/admin-ajax.php"),
            TEXT_TYPE,
        )
        items: list[str] = []
        for s in stories:
            original = s.originals[0]
            source_name = self.sites[original.site].name
            content = _paras(s.article.paragraphs) + (
                f'<p><a href="{original.ref}">{s.credit}</a></p>'
            )
            items.append(
                "<item>"
                f"<title>{_t(s.article.title)}</title><link>{origin}{s.path}</link>"
                f"<dc:creator>admin</dc:creator>"
                f"<pubDate>{format_datetime(s.article.published)}</pubDate>"
                f"<category>{_t(s.article.section)}</category>"
                f'<guid isPermaLink="false">{origin}/?p={1000 + len(items)}</guid>'
                f"<description>{excerpt(s)}</description>"
                f"<content:encoded><![CDATA[{content}]]></content:encoded>"
                f'<source url="{original.ref}">{_t(source_name)}</source>'
                "</item>\n"
            )
        site.add(
            "/feed/",
            _rss(
                title=site.name,
                link=f"{origin}/",
                self_url=f"{origin}/feed/",
                description="All the news, all the time",
                items=items,
                last_build=stories[0].article.published,
                extra_ns=' xmlns:content="http://purl.org/rss/1.0/modules/content/"',
            ),
            RSS_TYPE,
        )

    # Copycat E: no feed, no sitemap; pagination, listing pages, partial and spun copies. ---

    def _render_e(self) -> None:
        site = self.sites["e"]
        stories = _newest_first(site.stories)
        per_page = 4
        pages = [stories[i : i + per_page] for i in range(0, len(stories), per_page)]
        categories = sorted({s.article.section for s in stories})
        draft = self._draft("e", "/drafts/")

        def tag_of(story: _Story) -> str:
            return slugify(story.article.topic + " news", 2)

        def author_slug(story: _Story) -> str:
            return slugify(story.article.author)

        def chrome(inner: str) -> str:
            ticker = " &middot; ".join(
                f'<a href="{s.path}">{_t(s.article.title)}</a>' for s in stories[:3]
            )
            cats = " ".join(
                f'<a class="cat" href="/category/{c.lower()}/">{_t(c)}</a>' for c in categories
            )
            return (
                f'<div class="tw-header"><a class="brand" href="/">{_t(site.name)}</a>'
                f'<div class="cats">{cats}</div></div>\n'
                f'<div class="ticker"><b>Trending:</b> {ticker}</div>\n'
                f'<div class="tw-main">{inner}</div>\n'
                '<div class="tw-footer">Trending Wire - stories people are talking about. '
                f'<a href="/about/">About</a> <a href="{draft}">Coming soon</a></div>'
            )

        def tile(story: _Story) -> str:
            art = story.article
            return (
                f'<div class="tile"><a class="tile-link" href="{story.path}">'
                f"{_t(art.title)}</a>"
                f'<span class="tile-meta">by <a href="/author/{author_slug(story)}/">'
                f"{_t(art.author)}</a> in "
                f'<a href="/category/{art.section.lower()}/">{_t(art.section)}</a> '
                f'<a class="tag" href="/tag/{tag_of(story)}/">#{tag_of(story)}</a></span></div>'
            )

        for i, story in enumerate(stories):
            art = story.article
            credit = ""
            if story.credit:
                original = story.originals[0]
                credit = (
                    f'<p class="via">{story.credit} <a href="{original.ref}">'
                    f"{_t(self.sites[original.site].name)}</a></p>\n"
                )
            also = [stories[(i + k) % len(stories)] for k in (1, 2)]
            inner = (
                '<div class="post">\n'
                f'<h1 class="post-title">{_t(art.title)}</h1>\n'
                f'<div class="post-meta">By <a href="/author/{author_slug(story)}/">'
                f'{_t(art.author)}</a> | <span class="date">{_short_date(art.published)}'
                f'</span> | <a href="/tag/{tag_of(story)}/">#{tag_of(story)}</a></div>\n'
                '<div class="share-bar">Share: Facebook | X | WhatsApp | Email</div>\n'
                f'<div class="post-content">\n{_paras(art.paragraphs)}\n</div>\n{credit}'
                '<div class="also"><h4>You may also like</h4>'
                + "".join(tile(s) for s in also)
                + "</div>\n</div>"
            )
            head = f'<meta property="article:published_time" content="{_iso(art.published)}">'
            site.add(story.path, _document(title=art.title, head=head, body=chrome(inner)))

        for number, members in enumerate(pages, start=1):
            path = "/" if number == 1 else f"/page/{number}/"
            links: list[str] = []
            rel_links: list[str] = []
            if number > 1:
                prev_path = "/" if number == 2 else f"/page/{number - 1}/"
                links.append(f'<a class="prev" rel="prev" href="{prev_path}">Newer posts</a>')
                rel_links.append(f'<link rel="prev" href="{prev_path}">')
            if number < len(pages):
                next_path = f"/page/{number + 1}/"
                links.append(f'<a class="next" rel="next" href="{next_path}">Older posts</a>')
                rel_links.append(f'<link rel="next" href="{next_path}">')
            inner = (
                f"<h1>{'Latest' if number == 1 else f'Latest - page {number}'}</h1>\n"
                + "\n".join(tile(s) for s in members)
                + f'\n<div class="pagination">{" ".join(links)}</div>'
            )
            document = _document(
                title=f"{site.name} - page {number}", head="\n".join(rel_links), body=chrome(inner)
            )
            site.add(path, document)

        def listing(path: str, heading: str, members: Iterable[_Story]) -> None:
            inner = f"<h1>{_t(heading)}</h1>\n" + "\n".join(tile(s) for s in members)
            site.add(path, _document(title=f"{heading} - {site.name}", body=chrome(inner)))

        for cat in categories:
            listing(
                f"/category/{cat.lower()}/", cat, [s for s in stories if s.article.section == cat]
            )
        for tag in sorted({tag_of(s) for s in stories}):
            listing(f"/tag/{tag}/", f"#{tag}", [s for s in stories if tag_of(s) == tag])
        for author in sorted({author_slug(s) for s in stories}):
            listing(
                f"/author/{author}/",
                f"Posts by {author}",
                [s for s in stories if author_slug(s) == author],
            )
        self._static_page(
            site,
            "/about/",
            "About Trending Wire",
            (
                "Trending Wire finds the stories everyone is talking about so you do not have to.",
                "Follow us for the hottest news, updated around the clock.",
            ),
            chrome,
        )
        site.add("/robots.txt", _robots("User-agent: *", "Disallow: /drafts/"), TEXT_TYPE)

    # Aggregator F: sitemap with short excerpts and one stitched round-up. ----------------

    def _render_f(self) -> None:
        site = self.sites["f"]
        origin = _o("f")
        site.sitemap_paths = ("/sitemap.xml",)
        stories = _newest_first(site.stories)

        def chrome(inner: str) -> str:
            return (
                f'<nav class="digest-nav"><a href="/">{_t(site.name)}</a> '
                '<a href="/about/">About</a></nav>\n'
                f"<section>{inner}</section>\n"
                '<p class="legal">Headline Digest links to the best local journalism.</p>'
            )

        for story in stories:
            art = story.article
            credits = " ".join(
                f'<a href="{o.ref}">{_t(self.sites[o.site].name)}</a>' for o in story.originals
            )
            if story.kind == "excerpt":
                tail = f'<p class="read-more">Read the full story at {credits}</p>'
            else:
                tail = f'<p class="sources">Sources: {credits}</p>'
            inner = (
                f"<article><h1>{_t(art.title)}</h1>\n"
                f'<p class="stamp"><time datetime="{_iso(art.published)}">'
                f"{_short_date(art.published)}</time></p>\n"
                f"{_paras(art.paragraphs)}\n{tail}</article>"
            )
            site.add(story.path, _document(title=f"{art.title} | {site.name}", body=chrome(inner)))
        home = chrome(
            "<h1>Today's digest</h1>\n<ul>"
            + "".join(f'<li><a href="{s.path}">{_t(s.article.title)}</a></li>' for s in stories)
            + "</ul>"
        )
        site.add("/", _document(title=site.name, body=home))
        self._static_page(
            site,
            "/about/",
            "About Headline Digest",
            (
                "Headline Digest is a daily selection of local news from around the region.",
                "Every item links back to the publisher that reported it.",
            ),
            chrome,
        )
        site.add(
            "/robots.txt",
            _robots("User-agent: *", "Allow: /", "", f"Sitemap: {origin}/sitemap.xml"),
            TEXT_TYPE,
        )
        entries = [_url_entry(f"{origin}{s.path}", s.article.published) for s in stories]
        site.add("/sitemap.xml", _urlset(entries), XML_TYPE)


# --------------------------------------------------------------------------------------------
# The HTTP side
# --------------------------------------------------------------------------------------------


class _SiteServer(LoopbackServer):
    """A threading HTTP server that knows which fixture site it serves."""

    def __init__(self, address: tuple[str, int], web: FixtureWeb, key: str) -> None:
        self.web = web
        self.site_key = key
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    """Serves the pre-rendered documents of one site."""

    server: _SiteServer
    protocol_version = "HTTP/1.0"
    server_version = "CopycatFixture/1.0"
    sys_version = ""

    def do_GET(self) -> None:
        """Serve a document (or an error page)."""
        self._serve(with_body=True)

    def do_HEAD(self) -> None:
        """Serve the headers of a document."""
        self._serve(with_body=False)

    def _serve(self, *, with_body: bool) -> None:
        web = self.server.web
        status, content_type, payload, headers = web._respond(
            self.server.site_key, self.path, self.headers.get("User-Agent", "")
        )
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            if with_body:
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # client went away
            pass

    def log_message(self, format: str, *args: object) -> None:
        """Silence the default stderr access log (requests go to ``request_log``)."""


_NOT_FOUND = _document(
    title="Page not found",
    body="<h1>Page not found</h1>\n<p>Sorry, there is nothing at this address.</p>",
).encode()
_SERVER_ERROR = _document(
    title="Server error",
    body="<h1>Something went wrong</h1>\n<p>Please try again in a moment.</p>",
).encode()


class FixtureWeb(ThreadedServers):
    """The demo web: six fictional news sites on loopback, with known ground truth.

    Content is generated at construction, deterministically from ``seed``. :meth:`start` binds
    one port per site (ephemeral ports unless ``base_port`` is given, then ``base_port``,
    ``base_port + 1``, ...) and serves them from daemon threads; :meth:`stop` shuts them down.
    It is also a context manager. The ground-truth attributes hold absolute URLs and are only
    available while the web is started.
    """

    def __init__(
        self, seed: int = 7, host: str = "127.0.0.1", base_port: int | None = None
    ) -> None:
        """Generate all the content for ``seed``; nothing is bound until :meth:`start`."""
        self.seed = seed
        self.host = host
        self.base_port = base_port
        builder = _Builder(seed)
        builder.generate()
        builder.render()
        self._builder = builder
        self._sites = builder.sites
        self._servers = []
        self._origins: dict[str, str] = {}
        self._rendered: dict[str, dict[str, tuple[bytes, _Resource]]] = {}
        self._lock = threading.Lock()
        self._failed: set[tuple[str, str]] = set()
        self.request_log: list[LoggedRequest] = []

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> Self:
        """Bind every site's port, fill in the origins and start serving."""
        if self._servers:
            raise RuntimeError("the fixture web is already started")
        servers: list[_SiteServer] = []
        try:
            for i, key in enumerate(self._sites):
                port = 0 if self.base_port is None else self.base_port + i
                servers.append(_SiteServer((self.host, port), self, key))
        except OSError:
            for server in servers:
                server.server_close()
            raise
        self._origins = {
            key: f"http://{self.host}:{server.server_address[1]}"
            for key, server in zip(self._sites, servers, strict=True)
        }
        self._rendered = {
            key: {
                path: (self._resolve(res.body).encode("utf-8"), res)
                for path, res in site.resources.items()
            }
            for key, site in self._sites.items()
        }
        with self._lock:
            self._failed.clear()
        for server in servers:
            thread = serve_in_thread(server, f"fixture-web-{server.site_key}")
            self._servers.append((server, thread))
        return self

    # -- ground truth --------------------------------------------------------------------

    def _need_origins(self) -> dict[str, str]:
        if not self._servers:
            raise RuntimeError("start() the fixture web first: URLs depend on the bound ports")
        return self._origins

    def _resolve(self, text: str) -> str:
        for key, origin in self._origins.items():
            text = text.replace(_o(key), origin)
        return text

    def _url(self, story: _Story) -> str:
        return self._need_origins()[story.site] + story.path

    def origin_of(self, name_or_key: str) -> str:
        """Origin of a site given its name (``"Valley Ledger"``) or internal key (``"b"``)."""
        origins = self._need_origins()
        for key, site in self._sites.items():
            if name_or_key in (key, site.name):
                return origins[key]
        raise KeyError(name_or_key)

    @property
    def sites(self) -> list[FixtureSite]:
        """Every site, with the feed and sitemap URLs a user would register for it."""
        origins = self._need_origins()
        return [
            FixtureSite(
                origin=origins[key],
                name=site.name,
                role=site.role,
                feeds=tuple(origins[key] + p for p in site.feed_paths),
                sitemaps=tuple(origins[key] + p for p in site.sitemap_paths),
            )
            for key, site in self._sites.items()
        ]

    def _stories(self) -> Iterable[_Story]:
        for site in self._sites.values():
            yield from site.stories

    @property
    def article_urls(self) -> frozenset[str]:
        """Every well-formed article page (originals, copies, excerpts; not robots-blocked)."""
        return frozenset(self._url(s) for s in self._stories())

    @property
    def original_urls(self) -> frozenset[str]:
        """The article pages of the three publishers."""
        return frozenset(self._url(s) for s in self._stories() if s.kind is None)

    @property
    def disallowed_urls(self) -> frozenset[str]:
        """Existing, linked pages that robots.txt disallows."""
        origins = self._need_origins()
        return frozenset(
            origins[key] + path for key, site in self._sites.items() for path in site.disallowed
        )

    @property
    def expected_pairs(self) -> list[ExpectedPair]:
        """Copy pages and the original each one copies (excerpt pages are not included)."""
        return [
            ExpectedPair(self._url(s), self._url(o), s.kind)
            for s in self._stories()
            if s.kind in ("verbatim", "partial", "spun")
            for o in s.originals
        ]

    @property
    def excerpt_pairs(self) -> list[tuple[str, str]]:
        """Aggregator excerpt pages (three sentences) and the original they quote."""
        return [
            (self._url(s), self._url(s.originals[0]))
            for s in self._stories()
            if s.kind == "excerpt"
        ]

    @property
    def independent_pairs(self) -> list[tuple[str, str]]:
        """Independent reports of one event by two outlets: must *not* be paired."""
        return [(self._url(a), self._url(b)) for a, b in self._builder.independent]

    @property
    def follow_up_pairs(self) -> list[tuple[str, str]]:
        """A story and its follow-up by the same outlet: must *not* be paired."""
        return [(self._url(a), self._url(b)) for a, b in self._builder.follow_ups]

    @property
    def fail_once_urls(self) -> frozenset[str]:
        """Article pages whose first request gets a 5xx error."""
        return frozenset(self._url(s) for s in self._stories() if s.fail_status)

    def article_text(self, url: str) -> tuple[str, tuple[str, ...]]:
        """The headline and paragraphs of the article page at ``url`` (ground truth)."""
        for story in self._stories():
            if self._url(story) == url:
                return story.article.title, story.article.paragraphs
        raise KeyError(url)

    def content_digest(self) -> str:
        """SHA-256 over every document before origins are filled in (port independent)."""
        digest = hashlib.sha256()
        for key, site in self._sites.items():
            for path in sorted(site.resources):
                digest.update(f"{key}\0{path}\0".encode())
                digest.update(site.resources[path].body.encode())
        return digest.hexdigest()

    # -- request log ---------------------------------------------------------------------

    def fetch_count(self, url: str) -> int:
        """How many logged requests asked for ``url`` (any status)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        with self._lock:
            return sum(1 for r in self.request_log if r.origin == origin and r.path == path)

    def clear_log(self) -> None:
        """Forget all logged requests."""
        with self._lock:
            self.request_log.clear()

    def _respond(
        self, key: str, target: str, user_agent: str
    ) -> tuple[int, str, bytes, list[tuple[str, str]]]:
        """Decide the response to a request for ``target`` on site ``key`` and log it."""
        parts = urlsplit(target)
        path = parts.path or "/"
        logged_path = path + (f"?{parts.query}" if parts.query else "")
        entry = self._rendered.get(key, {}).get(path)
        headers: list[tuple[str, str]] = []
        with self._lock:
            if entry is None:
                status, content_type, payload = 404, HTML_TYPE, _NOT_FOUND
            else:
                payload, resource = entry
                status, content_type = 200, resource.content_type
                if resource.fail_status and (key, path) not in self._failed:
                    self._failed.add((key, path))
                    status, content_type, payload = resource.fail_status, HTML_TYPE, _SERVER_ERROR
                    if status == 503:
                        headers.append(("Retry-After", "0"))
            self.request_log.append(
                LoggedRequest(self._origins[key], logged_path, status, user_agent, time.time())
            )
        return status, content_type, payload, headers
