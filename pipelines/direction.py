"""Which of two matched documents is the copy: evidence rules, strongest first.

1. a credit in the copy: a link to the other page, its canonical pointing there, a feed
   ``<source>``, or a credit line naming the other site ("Source: The Courier");
2. the site roles, when one site is registered as a source and the other as a copycat;
3. the earliest trustworthy time: our own first-seen time when the two differ by more than a
   crawl interval (nobody can fake when *we* saw a page; not for ingested archive records, whose
   first-seen time is the ingest), then dates from feeds, sitemaps or an ingest record, then
   the dates pages claim about themselves (a copy may keep or invent one);
4. the text itself: a spinner swaps common words for odd ones, so the side whose swapped words
   are the longer, rarer-looking ones is the copy; then what each holds that the other lacks:
   a cut-down copy lacks some of its original's reporting, while what a copycat adds around
   the text it took is page chrome, which names nothing (:func:`reporting_direction`);
5. nothing else left: the document seen first, then the one stored first, stays the original.

The rule that decided is returned with its evidence so a person can check it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from copycat.urls import canonicalise, origin_of
from pipelines.textcache import cached_by_text

if TYPE_CHECKING:
    from pipelines.match import DocumentView

FIRST_SEEN_MARGIN = timedelta(hours=6)
"""First-seen times closer than this say nothing: both pages may have come in one crawl."""

TRUSTED_SOURCES = frozenset({"input", "feed", "sitemap"})
"""Publication dates recorded by someone other than the page itself."""

_CREDIT_WORDS = re.compile(
    r"\b(source|sources|via|credit|credits|originally|courtesy|first published|reported by)\b",
    re.IGNORECASE,
)


def _page_of(url: str | None) -> str | None:
    """The canonical form of ``url`` (``canonicalise`` remembers it); None for no URL or one
    that cannot be parsed."""
    if not url:
        return None
    try:
        return canonicalise(url)
    except ValueError:
        return None


def _names_of(doc: DocumentView) -> list[str]:
    """Return how a credit line may name ``doc``'s site: its name, its host, its bare domain."""
    names = [doc.site_name] if doc.site_name else []
    try:
        host = origin_of(doc.url).split("://", 1)[-1].split(":")[0]
    except ValueError:
        return [n for n in names if n]
    names += [host, host.removeprefix("www.")]
    return [n for n in names if n and len(n) >= 4]


def credit_line(copy_text: str, original: DocumentView) -> bool:
    """True when a short line of ``copy_text`` credits ``original``'s site by name."""
    names = [n.lower() for n in _names_of(original)]
    return any(name in line for line in _credit_lines(copy_text) for name in names)


@cached_by_text(1024)
def _credit_lines(text: str) -> tuple[str, ...]:
    """The short lines of ``text`` that hold a credit word, lower-cased.

    Cached: each pair asks about both texts, both ways round, and a text meets many pairs.
    """
    return tuple(
        line.lower()
        for line in text.splitlines()
        if len(line) <= 200 and _CREDIT_WORDS.search(line)
    )


def credits(copy: DocumentView, original: DocumentView) -> str | None:
    """Return how ``copy`` credits ``original`` (link, canonical, feed source, name), or None."""
    targets = {_page_of(original.url), _page_of(original.canonical_url)} - {None}
    if any(_page_of(link) in targets for link in copy.links):
        return "link"
    if _page_of(copy.canonical_url) in targets:
        return "canonical"
    if _page_of(copy.source_url_hint) in targets:
        return "feed_source"
    if credit_line(copy.text, original):
        return "name"
    return None


def _trusted_time(doc: DocumentView) -> datetime | None:
    if doc.published_at is not None and (
        doc.published_source is None or doc.published_source in TRUSTED_SOURCES
    ):
        return doc.published_at
    return None


def _claimed_time(doc: DocumentView) -> datetime | None:
    return doc.published_at


def _span(value: datetime) -> tuple[datetime, datetime]:
    """The time a date stands for: a bare date (midnight) means any time of that day."""
    if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
        return value, value + timedelta(days=1)
    return value, value


def _a_later(time_a: datetime | None, time_b: datetime | None) -> bool | None:
    """True if ``a`` came later, False if earlier, None when the dates cannot tell."""
    if time_a is None or time_b is None:
        return None
    (a_start, a_end), (b_start, b_end) = _span(time_a), _span(time_b)
    if b_end < a_start or (b_end == a_start and b_start < a_start):
        return True
    if a_end < b_start or (a_end == b_start and a_start < b_start):
        return False
    return None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _oddness(words: Sequence[str]) -> float:
    """How unusual a run of swapped-in words looks: longer words and phrases are rarer."""
    if not words:
        return 0.0
    return sum(len(w) + 3 * w.count(" ") + 2 * w.count("-") for w in words) / len(words)


def text_direction(substitutions: Sequence[tuple[str, str]]) -> bool | None:
    """From swaps (a-side word, b-side word): True if ``a`` looks spun, None if unclear."""
    if len(substitutions) < 3:
        return None
    a_odd = _oddness([a for a, _ in substitutions])
    b_odd = _oddness([b for _, b in substitutions])
    if abs(a_odd - b_odd) < 0.5:
        return None
    return a_odd > b_odd


OWN_REPORTING_WORDS = 30
"""Words of reporting of its own (see :func:`reporting_direction`) the original must hold."""


def reporting_direction(reporting: tuple[int, int]) -> bool | None:
    """From each text's reporting of its own, True if ``a`` looks the copy, None if unclear.

    ``reporting``: the countable words of each text's sentences that name something, outside
    quotations, with no sentence of the other text aligned to them
    (:func:`pipelines.align.unaligned_reporting`). A partial copy or an excerpt among a
    copycat's page lines holds none; its original holds what was cut. A text holding some of
    its own (a page stitched from several stories, a story updated with new facts) says
    nothing, and neither does a difference under :data:`OWN_REPORTING_WORDS`: in the bench
    without any dates, allowing the copy a third of the original's sent stitched copies the
    wrong way.
    """
    a_own, b_own = reporting
    if max(a_own, b_own) < OWN_REPORTING_WORDS or min(a_own, b_own) > 0:
        return None
    return a_own < b_own


def decide_direction(
    a: DocumentView,
    b: DocumentView,
    substitutions: Sequence[tuple[str, str]] = (),
    reporting: tuple[int, int] = (0, 0),
) -> tuple[bool, str, dict[str, Any]]:
    """Decide which of two matched documents is the copy: returns (a_is_copy, rule, evidence).

    ``substitutions`` are the words swapped between them (a-side word, b-side word) and
    ``reporting`` the words of reporting each holds that the other lacks
    (:func:`reporting_direction`): the text's own evidence, asked when nothing else tells.
    """
    for copy, original, a_is_copy in ((a, b, True), (b, a, False)):
        how = credits(copy, original)
        if how is not None and credits(original, copy) is None:
            return a_is_copy, f"credit_{how}", {"credit": how}
    if {a.site_role, b.site_role} == {"source", "copycat"}:
        return a.site_role == "copycat", "site_role", {"roles": [a.site_role, b.site_role]}
    evidence: dict[str, Any] = {
        "first_seen": [_iso(a.first_seen_at), _iso(b.first_seen_at)],
        "published": [_iso(a.published_at), _iso(b.published_at)],
        "published_source": [a.published_source, b.published_source],
    }
    seen_a, seen_b = a.first_seen_at, b.first_seen_at
    # An archive record's first-seen time is when it was ingested, not when the page was up:
    # its own date ("input") speaks for it instead.
    crawled = "input" not in (a.published_source, b.published_source)
    if (
        crawled
        and seen_a is not None
        and seen_b is not None
        and abs(seen_a - seen_b) > FIRST_SEEN_MARGIN
    ):
        return seen_a > seen_b, "first_seen", evidence
    for rule, time_of in (("trusted_date", _trusted_time), ("page_date", _claimed_time)):
        later = _a_later(time_of(a), time_of(b))
        if later is not None:
            return later, rule, evidence
    verdict = text_direction(substitutions)
    if verdict is not None:
        evidence["swaps"] = len(substitutions)
        return verdict, "text_oddness", evidence
    verdict = reporting_direction(reporting)
    if verdict is not None:
        evidence["own_reporting_words"] = list(reporting)
        return verdict, "own_reporting", evidence
    if seen_a is not None and seen_b is not None and seen_a != seen_b:
        return seen_a > seen_b, "first_seen", evidence
    # Nothing tells them apart: the one stored first stays the original.
    return a.id is None or (b.id is not None and a.id > b.id), "first_stored", evidence
