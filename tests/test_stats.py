"""The stage timers: wall time and this thread's CPU time, kept apart."""

from __future__ import annotations

import time

import pytest

from copycat.ingest import standalone_stats
from pipelines.stats import timed


def test_timed_keeps_wall_and_cpu_time_apart() -> None:
    stats = standalone_stats()
    with timed(stats, "store"):
        time.sleep(0.05)  # waiting: wall time, no CPU
    with pytest.raises(ZeroDivisionError), timed(stats, "store"):
        sum(range(200_000))  # working: CPU, and a block that fails is still timed
        _ = 1 / 0
    wall, cpu = stats.get_value("store/seconds"), stats.get_value("store/cpu_seconds")
    assert wall >= 0.05
    assert 0 < cpu < wall - 0.04
