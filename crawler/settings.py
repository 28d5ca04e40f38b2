"""Scrapy settings for the copycat crawler.

Custom settings carry their stage's prefix: ``EXTRACT_…``, ``FINGERPRINT_…``, ``MATCH_…``,
``CRAWL_…``; ``COPYCAT_…`` are the project-wide ones. ``copycat crawl -s NAME=VALUE`` and
``scrapy crawl articles -s NAME=VALUE`` override any of them.
"""

import os

BOT_NAME = "copycat"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Where articles go; None means $COPYCAT_DATABASE_URL or sqlite:///copycat.db.
COPYCAT_DATABASE_URL = os.environ.get("COPYCAT_DATABASE_URL")
# Site owners who wonder who is crawling them find out here: set it to your team's page.
COPYCAT_CONTACT_URL = os.environ.get(
    "COPYCAT_CONTACT_URL", "https://github.com/copycat-news/copycat#crawler"
)
USER_AGENT = f"copycat/0.1 (news copy detection; +{COPYCAT_CONTACT_URL})"

# Distributed crawling (crawler/distributed.py): with a Redis URL, crawl processes on any number
# of machines share one frontier and duplicate filter (scrapy-redis); unset, a crawl runs alone.
COPYCAT_REDIS_URL = os.environ.get("COPYCAT_REDIS_URL")
# Prefix of the cluster's Redis keys: workers of one cluster share it, other clusters differ.
COPYCAT_REDIS_PREFIX = os.environ.get("COPYCAT_REDIS_PREFIX", "copycat")
ADDONS = {"crawler.distributed.RedisFrontier": 0}

# Politeness: obey robots.txt, adapt the rate to the server, keep per-site concurrency low.
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_TIMEOUT = 30
# Scrapy starts this many asyncio tasks for the output of every response, however little it
# yields. An article page yields one item and a sitemap yields requests (scheduled at once), so
# a handful is enough; the default 100 cost the reactor thread ~1 ms per page in task churn.
CONCURRENT_ITEMS = 4
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024

# Transient failures (5xx, timeouts, resets) are retried; 429 too.
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]

COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"

# Discovery bounds, per site and per run.
CRAWL_MAX_PAGES_PER_SITE = 1000
CRAWL_MAX_LISTING_DEPTH = 5
# Sitemap indexes nest at most this deep (hostile ones nest without end, or loop).
CRAWL_MAX_SITEMAP_DEPTH = 3

# One download slot per site; robots.txt Crawl-delay (capped) and Retry-After on 429/503 (up to
# CRAWL_RETRY_AFTER_MAX seconds; longer waits fail the request instead) hold a site back;
# conditional requests for listings.
DOWNLOADER_MIDDLEWARES = {
    # Only registered origins, no private addresses, no credentials: before anything else
    # (robots.txt included) may cause a connection. Loops, long redirect chains and
    # decompression bombs are counted (see crawler/safety.py).
    "crawler.safety.SafetyMiddleware": 40,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.safety.SafeHttpCompressionMiddleware": 590,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.safety.SafeRedirectMiddleware": 600,
    "crawler.politeness.SiteSlotMiddleware": 50,
    "crawler.politeness.RetryAfterMiddleware": 555,
    "crawler.conditional.ConditionalRequestMiddleware": 560,
    "crawler.politeness.CrawlDelayMiddleware": 580,
}
# Twisted connects to what this resolver answers: no private addresses, even if a hostile DNS
# server answers differently than when the safety middleware asked (DNS rebinding).
TWISTED_DNS_RESOLVER = "crawler.safety.PublicAddressResolver"
# Redirect chains longer than this are refused (loops are refused at once).
REDIRECT_MAX_TIMES = 5
# Requests to origins that are not registered sites are refused; True lets them through
# (public addresses only: private, loopback and link-local ones are always refused).
SAFETY_ALLOW_UNREGISTERED = False
CRAWL_MAX_CRAWL_DELAY = 60.0
CRAWL_RETRY_AFTER_MAX = 300.0

# A site is locked in the database while a run crawls it; a run that stops renewing its locks
# (killed) loses them after CRAWL_LOCK_TTL seconds, or at once if its process is gone.
CRAWL_SITE_LOCKS = True
CRAWL_LOCK_TTL = 300.0
CRAWL_LOCK_HEARTBEAT = 30.0

ITEM_PIPELINES = {
    "pipelines.extract.ExtractPipeline": 100,
    "pipelines.fingerprint.FingerprintPipeline": 200,
    # Holds items while the database is unreachable, before the stages that use it.
    "pipelines.store.DatabaseGatePipeline": 250,
    "pipelines.match.MatchPipeline": 300,
    "pipelines.store.StorePipeline": 400,
    # Several writers (PostgreSQL): pairs with what landed while an item was being matched.
    "pipelines.recheck.RecheckPipeline": 450,
}

EXTENSIONS = {
    "crawler.extensions.CrawlRunRecorder": 500,
    "crawler.extensions.SiteCounters": 502,
    "crawler.extensions.DroppedPageRecorder": 505,
    "crawler.extensions.ProgressReporter": 510,
}

# While the database is unreachable, items wait and writes are retried this long; then they
# go to the spill file (JSON lines) for `copycat ingest` to replay.
STORE_RETRY_SECONDS = 60.0
STORE_SPILL_FILE = "copycat-spill.jsonl"

EXTRACT_MIN_CHARS = 500
# Worker processes for HTML extraction, so trafilatura does not hold up the reactor thread;
# 0 extracts in the crawl process. Pages waiting for a worker are bounded by Scrapy's
# SCRAPER_SLOT_MAX_ACTIVE_SIZE (response bytes in the pipelines), not by a queue of ours.
EXTRACT_WORKERS = os.cpu_count() or 1
FINGERPRINT_SHINGLE_SIZE = 3
FINGERPRINT_NUM_PERM = 40
FINGERPRINT_THRESHOLD = 0.25
MATCH_MIN_COVERAGE = 0.5
MATCH_MIN_PASSAGE_WORDS = 30
MATCH_MIN_NARRATIVE_WORDS = 10
MATCH_MAX_CANDIDATES = 50
MATCH_MIN_SHARED_BANDS = 2

# Progress lines on a terminal (copycat crawl turns it on when stderr is a TTY).
COPYCAT_PROGRESS = False
COPYCAT_PROGRESS_INTERVAL = 1.0

LOG_LEVEL = "INFO"
