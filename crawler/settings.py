"""Scrapy settings for partyfeed — the file ``scrapy startproject`` would have made.

``scrapy crawl dangcongsan`` and ``partyfeed crawl`` both start from here; the CLI
overrides the ``PARTYFEED_*`` settings from the configuration and its flags.
"""

from .config import load_config
from .limits import MAX_PAGE_BYTES, WARN_PAGE_BYTES

BOT_NAME = "partyfeed"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = "partyfeed/0.1 (news feed aggregator; +https://pypi.org/project/partyfeed/)"
ROBOTSTXT_OBEY = True

# Politeness towards state news sites that were not built for crawlers.
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
# A callback's output is handled by CONCURRENT_ITEMS asyncio tasks, created for every
# response (Scrapy's default, 100, made a crawl spend a third of its time starting
# tasks).  An article page yields one item and a listing page a few dozen requests.
CONCURRENT_ITEMS = 4
# Scrapy's default (1 GiB) let a 1 MB gzip bomb inflate to 10⁹ bytes; the limit also
# holds for the decompressed body (HttpCompressionMiddleware checks it while inflating)
DOWNLOAD_MAXSIZE = MAX_PAGE_BYTES
DOWNLOAD_WARNSIZE = WARN_PAGE_BYTES
RETRY_TIMES = 2
# A host that does not resolve will not resolve a second later; every other network
# failure is retried as Scrapy does by default.
RETRY_EXCEPTIONS = [
    "scrapy.exceptions.DownloadConnectionRefusedError",
    "scrapy.exceptions.DownloadFailedError",
    "scrapy.exceptions.DownloadTimeoutError",
    "scrapy.exceptions.ResponseDataLossError",
    "twisted.internet.error.ConnectionDone",
    "twisted.internet.error.ConnectError",
    "twisted.internet.error.ConnectionLost",
    OSError,
    "scrapy.core.downloader.handlers.http11.TunnelError",
]
RETRY_GIVE_UP_LOG_LEVEL = "INFO"  # the spider's errback logs the failure once, as a warning

# Scrapy 2.19 opens a code-execution HTTP port by default; the telnet console is the
# same kind of door.  A daemon that runs for months keeps both shut.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

COOKIES_ENABLED = False
LOG_LEVEL = "INFO"
LOG_FORMATTER = "crawler.logformatter.ArticleLogFormatter"

DOWNLOADER_MIDDLEWARES = {
    # just outside RetryMiddleware (550): sees a 429/503 first and waits as asked
    "crawler.middlewares.RetryAfterMiddleware": 560,
    # outside both: sees every 429/5xx answer and timeout before a retry is scheduled
    "crawler.middlewares.BackoffMiddleware": 570,
    "crawler.middlewares.MirrorMiddleware": 950,
}
ITEM_PIPELINES = {
    "crawler.pipelines.ValidatePipeline": 100,
    "crawler.pipelines.NormalisePipeline": 200,
    "crawler.pipelines.LimitPipeline": 250,
    "crawler.pipelines.StorePipeline": 300,
}

# Listing pages are asked for with their ETag/Last-Modified (crawler.httpcache); the kept
# copies live in the data folder.
HTTPCACHE_ENABLED = True
HTTPCACHE_POLICY = "crawler.httpcache.ListingRevalidation"
HTTPCACHE_DIR = str(load_config().data_dir.resolve() / "httpcache")
HTTPCACHE_EXPIRATION_SECS = 0  # never dropped for age: revalidated on every use instead
HTTPCACHE_GZIP = True

# partyfeed's own settings
PARTYFEED_DB = load_config().db_url
#: base URL of a local copy of the site; requests to the site's hosts go there instead
PARTYFEED_MIRROR = None
#: listing pages followed per category (None: the site's configuration)
PARTYFEED_MAX_PAGES = None
#: category slugs to crawl (empty: the configuration's, else the site module's defaults)
PARTYFEED_CATEGORIES: list[str] = []
#: fetch known articles again (they are then stored only if changed)
PARTYFEED_REFRESH = False
#: longest ``Retry-After`` (seconds) waited for before retrying a 429/503; longer: no retry
PARTYFEED_RETRY_AFTER_MAX = 120
#: a 429/5xx answer or a timeout doubles the site's delay between requests, from this many
#: seconds up to PARTYFEED_BACKOFF_MAX (0: no backoff); good answers halve it back
PARTYFEED_BACKOFF_START = 1.0
PARTYFEED_BACKOFF_MAX = 60.0
#: a feed whose newest item is this many days older than the site's newest article is stale
PARTYFEED_FEED_STALE_DAYS = 7
#: worker processes that extract article pages (None: one per core but one, at most 4;
#: 0: all inline, on the reactor's thread) — see crawler.pool
PARTYFEED_EXTRACT_PROCESSES = load_config().extract_processes
#: article pages a crawl extracts inline before it starts those processes
PARTYFEED_EXTRACT_INLINE = 100


# backfill (``partyfeed backfill``, ``crawler.spiders.backfill``)
#: listing pages walked per category at most: an archive without end still ends
PARTYFEED_BACKFILL_MAX_PAGES = 20000
#: article links taken from one listing page at most (a listing of the site has 10–30)
PARTYFEED_BACKFILL_MAX_LINKS = 200
#: the date window, ISO datetimes with offset: [since, until)
PARTYFEED_BACKFILL_SINCE = None
PARTYFEED_BACKFILL_UNTIL = None
#: the resume file (None: no resume file, as for a distributed backfill)
PARTYFEED_BACKFILL_STATE = None
#: a ``partyfeed worker``: requests come from the shared Redis queue only
PARTYFEED_WORKER = False
