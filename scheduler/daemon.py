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
from datetime import datetime, timedelta

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from crawler.config import Config
from crawler.storage import Storage, utcnow

logger = logging.getLogger("partyfeed.daemon")

#: exit status of ``partyfeed crawl`` when another crawl holds the site lock
EXIT_LOCKED = 75
#: how long a child gets to finish its in-flight items after SIGTERM
STOP_GRACE = 30.0


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
        logger.info("crawl %s: starting", site)
        child = subprocess.Popen(command, env=self._child_env())
        with self.children_lock:
            self.children.add(child)
        try:
            # the child closes itself at the limit (CLOSESPIDER_TIMEOUT); this is the backstop
            status = child.wait(timeout=limit + STOP_GRACE)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            logger.error("crawl %s: killed after its time limit of %.0fs", site, limit)
            self._record_failure(site, started, f"killed after the time limit of {limit:.0f}s")
            return
        finally:
            with self.children_lock:
                self.children.discard(child)
        if status == EXIT_LOCKED:
            logger.warning("crawl %s: skipped, another crawl of it is running", site)
        elif status == 0:
            logger.info("crawl %s: done", site)
        elif status < 0:
            self._record_failure(site, started, f"killed by signal {-status}")
        else:
            logger.warning("crawl %s: finished with status %s", site, status)

    def _record_failure(self, site: str, started: object, reason: str) -> None:
        storage = Storage(self.config.db_url)
        try:
            storage.record_run(site=site, started=started, finished=utcnow(), outcome="failed",
                               detail={"reason": reason})
        finally:
            storage.close()

    def _first_run(self, storage: Storage, site: str, interval: timedelta) -> datetime:
        """Resume the schedule: a run that was due while the daemon was down runs once, now;
        one that is not due yet (a restart right after a crawl) waits for its time."""
        last = storage.runs(site, limit=1)
        if not last:
            return utcnow()
        return max(utcnow(), last[0].started + interval)

    def _publish_next_runs(self, _event: object = None) -> None:
        storage = Storage(self.config.db_url)
        try:
            for site in self.sites:
                job = self.scheduler.get_job(f"crawl:{site}")
                running = not self.stopping.is_set() and job is not None
                storage.set_next_run(site, job.next_run_time if running else None,
                                     os.getpid() if running else None)
        finally:
            storage.close()

    def start(self) -> None:
        storage = Storage(self.config.db_url)
        try:
            for site in self.sites:
                interval = self.interval or self.config.site(site).interval
                jitter = int(min(interval.total_seconds() * 0.1, 60))
                self.scheduler.add_job(
                    self.crawl_site, IntervalTrigger(seconds=interval.total_seconds(),
                                                      jitter=jitter or None),
                    args=[site], id=f"crawl:{site}", name=f"crawl {site}",
                    next_run_time=self._first_run(storage, site, interval),
                )
        finally:
            storage.close()
        self.scheduler.add_listener(self._publish_next_runs,
                                    EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
        self.scheduler.start()
        self._publish_next_runs()

    def stop(self) -> None:
        """Stop scheduling, let running crawls finish their in-flight items, then return."""
        self.stopping.set()
        self.scheduler.pause()
        with self.children_lock:
            for child in self.children:
                child.send_signal(signal.SIGTERM)
        self.scheduler.shutdown(wait=True)
        self._publish_next_runs()

    def run_forever(self) -> None:
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        self.start()
        for site in self.sites:
            job = self.scheduler.get_job(f"crawl:{site}")
            logger.info("scheduled %s every %s", site, job.trigger.interval if job else "?")
        stop.wait()
        logger.info("stopping: waiting for running crawls to finish")
        self.stop()
        logger.info("stopped")
