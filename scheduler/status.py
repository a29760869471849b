"""``partyfeed status``: per site, what happened last, what happens next, and whether it is healthy.

Health is judged from recorded runs only, so any process — a person's shell, a
monitor, the served index — sees the same verdict:

* ``failing``: the last run failed, or no run succeeded within twice the interval;
* ``degraded``: the last run succeeded, but more than the site's ``degraded_share``
  (default 20%) of the articles it looked at were rejected or could only be read by the
  generic layer — a silent redesign looks like this;
* ``ok`` otherwise; ``unknown`` before the first run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crawler.config import Config, SiteConfig
from crawler.extraction.dates import VIETNAM
from crawler.sites import all_sites
from crawler.storage import CrawlRun, Storage, utcnow


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


def site_statuses(config: Config, storage: Storage, now: datetime | None = None) -> list[SiteStatus]:
    now = now or utcnow()
    today = now.astimezone(VIETNAM).replace(hour=0, minute=0, second=0, microsecond=0)
    statuses = []
    for name in all_sites():
        site_config = config.site(name)
        if not site_config.enabled:
            continue
        runs = storage.runs(name, limit=50)
        last = runs[0] if runs else None
        last_ok = next((r for r in runs if r.outcome == "ok"), None)
        health, reason = _health(last, last_ok, site_config, now)
        scheduled = storage.next_run(name)
        statuses.append(SiteStatus(
            site=name, health=health, reason=reason, articles=storage.count(name),
            articles_today=storage.count_published_since(name, today), runs=storage.run_count(name),
            next_run=scheduled.next_run if scheduled else None, last_run=last,
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
        lines.append(f"  next run  {s.next_run:%Y-%m-%d %H:%M:%S} UTC" if s.next_run
                     else "  next run  not scheduled (no daemon running)")
        lines.append(f"  articles  {s.articles} stored, {s.articles_today} published today; "
                     f"{s.runs} crawls recorded")
    return "\n".join(lines)
