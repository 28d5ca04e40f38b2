"""Per-site crawl locks in the database, so two scheduled runs never crawl one site at once.

A lock is a ``site_locks`` row (origin, owner, expiry). Taking it is one INSERT … ON CONFLICT DO
NOTHING after deleting a stale row, which works the same on SQLite and PostgreSQL and needs no
session-bound state (an advisory lock would die with its connection and pin one per site). The
owner renews its locks by pushing ``expires_at`` forward (a heartbeat); a lock whose owner
stopped renewing (kill -9, a lost machine) expires, and one held by a dead process on this very
host is taken over at once.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from copycat.db import session_scope
from copycat.models import CrawlRun, SiteLock, utcnow

logger = logging.getLogger(__name__)


def new_owner() -> str:
    """Return an owner id for this process: ``host:pid:random`` (random: pids get reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_is_dead(owner: str | None) -> bool:
    """Tell whether ``owner`` is a process of this host that no longer exists.

    Owners on other hosts cannot be checked from here: for them only expiry counts.
    """
    if not owner:
        return False
    host, _, rest = owner.partition(":")
    pid_text = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # exists, owned by another user
        return False
    return False


def _insert(session: Session) -> Any:
    """Return the dialect's INSERT construct, which knows ON CONFLICT."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert


class SiteLocks:
    """The site locks one crawler process holds: ``acquire``, ``renew`` often, ``release``."""

    def __init__(self, sessions: sessionmaker[Session], owner: str, ttl: float) -> None:
        self.sessions = sessions
        self.owner = owner
        self.ttl = timedelta(seconds=ttl)
        self.held: set[str] = set()

    def acquire(self, origins: Iterable[str]) -> list[str]:
        """Lock every origin not locked by a live owner; return the ones now held."""
        taken: list[str] = []
        for origin in origins:
            with session_scope(self.sessions) as session:
                if self._take(session, origin):
                    taken.append(origin)
        self.held.update(taken)
        return taken

    def _take(self, session: Session, origin: str) -> bool:
        now = utcnow()
        current = session.execute(
            select(SiteLock.owner, SiteLock.expires_at).where(SiteLock.origin == origin)
        ).first()
        if current is not None and (current.expires_at <= now or owner_is_dead(current.owner)):
            # Expired or its process is gone: delete exactly that row (another process may be
            # taking it over right now; the insert below then loses, as it should).
            logger.info("%s: taking over the stale lock of %s", origin, current.owner)
            session.execute(
                delete(SiteLock).where(SiteLock.origin == origin, SiteLock.owner == current.owner)
            )
        insert = _insert(session)
        session.execute(
            insert(SiteLock)
            .values(origin=origin, owner=self.owner, acquired_at=now, expires_at=now + self.ttl)
            .on_conflict_do_nothing(index_elements=["origin"])
        )
        owner = session.scalar(select(SiteLock.owner).where(SiteLock.origin == origin))
        return owner == self.owner

    def holder(self, origin: str) -> str | None:
        """Return who holds the lock on ``origin`` (None if nobody)."""
        with self.sessions() as session:
            return session.scalar(select(SiteLock.owner).where(SiteLock.origin == origin))

    def renew(self) -> None:
        """Push the expiry of every held lock forward (the heartbeat)."""
        if not self.held:
            return
        with session_scope(self.sessions) as session:
            session.execute(
                update(SiteLock)
                .where(SiteLock.owner == self.owner, SiteLock.origin.in_(self.held))
                .values(expires_at=utcnow() + self.ttl)
            )

    def release(self, origins: Iterable[str] | None = None) -> None:
        """Give back the given locks (default: all held)."""
        gone = set(self.held if origins is None else origins) & self.held
        if not gone:
            return
        with session_scope(self.sessions) as session:
            session.execute(
                delete(SiteLock).where(SiteLock.owner == self.owner, SiteLock.origin.in_(gone))
            )
        self.held -= gone


def mark_interrupted_runs(session: Session, ttl: float, now: datetime | None = None) -> list[int]:
    """Mark "running" runs whose process died (or stopped beating) as "interrupted"; return ids."""
    now = now or utcnow()
    stale_before = now - timedelta(seconds=ttl)
    runs = session.scalars(
        select(CrawlRun).where(
            CrawlRun.status == "running",
            or_(CrawlRun.heartbeat_at.is_(None), CrawlRun.heartbeat_at < now),
        )
    ).all()
    marked = []
    for run in runs:
        beat = run.heartbeat_at or run.started_at
        if beat < stale_before or owner_is_dead(run.owner):
            run.status = "interrupted"
            run.finished_at = beat
            marked.append(run.id)
    return marked
