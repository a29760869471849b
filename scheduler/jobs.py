"""The two jobs everything runs: crawl sites, then build feeds.

``partyfeed crawl``, ``partyfeed feeds``, the daemon (through a child process per
crawl) and cron all call these same functions, so a crawl by hand is the crawl the
timer runs.
"""

from __future__ import annotations

import logging
import os
import signal
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from sqlalchemy.exc import SQLAlchemyError

from crawler.archive.stories_store import Stories
from crawler.config import Config, sqlite_path
from crawler.logformatter import quiet_expected_errors
from crawler.pipelines import STATS_PREFIX, STORE_ERROR, database_error
from crawler.sites import all_sites, get_site
from crawler.storage import Storage, utcnow
from feeds.build import build_feeds

from .locks import site_lock
from .progress import crawl_progress
from .status import INTERRUPTED

logger = logging.getLogger(__name__)


@dataclass
class CrawlResult:
    site: str
    started: datetime
    finished: datetime
    outcome: str = "ok"
    pages: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    fallback: int = 0
    errors: int = 0
    #: stored articles with a field cut to size (crawler.limits)
    truncated: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    reason: str | None = None
    #: feed URL → why it could not be used / its newest item's date when stale
    feeds_failed: dict[str, str] = field(default_factory=dict)
    feeds_stale: dict[str, str] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return (self.finished - self.started).total_seconds()

    def summary(self) -> str:
        line = (f"{self.site}: {self.outcome} — {self.pages} pages, {self.new} new, "
                f"{self.updated} updated, {self.unchanged} unchanged, {self.rejected} rejected, "
                f"{self.fallback} by the generic layer, {self.errors} errors, {self.seconds:.1f}s")
        if self.truncated:
            line += f" ({self.truncated} cut to size)"
        return f"{line}\n  {self.reason}" if self.reason and self.outcome != "ok" else line


def scrapy_settings(config: Config, *, mirror: str | None = None, refresh: bool = False,
                    log_level: str = "ERROR", time_limit: float | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    overrides: dict[str, Any] = {
        "PARTYFEED_DB": config.db_url,
        "HTTPCACHE_DIR": str(config.data_dir.resolve() / "httpcache"),
        "PARTYFEED_REFRESH": refresh,
        "LOG_LEVEL": log_level,
    }
    if config.extract_processes is not None:
        overrides["PARTYFEED_EXTRACT_PROCESSES"] = config.extract_processes
    if mirror:
        # a local copy needs no politeness, and robots.txt of a copy says nothing
        overrides.update(PARTYFEED_MIRROR=mirror, DOWNLOAD_DELAY=0, AUTOTHROTTLE_ENABLED=False,
                         ROBOTSTXT_OBEY=False)
    if time_limit:
        overrides["CLOSESPIDER_TIMEOUT"] = time_limit
        # a request may not outlive the crawl it belongs to
        overrides["DOWNLOAD_TIMEOUT"] = min(30, time_limit)
    settings.setdict(overrides, priority="cmdline")
    return settings


def _result(site: str, stats: dict[str, Any], started: datetime) -> CrawlResult:
    def stat(key: str) -> int:
        return int(stats.get(f"{STATS_PREFIX}/{key}", 0))

    kinds = {key.rsplit("/", 1)[1]: int(value) for key, value in stats.items()
             if key.startswith(f"{STATS_PREFIX}/errors/")}
    result = CrawlResult(
        site=site, started=started, finished=utcnow(),
        pages=int(stats.get("downloader/response_count", 0)),
        new=stat("articles/new"), updated=stat("articles/updated"),
        unchanged=stat("articles/unchanged"),
        # a refresh that looked like a broken page (storage's suspicious-edit) was not stored
        rejected=stat("articles/rejected") + stat("articles/suspicious"),
        fallback=stat("articles/fallback"), truncated=stat("truncated"),
        errors=sum(kinds.values()), error_kinds=kinds,
        feeds_failed=dict(stats.get(f"{STATS_PREFIX}/feeds/failed_urls") or {}),
        feeds_stale=dict(stats.get(f"{STATS_PREFIX}/feeds/stale_urls") or {}),
    )
    ok_pages = sum(int(v) for k, v in stats.items()
                   if k.startswith("downloader/response_status_count/2"))
    finish = stats.get("finish_reason", "finished")
    if ok_pages == 0:
        result.outcome = "failed"
        result.reason = "unreachable: " + str(stats.get(f"{STATS_PREFIX}/last_error")
                                              or "no page could be fetched")
    elif stats.get(STORE_ERROR):
        result.outcome = "failed"
        result.reason = f"cannot store articles: {stats[STORE_ERROR]}"
    elif finish == "shutdown":
        # Ctrl-C, or SIGTERM to a stopping daemon: what was read is stored, but the crawl
        # did not get to the end, so it vouches for no listing depth — and for no failure
        result.outcome = INTERRUPTED
        result.reason = "stopped (Ctrl-C or SIGTERM) before the end"
    elif finish != "finished":
        result.outcome = "failed"
        result.reason = f"stopped before the end ({finish})"
    return result


@dataclass
class Reserve:
    """A little disk kept free next to an SQLite database for the end of a crawl.

    A crawl that fills the disk fails at its next write; without room, the record of that
    failed run would fail too, and ``status`` would go on showing the last good run.  The
    reserve, a file of ``SIZE`` bytes written before the crawl, is deleted to make that room.
    """

    path: Path | None
    SIZE = 64 * 1024

    @classmethod
    def beside(cls, db_url: str) -> Reserve:
        database = sqlite_path(db_url)
        if database is None:
            return cls(None)
        path = database.with_name(database.name + "-reserve")
        try:
            with open(path, "wb") as file:
                file.write(b"\0" * cls.SIZE)
                file.flush()
                os.fsync(file.fileno())
        except OSError:  # already full, or not writable: nothing kept, nothing to give back
            path.unlink(missing_ok=True)
            return cls(None)
        return cls(path)

    def release(self) -> bool:
        """Give the room back; whether there was any."""
        if self.path is None or not self.path.exists():
            return False
        self.path.unlink()
        return True


def crawl(config: Config, sites: list[str], *, mirror: str | None = None, refresh: bool = False,
          max_pages: int | None = None, log_level: str = "ERROR", wait: float | None = None,
          on_wait: Callable[[str], None] | None = None, progress: bool = False) -> list[CrawlResult]:
    """Crawl ``sites`` once in this process, holding each site's lock, and record the runs.

    Scrapy's reactor cannot be restarted, so this runs at most once per process; the
    daemon calls it in a child process per crawl.
    """
    for name in sites:
        get_site(name)  # unknown names fail before anything starts
    storage = Storage(config.db_url)
    lock_dir = config.data_dir / "locks"
    # room for the run records on the database's disk, given back if the crawl fills it
    reserve = Reserve.beside(config.db_url)
    with ExitStack() as locks:
        locks.callback(reserve.release)
        for name in sorted(sites):
            locks.enter_context(site_lock(lock_dir, name, wait=wait, on_wait=on_wait))
        limit = max(config.site(n).time_limit.total_seconds() for n in sites)
        process = CrawlerProcess(scrapy_settings(config, mirror=mirror, refresh=refresh,
                                                 log_level=log_level, time_limit=limit))
        quiet_expected_errors()
        crawlers = {}
        started = utcnow()
        for name in sites:
            site_config = config.site(name)
            crawler = process.create_crawler(process.spider_loader.load(name))
            crawlers[name] = crawler
            process.crawl(crawler, categories=list(site_config.categories) or None,
                          max_pages=max_pages or site_config.max_pages)
        handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        with crawl_progress(crawlers, enabled=progress):
            process.start()
        for sig, handler in handlers.items():  # Scrapy leaves its own behind
            signal.signal(sig, handler)
        results = []
        for name, crawler in crawlers.items():
            assert crawler.stats is not None
            result = _result(name, crawler.stats.get_stats(), started)
            detail: dict[str, Any] = {"error_kinds": result.error_kinds, "reason": result.reason,
                                      "truncated": result.truncated,
                                      "feeds_failed": result.feeds_failed,
                                      "feeds_stale": result.feeds_stale}
            if result.outcome == "ok" and not result.errors:
                # nothing was lost on the way: later crawls may stop where this one read
                detail["coverage"] = getattr(crawler.spider, "walks", {})
            run = dict(site=name, started=result.started, finished=result.finished,
                       outcome=result.outcome, pages=result.pages, new=result.new,
                       updated=result.updated, unchanged=result.unchanged,
                       rejected=result.rejected, fallback=result.fallback, errors=result.errors,
                       detail=detail)
            try:
                try:
                    storage.record_run(**run)
                except SQLAlchemyError:
                    if not reserve.release():
                        raise
                    storage.record_run(**run)  # the room kept for it
            except SQLAlchemyError as exc:
                result.outcome = "failed"
                result.reason = "; ".join(filter(None, [
                    result.reason, f"the run could not be recorded: {database_error(exc)}"]))
            results.append(result)
    storage.close()
    return results


def feeds(config: Config, sites: list[str] | None = None) -> list[Path]:
    """Rebuild the feeds; first, every new or changed article joins its story.

    Story grouping is done here, once per build and in one pass, not by the crawl's
    writer: it is an index over the archive (like search), and computed per stored
    article it cost the crawl a third of its speed."""
    storage = Storage(config.db_url)
    try:
        try:
            Stories(storage.engine).assign_missing()
        except SQLAlchemyError as exc:  # derived data: the feeds are built without it
            logger.warning("stories not updated: %s", database_error(exc))
        return build_feeds(storage, config.feeds_dir, sites, limit=config.feed_limit,
                           base_url=config.base_url,
                           intervals={name: config.site(name).interval for name in all_sites()})
    finally:
        storage.close()
