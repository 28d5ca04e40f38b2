"""URL helpers: origins, canonical forms and safe-for-logs rendering.

Everything here is pure (standard library only) so the crawler, the pipelines and the
CLI agree on one notion of "the same URL" without importing Scrapy.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from urllib.parse import SplitResult, unquote_plus, urljoin, urlsplit, urlunsplit

__all__ = [
    "SESSION_PARAMS",
    "TRACKING_PARAMS",
    "TRACKING_PARAM_PREFIXES",
    "canonicalise",
    "is_http_url",
    "on_site",
    "origin_of",
    "same_origin",
    "strip_credentials",
    "url_key",
]

_DEFAULT_PORTS = {"http": 80, "https": 443}

TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "yclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "ref_src",
        "ref_url",
        "spm",
        "scm",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "rb_clickid",
        "s_cid",
    }
)
"""Query parameter names (compared case-insensitively) that only track the visitor."""

TRACKING_PARAM_PREFIXES: tuple[str, ...] = ("utm_",)
"""Query parameter name prefixes that only track the visitor (``utm_source`` …)."""

SESSION_PARAMS: frozenset[str] = frozenset(
    {"phpsessid", "jsessionid", "aspsessionid", "sessionid", "session_id", "sessid", "sid"}
)
"""Query parameter names (compared case-insensitively) that carry a visitor's session.

A site that puts a fresh session id into every link makes each page reachable under endless
URLs (a crawler trap), so they are dropped. ``sid`` is ambiguous (some CMSes use it for a
story id), so it is only dropped when its value looks like a session token."""

# A session token: long, and nothing but letters, digits, "-" and "_" (story ids are short
# numbers or carry "/" or ".").
_SESSION_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,}$")
# ";jsessionid=…" path parameters (Java servlet containers), in any case.
_PATH_SESSION_RE = re.compile(r";(?:jsessionid|phpsessid|sessionid)=[^/;]*", re.IGNORECASE)

# RFC 3986 "unreserved": escapes of these are pure noise, so they are decoded.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_SUB_DELIMS = frozenset("!$&'()*+,;=")
# Characters allowed literally in a path / a query; anything else gets percent-encoded so
# equivalent spellings (raw UTF-8 vs. its escapes) collapse to one form.
_PATH_SAFE = _UNRESERVED | _SUB_DELIMS | frozenset(":@/")
_QUERY_SAFE = _PATH_SAFE | frozenset("?")
_HEX = frozenset("0123456789abcdefABCDEF")
# What a registered host name may contain once IDNA-encoded (underscores do occur in the
# wild even though DNS host names forbid them).
_HOST_RE = re.compile(r"^[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?$")
# Userinfo is everything between "//" and the last "@" of the authority.
_USERINFO_RE = re.compile(r"//[^/?#]*@")


def _split_http(url: str) -> SplitResult:
    """Split ``url`` and check it is an absolute http(s) URL with a host."""
    if not isinstance(url, str):
        raise ValueError(f"URL must be a string, not {type(url).__name__}")
    try:
        parts = urlsplit(url.strip())
    except ValueError as exc:  # e.g. an unbalanced "[" in the host
        raise ValueError(f"unparseable URL {strip_credentials(url)!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if not scheme:
        raise ValueError(f"URL has no scheme: {strip_credentials(url)!r}")
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(f"not an http(s) URL (scheme {scheme!r}): {strip_credentials(url)!r}")
    if not parts.hostname:
        raise ValueError(f"URL has no host: {strip_credentials(url)!r}")
    return parts


def _normalise_host(hostname: str, url: str) -> str:
    """Return the lowercase ASCII (IDNA) form of a host, IPv6 literals bracketed."""
    if ":" in hostname:
        # urlsplit only lets a colon through inside "[...]", so this is an IPv6 literal.
        try:
            return f"[{ipaddress.IPv6Address(hostname).compressed}]"
        except ValueError:
            raise ValueError(f"invalid IPv6 host in {strip_credentials(url)!r}") from None
    host = hostname.lower().rstrip(".")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii").lower()
        except UnicodeError as exc:
            raise ValueError(f"invalid host name in {strip_credentials(url)!r}: {exc}") from None
    if not _HOST_RE.match(host) or ".." in host:
        raise ValueError(f"invalid host name {host!r} in {strip_credentials(url)!r}")
    return host


def _port_suffix(parts: SplitResult, scheme: str, url: str) -> str:
    """Return ``":port"`` for a non-default port, else ``""``."""
    try:
        port = parts.port
    except ValueError as exc:  # non-numeric or out of range
        raise ValueError(f"invalid port in {strip_credentials(url)!r}: {exc}") from None
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return ""
    return f":{port}"


def origin_of(url: str) -> str:
    """Return ``scheme://host[:port]`` of an absolute http(s) URL.

    The scheme and host are lowercased, an internationalised host is IDNA-encoded and
    the default port (80 for http, 443 for https) is dropped.

    Raises:
        ValueError: if ``url`` has no scheme or host, or is not http(s).
    """
    parts = _split_http(url)
    scheme = parts.scheme.lower()
    host = _normalise_host(parts.hostname or "", url)
    return f"{scheme}://{host}{_port_suffix(parts, scheme, url)}"


def _normalise_escapes(text: str, safe: frozenset[str]) -> str:
    """Normalise percent-encoding of a path or query component.

    Escapes of unreserved characters are decoded, other escapes are uppercased, a stray
    ``%`` becomes ``%25`` and characters outside ``safe`` are UTF-8 percent-encoded. The
    result is a fixed point, which is what makes :func:`canonicalise` idempotent.
    """
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "%":
            if i + 2 < n and text[i + 1] in _HEX and text[i + 2] in _HEX:
                decoded = chr(int(text[i + 1 : i + 3], 16))
                out.append(decoded if decoded in _UNRESERVED else "%" + text[i + 1 : i + 3].upper())
                i += 3
                continue
            out.append("%25")
        elif ch in safe:
            out.append(ch)
        else:
            # surrogatepass: a lone surrogate still maps to *some* stable escape.
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8", "surrogatepass"))
        i += 1
    return "".join(out)


def _remove_dot_segments(path: str) -> str:
    """Resolve ``.`` and ``..`` segments (RFC 3986 section 5.2.4) in an absolute path."""
    segments = path.split("/")
    out: list[str] = []
    for seg in segments[1:]:  # segments[0] is the empty string before the leading "/"
        if seg == ".":
            continue
        if seg == "..":
            if out:
                out.pop()
            continue
        out.append(seg)
    resolved = "/" + "/".join(out)
    # "/a/." and "/a/.." denote a directory: keep the trailing slash they imply.
    if segments[-1] in (".", "..") and not resolved.endswith("/"):
        resolved += "/"
    return resolved


def _is_tracking_param(name: str) -> bool:
    """Tell whether a (raw, possibly escaped) query parameter name is a tracker."""
    key = unquote_plus(name).strip().lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PARAM_PREFIXES)


def _is_session_param(name: str, value: str) -> bool:
    """Tell whether a (raw) query parameter carries a session id rather than content."""
    key = unquote_plus(name).strip().lower()
    if key not in SESSION_PARAMS:
        return False
    return key != "sid" or bool(_SESSION_TOKEN_RE.match(unquote_plus(value).strip()))


def _clean_query(query: str) -> str:
    """Drop tracking and session parameters and empty pieces, keeping the others in order."""
    kept: list[str] = []
    for piece in query.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        if _is_tracking_param(name) or _is_session_param(name, value):
            continue
        kept.append(piece)
    return "&".join(kept)


def _has_scheme(reference: str) -> bool:
    """Whether a URL reference is absolute with an authority (``scheme://host…``).

    ``http:path`` stays relative, as browsers resolve it against a same-scheme base.
    """
    try:
        parts = urlsplit(reference)
    except ValueError:
        return False
    return bool(parts.scheme and parts.netloc)


def canonicalise(url: str, base: str | None = None) -> str:
    """Return the canonical form of an http(s) URL, used as its identity everywhere.

    ``url`` is first resolved against ``base`` (if given). Then: scheme and host are
    lowercased (host IDNA-encoded), the default port, userinfo and fragment are dropped,
    tracking parameters (``utm_*``, ``fbclid``, ``gclid`` … see :data:`TRACKING_PARAMS`)
    and session ids (``PHPSESSID``, ``jsessionid`` … see :data:`SESSION_PARAMS`, also as
    ``;jsessionid=`` path parameters) are removed while the remaining parameters keep their
    order, dot segments are
    resolved, percent-encoding is normalised and an empty path becomes ``/``. A trailing
    slash is otherwise kept as written, since ``/a`` and ``/a/`` may be different pages.

    The function is idempotent: ``canonicalise(canonicalise(u)) == canonicalise(u)``.

    Raises:
        ValueError: if the (resolved) URL is not an absolute http(s) URL with a valid host.
    """
    if base is None and isinstance(url, str):
        return _canonical(url)
    return _canonicalise(url, base)


@lru_cache(maxsize=8192)
def _canonical(url: str) -> str:
    """:func:`canonicalise` without a base, cached: a page's URL is canonicalised in several
    stages (and a site's pages share their origin)."""
    return _canonicalise(url, None)


def _canonicalise(url: str, base: str | None) -> str:
    raw = url.strip() if isinstance(url, str) else url
    if base is not None and isinstance(raw, str) and not _has_scheme(raw):
        # An absolute URL is its own target (RFC 3986 5.2.2); urljoin would still re-parse
        # it and drop an empty ";" path parameter, breaking idempotence.
        try:
            raw = urljoin(base.strip(), raw)
        except ValueError as exc:
            raise ValueError(f"cannot resolve {strip_credentials(url)!r}: {exc}") from None
    parts = _split_http(raw)
    scheme = parts.scheme.lower()
    netloc = _normalise_host(parts.hostname or "", raw) + _port_suffix(parts, scheme, raw)
    path = _PATH_SESSION_RE.sub("", _normalise_escapes(parts.path, _PATH_SAFE))
    # Decode first, then resolve: "%2E%2E" is ".." once unreserved escapes are decoded.
    path = _remove_dot_segments(path) if path else "/"
    query = _clean_query(_normalise_escapes(parts.query, _QUERY_SAFE))
    return urlunsplit((scheme, netloc, path, query, ""))


def url_key(url: str) -> str:
    """Return the identity of a page regardless of scheme: its canonical form without it.

    ``http://news.example/a`` and ``https://news.example/a`` are one page served twice, so
    "seen" and de-duplication compare keys, ``//news.example/a``.

    Raises:
        ValueError: as :func:`canonicalise`.
    """
    return canonicalise(url).split(":", 1)[1]


def on_site(url: str, origin: str) -> str | None:
    """Return ``url`` canonicalised onto the site at ``origin``, or None if it is elsewhere.

    A URL on the same host and port as the origin but with the other scheme (``http`` for an
    ``https`` site or the reverse) is the same page: it is rewritten to the site's scheme, so
    a site has one spelling of each of its pages.
    """
    try:
        key = url_key(url)
        site = url_key(origin)
    except ValueError:
        return None
    if key != site and not key.startswith(site.rstrip("/") + "/"):
        return None
    return origin.split(":", 1)[0] + ":" + key


def same_origin(a: str, b: str) -> bool:
    """Tell whether two URLs share scheme, host and port; invalid URLs never match."""
    try:
        return origin_of(a) == origin_of(b)
    except ValueError:
        return False


def is_http_url(s: object) -> bool:
    """Tell whether ``s`` is an absolute http(s) URL with a valid host."""
    if not isinstance(s, str):
        return False
    try:
        origin_of(s)
    except ValueError:
        return False
    return True


def strip_credentials(url: str) -> str:
    """Return ``url`` with any ``user:password@`` removed, for logging.

    Works textually (no parsing) so it also cleans URLs too broken to parse; nothing
    else in the URL is changed.
    """
    if not isinstance(url, str):
        return repr(url)
    return _USERINFO_RE.sub("//", url, count=1)
