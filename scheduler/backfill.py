"""``partyfeed backfill SITE``: walk a site's whole archive, politely, resumably.

Politeness: robots.txt, AutoThrottle, the crawl's retry rules, and ``[sites.X]
backfill_rate`` as a hard cap (``DOWNLOAD_DELAY = 1/rate``, which AutoThrottle never
goes below).  Resuming: a small state file under the data folder
(``backfill/<site>.json``, see :mod:`crawler.checkpoint`) plus the database's known
keys, so after Ctrl-C or ``kill -9`` the next run starts at the first incomplete
listing page and fetches no stored article again.

A backfill holds its own lock (``locks/<site>.backfill.lock``), not the site's crawl
lock: the daemon's scheduled crawls of the same site run alongside it, writing the
same database in short transactions (SQLite WAL or PostgreSQL), and both skip what
the other stored.  With ``--distributed`` nothing is crawled here: the start requests
go into the shared Redis queue for ``partyfeed worker`` processes.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time as clock, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess

from crawler.config import Config, ConfigError
from crawler.extraction.dates import VIETNAM
from crawler.logformatter import quiet_expected_errors
from crawler.sites import get_site
from crawler.spiders.backfill import BackfillSpider, backfill_spider
from crawler.storage import utcnow

from .jobs import CrawlResult, _result, scrapy_settings
from .locks import site_lock


def window(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """Dates are Vietnam days: ``[since 00:00, the day after until 00:00)``."""
    if since and until and since > until:
        raise ConfigError(f"--since {since} is after --until {until}")
    start = datetime.combine(since, clock(), VIETNAM) if since else None
    end = datetime.combine(until + timedelta(days=1), clock(), VIETNAM) if until else None
    return start, end


def state_path(config: Config, site: str) -> Path:
    return config.data_dir / "backfill" / f"{site}.json"


def backfill_settings(config: Config, site: str, *, since: date | None, until: date | None,
                      mirror: str | None) -> dict[str, Any]:
    """What a backfill changes in the crawl's settings; shared by the seeder and workers."""
    start, end = window(since, until)
    settings: dict[str, Any] = {
        "PARTYFEED_BACKFILL_SINCE": start.isoformat() if start else None,
        "PARTYFEED_BACKFILL_UNTIL": end.isoformat() if end else None,
    }
    rate = config.site(site).backfill_rate
    if rate:
        # a cap, also against a local copy; AutoThrottle only ever slows down from here
        settings.update(DOWNLOAD_DELAY=1 / rate, RANDOMIZE_DOWNLOAD_DELAY=False,
                        AUTOTHROTTLE_ENABLED=not mirror)
    return settings


def backfill(config: Config, site: str, *, since: date | None = None, until: date | None = None,
             mirror: str | None = None, log_level: str = "ERROR", progress: bool = False,
             wait: float | None = 0) -> CrawlResult:
    """Walk ``site``'s archive in this process until done, stopped, or killed."""
    get_site(site)
    start, _ = window(since, until)
    with site_lock(config.data_dir / "locks", f"{site}.backfill", wait=wait):
        settings = scrapy_settings(config, mirror=mirror, log_level=log_level)
        settings.setdict({**backfill_settings(config, site, since=since, until=until,
                                              mirror=mirror),
                          "PARTYFEED_BACKFILL_STATE": str(state_path(config, site))},
                         priority="cmdline")
        process = CrawlerProcess(settings)
        quiet_expected_errors()
        crawler = process.create_crawler(backfill_spider(process.spider_loader.load(site)))
        process.crawl(crawler, categories=list(config.site(site).categories) or None)
        started = utcnow()
        handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        with backfill_progress(crawler, site, since=start, enabled=progress):
            process.start()
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        assert crawler.stats is not None
        # not a crawl run: `partyfeed status` judges a site by its scheduled crawls, and a
        # backfill stopped on purpose (to resume later) says nothing about the site's health
        return _result(site, crawler.stats.get_stats(), started)


class BackfillProgress:
    """Pages, articles and an ETA on a terminal.

    How far a category is: with ``--since``, how far back in time its oldest stored
    article reaches between now and ``since``; without, its resume page against the
    highest page number its pager has shown (a lower bound of its length, so the ETA
    errs early).  The ETA is the elapsed time scaled by what is left.
    """

    def __init__(self, progress: Progress, crawler: Crawler, site: str,
                 since: datetime | None) -> None:
        self.progress, self.crawler, self.site, self.since = progress, crawler, site, since
        self.task = progress.add_task(site, total=1000)
        self.pages = self.articles = 0
        self.oldest: dict[str, datetime] = {}
        self.started = time.monotonic()
        self.top = utcnow()
        crawler.signals.connect(self._page, signal=signals.response_received, weak=False)
        crawler.signals.connect(self._article, signal=signals.item_scraped, weak=False)

    def _page(self, *_args: object, **_kwargs: object) -> None:
        self.pages += 1
        self._show()

    def _article(self, item: Any, response: Any = None, **_kwargs: object) -> None:
        self.articles += 1
        slug = getattr(getattr(response, "request", None), "cb_kwargs", {}).get("category")
        published = getattr(item, "published", None)
        if slug and published and (slug not in self.oldest or published < self.oldest[slug]):
            self.oldest[slug] = published
        self._show()

    def fraction(self) -> float:
        spider = self.crawler.spider
        if not isinstance(spider, BackfillSpider) or not spider.categories:
            return 0.0
        frontier = spider.frontier
        shares = []
        for slug in spider.categories:
            if frontier.complete(slug):
                shares.append(1.0)
            elif self.since is not None and slug in self.oldest:
                span = (self.top - self.since).total_seconds()
                shares.append(min(1.0, (self.top - self.oldest[slug]).total_seconds() / span))
            else:
                length = max(frontier.linked.get(slug, 0), frontier.highest.get(slug, 0), 1)
                shares.append(min(1.0, (frontier.resume_point(slug) - 1) / length))
        return sum(shares) / len(shares)

    def _show(self) -> None:
        done = self.fraction()
        elapsed = time.monotonic() - self.started
        eta = "ETA --:--"
        if done > 0.001:
            left = int(elapsed * (1 - done) / done)
            eta = f"ETA {left // 3600}:{left // 60 % 60:02d}:{left % 60:02d}"
        self.progress.update(self.task, completed=int(done * 1000), description=(
            f"{self.site} backfill: {self.pages} pages, {self.articles} articles stored, {eta}"))


@contextmanager
def backfill_progress(crawler: Crawler, site: str, *, since: datetime | None,
                      enabled: bool) -> Iterator[None]:
    if not enabled:
        yield
        return
    console = Console(stderr=True)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                  console=console, transient=True) as progress:
        BackfillProgress(progress, crawler, site, since)
        yield
