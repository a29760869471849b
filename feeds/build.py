"""Stored articles to feed files: per site and for all sites together.

The feed builder reads the database only — never a crawl's live state — so a failed
crawl cannot empty or shrink a feed, and two builds with nothing new write nothing.
"""

from __future__ import annotations

from pathlib import Path

from crawler.sites import all_sites
from crawler.storage import Storage

from .atomic import write_atomic
from .render import FeedSpec, render_atom, render_rss

ALL = "all"


def feed_spec(site_name: str | None, base_url: str | None) -> FeedSpec:
    if site_name is None:
        return FeedSpec(
            key=ALL,
            title="partyfeed — tin tức Đảng và Nhà nước",
            link=next(iter(all_sites().values())).home,
            description="Toàn văn tin bài từ " + ", ".join(
                s.home.split("//")[1].strip("/") for s in all_sites().values()),
            base_url=base_url,
        )
    site = all_sites()[site_name]
    return FeedSpec(
        key=site.name,
        title=f"{site.title} ({site.home.split('//')[1].strip('/')})",
        link=site.home,
        description=f"Toàn văn tin bài của {site.title}",
        base_url=base_url,
    )


def build_feeds(storage: Storage, feeds_dir: Path, sites: list[str] | None = None, *,
                limit: int = 50, base_url: str | None = None) -> list[Path]:
    """Rebuild the feeds of ``sites`` (default: every site) and the combined feed.

    Returns the files whose bytes changed.
    """
    feeds_dir.mkdir(parents=True, exist_ok=True)
    changed: list[Path] = []
    for name in [*(sites if sites is not None else all_sites()), None]:
        spec = feed_spec(name, base_url)
        articles = storage.recent(site=name, limit=limit)
        for suffix, render in (("rss", render_rss), ("atom", render_atom)):
            path = feeds_dir / f"{spec.key}.{suffix}"
            if write_atomic(path, render(spec, articles)):
                changed.append(path)
    return changed
