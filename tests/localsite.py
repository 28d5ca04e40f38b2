"""A one-site loopback server for crawl tests that need behaviour the fixture web lacks.

Its pages can be changed between runs; it answers conditional requests (ETag / 304), can answer
``429``/``503`` with ``Retry-After`` a given number of times, and logs every request with its
headers and time.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from typing import Self

from copycat.demo.serving import LoopbackServer, ServedWeb, serve_in_thread, stop_servers

_VOCABULARY = (
    "council harbour river budget school station market weather festival library bridge "
    "village farmers railway museum hospital plans residents mayor report year week road "
    "police court club team season match water energy homes workers union strike price "
    "shops centre park trees storm flood coast ferry island valley moor town city north "
    "south east west morning evening announced said agreed warned expected opened closed "
    "rose fell doubled halved delayed approved rejected reviewed"
)
_WORDS = _VOCABULARY.split()


def article_html(title: str, seed: int, paragraphs: int = 6) -> str:
    """Return an article page with enough distinct text (from ``seed``) to be stored."""
    rng = random.Random(seed)
    body = "\n".join(
        "<p>" + " ".join(rng.choice(_WORDS) for _ in range(45)).capitalize() + ".</p>"
        for _ in range(paragraphs)
    )
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"</head><body><article><h1>{title}</h1>\n{body}\n</article></body></html>"
    )


def sitemap_xml(entries: list[tuple[str, datetime]]) -> str:
    """Return a sitemap listing ``(url, lastmod)`` entries."""
    urls = "".join(
        f"<url><loc>{url}</loc><lastmod>{lastmod.isoformat()}</lastmod></url>\n"
        for url, lastmod in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}</urlset>\n'
    )


@dataclass
class Hit:
    """One request the site served."""

    path: str
    status: int
    headers: dict[str, str]
    at: float


@dataclass
class Page:
    """A document and how to serve it."""

    body: str
    content_type: str = "text/html; charset=utf-8"
    busy: int = 0
    """Answer this many requests with ``busy_status`` + ``Retry-After`` first."""
    busy_status: int = 429
    retry_after: str = "1"
    delay: float = 0.0
    """Seconds to wait before answering (a slow listing, say)."""


@dataclass
class LocalSite(ServedWeb):
    """A loopback site: set ``pages[path]``, start it, read ``hits``."""

    pages: dict[str, Page] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    conditional: bool = True

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server: LoopbackServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT``."""
        assert self._server is not None, "start() first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> Self:
        """Bind an ephemeral loopback port and serve from a daemon thread."""
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self) -> None:
                page = site.pages.get(self.path.split("?", 1)[0])
                if page is not None and page.delay:
                    time.sleep(page.delay)
                status, headers, body = site._answer(self.path, dict(self.headers.items()))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = LoopbackServer(("127.0.0.1", 0), Handler)
        self._thread = serve_in_thread(self._server, "local-site")
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None and self._thread is not None:
            stop_servers([(self._server, self._thread)])
            self._server = None

    @property
    def running(self) -> bool:
        """Whether the site is serving."""
        return self._server is not None

    def _answer(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            page = self.pages.get(path.split("?", 1)[0])
            status, out, body = 404, {"Content-Type": "text/plain"}, b"not found"
            if page is not None:
                payload = page.body.encode()
                etag = '"' + hashlib.sha1(payload).hexdigest()[:16] + '"'
                if page.busy > 0:
                    page.busy -= 1
                    status = page.busy_status
                    out = {"Content-Type": "text/plain", "Retry-After": page.retry_after}
                    body = b"busy"
                elif self.conditional and headers.get("If-None-Match") == etag:
                    status, out, body = 304, {"ETag": etag}, b""
                else:
                    status, body = 200, payload
                    out = {"Content-Type": page.content_type}
                    if self.conditional:
                        out["ETag"] = etag
            self.hits.append(Hit(path, status, headers, time.monotonic()))
        return status, out, body

    def hits_for(self, path: str) -> list[Hit]:
        """The requests for ``path``, in order."""
        with self._lock:
            return [hit for hit in self.hits if hit.path == path]

    def clear(self) -> None:
        """Forget the logged requests."""
        with self._lock:
            self.hits.clear()
