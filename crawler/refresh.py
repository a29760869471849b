"""When a known article is fetched again: often while it is news, rarely after.

Edits and takedowns cluster in an article's first days (corrections, a changed title,
a quietly removed paragraph), so young articles are re-fetched a few times a day and
old ones about monthly.  Every refresh is a conditional GET (``If-None-Match`` /
``If-Modified-Since`` from the last answer), so an unchanged page costs a 304 where the
site supports it.  Each crawl refreshes at most ``per_run`` due articles, the ones
checked longest ago first, so a large archive spreads its refreshes over many runs
instead of making one crawl slow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RefreshPolicy:
    #: (articles younger than this, are re-fetched when last checked longer ago than this)
    ages: tuple[tuple[timedelta, timedelta], ...] = (
        (timedelta(days=7), timedelta(hours=6)),
        (timedelta(days=30), timedelta(days=3)),
    )
    #: articles older than every age above
    old_every: timedelta = timedelta(days=30)
    per_run: int = 200

    def every(self, age: timedelta) -> timedelta:
        for younger_than, every in self.ages:
            if age < younger_than:
                return every
        return self.old_every

    def bands(self, now: datetime) -> list[tuple[datetime | None, datetime | None, datetime]]:
        """``(published after, published at or before, checked before)`` per age band,
        youngest first: the ranges a query for due articles needs."""
        out: list[tuple[datetime | None, datetime | None, datetime]] = []
        newer: datetime | None = None
        for younger_than, every in self.ages:
            out.append((now - younger_than, newer, now - every))
            newer = now - younger_than
        out.append((None, newer, now - self.old_every))
        return out


DEFAULT_POLICY = RefreshPolicy()
#: ``crawl --refresh``: every known article, whenever it was last checked
EVERYTHING = RefreshPolicy(ages=(), old_every=timedelta(0), per_run=1_000_000)
