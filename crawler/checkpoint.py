"""Where a backfill stands, per category, in a small file that survives ``kill -9``.

Why not Scrapy's JOBDIR: its disk queue (queuelib) writes its index only when it is
closed, and its seen-requests file is a buffered append, so after ``kill -9`` the
queue is gone while some of its requests are already marked seen — a resumed crawl
would then skip them for good.  A backfill's real frontier is small instead: per
category, the lowest listing page whose articles are not all stored yet.  Listing
pages before it are complete; resuming from it re-lists a few pages and fetches no
article that is stored (those are skipped by the database's known keys).

A page counts as complete when each article it listed was stored (``item_scraped``,
which the store pipeline reaches only after its write), rejected, failed for good, or
fell outside the date window.  New articles published meanwhile push older ones to
*later* pages, never earlier, so resuming at the recorded page misses nothing.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

#: the pending entry of a listing page requested but not parsed yet
LISTING = "<listing>"


@dataclass
class Frontier:
    """In-memory progress of one backfill; :meth:`save` writes the resume points."""

    path: Path | None
    window: dict[str, str | None]
    #: category → listing page → article keys (or :data:`LISTING`) not done yet
    pending: dict[str, dict[int, set[str]]] = field(default_factory=dict)
    #: category → resume page read from the file (1 when starting afresh)
    start: dict[str, int] = field(default_factory=dict)
    #: categories walked to their last page
    finished: set[str] = field(default_factory=set)
    highest: dict[str, int] = field(default_factory=dict)
    #: category → the highest page number its pager links to (an estimate of its length)
    linked: dict[str, int] = field(default_factory=dict)
    #: category → first page holding an article older than ``--since``
    older_from: dict[str, int] = field(default_factory=dict)
    _saved_at: float = 0.0

    @classmethod
    def load(cls, path: Path | None, window: dict[str, str | None]) -> Frontier:
        """The saved state if it belongs to the same date window and was not completed."""
        frontier = cls(path, window)
        if path is None or not path.is_file():
            return frontier
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
            categories = state["categories"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.warning("backfill state %s unreadable (%s); starting from page 1", path, exc)
            return frontier
        if state.get("window") != window:
            logger.warning("backfill state %s is for another date window (%s); starting from "
                           "page 1", path, state.get("window"))
            return frontier
        if state.get("complete"):
            logger.info("the previous backfill completed; walking the archive again")
            return frontier
        for slug, entry in categories.items():
            frontier.start[slug] = max(1, int(entry.get("resume", 1)))
            frontier.linked[slug] = int(entry.get("linked", 0))
            if entry.get("finished"):
                frontier.finished.add(slug)
        return frontier

    def resume_page(self, slug: str) -> int:
        return self.start.get(slug, 1)

    def requested(self, slug: str, page: int) -> None:
        if self.path is None:  # nothing to resume from (a distributed backfill)
            return
        self.pending.setdefault(slug, {}).setdefault(page, set()).add(LISTING)
        self.highest[slug] = max(self.highest.get(slug, 0), page)

    def listed(self, slug: str, page: int, keys: list[str], linked: int) -> None:
        if self.path is None:  # nothing to resume from (a distributed backfill)
            return
        self.pending.setdefault(slug, {})[page] = set(keys)
        self.linked[slug] = max(self.linked.get(slug, 0), linked)
        self._settle(slug, page)

    def done(self, slug: str, page: int, key: str) -> None:
        if self.path is None:  # nothing to resume from (a distributed backfill)
            return
        self.pending.get(slug, {}).get(page, set()).discard(key)
        self._settle(slug, page)

    def end(self, slug: str) -> None:
        """``slug`` has no page after the ones already requested."""
        self.finished.add(slug)
        self.save()

    def older(self, slug: str, page: int) -> None:
        self.older_from[slug] = min(self.older_from.get(slug, page), page)

    def past_since(self, slug: str, page: int) -> bool:
        return page >= self.older_from.get(slug, page + 1)

    def resume_point(self, slug: str) -> int:
        pages = self.pending.get(slug)
        if pages:
            return min(pages)
        return max(self.highest.get(slug, 0) + 1, self.resume_page(slug))

    def complete(self, slug: str) -> bool:
        return slug in self.finished and not self.pending.get(slug)

    def _settle(self, slug: str, page: int) -> None:
        pages = self.pending.get(slug, {})
        if page in pages and not pages[page]:
            del pages[page]
        if time.monotonic() - self._saved_at >= 1.0:
            self.save()

    def save(self, *, complete: bool = False) -> None:
        """Write the resume points atomically (temp file, fsync, rename)."""
        self._saved_at = time.monotonic()
        if self.path is None:
            return
        slugs = set(self.start) | set(self.pending) | set(self.highest) | self.finished
        state = {
            "window": self.window,
            "complete": complete,
            "categories": {slug: {"resume": self.resume_point(slug), "linked": self.linked.get(slug, 0),
                                  "finished": self.complete(slug)} for slug in sorted(slugs)},
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_suffix(".tmp")
        with open(temp, "w", encoding="utf-8") as file:
            json.dump(state, file, indent=1)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, self.path)
