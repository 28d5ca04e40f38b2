"""Ingest documents without crawling: JSON lines through the very same pipeline stages.

One JSON object a line: ``url`` (required), ``html`` or ``text`` (one required), optional
``title``, ``published_at`` (ISO 8601) and ``site`` (an origin; default: the URL's origin).
Bad lines are reported with their number and skipped; the rest goes in.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from queue import Empty, Queue
from threading import Thread
from time import monotonic
from types import SimpleNamespace
from typing import Any, Self, cast

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector, StatsCollector
from sqlalchemy.orm import Session, sessionmaker

from copycat.urls import canonicalise, origin_of
from crawler.discovery import parse_date
from crawler.items import ArticleItem
from pipelines.extract import ExtractPipeline, PageJob, WorkerExtraction
from pipelines.fingerprint import FingerprintConfig, FingerprintPipeline
from pipelines.match import MatchConfig, MatchPipeline
from pipelines.outages import describe_error
from pipelines.stats import count, timed
from pipelines.store import StorePipeline
from pipelines.workers import BrokenProcessPool

logger = logging.getLogger(__name__)


class RecordError(ValueError):
    """A JSONL record that cannot be ingested, with the reason."""


def parse_record(line: str, now: datetime) -> ArticleItem:
    """Validate one JSONL line and turn it into an item; raise RecordError saying what is wrong."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise RecordError(f"not JSON: {error.msg}") from error
    if not isinstance(record, dict):
        raise RecordError("not a JSON object")
    url = record.get("url")
    if not isinstance(url, str) or not url:
        raise RecordError("missing 'url'")
    try:
        url = canonicalise(url)
        site = origin_of(record["site"]) if record.get("site") else origin_of(url)
    except ValueError as error:
        raise RecordError(f"bad url or site: {error}") from error
    html, text = record.get("html"), record.get("text")
    if not isinstance(html, str) and not isinstance(text, str):
        raise RecordError("needs 'html' or 'text'")
    published = record.get("published_at")
    published_at = None
    if published is not None:
        published_at = parse_date(str(published))
        if published_at is None:
            raise RecordError(f"'published_at' is not an ISO 8601 date: {published!r}")
    title = record.get("title")
    crawled = _crawl_fields(record)
    return ArticleItem(
        url=url,
        site=site,
        fetched_at=crawled.pop("fetched_at", None) or now,
        html=html if isinstance(html, str) else None,
        text=text if isinstance(text, str) and not isinstance(html, str) else None,
        content_type="text/html" if isinstance(html, str) else None,
        discovered_via=crawled.pop("discovered_via", None) or "ingest",
        title_hint=title if isinstance(title, str) else None,
        input_published_at=published_at,
        **crawled,
    )


_CRAWL_DATES = ("fetched_at", "feed_published_at", "sitemap_published_at")
_CRAWL_STRINGS = ("discovered_via", "source_url_hint")


def _crawl_fields(record: dict[str, Any]) -> dict[str, Any]:
    """Read what a crawl's spill file adds to a record (see ``pipelines.store.spill_record``).

    Optional and lenient: a value of the wrong shape is ignored, not an error, so that a
    replayed spill file stores every article the crawl would have stored.
    """
    fields: dict[str, Any] = {}
    for name in _CRAWL_DATES:
        value = record.get(name)
        if isinstance(value, str) and (parsed := parse_date(value)) is not None:
            fields[name] = parsed
    for name in _CRAWL_STRINGS:
        value = record.get(name)
        if isinstance(value, str) and value:
            fields[name] = value
    return fields


def standalone_stats() -> StatsCollector:
    """Return a stats collector for running the pipelines outside a crawl."""
    return MemoryStatsCollector(cast(Crawler, SimpleNamespace(settings=Settings())))


@dataclass
class IngestResult:
    """What an ingest run did."""

    lines: int = 0
    stored: int = 0
    pairs: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    bad_lines: list[tuple[int, str]] = field(default_factory=list)


class PipelineChain:
    """The crawl's pipeline stages, in order, run on items that did not come from a crawl.

    ``workers`` > 0: pages are extracted and fingerprinted in that many worker processes
    (see :func:`ingest_lines`); close the chain to stop them.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        stats: StatsCollector,
        min_chars: int = 500,
        fingerprint: FingerprintConfig = FingerprintConfig(),
        match: MatchConfig = MatchConfig(),
        workers: int = 0,
    ) -> None:
        self.stats = stats
        self.extract = ExtractPipeline(
            min_chars=min_chars,
            stats=stats,
            workers=workers,
            fingerprint=fingerprint,
        )
        self.fingerprint = FingerprintPipeline(fingerprint, stats)
        self.match = MatchPipeline(sessions, match, stats)
        self.store = StorePipeline(sessions, stats)

    def prepare(self, item: ArticleItem) -> ArticleItem:
        """Run the stages that need no database (extract, fingerprint)."""
        return self.fingerprint.process_item(self.extract.extract_item(item))

    def finish(self, item: ArticleItem) -> ArticleItem:
        """Run the stages that read and write the database (match, store), in item order."""
        return self.store.process_item(self.match.match_item(item))

    def process(self, item: ArticleItem) -> ArticleItem:
        """Run every stage, all in this process (the crawl awaits extraction and verification
        from worker processes); DropItem propagates to the caller."""
        return self.finish(self.prepare(item))

    def close(self) -> None:
        """Stop the worker processes, if any (safe to call twice)."""
        self.extract.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _log_drop(number: int, drop: DropItem) -> None:
    """Say which line's page was dropped, and why (the stage that dropped it counted it)."""
    logger.info("line %d dropped: %s", number, drop)


class _DatabaseWriter:
    """A thread that runs the match and store stages on prepared items, in their order.

    While it waits on the database (SQLite or a server does its work without holding the GIL),
    the ingest thread extracts and fingerprints the next pages. Order is kept, so each item is
    matched against every item before it, exactly as in a sequential ingest: items are
    matched and written in one open transaction, which sees its own writes, and committed
    together every ``batch`` items, or once the oldest of them has waited ``max_delay``
    seconds (so a slow trickle of pages is still committed within a second of being ready).
    Committing whenever the writer caught up with the ingest thread was one commit per page
    (extraction is the slow side), a third of the store's CPU. If a batch fails on the
    database, it is rolled back and its items go through the per-item path one by one
    (matched again, with its retries and spill file): nothing is lost. A failure other than a
    drop stops the writer and is raised in the ingest thread at its next ``put``.
    """

    _DONE = None

    def __init__(
        self,
        chain: PipelineChain,
        result: IngestResult,
        on_progress: Callable[[IngestResult], None] | None,
        backlog: int = 16,
        batch: int = 50,
        max_delay: float = 1.0,
    ) -> None:
        self.chain = chain
        self.result = result
        self.on_progress = on_progress
        self.batch = batch
        self.max_delay = max_delay
        self.queue: Queue[tuple[int, ArticleItem] | None] = Queue(maxsize=backlog)
        self.error: BaseException | None = None
        self.thread = Thread(target=self._run, name="copycat-ingest-writer", daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.queue.put(self._DONE)
        self.thread.join()
        if self.error is not None and exc_info[0] is None:
            raise self.error

    def put(self, number: int, item: ArticleItem) -> None:
        """Queue a prepared item (waits while the backlog is full)."""
        if self.error is not None:
            raise self.error
        self.queue.put((number, item))

    def _run(self) -> None:
        pending: list[tuple[int, ArticleItem, int]] = []  # written, not yet committed
        session: Session | None = None
        site_ids: dict[str, int] = {}
        commit_by = 0.0  # when the open batch is committed, full or not
        while True:
            # with a batch open, wait for the next item no longer than the batch's deadline
            wait = None if session is None else max(0.0, commit_by - monotonic())
            try:
                entry = self.queue.get(timeout=wait)
            except Empty:
                if session is not None:
                    self._commit(session, pending, site_ids)
                session, pending = None, []
                continue
            if entry is self._DONE:
                break
            if self.error is not None:
                continue  # drain, so that the ingest thread never blocks on a full queue
            number, item = entry
            try:
                if session is None:
                    session = self.chain.store.sessions()
                    session.begin()
                    site_ids = dict(self.chain.store.site_ids)
                    commit_by = monotonic() + self.max_delay
                self.chain.match.match_item(item, session)
                pending.append((number, item, self.chain.store.write_in(session, item, site_ids)))
            except DropItem as drop:
                _log_drop(number, drop)
            except Exception as error:
                self._abandon(session, [*pending, (number, item, 0)], error)
                session, pending = None, []
                continue
            if session is not None and (len(pending) >= self.batch or monotonic() >= commit_by):
                self._commit(session, pending, site_ids)
                session, pending = None, []
        if session is not None:
            self._commit(session, pending, site_ids)

    def _commit(
        self,
        session: Session,
        pending: list[tuple[int, ArticleItem, int]],
        site_ids: dict[str, int],
    ) -> None:
        """Commit the open batch and count it; on a database failure, redo it item by item."""
        try:
            with timed(self.chain.stats, "store"):  # the commit is the store's work too
                session.commit()
        except Exception as error:
            self._abandon(session, pending, error)
            return
        count(self.chain.stats, "ingest/commits")
        session.close()
        self.chain.store.site_ids = site_ids
        for _, item, pruned in pending:
            self.chain.store.count_stored(item, pruned)
            self._stored()
        self.chain.store.seal_due_epochs(
            max((item.extra.get("article_id") or 0 for _, item, _ in pending), default=None)
        )

    def _abandon(
        self, session: Session | None, items: list[tuple[int, ArticleItem, int]], error: Exception
    ) -> None:
        """Roll the batch back and send its items through the per-item path, in order.

        That path retries an outage and spills what still cannot be written; an item that
        fails for another reason fails there again, and stops the writer.
        """
        if session is not None:
            session.rollback()
            session.close()
        logger.warning(
            "a batch of %d items could not be written (%s); writing them one by one",
            len(items),
            describe_error(error),
        )
        for number, item, _ in items:
            item.matches = []
            try:
                self.chain.finish(item)
            except DropItem as drop:
                _log_drop(number, drop)
                continue
            except BaseException as failure:  # re-raised in the ingest thread
                self.error = failure
                return
            self._stored()

    def _stored(self) -> None:
        self.result.stored += 1
        self.result.pairs = self.chain.stats.get_value("store/pairs", 0)
        if self.on_progress is not None:
            self.on_progress(self.result)


def iter_lines(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """Yield (line number, line) for non-blank lines."""
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield number, line


WINDOW_PER_WORKER = 4
"""Pages handed to the worker processes at once, per worker: enough that none waits for the
next page, few enough that pages (a 20 MB one, say) do not pile up in memory."""
PAGES_PER_JOB = 8
"""Pages a worker takes in one job when the input never stalls (a file): it extracts them all,
then fingerprints them all, which keeps the fingerprint's data in the CPU's caches (see
:func:`pipelines.extract.extract_pages_in_worker`). The window then holds two jobs a worker
and the one being gathered."""
JOB_HTML_CHARS = 2_000_000
"""A job is handed over early once its pages hold this much HTML: big pages do not pile up."""


def ingest_lines(
    lines: Iterable[str],
    chain: PipelineChain,
    on_progress: Callable[[IngestResult], None] | None = None,
    commit_delay: float = 1.0,
    pages_per_job: int = PAGES_PER_JOB,
) -> IngestResult:
    """Ingest JSONL lines through ``chain``; bad lines are recorded and skipped.

    Pages are extracted and fingerprinted here (or, when the chain has workers, in its worker
    processes) while a writer thread matches and stores the ones before them, in input order
    (see :class:`_DatabaseWriter`); an article is committed at most ``commit_delay`` seconds
    after it was written. ``pages_per_job``: pages a worker takes at once (see
    :data:`PAGES_PER_JOB`). A job is handed over once its pages have been read, so lines that
    may stall (a pipe a live process writes) want 1.
    """
    result = IngestResult()
    items = _parsed(lines, result)
    with _DatabaseWriter(chain, result, on_progress, max_delay=commit_delay) as writer:
        if chain.extract.pool is not None:
            prepared = _prepared_in_workers(items, chain, pages_per_job)
        else:
            prepared = _prepared_here(items, chain)
        for number, item in prepared:
            writer.put(number, item)
    prefix = "extract/dropped/"
    result.dropped = {
        key.removeprefix(prefix): value
        for key, value in chain.stats.get_stats().items()
        if key.startswith(prefix)
    }
    return result


def _parsed(lines: Iterable[str], result: IngestResult) -> Iterator[tuple[int, ArticleItem]]:
    """Yield (line number, item) for the lines that are good records; count and skip the rest."""
    for number, line in iter_lines(lines):
        result.lines += 1
        try:
            yield number, parse_record(line, datetime.now(UTC))
        except RecordError as error:
            result.bad_lines.append((number, str(error)))
            logger.info("line %d skipped: %s", number, error)


def _prepared_here(
    items: Iterable[tuple[int, ArticleItem]], chain: PipelineChain
) -> Iterator[tuple[int, ArticleItem]]:
    """Extract and fingerprint each item in this thread; log and skip the drops."""
    for number, item in items:
        try:
            yield number, chain.prepare(item)
        except DropItem as drop:
            _log_drop(number, drop)


@dataclass
class _Job:
    """A page in the workers' window: its line, its item and its worker's answer to come."""

    number: int
    item: ArticleItem
    page: PageJob | None
    """None for a text record, prepared here when its turn comes (cheap)."""
    answer: Future[WorkerExtraction] | None = None
    """Set once the page is handed to a worker."""
    alone: bool = False
    """Extracted again with nothing else in the workers, after a worker died."""


def _prepared_in_workers(
    items: Iterable[tuple[int, ArticleItem]], chain: PipelineChain, pages_per_job: int
) -> Iterator[tuple[int, ArticleItem]]:
    """Extract and fingerprint the items in the chain's worker processes; yield them in order.

    A window of pages is in the workers at once, so the workers are never idle while this
    thread hands the answers on; they go in jobs of ``pages_per_job`` pages. If a worker dies
    (out of memory, a crash in a C extension on a hostile page), every page whose answer was
    lost with it is extracted again, one at a time in fresh workers: the page that kills a
    worker alone too is dropped (counted as ``extract/dropped/worker_crashed``, logged with its
    line), and the others go on.
    """
    pool = chain.extract.pool
    assert pool is not None
    window: deque[_Job] = deque()
    gathered: list[tuple[_Job, PageJob]] = []  # read for the next job, not handed over yet
    # the pages in the workers, and those of the job being gathered
    size = pool.workers * max(WINDOW_PER_WORKER, 2 * pages_per_job) + pages_per_job - 1

    def hand_over() -> None:
        answers = chain.extract.submit_pages([page for _, page in gathered])
        for (job, _), answer in zip(gathered, answers, strict=True):
            job.answer = answer
        gathered.clear()

    for number, item in items:
        try:
            page = None if item.text is not None else chain.extract.page_job(item)
        except DropItem as drop:
            _log_drop(number, drop)
            continue
        job = _Job(number, item, page)
        window.append(job)
        if page is not None:
            gathered.append((job, page))
            held = sum(len(html) for _, (html, _) in gathered)
            if len(gathered) >= pages_per_job or held >= JOB_HTML_CHARS:
                hand_over()
        while len(window) >= size:
            if window[0].page is not None and window[0].answer is None:
                hand_over()  # the page to wait for first must be in a worker
            if (done := _finished(chain, window)) is not None:
                yield done
    if gathered:
        hand_over()
    while window:
        if (done := _finished(chain, window)) is not None:
            yield done


def _finished(chain: PipelineChain, window: deque[_Job]) -> tuple[int, ArticleItem] | None:
    """Take the window's first page off it, prepared (None if it is dropped)."""
    job = window[0]
    if job.answer is not None:  # (a text record has none: it is prepared here)
        wait([job.answer])
        if _lost(job.answer) and not job.alone:
            _extract_lost_pages_alone(chain, window)
    window.popleft()
    try:
        if job.answer is None:
            return job.number, chain.prepare(job.item)
        try:
            answer = job.answer.result()
        except BrokenProcessPool as error:  # it killed a worker alone too
            raise chain.extract.crashed(job.item, error) from error
        return job.number, chain.fingerprint.process_item(
            chain.extract.from_worker(job.item, answer)
        )
    except DropItem as drop:
        _log_drop(job.number, drop)
        return None


def _lost(answer: Future[WorkerExtraction]) -> bool:
    return isinstance(answer.exception(), BrokenProcessPool)


def _extract_lost_pages_alone(chain: PipelineChain, window: deque[_Job]) -> None:
    """After a worker died: let the window's other pages settle, then extract each page whose
    answer was lost again, alone, so that a second death names the page that caused it."""
    wait([job.answer for job in window if job.answer is not None])
    logger.warning(
        "an extraction worker died; extracting the %d pages it took along again, one by one",
        sum(1 for job in window if job.answer is not None and _lost(job.answer)),
    )
    for job in window:
        if job.answer is None or job.alone or not _lost(job.answer):
            continue  # (a page lost when it was alone is the cause: it is not tried again)
        # (submitting to a broken pool starts new worker processes first)
        job.answer, job.alone = chain.extract.submit(job.item), True
        wait([job.answer])
