"""``partyfeed worker`` and ``partyfeed backfill --distributed``: one crawl, many processes.

The seeder puts a backfill's start requests (page 1 of every category) and its date
window into Redis; workers on any number of machines take requests from the shared
queue, push the ones their callbacks yield, and store into the one database of the
configuration (PostgreSQL when they run on several machines).  See
:mod:`crawler.distributed` for what keeps a killed worker from losing requests.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from datetime import date
from typing import Any

import redis
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from sqlalchemy.exc import DBAPIError

from crawler.config import Config, ConfigError
from crawler.distributed.scheduler import patiently
from crawler.logformatter import quiet_expected_errors
from crawler.sites import get_site
from crawler.spiders.backfill import backfill_spider
from crawler.storage import Storage, utcnow

from .backfill import backfill_settings
from .jobs import CrawlResult, _result, scrapy_settings

logger = logging.getLogger(__name__)

PREFIX = "partyfeed:%(spider)s"
#: the finish reason of a crawl whose store gave up on the database
STORE_FAILED = "store-failed"


def _keys(site: str) -> dict[str, str]:
    base = PREFIX % {"spider": site}
    return {"queue": f"{base}:requests", "dupefilter": f"{base}:dupefilter",
            "window": f"{base}:backfill", "workers": f"{base}:requests:workers"}


def _redis(config: Config, *, wait: bool = False) -> redis.Redis:
    """A client that answered; ``wait``: for as long as it takes (a worker), else fail
    with one line (a person seeding a backfill)."""
    if not config.redis_url:
        raise ConfigError("no Redis configured: set [partyfeed] redis = \"redis://host:6379/0\" "
                          "or PARTYFEED_REDIS")
    client = redis.Redis.from_url(config.redis_url, socket_connect_timeout=10)
    if wait:
        patiently(f"connecting to {config.redis_url}", client.ping)
        return client
    try:
        client.ping()
    except redis.RedisError as exc:
        raise ConfigError(f"Redis at {config.redis_url} unreachable: {exc}") from None
    return client


def redis_settings(config: Config, *, worker: bool) -> dict[str, Any]:
    scheduler = "WorkerScheduler" if worker else "SeedScheduler"
    return {
        "SCHEDULER": f"crawler.distributed.scheduler.{scheduler}",
        "SCHEDULER_QUEUE_CLASS": "crawler.distributed.queue.ReliableQueue",
        "SCHEDULER_QUEUE_KEY": f"{PREFIX}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{PREFIX}:dupefilter",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,
        "REDIS_URL": config.redis_url,
        "PARTYFEED_WORKER": worker,
    }


def seed(config: Config, site: str, *, since: date | None = None, until: date | None = None,
         mirror: str | None = None) -> int:
    """Queue the start requests of a backfill of ``site``; returns how many were queued.

    When no earlier distributed backfill is under way (empty queue, nothing in flight)
    its dupefilter is cleared first, so the new walk fetches listing pages again.
    """
    get_site(site)
    client = _redis(config)
    keys = _keys(site)
    busy = client.zcard(keys["queue"]) or any(
        client.hlen(f"{keys['queue']}:inflight:{w.decode()}")
        for w in client.zrange(keys["workers"], 0, -1))
    if not busy:
        client.delete(keys["dupefilter"])
    window = backfill_settings(config, site, since=since, until=until, mirror=mirror)
    client.hset(keys["window"], mapping={k: v or "" for k, v in window.items()
                                          if k.startswith("PARTYFEED_BACKFILL_")})
    settings = scrapy_settings(config, mirror=mirror)
    settings.setdict(redis_settings(config, worker=False), priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(backfill_spider(process.spider_loader.load(site)))
    process.crawl(crawler, categories=list(config.site(site).categories) or None)
    process.start()
    assert crawler.stats is not None
    return int(crawler.stats.get_value("scheduler/enqueued/redis", 0))


def _window(client: redis.Redis, site: str) -> dict[str, Any]:
    stored = client.hgetall(_keys(site)["window"])
    return {k.decode(): v.decode() or None for k, v in stored.items()}


def _wait_for_database(config: Config) -> None:
    """Start only once the database answers (and its schema is current), saying so."""
    delay, warned = 1.0, False
    while True:
        try:
            Storage(config.db_url).close()
        except DBAPIError as exc:
            if not warned:
                logger.warning("database unreachable (%s); waiting and retrying",
                               str(exc.orig).strip() or exc)
                warned = True
            time.sleep(delay)
            delay = min(delay * 2, 30.0)
            continue
        if warned:
            logger.warning("database reachable again")
        return


def _start_again(config: Config) -> None:
    """A store that refuses writes closes the crawl (``store-failed``); a worker's
    unfinished requests are back in the queue by then.  Scrapy's reactor cannot run
    twice in a process, so the worker waits for the database and execs itself anew."""
    logger.warning("the database refused writes; waiting for it, then starting this worker again")
    _wait_for_database(config)
    os.execv(sys.executable, [sys.executable, "-m", "scheduler", *sys.argv[1:]])


def work(config: Config, sites: list[str], *, mirror: str | None = None, idle: float = 60,
         dead_after: float = 30, log_level: str = "WARNING") -> list[CrawlResult]:
    """Crawl ``sites`` from the shared queue until it has stayed empty for ``idle`` seconds."""
    client = _redis(config, wait=True)
    _wait_for_database(config)
    settings: Settings = scrapy_settings(config, mirror=mirror, log_level=log_level)
    settings.setdict({**redis_settings(config, worker=True), "PARTYFEED_WORKER_IDLE": idle,
                      "PARTYFEED_WORKER_TIMEOUT": dead_after}, priority="cmdline")
    process = CrawlerProcess(settings)
    quiet_expected_errors()
    crawlers = {}
    for site in sites:
        per_site = {**backfill_settings(config, site, since=None, until=None, mirror=mirror),
                    **_window(client, site)}
        spider = backfill_spider(process.spider_loader.load(site), per_site)
        crawlers[site] = process.create_crawler(spider)
        process.crawl(crawlers[site])
    started = utcnow()
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    process.start()
    for sig, handler in handlers.items():
        signal.signal(sig, handler)
    if any(c.stats and c.stats.get_value("finish_reason") == STORE_FAILED for c in crawlers.values()):
        _start_again(config)
    results = []
    for site, crawler in crawlers.items():  # not recorded as crawl runs, as for a backfill
        assert crawler.stats is not None
        result = _result(site, crawler.stats.get_stats(), started)
        if result.pages == 0 and result.outcome == "failed":  # nothing was left to do
            result.outcome, result.reason = "ok", None
        results.append(result)
    return results
