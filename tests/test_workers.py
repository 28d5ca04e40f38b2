"""The worker pool hands out a bounded number of places: jobs beyond them wait, none is lost."""

from __future__ import annotations

import asyncio
import time

from pipelines.workers import WorkerPool


def test_no_more_jobs_are_submitted_at_once_than_the_pool_has_places() -> None:
    pool = WorkerPool(1, "test", queue_places=2)
    holding = most_holding = 0

    async def job(seconds: float) -> float:
        nonlocal holding, most_holding
        async with pool.place():
            holding += 1
            most_holding = max(most_holding, holding)
            try:
                await pool.call(time.sleep, seconds)
            finally:
                holding -= 1
        return seconds

    async def many() -> list[float]:
        jobs = [asyncio.ensure_future(job(0.02 * n)) for n in range(6)]
        await asyncio.sleep(0.01)
        # two jobs hold a place; the four others are asked for and wait for one
        assert pool.in_flight == 6
        return await asyncio.gather(*jobs)

    try:
        done = asyncio.run(many())
        # run() takes a place of its own; a second event loop gets a semaphore of its own
        assert asyncio.run(pool.run(sum, [1, 2, 3])) == 6
    finally:
        pool.close()
    assert done == [0.02 * n for n in range(6)]
    assert most_holding == 2
    assert pool.in_flight == 0
