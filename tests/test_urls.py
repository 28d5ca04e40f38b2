"""Tests for copycat.urls: origins, canonical URLs and credential stripping."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copycat.urls import (
    canonicalise,
    is_http_url,
    origin_of,
    same_origin,
    strip_credentials,
)

# --------------------------------------------------------------------------- origin_of


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://news.example/a/b?c=1#d", "https://news.example"),
        ("HTTP://News.EXAMPLE/", "http://news.example"),
        ("http://news.example:80/x", "http://news.example"),
        ("https://news.example:443/x", "https://news.example"),
        ("http://news.example:8080/x", "http://news.example:8080"),
        ("https://news.example:80/x", "https://news.example:80"),
        ("https://user:pw@news.example/", "https://news.example"),
        ("https://bücher.example/", "https://xn--bcher-kva.example"),
        ("https://news.example./", "https://news.example"),
        ("http://[::1]:8080/", "http://[::1]:8080"),
        ("http://192.0.2.1/", "http://192.0.2.1"),
    ],
)
def test_origin_of(url: str, expected: str) -> None:
    assert origin_of(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "",
        "news.example/path",
        "/relative/path",
        "//news.example/x",
        "ftp://news.example/file",
        "mailto:editor@news.example",
        "javascript:alert(1)",
        "http://",
        "https:///path-only",
        "http://bad host.example/",
        "http://news.example:notaport/",
        "http://news.example:99999/",
    ],
)
def test_origin_of_rejects(url: str) -> None:
    with pytest.raises(ValueError, match=r"\S"):
        origin_of(url)


def test_origin_of_error_message_hides_credentials() -> None:
    with pytest.raises(ValueError) as info:
        origin_of("ftp://alice:hunter2@files.example/")
    assert "hunter2" not in str(info.value)
    assert "ftp" in str(info.value)


# --------------------------------------------------------------------------- canonicalise


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://News.Example", "http://news.example/"),
        ("https://news.example:443/a", "https://news.example/a"),
        ("http://news.example:8080/a", "http://news.example:8080/a"),
        ("https://news.example/a#section-2", "https://news.example/a"),
        ("https://alice:secret@news.example/a", "https://news.example/a"),
        ("https://news.example/a/", "https://news.example/a/"),
        ("https://news.example/a", "https://news.example/a"),
        ("https://news.example/a?", "https://news.example/a"),
        # Tracking parameters go, the others keep their order.
        (
            "https://news.example/a?z=1&utm_source=x&b=2&UTM_Medium=y&fbclid=f&a=3&gclid=g",
            "https://news.example/a?z=1&b=2&a=3",
        ),
        (
            "https://news.example/a?dclid=1&msclkid=2&mc_cid=3&mc_eid=4&igshid=5&yclid=6"
            "&_ga=7&ref_src=8&spm=9&id=10",
            "https://news.example/a?id=10",
        ),
        ("https://news.example/a?utm_source=x", "https://news.example/a"),
        ("https://news.example/a?x=1&&y=2", "https://news.example/a?x=1&y=2"),
        # Percent-encoding: unreserved decoded, others uppercased, raw UTF-8 encoded.
        ("https://news.example/%7euser/%41b%2fc", "https://news.example/~user/Ab%2Fc"),
        ("https://news.example/caf%c3%a9", "https://news.example/caf%C3%A9"),
        ("https://news.example/café", "https://news.example/caf%C3%A9"),
        ("https://news.example/a b", "https://news.example/a%20b"),
        ("https://news.example/100%", "https://news.example/100%25"),
        ("https://news.example/?q=a+b%20c", "https://news.example/?q=a+b%20c"),
        # Dot segments.
        ("https://news.example/a/./b/../c", "https://news.example/a/c"),
        ("https://news.example/a/b/..", "https://news.example/a/"),
        ("https://news.example/%2E%2E/x", "https://news.example/x"),
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
        ("  https://news.example/padded  ", "https://news.example/padded"),
    ],
)
def test_canonicalise(url: str, expected: str) -> None:
    assert canonicalise(url) == expected


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("/b?x=1", "https://news.example/a/", "https://news.example/b?x=1"),
        ("c.html", "https://news.example/a/b", "https://news.example/a/c.html"),
        ("../c", "https://news.example/a/b/", "https://news.example/a/c"),
        ("//cdn.example/img", "https://news.example/", "https://cdn.example/img"),
        ("?page=2", "https://news.example/list?page=1", "https://news.example/list?page=2"),
        ("#top", "https://news.example/a", "https://news.example/a"),
        ("https://other.example/x", "https://news.example/", "https://other.example/x"),
    ],
)
def test_canonicalise_with_base(url: str, base: str, expected: str) -> None:
    assert canonicalise(url, base) == expected


@pytest.mark.parametrize(
    "url",
    ["mailto:a@news.example", "javascript:void(0)", "tel:+100", "/relative", "http://", ""],
)
def test_canonicalise_rejects(url: str) -> None:
    with pytest.raises(ValueError):
        canonicalise(url)


def test_canonicalise_relative_without_http_base_rejected() -> None:
    with pytest.raises(ValueError):
        canonicalise("/x", "ftp://files.example/")


# --------------------------------------------------------------------------- small helpers


def test_same_origin() -> None:
    assert same_origin("https://news.example/a", "HTTPS://NEWS.example:443/b?c")
    assert not same_origin("https://news.example/", "http://news.example/")
    assert not same_origin("https://news.example/", "https://www.news.example/")
    assert not same_origin("https://news.example:8443/", "https://news.example/")
    assert not same_origin("not a url", "not a url")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://news.example/", True),
        ("http://news.example", True),
        ("HTTPS://NEWS.EXAMPLE/x", True),
        ("ftp://news.example/", False),
        ("/path", False),
        ("news.example", False),
        ("", False),
        (None, False),
        (42, False),
    ],
)
def test_is_http_url(value: object, expected: bool) -> None:
    assert is_http_url(value) is expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://alice:secret@news.example/a?b#c", "https://news.example/a?b#c"),
        ("https://alice@news.example/", "https://news.example/"),
        ("https://a:b@c@news.example/x@y", "https://news.example/x@y"),
        ("https://news.example/path@with-at", "https://news.example/path@with-at"),
        ("//alice:secret@news.example/", "//news.example/"),
        ("http://u:p@[::1/broken", "http://[::1/broken"),
        ("no credentials here", "no credentials here"),
    ],
)
def test_strip_credentials(url: str, expected: str) -> None:
    assert strip_credentials(url) == expected


# --------------------------------------------------------------------------- properties

_hosts = st.one_of(
    st.sampled_from(["news.example", "NEWS.Example", "bücher.example", "[::1]", "192.0.2.7"]),
    st.text(st.characters(exclude_characters="/?#"), max_size=12),
)
_pieces = st.text(max_size=30)
# Path text without "?"/"#", so the generated query really is the query.
_paths = st.text(st.characters(exclude_characters="?#"), max_size=30)
_urls = st.builds(
    lambda scheme, userinfo, host, port, path, query, fragment: (
        f"{scheme}://{userinfo}{host}{port}/{path}"
        + (f"?{query}" if query is not None else "")
        + (f"#{fragment}" if fragment is not None else "")
    ),
    st.sampled_from(["http", "https", "HTTPS", "ftp"]),
    st.sampled_from(["", "alice@", "alice:s3cr!t@", ":s3cr!t@"]),
    _hosts,
    st.sampled_from(["", ":80", ":443", ":8080", ":"]),
    _paths,
    st.none() | st.text(max_size=30) | st.just("utm_source=x&a=1&fbclid=2"),
    st.none() | _pieces,
)


def _check_canonical(url: str) -> None:
    try:
        once = canonicalise(url)
    except ValueError:
        return
    assert canonicalise(once) == once
    parts = urlsplit(once)
    assert parts.username is None and parts.password is None
    assert "@" not in parts.netloc
    assert "#" not in once
    assert "s3cr!t" not in parts.netloc
    assert "utm_source" not in parts.query and "fbclid" not in parts.query
    assert parts.path.startswith("/")
    assert once.isascii()


@settings(max_examples=300, deadline=None)
@given(_urls)
def test_canonicalise_idempotent_on_built_urls(url: str) -> None:
    _check_canonical(url)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_canonicalise_idempotent_on_any_text(text: str) -> None:
    _check_canonical(text)
    _check_canonical("http://news.example/" + text)


@settings(max_examples=200, deadline=None)
@given(_urls, st.text(max_size=30))
def test_canonicalise_with_base_idempotent(base: str, href: str) -> None:
    try:
        once = canonicalise(href, base)
    except ValueError:
        return
    assert canonicalise(once) == once
    assert canonicalise(once, base) == once


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_helpers_never_raise_unexpectedly(text: str) -> None:
    assert isinstance(is_http_url(text), bool)
    assert isinstance(same_origin(text, "https://news.example/"), bool)
    cleaned = strip_credentials(f"https://alice:s3cr!t@{text}")
    assert cleaned.count("s3cr!t") <= text.count("s3cr!t")


# --------------------------------------------------------------------------- session ids


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://news.example/a?PHPSESSID=abc&id=7", "https://news.example/a?id=7"),
        ("https://news.example/a;jsessionid=0A1B2C?x=1", "https://news.example/a?x=1"),
        ("https://news.example/a;JSESSIONID=0A1B2C/b", "https://news.example/a/b"),
        ("https://news.example/a?sessionid=q&session_id=r", "https://news.example/a"),
        ("https://news.example/a?sid=3f2a9c0d1e4b5a6f7c8d", "https://news.example/a"),
        # a short or structured sid is a story id, not a session: kept
        ("https://news.example/article.pl?sid=06/05/17/1234", None),
        ("https://news.example/story?sid=1234", None),
        ("https://news.example/a/..;jsessionid=x/b", "https://news.example/b"),
    ],
)
def test_canonicalise_drops_session_ids(url: str, expected: str | None) -> None:
    assert canonicalise(url) == (expected or url)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["sid", "PHPSESSID", "jsessionid", "SessionId"]),
    st.text(st.sampled_from("abcdef0123456789"), min_size=16, max_size=40),
    st.text(st.characters(exclude_characters="?#;"), max_size=20),
)
def test_session_ids_never_survive_canonicalise(name: str, token: str, path: str) -> None:
    for url in (
        f"https://news.example/{path}?{name}={token}",
        f"https://news.example/{path};jsessionid={token}",
    ):
        try:
            once = canonicalise(url)
        except ValueError:
            continue
        assert token not in urlsplit(once).query
        assert canonicalise(once) == once
