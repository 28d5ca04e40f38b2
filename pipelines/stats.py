"""Counters and timers of the pipeline stages, kept in the run's Scrapy stats collector.

A stage built outside a crawl may have no collector (``stats=None``): then nothing is kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.statscollectors import StatsCollector


def count(stats: StatsCollector | None, key: str, value: int = 1) -> None:
    """Add ``value`` to the counter ``key``."""
    if stats is not None:
        stats.inc_value(key, value)


def add_seconds(stats: StatsCollector | None, key: str, seconds: float) -> None:
    """Add ``seconds`` to the timer ``key``."""
    if stats is not None:
        stats.set_value(key, stats.get_value(key, 0.0) + seconds)
