"""Where the crawler may connect, and what it refuses to download.

Registered sites are written by the people copycat accuses, so their pages, redirects and DNS
records are hostile input. Three downloader middlewares keep them in check:

* :class:`SafetyMiddleware` (first in line, before robots.txt is even asked for) refuses a
  request unless its origin is a registered site, refuses any request whose host is, or
  resolves to, a private, loopback, link-local or otherwise non-public address unless that
  very address and port is a registered site (the loopback fixture web in tests), and strips
  credentials from URLs. Scrapy's redirect middlewares hand every redirect back to the engine
  as a new request, which passes through this middleware again, so a redirect (or a meta
  refresh) to ``10.0.0.1`` is refused before any connection is attempted. It also turns
  downloads cut off at ``DOWNLOAD_MAXSIZE`` into counted refusals.
* :class:`SafeRedirectMiddleware` counts and logs redirect loops and chains longer than
  ``REDIRECT_MAX_TIMES`` (Scrapy drops those quietly).
* :class:`SafeHttpCompressionMiddleware` counts gzip/deflate/brotli bombs, which Scrapy stops
  at ``DOWNLOAD_MAXSIZE`` of *decompressed* bytes.

Every refusal is one warning line and a ``safety/…`` counter in the run's stats.

A registered host name is resolved by :class:`SafetyMiddleware` and again by Twisted when it
connects. A hostile DNS server could answer with a public address the first time and a private
one the second (DNS rebinding), so :class:`PublicAddressResolver`, the resolver Twisted connects
with (``TWISTED_DNS_RESOLVER``), refuses non-public answers too.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import Request, Response
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import CancelledError, Deferred
from twisted.internet.error import DNSLookupError
from twisted.internet.threads import deferToThread

from copycat.urls import origin_of, strip_credentials, url_key

if TYPE_CHECKING:
    from collections.abc import Sequence

    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector
    from twisted.internet.base import ReactorBase

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_BYTES_META = "safety_bytes_received"


def is_public_address(address: IPAddress) -> bool:
    """Tell whether an address is on the public internet.

    Private (10/8, 172.16/12, 192.168/16, fc00::/7), loopback (127/8, ::1), link-local
    (169.254/16, fe80::/10), shared, multicast, reserved and unspecified addresses are not;
    an IPv4-mapped or 6to4 IPv6 address is judged by the IPv4 address it carries.
    """
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            return is_public_address(mapped)
    return address.is_global and not address.is_multicast


def ip_literal(host: str) -> IPAddress | None:
    """Return the address a URL host spells literally (``10.0.0.1``, ``[::1]``), else None."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _port(url: str) -> int:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return port or (443 if parts.scheme.lower() == "https" else 80)


def registered_origins(database_url: str | None) -> set[str]:
    """The origins of every registered site."""
    from copycat.db import open_database
    from copycat.sites import list_sites

    engine, sessions = open_database(database_url)
    try:
        with sessions() as session:
            return {record.origin for record in list_sites(session)}
    finally:
        engine.dispose()


class Refused(IgnoreRequest):
    """A request the safety middleware would not send, with a short machine-friendly reason."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class SafetyMiddleware:
    """Downloader middleware: only registered origins, no private addresses, no credentials."""

    def __init__(
        self,
        registered: set[str],
        stats: StatsCollector | None = None,
        allow_unregistered: bool = False,
        maxsize: int = 0,
    ) -> None:
        self.registered = set(registered)
        self.stats = stats
        self.allow_unregistered = allow_unregistered
        self.maxsize = maxsize
        self._resolved: dict[tuple[str, int], list[IPAddress]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Read the registered sites from the database; ``SAFETY_ALLOW_UNREGISTERED`` lets
        requests go to unregistered *public* origins (never to private addresses)."""
        middleware = cls(
            registered_origins(crawler.settings.get("COPYCAT_DATABASE_URL")),
            crawler.stats,
            allow_unregistered=crawler.settings.getbool("SAFETY_ALLOW_UNREGISTERED"),
            maxsize=crawler.settings.getint("DOWNLOAD_MAXSIZE"),
        )
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.bytes_received, signal=signals.bytes_received)
        return middleware

    # -- signals ---------------------------------------------------------------------------

    def spider_opened(self, spider: Any) -> None:
        """Also allow the sites this run crawls (``scrapy crawl articles -a site=…``)."""
        self.registered.update(getattr(spider, "site_states", {}))

    def bytes_received(self, data: bytes, request: Request, spider: Any) -> None:
        """Keep a running byte count per request, to recognise a size cut-off later."""
        request.meta[_BYTES_META] = request.meta.get(_BYTES_META, 0) + len(data)

    # -- requests --------------------------------------------------------------------------

    def _count(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(key)

    def _refuse(self, request: Request, reason: str, detail: str) -> Refused:
        self._count(f"safety/refused/{reason}")
        chain = request.meta.get("redirect_urls") or []
        via = f" (redirected from {strip_credentials(chain[0])})" if chain else ""
        message = f"refused {strip_credentials(request.url)}{via}: {detail}"
        logger.warning(message)
        return Refused(reason, message)

    def _is_registered(self, origin: str) -> bool:
        """Whether ``origin`` is a registered site's, in either scheme.

        ``http://news.example`` and ``https://news.example`` are one site (the spider treats
        them so), and sites redirect from one to the other all the time.
        """
        if origin in self.registered:
            return True
        key = url_key(origin)
        return any(url_key(registered) == key for registered in self.registered)

    def _registered_address(self, address: IPAddress, port: int) -> bool:
        """Whether ``address:port`` is itself a registered site (an IP-literal origin)."""
        for origin in self.registered:
            parts = urlsplit(origin)
            if ip_literal(parts.hostname or "") == address and _port(origin) == port:
                return True
        return False

    async def _resolve(self, host: str, port: int) -> list[IPAddress]:
        key = (host, port)
        if key not in self._resolved:
            infos = await maybe_deferred_to_future(
                deferToThread(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
            )
            self._resolved[key] = [ipaddress.ip_address(info[4][0]) for info in infos]
        return self._resolved[key]

    async def process_request(self, request: Request) -> Request | None:
        """Refuse (IgnoreRequest) what must not be fetched; strip credentials from URLs."""
        url = request.url
        try:
            origin = origin_of(url)
        except ValueError as error:
            raise self._refuse(request, "bad_url", str(error)) from None
        clean = strip_credentials(url)
        if clean != url:
            # Never send (or log) credentials a hostile page put into a link or redirect.
            self._count("safety/credentials_stripped")
            return request.replace(url=clean)
        host = urlsplit(url).hostname or ""
        port = _port(url)
        literal = ip_literal(host)
        if literal is not None and not is_public_address(literal):
            if self._is_registered(origin) or self._registered_address(literal, port):
                return None
            raise self._refuse(
                request, "private_address", f"{literal} is not public and not a registered site"
            )
        if not self._is_registered(origin) and not self.allow_unregistered:
            raise self._refuse(request, "unregistered_origin", f"{origin} is not a registered site")
        if literal is not None:
            return None
        try:
            addresses = await self._resolve(host, port)
        except OSError:
            return None  # the download fails the same way and is counted as an error
        for address in addresses:
            if not is_public_address(address) and not self._registered_address(address, port):
                raise self._refuse(
                    request,
                    "private_address",
                    f"{host} resolves to {address}, which is not public and not a registered site",
                )
        return None

    def process_exception(self, request: Request, exception: Exception) -> None:
        """Turn a download cut off at ``DOWNLOAD_MAXSIZE`` into a counted refusal."""
        if not isinstance(exception, DownloadCancelledError | CancelledError):
            return
        limit = request.meta.get("download_maxsize") or self.maxsize
        # Declared too large: Scrapy's message says so. Streamed past the limit: the message
        # is empty, the byte count tells.
        too_large = "max size" in str(exception) or (
            bool(limit) and request.meta.get(_BYTES_META, 0) > limit
        )
        if too_large:
            raise self._refuse(
                request, "too_large", f"body larger than DOWNLOAD_MAXSIZE ({limit} bytes)"
            ) from None


class SafeRedirectMiddleware(RedirectMiddleware):
    """Scrapy's redirect middleware, with redirect loops and overlong chains counted and logged.

    Scrapy would drop a loop's second visit in the scheduler's duplicate filter, silently.
    """

    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        """Follow a redirect unless it loops or the chain is too long."""
        try:
            result = super().process_response(request, response)
        except IgnoreRequest:
            self._refused(
                request, "redirect_limit", f"more than {self.max_redirect_times} redirects"
            )
            raise
        if isinstance(result, Request):
            visited = {*request.meta.get("redirect_urls", []), request.url}
            if result.url in visited:
                self._refused(request, "redirect_loop", f"redirect back to {result.url}")
                raise IgnoreRequest(f"redirect loop at {strip_credentials(result.url)}")
        return result

    def _refused(self, request: Request, reason: str, detail: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"safety/refused/{reason}")
        logger.warning("refused %s: %s", strip_credentials(request.url), strip_credentials(detail))


class SafeHttpCompressionMiddleware(HttpCompressionMiddleware):
    """Scrapy's decompression, with decompression bombs counted under ``safety/refused``."""

    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        """Decompress, or refuse a body that decompresses past ``DOWNLOAD_MAXSIZE``."""
        try:
            return super().process_response(request, response)
        except IgnoreRequest:
            # Scrapy has logged the sizes; the counter is ours.
            if self.stats is not None:
                self.stats.inc_value("safety/refused/decompression_bomb")
            raise


class PublicAddressResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing to hand Twisted a non-public address.

    The addresses of registered IP-literal sites (the loopback fixture web in tests) are the
    exception. A refused lookup fails like an unknown host name, after one warning line.
    """

    allowed: frozenset[IPAddress] = frozenset()

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: ReactorBase) -> Self:
        """Build Scrapy's resolver, plus the registered IP-literal sites' addresses."""
        resolver = super().from_crawler(crawler, reactor)
        literals = (
            ip_literal(urlsplit(origin).hostname or "")
            for origin in registered_origins(crawler.settings.get("COPYCAT_DATABASE_URL"))
        )
        resolver.allowed = frozenset(address for address in literals if address is not None)
        return resolver

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        """Resolve ``name``; fail if the answer is not a public (or allowed) address."""
        return super().getHostByName(name, timeout).addCallback(self.check, name)

    def check(self, answer: str, name: str) -> str:
        """Pass ``answer`` on, or raise DNSLookupError if it must not be connected to."""
        address = ip_literal(answer)
        if address is None or is_public_address(address) or address in self.allowed:
            return answer
        logger.warning(
            "refused to connect to %s: it resolves to %s, which is not public", name, answer
        )
        raise DNSLookupError(f"{name} resolves to a non-public address; refused")
