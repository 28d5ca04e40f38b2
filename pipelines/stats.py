"""Counters and timers of the pipeline stages, kept in the run's Scrapy stats collector.

A stage built outside a crawl may have no collector (``stats=None``): then nothing is kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from time import perf_counter, thread_time
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


Timing = tuple[float, float]
"""Wall and CPU seconds (this thread's) of a piece of work, or the clocks at its start."""


def clock() -> Timing:
    """Read the wall clock and this thread's CPU clock (see :func:`since`)."""
    return perf_counter(), thread_time()


def since(started: Timing) -> Timing:
    """Return the wall and CPU seconds since ``started`` (a :func:`clock` reading)."""
    return perf_counter() - started[0], thread_time() - started[1]


def add_timing(stats: StatsCollector | None, stage: str, wall: float, cpu: float) -> None:
    """Add ``wall`` seconds to ``<stage>/seconds`` and ``cpu`` seconds to ``<stage>/cpu_seconds``
    (work timed elsewhere: in a worker process, say)."""
    add_seconds(stats, f"{stage}/seconds", wall)
    add_seconds(stats, f"{stage}/cpu_seconds", cpu)


@contextmanager
def timed(stats: StatsCollector | None, stage: str) -> Iterator[None]:
    """Add the block's wall time to ``<stage>/seconds`` and its CPU time to ``<stage>/cpu_seconds``.

    CPU time is this thread's (``thread_time``): the ingest runs extraction and the database
    stages in two threads, and a wall clock alone cannot tell work from waiting for the GIL or
    the disk. Only for blocks that do not await: a coroutine's thread runs other work meanwhile.
    """
    started = clock()
    try:
        yield
    finally:
        add_timing(stats, stage, *since(started))
