"""Hostile and faulty sites on loopback, for the fault-and-abuse tests.

:class:`HostileWeb` serves five registered sites and one unregistered "canary", each from its
own ``ThreadingHTTPServer`` on ``127.0.0.1``:

``hostile``
    A copycat-looking site whose pages attack the crawler: binary bodies served as HTML,
    50 MB pages (declared and streamed), gzip and deflate bombs, redirect loops and endless
    redirect chains, redirects and meta refreshes to private, link-local and loopback
    addresses, entity-expansion and external-entity sitemaps, a gzip-bomb sitemap, a feed with
    broken dates, an endless calendar, session ids and credentials in links, and article pages
    that are malformed, truncated, lie about their charset or carry JSON-LD that is not JSON
    (those are still articles and must be stored).
``flood``
    A sitemap with 100 000 URLs (more than the 50 000 read, far more than the page budget).
``nest``
    Sitemap indexes that loop (index → index → itself) or nest without end.
``flaky``
    Articles that always answer 500, never answer in time, or reset the connection, beside
    articles that work.
``vanishing``
    A site that goes away (its port closes) right after serving its home page.
``canary``
    Not registered. Pages of the other sites point and redirect to it; it counts every TCP
    connection it accepts, which must stay at zero.

It knows its ground truth: the article pages that must each be stored exactly once, the
hostile inputs it serves (by name) and the faults it injects, and logs every request.
"""

from __future__ import annotations

import gzip
import html
import os
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from http.server import BaseHTTPRequestHandler
from typing import Self
from urllib.parse import urlsplit

from copycat.demo.serving import LoopbackServer, ServedWeb, serve_in_thread, stop_servers
from copycat.demo.text import Article, NewsWriter

__all__ = ["HostileSite", "HostileWeb"]

HTML = "text/html; charset=utf-8"
BIG_PAGE_BYTES = 50 * 1024 * 1024
BLOATED_PAGE_BYTES = 8 * 1024 * 1024  # under DOWNLOAD_MAXSIZE, over what extraction takes
BOMB_BYTES = 64 * 1024 * 1024
FLOOD_SITEMAP_URLS = 100_000
SLOW_SECONDS = 30.0


@dataclass(frozen=True)
class HostileSite:
    """A registered site of the hostile web: origin, name, role, feeds and sitemaps."""

    origin: str
    name: str
    role: str
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Reply:
    """A response: status, headers and a body (bytes, or a writer for streamed bodies)."""

    status: int = 200
    content_type: str = HTML
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    length: int | None = None  # Content-Length to declare; None: len(body), -1: none
    stream: Callable[[BaseHTTPRequestHandler], None] | None = None
    action: str | None = None  # "reset": close the connection with an RST, "sleep": stall


@cache
def _bomb(kind: str) -> bytes:
    """A small body that decompresses to ``BOMB_BYTES`` (computed once per process)."""
    payload = b"<html><body>" + b" " * BOMB_BYTES
    if kind == "gzip":
        return gzip.compress(payload, compresslevel=9, mtime=0)
    return zlib.compress(payload, 9)


@cache
def _sitemap_bomb() -> bytes:
    """A gzipped "sitemap" that decompresses past the 50 MB sitemap limit."""
    head = b'<?xml version="1.0"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    return gzip.compress(head + b" " * BOMB_BYTES, compresslevel=9, mtime=0)


def _page(title: str, body: str, head: str = "", charset: str | None = "utf-8") -> str:
    meta = f'<meta charset="{charset}">\n' if charset else ""
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n{meta}<title>{html.escape(title)}</title>\n'
        f"{head}</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def _article_body(article: Article, extra: str = "") -> str:
    paras = "\n".join(f"<p>{html.escape(p)}</p>" for p in article.paragraphs)
    return (
        f'<header><a href="/">Hostile Herald</a></header>\n<article>\n'
        f"<h1>{html.escape(article.title)}</h1>\n"
        f'<p class="byline">By {html.escape(article.author)}</p>\n{paras}\n{extra}</article>'
    )


class _Server(LoopbackServer):
    """One hostile site's server; counts connections and can vanish."""

    allow_reuse_address = True

    def __init__(self, web: HostileWeb, key: str) -> None:
        super().__init__((web.host, 0), _Handler)
        self.web = web
        self.key = key

    def handle_error(self, request: object, client_address: object) -> None:
        """A crawler hanging up on a refused page is expected: no traceback on stderr."""

    def verify_request(self, request: object, client_address: object) -> bool:
        """Count connections (the canary must never see one); a site that has gone answers none."""
        self.web._connections[self.key] = self.web._connections.get(self.key, 0) + 1
        return self.key not in self.web._gone


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"
    server_version = "HostileFixture/1.0"
    sys_version = ""

    def do_GET(self) -> None:
        """Serve whatever the site decides, including faults."""
        web = self.server.web
        reply = web._respond(self.server.key, self.path)
        try:
            if reply.action == "reset":
                # SO_LINGER 0: close() sends an RST instead of a FIN.
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()
                return
            if reply.action == "sleep":
                time.sleep(SLOW_SECONDS)
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            length = len(reply.body) if reply.length is None else reply.length
            if length >= 0:
                self.send_header("Content-Length", str(length))
            for name, value in reply.headers:
                self.send_header(name, value)
            self.end_headers()
            if reply.stream is not None:
                reply.stream(self)
            else:
                self.wfile.write(reply.body)
        except OSError:  # the crawler hung up on a page it refused: expected
            pass

    def log_message(self, format: str, *args: object) -> None:
        """Silence the default access log (requests go to ``request_log``)."""


def _stream_zeros(total: int) -> Callable[[BaseHTTPRequestHandler], None]:
    chunk = b"<p>" + b"x" * (1024 * 1024 - 8) + b"</p>\n"  # exactly 1 MiB

    def write(handler: BaseHTTPRequestHandler) -> None:
        sent = 0
        while sent < total:
            handler.wfile.write(chunk)
            sent += len(chunk)

    return write


class HostileWeb(ServedWeb):
    """The hostile fixture web: see the module docstring for its sites."""

    KEYS = ("hostile", "flood", "nest", "flaky", "vanishing", "canary")

    def __init__(self, seed: int = 23, host: str = "127.0.0.1") -> None:
        """Write the articles; nothing is bound until :meth:`start`."""
        self.host = host
        writer = NewsWriter(seed)
        self._articles: dict[str, dict[str, Article]] = {key: {} for key in self.KEYS}
        self._kinds: dict[tuple[str, str], str] = {}
        for key, prefix, kinds in (
            ("hostile", "/news/", ("good",) * 4 + ("salvaged",) * 7),
            ("flaky", "/ok/", ("good",) * 3),
            ("vanishing", "/gone/", ("lost",) * 2),
        ):
            for kind in kinds:
                article = writer.report(writer.event(), author=writer.person_name())
                path = f"{prefix}{article.slug}/"
                self._articles[key][path] = article
                self._kinds[(key, path)] = kind
        self._salvaged = [p for (k, p), v in self._kinds.items() if k == "hostile" and v != "good"]
        self._servers: dict[str, _Server] = {}
        self._threads: list[threading.Thread] = []
        self._origins: dict[str, str] = {}
        self._lock = threading.Lock()
        self._connections: dict[str, int] = {}
        self._gone: set[str] = set()
        self.request_log: list[tuple[str, str, int]] = []
        """(site key, path with query, status) of every request served."""

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> Self:
        """Bind one ephemeral port per site and start serving."""
        for key in self.KEYS:
            server = _Server(self, key)
            self._servers[key] = server
            self._origins[key] = f"http://{self.host}:{server.server_address[1]}"
        for server in self._servers.values():
            self._threads.append(serve_in_thread(server, f"hostile-web-{server.key}"))
        return self

    def stop(self) -> None:
        """Stop every server (safe to call twice)."""
        servers, self._servers = self._servers, {}
        stop_servers(list(zip(servers.values(), self._threads, strict=True)))
        self._threads = []

    @property
    def running(self) -> bool:
        """Whether the servers are started."""
        return bool(self._servers)

    # -- ground truth --------------------------------------------------------------------

    def origin(self, key: str) -> str:
        """The origin of site ``key`` (one of :attr:`KEYS`)."""
        return self._origins[key]

    @property
    def sites(self) -> list[HostileSite]:
        """The sites to register (the canary is not one of them)."""
        o = self._origins
        hostile, nest = o["hostile"], o["nest"]
        index = nest + "/sitemap_index.xml"
        return [
            HostileSite(hostile, "Hostile Herald", "copycat", feeds=(f"{hostile}/feed.xml",)),
            HostileSite(o["flood"], "Sitemap Flood", "unknown"),
            HostileSite(nest, "Sitemap Nest", "unknown", sitemaps=(index,)),
            HostileSite(o["flaky"], "Flaky Times", "source"),
            HostileSite(o["vanishing"], "Vanishing Post", "source"),
        ]  # fmt: skip

    @property
    def article_urls(self) -> frozenset[str]:
        """Well-formed article pages: each must be stored exactly once."""
        return frozenset(
            self._origins[key] + path for (key, path), kind in self._kinds.items() if kind == "good"
        )

    @property
    def salvaged_urls(self) -> frozenset[str]:
        """Hostile pages that are still articles (broken markup, lying charsets, bad JSON-LD):
        each must be stored exactly once too."""
        return frozenset(self._origins["hostile"] + path for path in self._salvaged)

    @property
    def lost_urls(self) -> frozenset[str]:
        """Articles of the site that goes away before they can be fetched."""
        return frozenset(
            self._origins[key] + path for (key, path), kind in self._kinds.items() if kind == "lost"
        )

    @property
    def hostile_inputs(self) -> dict[str, str]:
        """Every hostile input served, by name → the URL the crawler meets it at."""
        h, f, n = self._origins["hostile"], self._origins["flood"], self._origins["nest"]
        inputs = {name: f"{h}/news/{slug}/" for name, slug in _HOSTILE_PAGES.items()}
        inputs.update({name: h + self._salvaged[i] for i, name in enumerate(_SALVAGED_KINDS)})
        inputs.update(
            {
                "sitemap_billion_laughs": f"{h}/sitemap-laughs.xml",
                "sitemap_external_entity": f"{h}/sitemap-xxe.xml",
                "sitemap_external_dtd": f"{h}/sitemap-dtd.xml",
                "sitemap_gzip_bomb": f"{h}/sitemap-bomb.xml.gz",
                "feed_broken_dates": f"{h}/feed.xml",
                "calendar_trap": f"{h}/calendar/2026/11/",
                "session_id_links": f"{h}/",
                "credentials_in_links": f"{h}/",
                "offsite_link_to_loopback": f"{h}/",
                "robots_sitemap_on_loopback": f"{h}/robots.txt",
                "sitemap_100k_urls": f"{f}/sitemap-huge.xml.gz",
                "sitemap_index_loop": f"{n}/sitemap_index.xml",
                "sitemap_index_endless": f"{n}/sitemaps/deeper-1.xml",
            }
        )
        return inputs

    @property
    def faults(self) -> dict[str, str]:
        """Every server fault injected, by name → URL."""
        k, v = self._origins["flaky"], self._origins["vanishing"]
        slugs = _FAULT_SLUGS
        return {
            "http_500": f"{k}/err500/{slugs[0]}/",
            "timeout": f"{k}/slow/{slugs[1]}/",
            "connection_reset": f"{k}/reset/{slugs[2]}/",
            "site_went_away": v + "/",
        }

    def connections(self, key: str) -> int:
        """TCP connections accepted by site ``key`` (the canary's must stay 0)."""
        return self._connections.get(key, 0)

    def fetch_count(self, url: str) -> int:
        """Requests served for ``url``'s path on its site (any query, any status)."""
        parts = urlsplit(url)
        key = next(k for k, o in self._origins.items() if o == f"{parts.scheme}://{parts.netloc}")
        with self._lock:
            return sum(
                1 for k, p, _ in self.request_log if k == key and p.split("?")[0] == parts.path
            )

    def requested_as(self, url: str) -> set[str]:
        """The request targets (path and query, as sent) under which ``url``'s path was asked."""
        parts = urlsplit(url)
        key = next(k for k, o in self._origins.items() if o == f"{parts.scheme}://{parts.netloc}")
        with self._lock:
            return {
                p
                for k, p, _ in self.request_log
                if k == key and p.split("?")[0].split(";")[0] == parts.path
            }

    def requests_to(self, key: str, prefix: str = "/") -> int:
        """Requests served by site ``key`` for paths starting with ``prefix``."""
        with self._lock:
            return sum(1 for k, p, _ in self.request_log if k == key and p.startswith(prefix))

    # -- responses -----------------------------------------------------------------------

    def _respond(self, key: str, target: str) -> _Reply:
        path = urlsplit(target).path or "/"
        handler = getattr(self, f"_{key}")
        reply: _Reply = handler(path)
        with self._lock:
            self.request_log.append((key, target, reply.status))
        if key == "vanishing" and path == "/":
            # Go away once the home page is out: no later connection is answered, and the port
            # closes soon after. Its articles are never reachable.
            self._gone.add(key)
            threading.Thread(target=self._vanish, daemon=True).start()
        return reply

    def _vanish(self) -> None:
        time.sleep(0.1)
        server = self._servers.get("vanishing")
        if server is not None:
            server.shutdown()
            server.server_close()

    def _article(self, key: str, path: str) -> _Reply | None:
        article = self._articles[key].get(path)
        if article is None:
            return None
        links = "".join(
            f'<li><a href="{p}?PHPSESSID={os.urandom(8).hex()}">{html.escape(a.title)}</a></li>'
            for p, a in self._articles[key].items()
            if p != path
        )
        body = _article_body(article, f"<aside><ul>{links}</ul></aside>\n")
        if (key, path) in self._kinds and path in self._salvaged:
            return self._salvage(self._salvaged.index(path), article, body)
        return _Reply(body=_page(article.title, body).encode())

    def _salvage(self, index: int, article: Article, body: str) -> _Reply:
        kind = _SALVAGED_KINDS[index]
        title = article.title
        if kind == "malformed_html":
            broken = body.replace("</p>", "").replace("<article>", "<article><div><span><table>")
            return _Reply(
                body=(
                    "<html><head><title>"
                    + title
                    + "</title><body></div></div>"
                    + broken
                    + "</b></i>"
                ).encode()
            )
        if kind == "truncated_html":
            full = _page(title, body).encode()
            return _Reply(body=full[: int(len(full) * 0.8)])
        if kind == "lying_charset_header":
            # Says UTF-8, is Windows-1252 (curly quotes and accents are invalid UTF-8).
            text = _page(
                title, body.replace("'", "\u2019") + "<p>Café résumé naïve</p>", charset=None
            )
            return _Reply(
                content_type="text/html; charset=utf-8", body=text.encode("cp1252", "replace")
            )
        if kind == "unknown_charset":
            text = _page(title, body, charset="x-no-such-charset")
            return _Reply(content_type="text/html; charset=x-no-such-charset", body=text.encode())
        if kind == "missing_charset":
            text = _page(title, body + "<p>Crème brûlée à la carte</p>", charset=None)
            return _Reply(content_type="text/html", body=text.encode("latin-1"))
        if kind == "lying_meta_charset":
            text = _page(title, body + "<p>Zoë’s café</p>", charset="shift_jis")
            return _Reply(content_type="text/html", body=text.encode())
        # JSON-LD that is not JSON
        junk = (
            '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": 2026-11-0'
        )
        junk += "{{{ ,,, </script>\n"
        return _Reply(body=_page(title, body, head=junk).encode())

    def _hostile(self, path: str) -> _Reply:
        h, canary = self._origins["hostile"], self._origins["canary"]
        if path == "/robots.txt":
            lines = ["User-agent: *", "Allow: /"]
            for name in (
                "sitemap-laughs.xml",
                "sitemap-xxe.xml",
                "sitemap-dtd.xml",
                "sitemap-bomb.xml.gz",
            ):
                lines.append(f"Sitemap: {h}/{name}")
            lines.append(f"Sitemap: {canary}/sitemap.xml")
            return _Reply(content_type="text/plain", body=("\n".join(lines) + "\n").encode())
        if path == "/":
            return _Reply(body=self._home().encode())
        if path == "/feed.xml":
            return _Reply(content_type="application/rss+xml", body=self._feed().encode())
        if path == "/sitemap-laughs.xml":
            laughs = '<!ENTITY lol "lol">' + "".join(
                f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
                for i in range(1, 10)
            )
            body = f'<?xml version="1.0"?>\n<!DOCTYPE urlset [{laughs}]>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{h}/news/&lol9;/</loc></url></urlset>'
            return _Reply(content_type="application/xml", body=body.encode())
        if path == "/sitemap-xxe.xml":
            entities = (
                f'<!ENTITY xxe SYSTEM "file:///etc/passwd"><!ENTITY net SYSTEM "{canary}/xxe">'
            )
            body = (
                f'<?xml version="1.0"?>\n<!DOCTYPE urlset [{entities}]>\n'
                f'<urlset xmlns="{_SITEMAP_NS}"><url><loc>{h}/news/&xxe;&net;/</loc></url></urlset>'
            )
            return _Reply(content_type="application/xml", body=body.encode())
        if path == "/sitemap-dtd.xml":
            body = f'<?xml version="1.0"?>\n<!DOCTYPE urlset SYSTEM "{canary}/evil.dtd">\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{canary}/news/dtd-story-page-here/</loc></url></urlset>'
            return _Reply(content_type="application/xml", body=body.encode())
        if path == "/sitemap-bomb.xml.gz":
            return _Reply(content_type="application/x-gzip", body=_sitemap_bomb())
        if path.startswith("/calendar/"):
            return _Reply(body=self._calendar(path).encode())
        if path.startswith("/news/"):
            slug = path.removeprefix("/news/").strip("/")
            hostile = _SLUG_TO_HOSTILE.get(slug)
            if hostile is not None:
                return self._hostile_page(hostile, slug)
            if slug.startswith("redirect-chain-story-"):
                n = int(slug.rsplit("-", 1)[1]) if slug.rsplit("-", 1)[1].isdigit() else 0
                return _redirect(f"/news/redirect-chain-story-{n + 1}/")
            reply = self._article("hostile", path)
            if reply is not None:
                return reply
        return _Reply(status=404, body=b"<h1>Not found</h1>")

    def _hostile_page(self, name: str, slug: str) -> _Reply:
        h, canary = self._origins["hostile"], self._origins["canary"]
        good = next(p for p, kind in self._kinds.items() if kind == "good" and p[0] == "hostile")[1]
        if name == "binary_as_html":
            return _Reply(body=bytes(range(256)) * 256 + os.urandom(4096))
        if name == "huge_page_declared":
            return _Reply(length=BIG_PAGE_BYTES, stream=_stream_zeros(BIG_PAGE_BYTES))
        if name == "bloated_html_page":
            return _Reply(length=BLOATED_PAGE_BYTES, stream=_stream_zeros(BLOATED_PAGE_BYTES))
        if name == "huge_page_streamed":
            return _Reply(length=-1, stream=_stream_zeros(BIG_PAGE_BYTES))
        if name in ("gzip_bomb", "deflate_bomb"):
            kind = name.split("_")[0]
            return _Reply(body=_bomb(kind), headers=(("Content-Encoding", kind),))
        if name == "redirect_loop":
            return _redirect(f"/news/{_HOSTILE_PAGES['redirect_loop_back']}/")
        if name == "redirect_loop_back":
            return _redirect(f"/news/{_HOSTILE_PAGES['redirect_loop']}/")
        if name == "redirect_chain":
            return _redirect("/news/redirect-chain-story-1/")
        if name == "redirect_to_private_network":
            return _redirect("http://10.0.0.1/news/internal-admin-story-page/")
        if name == "redirect_to_metadata_service":
            return _redirect("http://169.254.169.254/latest/meta-data/iam/security-credentials/")
        if name == "redirect_to_unregistered_loopback_port":
            return _redirect(f"{canary}/news/loopback-admin-story-page/")
        if name == "redirect_to_ipv6_loopback":
            return _redirect(f"http://[::1]:{canary.rsplit(':', 1)[1]}/news/v6-admin-story-page/")
        if name == "redirect_to_hostname_of_loopback":
            return _redirect(
                f"http://localhost:{canary.rsplit(':', 1)[1]}/news/named-loopback-page/"
            )
        if name == "meta_refresh_to_loopback":
            head = f'<meta http-equiv="refresh" content="0; url={canary}/news/refresh-story-page/">'
            return _Reply(body=_page("Moved", "<p>Moved.</p>", head=head).encode())
        if name == "redirect_with_credentials":
            return _redirect(h.replace("://", "://admin:hunter2@") + good)
        raise KeyError(name)  # pragma: no cover

    def _home(self) -> str:
        h, canary = self._origins["hostile"], self._origins["canary"]
        items = []
        for path, article in self._articles["hostile"].items():
            sid = os.urandom(12).hex()
            items.append(
                f'<li><a href="{path}?PHPSESSID={sid}">{html.escape(article.title)}</a></li>'
            )
            items.append(
                f'<li><a href="{path};jsessionid={sid.upper()}">{html.escape(article.title)}</a>'
                "</li>"
            )
        first = next(iter(self._articles["hostile"]))
        items.append(
            f'<li><a href="{h.replace("://", "://editor:s3cr3t-pw@")}{first}">Log in</a></li>'
        )
        for name, slug in _HOSTILE_PAGES.items():
            if name == "redirect_loop_back":
                continue  # reached only through the loop, or the duplicate filter breaks it
            items.append(f'<li><a href="/news/{slug}/">{slug.replace("-", " ")}</a></li>')
        items.append(
            f'<li><a href="{canary}/2026/11/20/story-on-an-internal-port/">Internal</a></li>'
        )
        items.append(
            '<li><a href="http://169.254.169.254/2026/11/20/metadata-story-here/">Meta</a></li>'
        )
        nav = '<nav><a href="/calendar/2026/11/">Next &raquo;</a></nav>'
        return _page("Hostile Herald", f"<h1>Hostile Herald</h1>\n<ul>{''.join(items)}</ul>\n{nav}")

    def _feed(self) -> str:
        broken = (
            "yesterday",
            "Mon, 32 Foo 2026 99:99:99 +9999",
            "99999-01-01T00:00:00Z",
            "",
            "2099-01-01T00:00:00Z",
        )
        items = []
        for i, (path, article) in enumerate(self._articles["hostile"].items()):
            date = broken[i % len(broken)]
            items.append(
                f"<item><title>{html.escape(article.title)}</title><link>{self._origins['hostile']}{path}</link>"
                f"<pubDate>{date}</pubDate><dc:date>{date}</dc:date></item>"
            )
        return (
            '<?xml version="1.0"?>\n<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
            "<title>Hostile Herald</title><lastBuildDate>not a date</lastBuildDate>"
            f"{''.join(items)}</channel></rss>"
        )

    def _calendar(self, path: str) -> str:
        parts = [p for p in path.split("/") if p][1:]
        try:
            year, month = int(parts[0]), int(parts[1])
        except (IndexError, ValueError):
            year, month = 2026, 11
        prev_y, prev_m = (year - 1, 12) if month == 1 else (year, month - 1)
        next_y, next_m = (year + 1, 1) if month == 12 else (year, month + 1)
        days = "".join(
            f'<a href="/calendar/{year}/{month:02d}/{d:02d}/">{d}</a> ' for d in range(1, 29)
        )
        return _page(
            f"Events {year}-{month:02d}",
            f'<a href="/calendar/{prev_y}/{prev_m:02d}/">&laquo; Previous</a> {days}'
            f'<a href="/calendar/{next_y}/{next_m:02d}/">Next &raquo;</a>',
        )

    def _flood(self, path: str) -> _Reply:
        f = self._origins["flood"]
        if path == "/robots.txt":
            return _Reply(
                content_type="text/plain", body=f"Sitemap: {f}/sitemap-huge.xml.gz\n".encode()
            )
        if path == "/":
            return _Reply(body=_page("Sitemap Flood", "<p>Nothing to read here.</p>").encode())
        if path == "/sitemap-huge.xml.gz":
            return _Reply(content_type="application/x-gzip", body=_huge_sitemap(f))
        return _Reply(status=404, body=b"<h1>Not found</h1>")

    def _nest(self, path: str) -> _Reply:
        f = self._origins["nest"]
        xml = "application/xml"
        if path == "/robots.txt":
            return _Reply(content_type="text/plain", body=b"User-agent: *\nAllow: /\n")
        if path == "/":
            return _Reply(body=_page("Sitemap Nest", "<p>Nothing to read here.</p>").encode())
        if path == "/sitemap_index.xml":
            return _Reply(
                content_type=xml, body=_index(f, ["/sitemap_index.xml", "/sitemaps/a.xml"])
            )
        if path == "/sitemaps/a.xml":
            return _Reply(
                content_type=xml,
                body=_index(f, ["/sitemap_index.xml", "/sitemaps/a.xml", "/sitemaps/deeper-1.xml"]),
            )
        if path.startswith("/sitemaps/deeper-"):
            n = int(path.rsplit("-", 1)[1].split(".")[0])
            return _Reply(
                content_type=xml,
                body=_index(f, [f"/sitemaps/deeper-{n + 1}.xml", "/sitemap_index.xml"]),
            )
        return _Reply(status=404, body=b"<h1>Not found</h1>")

    def _flaky(self, path: str) -> _Reply:
        if path == "/robots.txt":
            return _Reply(content_type="text/plain", body=b"User-agent: *\nAllow: /\n")
        if path == "/":
            links = [
                f'<li><a href="{p}">{html.escape(a.title)}</a></li>'
                for p, a in self._articles["flaky"].items()
            ]
            links += [
                f'<li><a href="/err500/{_FAULT_SLUGS[0]}/">a</a></li>',
                f'<li><a href="/slow/{_FAULT_SLUGS[1]}/">b</a></li>',
                f'<li><a href="/reset/{_FAULT_SLUGS[2]}/">c</a></li>',
            ]
            return _Reply(body=_page("Flaky Times", f"<ul>{''.join(links)}</ul>").encode())
        if path.startswith("/err500/"):
            return _Reply(status=500, body=b"<h1>Internal Server Error</h1>")
        if path.startswith("/slow/"):
            return _Reply(action="sleep", body=b"<h1>Too late</h1>")
        if path.startswith("/reset/"):
            return _Reply(action="reset")
        return self._article("flaky", path) or _Reply(status=404, body=b"<h1>Not found</h1>")

    def _vanishing(self, path: str) -> _Reply:
        if path == "/robots.txt":
            return _Reply(status=404, body=b"")
        if path == "/":
            links = "".join(
                f'<li><a href="{p}">{html.escape(a.title)}</a></li>'
                for p, a in self._articles["vanishing"].items()
            )
            return _Reply(body=_page("Vanishing Post", f"<ul>{links}</ul>").encode())
        return self._article("vanishing", path) or _Reply(status=404, body=b"<h1>Not found</h1>")

    def _canary(self, path: str) -> _Reply:
        return _Reply(body=b"<h1>You should never see this</h1>")


def _redirect(location: str) -> _Reply:
    return _Reply(status=302, headers=(("Location", location),), body=b"")


def _index(origin: str, paths: list[str]) -> bytes:
    entries = "".join(f"<sitemap><loc>{origin}{p}</loc></sitemap>" for p in paths)
    return (
        '<?xml version="1.0"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{entries}</sitemapindex>"
    ).encode()


@cache
def _huge_sitemap(origin: str) -> bytes:
    entries = "".join(
        f"<url><loc>{origin}/2026/11/{n % 28 + 1:02d}/flood-story-number-{n}</loc></url>"
        for n in range(FLOOD_SITEMAP_URLS)
    )
    body = f'<?xml version="1.0"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    return gzip.compress(body.encode(), compresslevel=6, mtime=0)


_SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
_HOSTILE_PAGES = {
    "binary_as_html": "binary-body-served-as-html",
    "huge_page_declared": "huge-page-with-content-length",
    "huge_page_streamed": "huge-page-streamed-without-length",
    "bloated_html_page": "bloated-html-page-under-the-download-cap",
    "gzip_bomb": "gzip-bomb-story-page",
    "deflate_bomb": "deflate-bomb-story-page",
    "redirect_loop": "redirect-loop-story-a",
    "redirect_loop_back": "redirect-loop-story-b",
    "redirect_chain": "redirect-chain-story-start",
    "redirect_to_private_network": "redirect-to-private-network",
    "redirect_to_metadata_service": "redirect-to-metadata-service",
    "redirect_to_unregistered_loopback_port": "redirect-to-unregistered-port",
    "redirect_to_ipv6_loopback": "redirect-to-ipv6-loopback",
    "redirect_to_hostname_of_loopback": "redirect-to-localhost-name",
    "meta_refresh_to_loopback": "meta-refresh-to-loopback",
    "redirect_with_credentials": "redirect-with-credentials-in-url",
}
_SLUG_TO_HOSTILE = {slug: name for name, slug in _HOSTILE_PAGES.items()}
_SALVAGED_KINDS = (
    "malformed_html",
    "truncated_html",
    "lying_charset_header",
    "unknown_charset",
    "missing_charset",
    "lying_meta_charset",
    "json_ld_not_json",
)
_FAULT_SLUGS = ("server-error-story-page", "slow-server-story-page", "connection-reset-story-page")
