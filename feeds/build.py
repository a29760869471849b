"""Stored articles to feed files: per site, per category of a site, and all sites together.

The feed builder reads the database only — never a crawl's live state — so a failed
crawl cannot empty or shrink a feed, and two builds with nothing new write nothing.

Files in the feeds folder, each in RSS 2.0 (``.rss``), Atom 1.0 (``.atom``) and JSON
Feed 1.1 (``.json``):

* ``<site>.*``: the site's newest articles;
* ``<site>-<category_slug>.*``: one per category that has articles (``dangcongsan-thoi-su.atom``);
* ``all.*``: every site together;
* ``<site>-changes.*``, ``all-changes.*``: edits and takedowns (:mod:`feeds.changes`);
* ``feeds.opml``: all of the above (Atom), to import into a reader at once — written
  only when ``base_url`` is set, since OPML needs absolute URLs; ``partyfeed serve``
  answers ``/feeds.opml`` in any case, with the URLs of the host it was reached at.

Cost: one indexed query per feed (newest ``limit`` rows) plus one index seek per
category to list them, so a build costs time in proportion to the entries written,
not to the size of the archive; an article is sanitised once for all the feeds and
formats it appears in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

from crawler.archive.stories_store import Stories
from crawler.items import Article
from crawler.sites import all_sites
from crawler.storage import Storage

from .atomic import exclusive, write_atomic
from .changes import SUFFIX as CHANGES, change_entries, changes_spec
from .opml import OPML_NAME, OpmlFeed, OpmlGroup, render_opml
from .render import FORMATS, EntryCache, FeedSpec, render_all

ALL = "all"
#: what reaches a file name: a category slug outside this is not given a feed
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")
#: when no interval is known: the daemon's default
DEFAULT_INTERVAL = timedelta(minutes=30)
#: image hosts of these sites refuse hotlinks carrying a foreign Referer
REFERRER_POLICY = "no-referrer"


def _host(url: str) -> str:
    return url.split("//", 1)[1].strip("/")


def _ttl(interval: timedelta | None) -> int:
    return max(1, int((interval or DEFAULT_INTERVAL).total_seconds() // 60))


def feed_spec(site_name: str | None, base_url: str | None, category: str | None = None, *,
              category_name: str | None = None, interval: timedelta | None = None) -> FeedSpec:
    """What the feed ``site_name`` (None: all sites), optionally one category of it, is."""
    ttl = _ttl(interval)
    if site_name is None:
        return FeedSpec(
            key=ALL,
            title="partyfeed — tin tức Đảng và Nhà nước",
            link=next(iter(all_sites().values())).home,
            description="Toàn văn tin bài từ " + ", ".join(
                _host(s.home) for s in all_sites().values()),
            base_url=base_url, ttl=ttl, referrer_policy=REFERRER_POLICY,
        )
    site = all_sites()[site_name]
    if category is None:
        return FeedSpec(
            key=site.name,
            title=f"{site.title} ({_host(site.home)})",
            link=site.home,
            description=f"Toàn văn tin bài của {site.title}",
            base_url=base_url, ttl=ttl, referrer_policy=REFERRER_POLICY,
        )
    name = site.categories.get(category) or category_name or category
    return FeedSpec(
        key=f"{site.name}-{category}",
        title=f"{name} — {site.title} ({_host(site.home)})",
        link=site.category_url(category),
        description=f"Toàn văn tin bài mục {name} của {site.title}",
        base_url=base_url, ttl=ttl, referrer_policy=REFERRER_POLICY,
    )


def feed_target(key: str) -> tuple[str | None, str | None] | None:
    """``(site, category_slug)`` of a feed file stem; None if no such feed can exist.
    A changes feed (``dangcongsan-changes``) names the feed it belongs to."""
    if key.endswith(CHANGES):
        target = feed_target(key.removesuffix(CHANGES))
        return target if target and target[1] is None else None
    if key == ALL:
        return None, None
    sites = all_sites()
    if key in sites:
        return key, None
    for name in sorted(sites, key=len, reverse=True):
        prefix = name + "-"
        if key.startswith(prefix) and SLUG.match(key[len(prefix):]):
            return name, key[len(prefix):]
    return None


def _interval(intervals: Mapping[str, timedelta] | None, site: str | None) -> timedelta | None:
    if not intervals:
        return None
    if site is None:
        return min(intervals.values(), default=None)
    return intervals.get(site)


def build_feeds(storage: Storage, feeds_dir: Path, sites: list[str] | None = None, *,
                limit: int = 50, base_url: str | None = None,
                intervals: Mapping[str, timedelta] | None = None,
                formats: tuple[str, ...] = FORMATS) -> list[Path]:
    """Rebuild the feeds of ``sites`` (default: every site) — site and category feeds —
    the combined feed and ``feeds.opml``.

    ``intervals`` (site → crawl interval) sets each feed's RSS ``<ttl>``; the combined
    feed takes the shortest.  Returns the files whose bytes changed.  One build at a time
    per folder; each first removes what a killed build left (:func:`feeds.atomic.exclusive`).
    """
    feeds_dir.mkdir(parents=True, exist_ok=True)
    with exclusive(feeds_dir):
        return _build(storage, feeds_dir, sites, limit=limit, base_url=base_url,
                      intervals=intervals, formats=formats)


def _build(storage: Storage, feeds_dir: Path, sites: list[str] | None, *, limit: int,
           base_url: str | None, intervals: Mapping[str, timedelta] | None,
           formats: tuple[str, ...]) -> list[Path]:
    changed: list[Path] = []
    cache: EntryCache = {}

    stories = Stories(storage.engine)

    def write(spec: FeedSpec, site: str | None, category: str | None,
              articles: list[Article] | None = None) -> None:
        if articles is None:
            articles = storage.recent(site=site, limit=limit, category_slug=category)
        also_in = stories.also_in(a.url for a in articles)
        for fmt, data in render_all(spec, articles, formats, cache, also_in).items():
            path = feeds_dir / f"{spec.key}.{fmt}"
            if write_atomic(path, data):
                changed.append(path)

    chosen = list(sites if sites is not None else all_sites())
    for name in chosen:
        interval = _interval(intervals, name)
        write(feed_spec(name, base_url, interval=interval), name, None)
        write(changes_spec(feed_spec(name, base_url, interval=interval)), name, None,
              change_entries(storage, name, limit))
        for slug in storage.category_slugs(name):
            if not SLUG.match(slug):
                continue
            articles = storage.recent(site=name, limit=1, category_slug=slug)
            spec = feed_spec(name, base_url, slug, interval=interval,
                             category_name=articles[0].category if articles else None)
            write(spec, name, slug)
    write(feed_spec(None, base_url, interval=_interval(intervals, None)), None, None)
    write(changes_spec(feed_spec(None, base_url, interval=_interval(intervals, None))), None, None,
          change_entries(storage, None, limit))

    opml_path = feeds_dir / OPML_NAME
    if base_url:
        if write_atomic(opml_path, render_opml(opml_groups(storage, base_url), base_url)):
            changed.append(opml_path)
    elif opml_path.exists():
        # OPML needs absolute URLs and there is no public one: a file left from an
        # earlier base_url would point elsewhere (``partyfeed serve`` answers
        # /feeds.opml for the host it is reached at either way)
        opml_path.unlink()
        changed.append(opml_path)
    return changed


def opml_groups(storage: Storage, base_url: str | None = None) -> list[OpmlGroup]:
    """Every feed there is: per site (its feed, its changes, then its categories), then
    all sites (and their changes)."""
    groups = []
    for name, site in all_sites().items():
        specs = [feed_spec(name, base_url), changes_spec(feed_spec(name, base_url))]
        for slug in storage.category_slugs(name):
            if SLUG.match(slug):
                first = storage.recent(site=name, limit=1, category_slug=slug)
                specs.append(feed_spec(name, base_url, slug,
                                       category_name=first[0].category if first else None))
        if storage.recent(site=name, limit=1) or len(specs) > 2:
            groups.append(OpmlGroup(site.title, tuple(OpmlFeed(s.key, s.title, s.link)
                                                      for s in specs)))
    spec = feed_spec(None, base_url)
    changes = changes_spec(spec)
    groups.append(OpmlGroup(spec.title, (OpmlFeed(spec.key, spec.title, spec.link),
                                         OpmlFeed(changes.key, changes.title, changes.link))))
    return groups
