"""Fetch one page for `copycat attribute URL`, politely and with a size cap."""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass

from copycat.urls import is_http_url, strip_credentials


class FetchError(RuntimeError):
    """A page that could not be fetched, with the reason."""


@dataclass(frozen=True, slots=True)
class FetchedPage:
    """A fetched page: where it ended up, what it says it is, and its bytes."""

    url: str
    content_type: str | None
    body: bytes


def fetch_page(
    url: str, user_agent: str, timeout: float = 30.0, max_bytes: int = 20 * 1024 * 1024
) -> FetchedPage:
    """Fetch ``url`` (following redirects); refuse bodies over ``max_bytes``."""
    if not is_http_url(url):
        raise FetchError(f"not an http(s) URL: {strip_credentials(url)}")
    request = urllib.request.Request(url, headers={"User-Agent": user_agent})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(max_bytes + 1)
            if len(body) > max_bytes:
                raise FetchError(f"{strip_credentials(url)}: larger than {max_bytes} bytes")
            return FetchedPage(response.geturl(), response.headers.get("Content-Type"), body)
    except OSError as error:
        raise FetchError(f"could not fetch {strip_credentials(url)}: {error}") from error
