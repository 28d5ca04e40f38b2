"""Distributed crawling: crawl processes on any number of machines share one frontier in Redis.

With ``COPYCAT_REDIS_URL`` set, the :class:`RedisFrontier` add-on (listed in ``ADDONS``) turns
a crawl process into one worker of a cluster:

* the request queue and the duplicate filter are scrapy-redis's (``scrapy_redis.scheduler.
  Scheduler`` and ``scrapy_redis.dupefilter.RFPDupeFilter``), so every URL is fetched once by
  whichever worker pops it. Every worker seeds the start requests (robots.txt, home pages,
  feeds, sitemaps); the shared duplicate filter lets only the first of each through, so
  seeding is idempotent and workers can start in any order;
* :class:`ClusterMember` keeps the frontier's life tied to the run: a worker that finds the
  queue empty waits while another one is still busy (it may yet discover more pages), and the
  last worker to leave deletes the queue and the filter, so the next scheduled run starts
  fresh (feeds and sitemaps are read again; articles are skipped because the database has
  them). Leftovers of a run whose workers all died are deleted by the next run's first worker;
* :class:`HintCarrier` puts what discovery learnt about an article URL (feed or sitemap date,
  title, credit) into the request, since the worker that fetches a page is often not the one
  that found it;
* :class:`MatchLock` / :class:`MatchUnlock` serialise the match and store stages across the
  cluster (a Redis lock held for those few milliseconds per article): two copies of one story
  stored at the same moment by two workers would otherwise each miss the other;
* the per-site database locks of single-process runs are off: the shared filter already keeps
  two workers off the same page.

All workers must use the same ``COPYCAT_REDIS_URL``, ``COPYCAT_REDIS_PREFIX``, database
(PostgreSQL: SQLite does not take writers on several machines) and sites to crawl.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING, Any, Self
from weakref import WeakKeyDictionary

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from twisted.internet import task

if TYPE_CHECKING:
    from redis import Redis
    from redis.lock import Lock
    from scrapy.http import Response
    from scrapy.settings import BaseSettings

    from crawler.items import ArticleItem

logger = logging.getLogger(__name__)

DEFAULT_PREFIX = "copycat"
MEMBER_TTL = 30.0
"""A worker that has not renewed its membership for this long is gone (killed, lost)."""
HEARTBEAT = 5.0
LOCK_TIMEOUT = 60.0
"""A match lock is released after this long even if its holder died holding it."""

# Keys: KEYS[1] members (zset: worker → last beat, Redis server time), KEYS[2] busy (set),
# KEYS[3..] the frontier (queue, duplicate filter). All in one script so that two workers
# starting or leaving at the same moment cannot both think they are alone, or both not.
_JOIN = """
local now = tonumber(redis.call('TIME')[1])
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
for _, worker in ipairs(gone) do redis.call('SREM', KEYS[2], worker) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
local fresh = 0
if redis.call('ZCARD', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
  fresh = 1
end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('SADD', KEYS[2], ARGV[1])
return fresh
"""
_BEAT = """
local now = tonumber(redis.call('TIME')[1])
redis.call('ZADD', KEYS[1], now, ARGV[1])
return 1
"""
_LEAVE = """
local now = tonumber(redis.call('TIME')[1])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[1])
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
for _, worker in ipairs(gone) do redis.call('SREM', KEYS[2], worker) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
  return 1
end
return 0
"""
# How many live workers other than ARGV[1] are busy.
_OTHERS_BUSY = """
local now = tonumber(redis.call('TIME')[1])
local busy = 0
for _, worker in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local beat = redis.call('ZSCORE', KEYS[1], worker)
  if worker ~= ARGV[1] and beat and tonumber(beat) > now - tonumber(ARGV[2]) then
    busy = busy + 1
  end
end
return busy
"""


def redis_prefix(settings: BaseSettings) -> str:
    """The prefix of every Redis key of the cluster (``COPYCAT_REDIS_PREFIX``)."""
    return settings.get("COPYCAT_REDIS_PREFIX") or DEFAULT_PREFIX


def frontier_keys(prefix: str, spider_name: str) -> dict[str, str]:
    """The Redis keys a cluster uses, by role."""
    base = f"{prefix}:{spider_name}"
    return {
        "members": f"{base}:workers",
        "busy": f"{base}:busy",
        "queue": f"{base}:requests",
        "dupefilter": f"{base}:dupefilter",
        "match_lock": f"{prefix}:match-lock",
    }


def _redis(url: str) -> Redis:
    from redis import Redis

    return Redis.from_url(url)


class RedisFrontier:
    """Scrapy add-on: with ``COPYCAT_REDIS_URL`` set, share the frontier through scrapy-redis."""

    def update_settings(self, settings: BaseSettings) -> None:
        """Point the scheduler and duplicate filter at Redis; add the cluster components."""
        url = settings.get("COPYCAT_REDIS_URL")
        if not url:
            raise NotConfigured  # a single-process crawl: nothing to change
        prefix = redis_prefix(settings)
        if "%" in prefix:
            raise ValueError("COPYCAT_REDIS_PREFIX must not contain '%'")
        keys = frontier_keys(prefix, "%(spider)s")
        for name, value in {
            "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
            "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
            "REDIS_URL": url,
            # ClusterMember deletes the frontier when the last worker leaves; scrapy-redis
            # would delete it when the first one does, under the others' feet.
            "SCHEDULER_PERSIST": True,
            "SCHEDULER_QUEUE_KEY": keys["queue"],
            "SCHEDULER_DUPEFILTER_KEY": keys["dupefilter"],
        }.items():
            settings.set(name, value, priority="addon")
        # Site locks would make a second worker drop every site the first one holds.
        priority = settings.getpriority("CRAWL_SITE_LOCKS")
        settings.set("CRAWL_SITE_LOCKS", False, priority="addon" if priority is None else priority)
        settings["EXTENSIONS"][f"{__name__}.ClusterMember"] = 490
        settings["SPIDER_MIDDLEWARES"][f"{__name__}.HintCarrier"] = 950
        settings["ITEM_PIPELINES"][f"{__name__}.MatchLock"] = 290
        settings["ITEM_PIPELINES"][f"{__name__}.MatchUnlock"] = 410


class ClusterMember:
    """Extension: join the cluster, wait for busy peers when idle, clean up when last out."""

    def __init__(self, client: Redis, keys: dict[str, str]) -> None:
        self.client = client
        self.keys = keys
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.busy = False
        self.beat: task.LoopingCall | None = None
        self._join = client.register_script(_JOIN)
        self._beat = client.register_script(_BEAT)
        self._leave = client.register_script(_LEAVE)
        self._others_busy = client.register_script(_OTHERS_BUSY)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Connect to Redis and to the signals."""
        settings = crawler.settings
        if not settings.get("COPYCAT_REDIS_URL"):
            raise NotConfigured
        assert crawler.spidercls is not None
        keys = frontier_keys(redis_prefix(settings), crawler.spidercls.name)
        member = cls(_redis(settings["COPYCAT_REDIS_URL"]), keys)
        crawler.signals.connect(member.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(member.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(member.response_received, signal=signals.response_received)
        crawler.signals.connect(member.spider_closed, signal=signals.spider_closed)
        return member

    @property
    def _script_keys(self) -> list[str]:
        k = self.keys
        return [k["members"], k["busy"], k["queue"], k["dupefilter"]]

    def spider_opened(self, spider: Spider) -> None:
        """Join; the first worker of a run clears what a dead earlier run left behind."""
        fresh = self._join(keys=self._script_keys, args=[self.worker, MEMBER_TTL])
        self.busy = True
        logger.info(
            "joined the crawl cluster as %s (%s)",
            self.worker,
            "first worker: fresh frontier" if fresh else "others already at work",
        )
        self.beat = task.LoopingCall(self._heartbeat)
        self.beat.start(HEARTBEAT, now=False)

    def _heartbeat(self) -> None:
        try:
            self._beat(keys=self._script_keys, args=[self.worker])
        except Exception:  # Redis hiccup: the next beat retries; membership lasts MEMBER_TTL
            logger.exception("could not renew cluster membership")

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        """Mark this worker busy again once it has something to do."""
        if not self.busy:
            self.busy = True
            self.client.sadd(self.keys["busy"], self.worker)

    def spider_idle(self, spider: Spider) -> None:
        """Nothing queued and nothing in flight here: wait while a peer may still add work."""
        if self.busy:
            self.busy = False
            self.client.srem(self.keys["busy"], self.worker)
        others = int(self._others_busy(keys=self._script_keys, args=[self.worker, MEMBER_TTL]))
        if others:
            # Scrapy asks again every few seconds, and pops anything a peer queued meanwhile.
            raise DontCloseSpider(f"{others} other worker(s) still busy")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Leave; the last worker out deletes the frontier so the next run starts fresh."""
        if self.beat is not None and self.beat.running:
            self.beat.stop()
        last = self._leave(keys=self._script_keys, args=[self.worker, MEMBER_TTL])
        if last:
            logger.info("last worker out: deleted the shared frontier")


_HINTS_META = "copycat_hints"


class HintCarrier:
    """Spider middleware: carry an article's discovery hints in its request.

    The spider remembers, per article URL, what its feed or sitemap entry said; another worker
    fetching the page would not know it. Hints found by the fetching worker itself are merged
    with the carried ones.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Keep the crawler: its spider holds the hints."""
        return cls(crawler)

    def _hints(self) -> dict[str, Any] | None:
        return getattr(self.crawler.spider, "hints", None)

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterable[Any]:
        """Attach the hints to every article request the spider yields."""
        hints = self._hints() or {}
        for output in result:
            yield self.carry(output, hints)

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        """The same for asynchronous callbacks."""
        hints = self._hints() or {}
        async for output in result:
            yield self.carry(output, hints)

    @staticmethod
    def carry(output: Any, hints: dict[str, Any]) -> Any:
        """Put the hints known for an article request into its meta; return the output."""
        if isinstance(output, Request) and output.meta.get("article_key") in hints:
            output.meta[_HINTS_META] = dataclasses.asdict(hints[output.meta["article_key"]])
        return output

    def process_spider_input(self, response: Response) -> None:
        """Put carried hints back into the spider's table before the callback reads it."""
        carried = response.meta.get(_HINTS_META)
        key = response.meta.get("article_key")
        hints = self._hints()
        if not carried or key is None or hints is None:
            return
        from crawler.spiders.articles import Hints

        mine = hints.get(key)
        if mine is None:
            hints[key] = Hints(**carried)
        else:
            mine.merge(Hints(**carried))


_MATCH_LOCKS: WeakKeyDictionary[Crawler, MatchLock] = WeakKeyDictionary()
"""Each crawler's MatchLock, for its MatchUnlock (Scrapy builds one component per class)."""


class MatchLock:
    """Item pipeline before the match stage: take the cluster-wide match lock."""

    def __init__(self, client: Redis, name: str) -> None:
        self.lock: Lock = client.lock(name, timeout=LOCK_TIMEOUT, blocking_timeout=LOCK_TIMEOUT)
        self.held = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """One lock per process, shared with :class:`MatchUnlock` through the crawler."""
        settings = crawler.settings
        lock = cls(
            _redis(settings["COPYCAT_REDIS_URL"]),
            frontier_keys(redis_prefix(settings), "")["match_lock"],
        )
        _MATCH_LOCKS[crawler] = lock
        # a stage between lock and unlock may drop the item or fail: give the lock back then
        crawler.signals.connect(lock.release, signal=signals.item_dropped)
        crawler.signals.connect(lock.release, signal=signals.item_error)
        crawler.signals.connect(lock.release, signal=signals.spider_closed)
        return lock

    def process_item(self, item: ArticleItem) -> ArticleItem:
        """Wait for the lock (match + store of one article elsewhere take milliseconds)."""
        # The stages up to MatchUnlock are synchronous: no other item of this process can
        # run in between, so one lock object per process is enough.
        if not self.held:
            if not self.lock.acquire():
                raise RuntimeError("could not take the match lock")
            self.held = True
        return item

    def release(self, *args: Any, **kwargs: Any) -> None:
        """Give the lock back if this process holds it."""
        if self.held:
            self.held = False
            try:
                self.lock.release()
            except Exception:  # expired meanwhile: someone else may hold it now
                logger.warning("the match lock had expired before it was released")


class MatchUnlock:
    """Item pipeline after the store stage: release the match lock."""

    def __init__(self, lock: MatchLock) -> None:
        self.lock = lock

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Use the lock :class:`MatchLock` made (it comes first in ``ITEM_PIPELINES``)."""
        return cls(_MATCH_LOCKS[crawler])

    def process_item(self, item: ArticleItem) -> ArticleItem:
        """Release the lock."""
        self.lock.release()
        return item


def cluster_keys(settings: BaseSettings, spider_name: str = "articles") -> Iterable[str]:
    """Every Redis key a cluster with these settings uses (for tests and clean-up)."""
    return frontier_keys(redis_prefix(settings), spider_name).values()
