"""Plain-text rendering of reports and pairs, shared by the command line and the demo."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from copycat.queries import SiteReport


def report_lines(reports: Iterable[SiteReport], indent: str = "") -> Iterator[str]:
    """Yield a table: per site, articles, copies found, share copied and top sources."""
    yield f"{indent}{'site':38} {'role':8} {'articles':>8} {'copies':>7} {'copied':>7}  top sources"
    for r in reports:
        sources = ", ".join(f"{site} ({n})" for site, n in r.top_sources) or "-"
        yield (
            f"{indent}{r.origin:38} {r.role:8} {r.articles:8d} {r.copies:7d} "
            f"{r.share_copied:7.0%}  {sources}"
        )


def pair_lines(pairs: Iterable[dict[str, Any]], indent: str = "") -> Iterator[str]:
    """Yield two lines a pair: kind, score and copy; then the original and the direction rule."""
    for pair in pairs:
        yield f"{indent}{pair['kind']:9} {pair['score']:.2f}  {pair['copy_url']}"
        yield (
            f"{indent}{'':15}copies {pair['original_url']}  (direction by {pair['direction_rule']})"
        )
