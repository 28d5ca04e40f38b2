"""A pool of worker processes that a Scrapy stage awaits, shared by the extract and match stages.

A crawl's pipelines run on the reactor thread; CPU-heavy pure functions (trafilatura, sentence
alignment) would hold it and stall fetching. :class:`WorkerPool` runs such a function in
another process and lets the stage ``await`` its result on either reactor. A worker that
dies (out of memory, a crash in a C extension on a hostile page) breaks the whole pool; the
pool is then replaced once, and the caller hears :class:`BrokenProcessPool` for the calls
that were in it.

Jobs queue for a *place* in the pool before they are submitted (``queue_places``, eight per
worker by default): enough to keep every worker busy while the reactor thread is slow to hand
results on, few enough that the results coming back do not pile up behind it. (Each result
the reactor has not yet taken in widens its item's window for late candidates, which are
verified on the reactor thread: with unbounded submission those went up fivefold.)
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.connection
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from threading import Thread
from typing import TYPE_CHECKING, ParamSpec, TypeVar
from weakref import WeakKeyDictionary

from scrapy.utils.asyncio import is_asyncio_available
from twisted.internet.defer import Deferred, DeferredSemaphore

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["BrokenProcessPool", "WorkerPool", "crawl_pool", "wait_for"]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")
_P = ParamSpec("_P")


class WorkerPool:
    """Worker processes, started on first use and replaced if one dies."""

    def __init__(
        self,
        workers: int,
        name: str,
        initializer: Callable[[], None] | None = None,
        queue_places: int | None = None,
    ) -> None:
        self.workers = workers
        self.name = name
        self.initializer = initializer
        self.queue_places = queue_places if queue_places is not None else 8 * workers
        """Jobs submitted at once (running or queued in the executor); the rest wait."""
        self._places: asyncio.Semaphore | DeferredSemaphore | None = None
        self._places_loop: asyncio.AbstractEventLoop | None = None
        self._executor: ProcessPoolExecutor | None = None
        self.in_flight = 0
        """Jobs asked for and not done: submitted, or waiting for a place."""
        self.submitted = 0
        """Jobs handed to the worker processes and not done (at most ``queue_places``)."""

    @property
    def running(self) -> bool:
        """Whether the worker processes are up (between ``start`` and ``close``)."""
        return self._executor is not None

    def start(self) -> None:
        """Start the processes (idempotent), without waiting for them to be ready."""
        if self._executor is None:
            # spawn, not fork: forking a process that runs a reactor and its threads can copy
            # locks in a held state; fresh interpreters import only what the work needs.
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(self.initializer,),
            )
            # A spawning executor starts a process for a job only when no worker is idle:
            # one no-op job each starts them all now, so that their start-up (interpreter,
            # imports, initializer: about half a second each) overlaps the crawl's first
            # fetches instead of holding its first pages up.
            for _ in range(self.workers):
                self._executor.submit(_ready)

    async def run(self, function: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        """Wait for a place, run ``function(*args)`` in a worker and return its result.

        Raises:
            BrokenProcessPool: a worker died while this call was in the pool (the pool has
                been replaced by then; the call is not retried).
        """
        self.in_flight += 1
        try:
            places = self._places_here()
            await places.acquire()
            try:
                self.start()
                executor = self._executor
                assert executor is not None
                self.submitted += 1
                try:
                    return await wait_for(executor.submit(function, *args, **kwargs))
                except BrokenProcessPool:
                    self._replace(executor)
                    raise
                finally:
                    self.submitted -= 1
            finally:
                places.release()
        finally:
            self.in_flight -= 1

    def submit(self, function: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> Future[_T]:
        """Hand ``function(*args)`` to a worker at once and return its future.

        For a synchronous caller that bounds how many calls it has in the pool itself (the
        coroutine path waits for a place instead). A pool found broken is replaced first.
        """
        self.start()
        executor = self._executor
        assert executor is not None
        try:
            return executor.submit(function, *args, **kwargs)
        except BrokenProcessPool:
            self._replace(executor)
            assert self._executor is not None
            return self._executor.submit(function, *args, **kwargs)

    def _places_here(self) -> asyncio.Semaphore | DeferredSemaphore:
        """The semaphore of places, made for the running loop (asyncio) or the reactor."""
        if not is_asyncio_available():
            if not isinstance(self._places, DeferredSemaphore):
                self._places = DeferredSemaphore(self.queue_places)
            return self._places
        loop = asyncio.get_running_loop()
        if not isinstance(self._places, asyncio.Semaphore) or self._places_loop is not loop:
            # an asyncio semaphore belongs to one loop
            self._places, self._places_loop = asyncio.Semaphore(self.queue_places), loop
        return self._places

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        """Replace the broken executor (once, however many of its calls saw it break)."""
        if self._executor is broken:
            broken.shutdown(wait=False, cancel_futures=True)
            self._executor = None
            logger.error("a %s worker died: starting new worker processes", self.name)
            self.start()

    def close(self) -> None:
        """Shut the processes down (waiting for running calls); safe to call twice."""
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


def _ready() -> None:
    """A no-op job: submitting it makes the executor start a worker process."""


def _start_worker(initializer: Callable[[], None] | None) -> None:
    """Worker initializer: leave when the parent process does, then run ``initializer``.

    A worker waits for jobs on a queue it also holds the writing end of, so it never hears
    that a parent killed with SIGKILL (or by the OOM killer) is gone: it would idle on,
    holding its memory and the parent's inherited pipes, for ever.
    """
    parent = multiprocessing.parent_process()
    if parent is not None:
        Thread(target=_exit_with, args=(parent.sentinel,), daemon=True).start()
    if initializer is not None:
        initializer()


def _exit_with(parent_sentinel: int) -> None:
    """Wait for the parent process to end, then end this one at once."""
    multiprocessing.connection.wait([parent_sentinel])
    os._exit(1)


_crawl_pools: WeakKeyDictionary[Crawler, WorkerPool] = WeakKeyDictionary()


def crawl_pool(
    crawler: Crawler, workers: int, initializer: Callable[[], None] | None = None
) -> WorkerPool | None:
    """Return the crawl's one worker pool (None for ``workers`` 0), made on the first call.

    The stages share it: as many processes as CPUs in all, rather than a pool per stage
    competing for the same CPUs (and each holding its own caches and memory).
    """
    if workers <= 0:
        return None
    pool = _crawl_pools.get(crawler)
    if pool is None:
        pool = _crawl_pools[crawler] = WorkerPool(workers, "pipeline", initializer)
    return pool


async def wait_for(future: Future[_T]) -> _T:
    """Await a ``concurrent.futures`` future from a Scrapy coroutine, on either reactor."""
    if is_asyncio_available():
        return await asyncio.wrap_future(future)
    from twisted.internet import reactor

    deferred: Deferred[_T] = Deferred()

    def settle(done: Future[_T]) -> None:
        # runs in the pool's management thread: hand the result over to the reactor thread
        error = done.exception()
        if error is not None:
            reactor.callFromThread(deferred.errback, error)
        else:
            reactor.callFromThread(deferred.callback, done.result())

    future.add_done_callback(settle)
    return await deferred
