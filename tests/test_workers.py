"""The worker pool hands out a bounded number of places: jobs beyond them wait, none is lost."""

from __future__ import annotations

import asyncio
import multiprocessing
import time

from pipelines.workers import WorkerPool


def test_no_more_jobs_are_submitted_at_once_than_the_pool_has_places() -> None:
    pool = WorkerPool(1, "test", queue_places=2)

    async def many() -> list[float]:
        jobs = [asyncio.ensure_future(pool.run(_pause, 0.05 * n)) for n in range(6)]
        await asyncio.sleep(0.02)
        # two jobs are in the worker's hands; the four others are asked for and wait
        assert (pool.submitted, pool.in_flight) == (2, 6)
        return await asyncio.gather(*jobs)

    try:
        pool.start()
        done = asyncio.run(many())
        # a second event loop gets a semaphore of its own
        assert asyncio.run(pool.run(sum, [1, 2, 3])) == 6
    finally:
        pool.close()
    assert done == [0.05 * n for n in range(6)]
    assert (pool.submitted, pool.in_flight) == (0, 0)


def _pause(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def test_starting_the_pool_starts_every_worker_process_before_any_job() -> None:
    pool = WorkerPool(2, "test")
    before = set(multiprocessing.active_children())

    def started() -> int:
        return len(set(multiprocessing.active_children()) - before)

    try:
        pool.start()
        # the processes are being spawned; nothing was asked of them
        deadline = time.monotonic() + 30
        while started() < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert started() == 2
        assert pool.in_flight == 0
        pool.start()  # idempotent: no more processes
        assert started() == 2
    finally:
        pool.close()
    assert started() == 0
