"""What the stages do while the database is unavailable: tell a passing fault, wait, retry.

A crawl runs for hours; the database may restart under it. The stages that read or write it
retry what fails for a connection-level reason, with exponential backoff, for a budget of
seconds (``STORE_RETRY_SECONDS``), logging each wait; what still fails after that is spilled
by the store stage (see :mod:`pipelines.store`), never dropped silently.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

__all__ = [
    "DEFAULT_RETRY_SECONDS",
    "FIRST_DELAY",
    "MAX_DELAY",
    "describe_error",
    "is_transient",
    "retry_seconds_from",
    "retry_transient",
    "retry_transient_async",
    "sleep_on_reactor",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_RETRY_SECONDS = 60.0
"""How long a stage waits out an outage unless ``STORE_RETRY_SECONDS`` says otherwise."""
FIRST_DELAY = 0.25
"""Seconds before the first retry; each later wait doubles, up to :data:`MAX_DELAY`."""
MAX_DELAY = 5.0


def retry_seconds_from(settings: BaseSettings) -> float:
    """Read ``STORE_RETRY_SECONDS``, the outage budget every database stage shares."""
    return settings.getfloat("STORE_RETRY_SECONDS", DEFAULT_RETRY_SECONDS)


def is_transient(error: BaseException) -> bool:
    """Tell whether a database error is worth retrying: the connection, not the data.

    Connection refused or lost, server shutting down, lock or deadlock timeouts and
    serialization failures all surface as ``OperationalError`` (or ``InterfaceError`` for a
    closed connection); a constraint violation or a bug is an ``IntegrityError`` /
    ``ProgrammingError`` and retrying it would only fail again.
    """
    if isinstance(error, OperationalError | InterfaceError):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def describe_error(error: BaseException) -> str:
    """One short line for the log: the driver's message without SQL or bound parameters.

    SQLAlchemy's own message appends the statement and its parameters, which would put a
    whole page of HTML into the log.
    """
    original = getattr(error, "orig", None) or error
    first = (str(original).strip().splitlines() or [""])[0]
    return f"{type(original).__name__}: {first[:300]}"


def _worth_another_try(
    error: Exception, started: float, delay: float, attempt: int, budget_seconds: float, what: str
) -> bool:
    """Log a transient failure that leaves time for another attempt; False means give up."""
    if not is_transient(error):
        return False
    waited = time.monotonic() - started
    if waited + delay > budget_seconds:
        return False
    logger.warning(
        "database unavailable while %s (attempt %d, %.1fs so far): %s; retrying in %.2fs",
        what,
        attempt,
        waited,
        describe_error(error),
        delay,
    )
    return True


def retry_transient(
    action: Callable[[], T],
    budget_seconds: float,
    what: str,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[BaseException], None] | None = None,
) -> T:
    """Run ``action``, retrying it with exponential backoff while it fails transiently.

    Gives up (re-raising the last error) once another wait would pass ``budget_seconds``
    since the first attempt; non-transient errors are raised at once.
    """
    started = time.monotonic()
    delay = FIRST_DELAY
    attempt = 1
    while True:
        try:
            return action()
        except Exception as error:
            if not _worth_another_try(error, started, delay, attempt, budget_seconds, what):
                raise
            if on_retry is not None:
                on_retry(error)
            sleep(delay)
            delay = min(delay * 2, MAX_DELAY)
            attempt += 1


async def retry_transient_async(
    action: Callable[[], Awaitable[T]],
    budget_seconds: float,
    what: str,
    on_retry: Callable[[BaseException], None] | None = None,
) -> T:
    """:func:`retry_transient` for a coroutine, waiting on the reactor instead of blocking it."""
    started = time.monotonic()
    delay = FIRST_DELAY
    attempt = 1
    while True:
        try:
            return await action()
        except Exception as error:
            if not _worth_another_try(error, started, delay, attempt, budget_seconds, what):
                raise
            if on_retry is not None:
                on_retry(error)
            await sleep_on_reactor(delay)
            delay = min(delay * 2, MAX_DELAY)
            attempt += 1


async def sleep_on_reactor(seconds: float) -> None:
    """Wait without blocking the reactor (whichever reactor is installed)."""
    from scrapy.utils.defer import maybe_deferred_to_future
    from twisted.internet import reactor
    from twisted.internet.task import deferLater

    await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))
