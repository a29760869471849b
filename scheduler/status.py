"""``partyfeed status``: per site, what happened last, what happens next, and whether it is healthy.

Health is judged from recorded runs only, so any process — a person's shell, a
monitor, the served index — sees the same verdict:

* ``failing``: the last run failed, or no run succeeded within twice the interval;
* ``degraded``: the last run succeeded, but more than the site's ``degraded_share``
  (default 20%) of the articles it looked at were rejected or could only be read by the
  generic layer — a silent redesign looks like this;
* ``ok`` otherwise; ``unknown`` before the first run.

A scheduled run skipped because another crawl of the site was running is recorded
(outcome ``skipped``) and shown, but judged by the crawl that ran instead.

A feed that was dead or stale in the last run is noted under the site, without
changing its health: the listings found the articles anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crawler.config import Config, SiteConfig
from crawler.extraction.dates import VIETNAM
from crawler.sites import all_sites
from crawler.storage import CrawlRun, Storage, utcnow

#: the outcome recorded for a scheduled run that did not crawl because another crawl did
SKIPPED = "skipped"
#: a crawl stopped by a person or a stopping daemon; like a skipped run, it says nothing of health
INTERRUPTED = "interrupted"


@dataclass
class SiteStatus:
    site: str
    health: str
    reason: str
    articles: int
    articles_today: int
    runs: int
    next_run: datetime | None
    last_run: CrawlRun | None
    #: the latest scheduled run that did not crawl, because another crawl held the site
    last_skipped: CrawlRun | None = None

    def to_json(self) -> dict[str, Any]:
        last = self.last_run
        return {
            "site": self.site, "health": self.health, "reason": self.reason,
            "articles": self.articles, "articles_today": self.articles_today, "runs": self.runs,
            "next_run": self.next_run.isoformat() if self.next_run else None,
            "last_run": None if last is None else {
                "started": last.started.isoformat(), "finished": last.finished.isoformat(),
                "outcome": last.outcome, "new": last.new, "updated": last.updated,
                "unchanged": last.unchanged, "rejected": last.rejected,
                "fallback": last.fallback, "errors": last.errors,
                "reason": (last.detail or {}).get("reason"),
                "feeds_failed": (last.detail or {}).get("feeds_failed") or {},
                "feeds_stale": (last.detail or {}).get("feeds_stale") or {},
            },
            "last_skipped": None if self.last_skipped is None else {
                "started": self.last_skipped.started.isoformat(),
                "reason": (self.last_skipped.detail or {}).get("reason"),
            },
        }


def _health(last: CrawlRun | None, last_ok: CrawlRun | None, site: SiteConfig,
            now: datetime) -> tuple[str, str]:
    interval = site.interval
    if last is None:
        return "unknown", "never crawled"
    if last.outcome != "ok":
        return "failing", f"last run {last.outcome}: {(last.detail or {}).get('reason') or '?'}"
    if last_ok is None or now - last_ok.finished > 2 * interval:
        return "failing", f"no successful crawl within {2 * interval}"
    looked_at = last.new + last.updated + last.unchanged + last.rejected
    off = last.rejected + (last.fallback or 0)
    if looked_at and off / looked_at > site.degraded_share:
        return "degraded", (f"last run: {last.rejected} rejected and {last.fallback or 0} read by "
                            f"the generic layer, of {looked_at} articles")
    return "ok", ""


def site_statuses(config: Config, storage: Storage, now: datetime | None = None,
                  sites: list[str] | None = None) -> list[SiteStatus]:
    """Every enabled site, or just ``sites`` (what one daemon runs)."""
    now = now or utcnow()
    today = now.astimezone(VIETNAM).replace(hour=0, minute=0, second=0, microsecond=0)
    statuses = []
    for name in all_sites():
        site_config = config.site(name)
        if not site_config.enabled or (sites is not None and name not in sites):
            continue
        runs = storage.runs(name, limit=50)
        # a skipped run (another crawl held the site) or one a shutdown interrupted says
        # nothing about the site's health
        crawls = [r for r in runs if r.outcome not in (SKIPPED, INTERRUPTED)]
        last = crawls[0] if crawls else None
        last_ok = next((r for r in crawls if r.outcome == "ok"), None)
        health, reason = _health(last, last_ok, site_config, now)
        scheduled = storage.next_run(name)
        statuses.append(SiteStatus(
            site=name, health=health, reason=reason, articles=storage.count(name),
            articles_today=storage.count_published_since(name, today), runs=storage.run_count(name),
            next_run=scheduled.next_run if scheduled else None, last_run=last,
            last_skipped=next((r for r in runs if r.outcome == SKIPPED), None),
        ))
    return statuses


def format_status(statuses: list[SiteStatus]) -> str:
    lines = []
    for s in statuses:
        lines.append(f"{s.site}: {s.health}" + (f" — {s.reason}" if s.reason else ""))
        if s.last_run:
            r = s.last_run
            lines.append(f"  last run  {r.started:%Y-%m-%d %H:%M:%S} UTC, {r.outcome}: {r.new} new, "
                         f"{r.updated} updated, {r.unchanged} unchanged, {r.rejected} rejected, "
                         f"{r.fallback} by the generic layer, {r.errors} errors")
            detail = r.detail or {}
            for feed, why in (detail.get("feeds_failed") or {}).items():
                lines.append(f"  feed      {feed} unusable: {why}")
            for feed, when in (detail.get("feeds_stale") or {}).items():
                lines.append(f"  feed      {feed} stale: newest item {when}")
        if s.last_skipped:
            lines.append(f"  skipped   {s.last_skipped.started:%Y-%m-%d %H:%M:%S} UTC, "
                         f"{(s.last_skipped.detail or {}).get('reason') or 'skipped'}")
        lines.append(f"  next run  {s.next_run:%Y-%m-%d %H:%M:%S} UTC" if s.next_run
                     else "  next run  not scheduled (no daemon running)")
        lines.append(f"  articles  {s.articles} stored, {s.articles_today} published today; "
                     f"{s.runs} crawls recorded")
    return "\n".join(lines)


def healthy(statuses: list[SiteStatus]) -> bool:
    """Every enabled site crawled successfully within twice its interval (degraded still did)."""
    return bool(statuses) and all(s.health in ("ok", "degraded") for s in statuses)


def health_check(config: Config, sites: list[str] | None = None
                 ) -> Callable[[], tuple[bool, dict[str, Any]]]:
    """The served ``/healthz`` and index page: computed from recorded runs at each request."""

    def check() -> tuple[bool, dict[str, Any]]:
        storage = Storage(config.db_url)
        try:
            statuses = site_statuses(config, storage, sites=sites)
        finally:
            storage.close()
        return healthy(statuses), {"sites": [s.to_json() for s in statuses]}

    return check


def metrics_exporter(config: Config, sites: list[str] | None = None) -> Callable[[], tuple[bytes, str]]:
    """``/metrics`` in Prometheus text format, read from the same records as ``status``."""
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.core import GaugeMetricFamily
    from prometheus_client.exposition import CONTENT_TYPE_LATEST

    class StatusCollector:
        def collect(self) -> Iterator[GaugeMetricFamily]:
            storage = Storage(config.db_url)
            try:
                statuses = site_statuses(config, storage, sites=sites)
            finally:
                storage.close()
            families = {
                "up": GaugeMetricFamily("partyfeed_site_healthy",
                                        "1 when the site crawled successfully within twice its interval",
                                        labels=["site", "health"]),
                "articles": GaugeMetricFamily("partyfeed_articles", "articles stored", labels=["site"]),
                "runs": GaugeMetricFamily("partyfeed_crawl_runs", "crawls recorded", labels=["site"]),
                "last": GaugeMetricFamily("partyfeed_last_run_finished_timestamp_seconds",
                                          "end of the last crawl", labels=["site", "outcome"]),
                "counts": GaugeMetricFamily("partyfeed_last_run_articles",
                                            "articles of the last crawl by outcome",
                                            labels=["site", "outcome"]),
                "feeds": GaugeMetricFamily("partyfeed_last_run_feeds_unusable",
                                           "feeds of the last crawl that were dead or stale",
                                           labels=["site", "state"]),
            }
            for s in statuses:
                families["up"].add_metric([s.site, s.health], float(healthy([s])))
                families["articles"].add_metric([s.site], s.articles)
                families["runs"].add_metric([s.site], s.runs)
                if s.last_run is not None:
                    run = s.last_run
                    families["last"].add_metric([s.site, run.outcome], run.finished.timestamp())
                    for outcome in ("new", "updated", "unchanged", "rejected", "fallback", "errors"):
                        families["counts"].add_metric([s.site, outcome], getattr(run, outcome) or 0)
                    detail = run.detail or {}
                    for state in ("failed", "stale"):
                        families["feeds"].add_metric([s.site, state], len(detail.get(f"feeds_{state}") or {}))
            yield from families.values()

    registry = CollectorRegistry()
    registry.register(StatusCollector())
    return lambda: (generate_latest(registry), CONTENT_TYPE_LATEST)
