"""``partyfeed run``: APScheduler crawls each site on its interval, one child process per crawl.

Why a child process per crawl: Scrapy's Twisted reactor cannot be restarted inside
one process, and a months-long daemon must not accumulate a crawler's memory or
inherit its hangs.  A child is killed at the site's time limit and its run recorded
as failed; the daemon itself only schedules, waits and records.  This is what
scrapyd and news-please do.  The child is ``partyfeed crawl SITE`` — the very
command a person or cron runs — which takes the site lock, crawls and rebuilds feeds.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from crawler.archive.stories_store import Stories
from crawler.config import Config
from crawler.extraction.dates import VIETNAM
from crawler.storage import Storage, utcnow

from .status import SKIPPED

if TYPE_CHECKING:
    from feeds.serve import FeedServer

logger = logging.getLogger("partyfeed.daemon")

#: exit status of ``partyfeed crawl`` when another crawl holds the site lock
EXIT_LOCKED = 75
#: how long a child gets past its time limit (to finish in-flight items) before it is killed
STOP_GRACE = 30.0
#: runs and rejections older than this are pruned by the daily housekeeping
KEEP_HISTORY = timedelta(days=90)


class Daemon:
    def __init__(self, config: Config, sites: list[str], *, interval: timedelta | None = None,
                 mirror: str | None = None) -> None:
        self.config = config
        self.sites = sites
        self.interval = interval
        self.mirror = mirror
        self.children: set[subprocess.Popen[bytes]] = set()
        self.children_lock = threading.Lock()
        self.stopping = threading.Event()
        self.server: FeedServer | None = None
        self.scheduler = BackgroundScheduler(
            timezone="UTC",
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )

    def _child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(PARTYFEED_DB=self.config.db_url, PARTYFEED_FEEDS_DIR=str(self.config.feeds_dir),
                   PARTYFEED_DATA_DIR=str(self.config.data_dir))
        if self.config.source:
            env["PARTYFEED_CONFIG"] = str(self.config.source)
        return env

    def crawl_site(self, site: str) -> None:
        if self.stopping.is_set():
            return
        command = [sys.executable, "-m", "scheduler", "crawl", site, "--wait", "0"]
        if self.mirror:
            command += ["--mirror", self.mirror]
        limit = self.config.site(site).time_limit.total_seconds()
        started = utcnow()
        self._publish_next_run(site, self._next_fire(site, started))
        logger.info("crawl %s: starting", site)
        child = subprocess.Popen(command, env=self._child_env())
        with self.children_lock:
            self.children.add(child)
            if self.stopping.is_set():  # stop() ran between our check and the spawn
                child.send_signal(signal.SIGTERM)
        try:
            # the child closes itself at the limit (CLOSESPIDER_TIMEOUT); this is the backstop
            status = child.wait(timeout=limit + min(STOP_GRACE, limit))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            reason = f"killed after the time limit of {limit:.0f}s"
            logger.error("crawl %s: failed (%s)", site, reason)
            self._record_failure(site, started, reason)
            return
        finally:
            with self.children_lock:
                self.children.discard(child)
        seconds = (utcnow() - started).total_seconds()
        if status == EXIT_LOCKED:
            logger.warning("crawl %s: skipped (another crawl of it is running)", site)
            self._record_failure(site, started, "another crawl of it was running",
                                 outcome=SKIPPED)
        elif status == 0:
            logger.info("crawl %s: done in %.1fs", site, seconds)
        elif status == -signal.SIGTERM and self.stopping.is_set():
            # stop() signalled a child too young to have its handlers: it never crawled
            logger.info("crawl %s: skipped (the daemon stopped as it began)", site)
            self._record_failure(site, started, "the daemon stopped as it began", outcome=SKIPPED)
        elif status == 1 and self.stopping.is_set():  # the child recorded it as interrupted
            logger.info("crawl %s: interrupted by the shutdown in %.1fs", site, seconds)
        elif status == 1:  # the child recorded the failed run and printed why
            logger.warning("crawl %s: failed (see the run record) in %.1fs", site, seconds)
        else:
            reason = f"killed by signal {-status}" if status < 0 else f"crashed with status {status}"
            logger.error("crawl %s: failed (%s)", site, reason)
            self._record_failure(site, started, reason)

    def housekeeping(self) -> None:
        storage = Storage(self.config.db_url)
        try:
            pruned = storage.housekeeping(utcnow() - KEEP_HISTORY)
            bands = Stories(storage.engine).prune(utcnow())
        finally:
            storage.close()
        logger.info("housekeeping: pruned %d old run and rejection records, %d story bands",
                    pruned, bands)

    def _record_failure(self, site: str, started: object, reason: str,
                        outcome: str = "failed") -> None:
        storage = Storage(self.config.db_url)
        try:
            storage.record_run(site=site, started=started, finished=utcnow(), outcome=outcome,
                               detail={"reason": reason})
        finally:
            storage.close()

    def _trigger(self, site: str) -> BaseTrigger:
        site_config = self.config.site(site)
        interval = self._interval(site)
        # spread the sites' requests a little, so they never all start on the same second
        jitter = int(min(interval.total_seconds() * 0.1, 60)) or None
        if site_config.cron and not self.interval:
            trigger = CronTrigger.from_crontab(site_config.cron, timezone=VIETNAM)
            trigger.jitter = jitter
            return trigger
        return IntervalTrigger(seconds=interval.total_seconds(), jitter=jitter)

    def _next_fire(self, site: str, after: datetime) -> datetime | None:
        return self._trigger(site).get_next_fire_time(None, after + timedelta(seconds=1))

    def _first_run(self, storage: Storage, site: str) -> datetime:
        """Resume the schedule: a run that was due while the daemon was down runs once, now;
        one that is not due yet (a restart right after a crawl) waits for its time."""
        last = storage.runs(site, limit=1)
        if not last:
            return utcnow()
        due = self._next_fire(site, last[0].started)
        return max(utcnow(), due) if due else utcnow()

    def _publish_next_run(self, site: str, when: datetime | None) -> None:
        """Written from our own code, never from an APScheduler listener: listeners run
        while the scheduler holds its locks, and asking it anything there deadlocks."""
        storage = Storage(self.config.db_url)
        try:
            storage.set_next_run(site, when, os.getpid() if when else None)
        finally:
            storage.close()

    def _interval(self, site: str) -> timedelta:
        return self.interval or self.config.site(site).interval

    def start(self) -> None:
        if self.config.serve:
            # bound before anything is scheduled: a busy or invalid address is an error
            # before the first crawl, not after it
            from feeds.serve import make_server

            from .status import health_check, metrics_exporter

            host, port = self.config.serve
            self.server = make_server(self.config, host, port,
                                      health=health_check(self.config, self.sites),
                                      metrics=metrics_exporter(self.config, self.sites))
        storage = Storage(self.config.db_url)
        try:
            first_runs = {site: self._first_run(storage, site) for site in self.sites}
        finally:
            storage.close()
        for site, first_run in first_runs.items():
            self.scheduler.add_job(
                self.crawl_site, self._trigger(site), args=[site], id=f"crawl:{site}",
                name=f"crawl {site}", next_run_time=first_run,
            )
            self._publish_next_run(site, first_run)
        self.scheduler.add_job(self.housekeeping, CronTrigger(hour=3, minute=30, timezone=VIETNAM),
                               id="housekeeping", name="housekeeping")
        self.scheduler.start()
        if self.server is not None:
            self.server.start()
            logger.info("serving feeds at %s/", self.server.url)

    def stop(self) -> None:
        """Stop scheduling, let running crawls finish their in-flight items, then return."""
        self.stopping.set()
        self.scheduler.pause()
        with self.children_lock:
            for child in self.children:
                child.send_signal(signal.SIGTERM)
        self.scheduler.shutdown(wait=True)
        if self.server is not None:
            self.server.stop()
        for site in self.sites:
            self._publish_next_run(site, None)

    def run_forever(self) -> None:
        signalled: list[int] = []
        for signum in (signal.SIGTERM, signal.SIGINT):
            # only a plain append here: taking a lock in a handler can deadlock the main thread
            signal.signal(signum, lambda number, _frame: signalled.append(number))
        self.start()
        for site in self.sites:
            site_config = self.config.site(site)
            every = site_config.cron if site_config.cron and not self.interval else self._interval(site)
            logger.info("scheduled %s every %s", site, every)
        while not signalled:
            time.sleep(0.5)  # a signal cuts the sleep short
        logger.info("stopping: waiting for running crawls to finish")
        self.stop()
        logger.info("stopped")
