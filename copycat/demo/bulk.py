"""A large, plain web of news sites on loopback, for the crawl benchmark.

:class:`BulkWeb` generates ``sites`` × ``articles`` article pages with the demo's news writer
(:mod:`copycat.demo.text`) and the demo web's page templates (:mod:`copycat.demo.web`); a
share of each copycat site's articles are verbatim copies of a publisher's, crediting it, so
the match and store stages have real work. Each site gets its own loopback address
(``127.0.0.2``, ``127.0.0.3``, …): Scrapy keys its per-site download slots on the host, so
the sites are crawled side by side the way real sites would be.

Run it as a process of its own, so serving does not compete with the crawler for its GIL::

    python -m copycat.demo.bulk --sites 20 --articles 500

It prints one JSON line (``{"sites": [{"origin", "name", "role", "sitemap"}, …],
"articles": N}``) once every port is bound, then serves until stdin closes or it is killed.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Self
from urllib.parse import urlsplit

from copycat.demo.serving import LoopbackServer, ThreadedServers, serve_in_thread
from copycat.demo.text import TOPICS, Article, NewsWriter
from copycat.demo.web import (
    HTML_TYPE,
    TEXT_TYPE,
    XML_TYPE,
    _document,
    _paras,
    _robots,
    _t,
    _url_entry,
    _urlset,
)

__all__ = ["BulkSite", "BulkWeb", "main"]

COPY_SHARE = 0.2
"""Share of a copycat site's articles that copy a publisher's article verbatim."""
PUBLISHER_SHARE = 0.7
"""Share of the sites that are publishers; the others are copycats."""
_ARTICLES_PER_WRITER = 100
"""A news writer never reuses a person's name and knows ~2,000: start a fresh one this often."""
_T0 = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)


@dataclass(frozen=True)
class BulkSite:
    """One site of the bulk web: where it is served and the sitemap listing its articles."""

    origin: str
    name: str
    role: str
    sitemap: str


@dataclass(frozen=True)
class _Page:
    path: str
    article: Article
    credit: tuple[str, str] | None = None
    """(site index, path) of the original this page copies."""


class _Server(LoopbackServer):
    """Serves one site's pre-rendered documents."""

    request_queue_size = 128

    def __init__(self, host: str, documents: dict[str, tuple[str, list[bytes]]]) -> None:
        self.documents = documents
        super().__init__((host, 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"
    server_version = "CopycatBulk/1.0"
    sys_version = ""

    def do_GET(self) -> None:
        """Serve a document or a 404."""
        entry = self.server.documents.get(urlsplit(self.path).path or "/")
        content_type, parts = entry or (HTML_TYPE, [b"<html><body>Not found</body></html>"])
        payload = b"".join(parts)
        try:
            self.send_response(200 if entry else 404)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client went away
            pass

    def log_message(self, format: str, *args: object) -> None:
        """No access log: it would cost more than serving."""


class BulkWeb(ThreadedServers):
    """``sites`` × ``articles`` generated news pages, served on loopback addresses.

    Content is generated at construction, deterministically from ``seed``; :meth:`start`
    binds one server per site (``127.0.0.2`` upwards, ephemeral ports) and renders the pages
    with the real origins; :meth:`stop` shuts them down. Also a context manager.
    """

    def __init__(self, sites: int = 20, articles: int = 500, seed: int = 11) -> None:
        """Generate the articles; nothing is bound until :meth:`start`."""
        if not 1 <= sites <= 250:
            raise ValueError("sites must be between 1 and 250 (one loopback address each)")
        self.seed = seed
        self.articles_per_site = articles
        publishers = max(1, round(sites * PUBLISHER_SHARE))
        self.roles = ["source"] * publishers + ["copycat"] * (sites - publishers)
        self.names = [
            f"{'Courier' if role == 'source' else 'Buzz'} {i + 1:03d}"
            for i, role in enumerate(self.roles)
        ]
        self.pages = self._generate(articles)
        self._servers = []
        self.origins: list[str] = []

    # -- content -------------------------------------------------------------------------

    def _generate(self, articles: int) -> list[list[_Page]]:
        rng = random.Random(self.seed)
        pages: list[list[_Page]] = [[] for _ in self.roles]
        publishers = [i for i, role in enumerate(self.roles) if role == "source"]
        writer = NewsWriter(self.seed)
        written = 0
        for n in range(articles):
            for site, role in enumerate(self.roles):
                if role == "copycat" and rng.random() < COPY_SHARE:
                    source = rng.choice(publishers)
                    if pages[source]:
                        original = rng.choice(pages[source])
                        path = f"/news/{n:05d}-{original.article.slug}/"
                        pages[site].append(
                            _Page(path, original.article, (str(source), original.path))
                        )
                        continue
                if written and written % _ARTICLES_PER_WRITER == 0:
                    writer = NewsWriter(self.seed * 100_003 + written)
                written += 1
                published = _T0 + timedelta(minutes=7 * n + site)
                event = writer.event(day=published.date())
                article = writer.report(event, author=writer.person_name(), published=published)
                pages[site].append(_Page(f"/{n:05d}/{article.slug}/", article))
        return pages

    @property
    def article_count(self) -> int:
        """How many article pages the web serves."""
        return sum(len(site) for site in self.pages)

    def _chrome(self, index: int) -> tuple[str, str, str]:
        """A site's page furniture: (head extras, top of body, bottom of body).

        Real news pages weigh ~100 KB, most of it furniture around a few KB of article: a
        stylesheet, a state blob, a mega menu, "most read" teasers with summaries, a link farm
        in the footer. Extraction cost depends on it, so the benchmark pages carry it too.
        """
        rng = random.Random(self.seed * 1_000 + index)
        name = self.names[index]
        pages = self.pages[index]
        css = "\n".join(
            f".c{n} {{ margin: {rng.randint(0, 9)}px {rng.randint(0, 9)}px; "
            f"color: #{rng.randrange(16**6):06x}; font-size: {rng.randint(10, 24)}px }}"
            for n in range(400)
        )
        state = json.dumps(
            [
                {"id": n, "title": p.article.title, "path": p.path, "section": p.article.section}
                for n, p in enumerate(rng.sample(pages, min(len(pages), 150)))
            ]
        )
        head = f"<style>\n{css}\n</style>\n<script>window.__STATE__ = {state};</script>"
        menu = "".join(
            f'<li class="menu-section"><a href="/section/{topic}/">{_t(topic.title())}</a><ul>'
            + "".join(
                f'<li><a href="{p.path}">{_t(p.article.title)}</a></li>'
                for p in rng.sample(pages, min(len(pages), 14))
            )
            + "</ul></li>"
            for topic in (*TOPICS, "opinion", "culture", "travel", "money", "science", "video")
        )
        teasers = "".join(
            f'<li class="teaser"><a href="{p.path}"><h3>{_t(p.article.title)}</h3></a>'
            f"<p>{_t(p.article.summary)}</p></li>"
            for p in rng.sample(pages, min(len(pages), 12))
        )
        footer_links = " ".join(
            f'<a href="/page/{n}/">{_t(word)}</a>'
            for n, word in enumerate(
                ["About us", "Contact", "Advertise", "Jobs", "Terms", "Privacy", "Cookies"] * 12
            )
        )
        top = (
            '<div class="cookie-banner"><p>We use cookies to improve your experience and to '
            "show you personalised advertising. By continuing you agree to our use of cookies."
            "</p><button>Accept</button></div>\n"
            f'<header><a class="logo" href="/">{_t(name)}</a><nav class="mega"><ul>{menu}'
            "</ul></nav></header>\n<main>"
        )
        bottom = (
            f'</main>\n<aside class="most-read"><h2>Most read</h2><ol>{teasers}</ol></aside>\n'
            '<section class="newsletter"><h2>Get the morning briefing</h2><p>The day\'s top '
            "stories in your inbox every morning, free. Sign up now and never miss a story.</p>"
            '<form><input type="email"><button>Sign up</button></form></section>\n'
            f'<footer><nav class="footer-links">{footer_links}</nav><p class="legal">© 2026 '
            f"{_t(name)}. All rights reserved. Reproduction without permission is prohibited."
            "</p></footer>"
        )
        return head, top, bottom

    def _render(self, index: int, origin: str) -> dict[str, tuple[str, list[bytes]]]:
        """Every document of site ``index``, by path, as parts to join when served."""
        name, role = self.names[index], self.roles[index]
        head, top, bottom = self._chrome(index)
        head_bytes, top_bytes, bottom_bytes = head.encode(), top.encode(), bottom.encode()
        documents: dict[str, tuple[str, list[bytes]]] = {}
        for page in self.pages[index]:
            art = page.article
            credit = ""
            if page.credit is not None:
                site, path = page.credit
                href = self.origins[int(site)] + path
                credit = f'<p class="credit"><a href="{href}">Source link</a></p>'
            article = (
                f"<article><h1>{_t(art.title)}</h1>\n"
                f'<p class="byline">By {_t(art.author)}, '
                f'<time datetime="{art.published.isoformat()}">'
                f"{art.published:%d %B %Y}</time></p>\n"
                f"{_paras(art.paragraphs)}\n{credit}</article>\n"
                f"<p>{_t(name)} is a {'newspaper' if role == 'source' else 'news blog'}.</p>"
            )
            # the furniture is shared by every page of the site: kept once, joined per request
            doc = _document(title=f"{art.title} | {name}", head="\0", body=f"\1{article}\2")
            before_head, rest = doc.split("\0")
            before_top, rest = rest.split("\1")
            own, after = rest.split("\2")
            documents[page.path] = (
                HTML_TYPE,
                [before_head.encode(), head_bytes, before_top.encode(), top_bytes,
                 own.encode(), bottom_bytes, after.encode()],
            )  # fmt: skip
        latest = self.pages[index][-20:]
        home = "".join(f'<li><a href="{p.path}">{_t(p.article.title)}</a></li>' for p in latest)
        documents["/"] = (HTML_TYPE, [_document(title=name, body=f"<ul>{home}</ul>").encode()])
        entries = [_url_entry(origin + p.path, p.article.published) for p in self.pages[index]]
        documents["/sitemap.xml"] = (XML_TYPE, [_urlset(entries).encode()])
        robots = _robots("User-agent: *", "Allow: /", f"Sitemap: {origin}/sitemap.xml")
        documents["/robots.txt"] = (TEXT_TYPE, [robots.encode()])
        return documents

    # -- serving -------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind one server per site, render the pages and serve them from daemon threads."""
        if self._servers:
            raise RuntimeError("the bulk web is already started")
        servers = [_Server(f"127.0.0.{i + 2}", {}) for i in range(len(self.roles))]
        self.origins = [f"http://{server.server_name}:{server.server_port}" for server in servers]
        for index, server in enumerate(servers):
            server.documents = self._render(index, self.origins[index])
            self._servers.append((server, serve_in_thread(server, f"bulk-web-{index}")))
        return self

    @property
    def sites(self) -> list[BulkSite]:
        """Every site with its origin and sitemap (only while started)."""
        if not self._servers:
            raise RuntimeError("start() the bulk web first: origins depend on the bound ports")
        return [
            BulkSite(origin, name, role, f"{origin}/sitemap.xml")
            for origin, name, role in zip(self.origins, self.names, self.roles, strict=True)
        ]


def main(argv: Sequence[str] | None = None) -> int:
    """Serve a bulk web until stdin closes; print its sites as one JSON line when ready."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--articles", type=int, default=500, help="articles per site")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    with BulkWeb(args.sites, args.articles, args.seed) as web:
        sites = [site.__dict__ for site in web.sites]
        print(json.dumps({"sites": sites, "articles": web.article_count}), flush=True)
        sys.stdin.read()  # the parent closes our stdin (or kills us) when it is done
    return 0


if __name__ == "__main__":
    sys.exit(main())
