"""What the feed server adds for the archive: search feeds and story de-duplication.

* ``/search.atom?q=quoc+hoi`` (``.rss``, ``.json``; ``&site=qdnd``): the best ``limit``
  matches of a search (:mod:`crawler.archive.search_store`), full text, each entry's
  summary the passage that matched.  Readers show entries by date, so the ranking
  decides *which* articles are in the feed, not their order.
* ``?dedupe=story`` on any feed: one entry per story (:mod:`crawler.stories`) — the
  newest outlet's copy, with the others named in its "also in" line.

Both answer from the database per request, cached by query and database state like
the filtered feeds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urlencode

from crawler.archive.search_store import Search
from crawler.archive.stories_store import Stories
from crawler.items import Article
from crawler.sites import all_sites
from crawler.storage import Storage

from .filters import QueryError
from .render import FeedSpec

SEARCH_STEM = "search"
#: the query options this module reads (kept in self links and cache keys)
OPTIONS = frozenset({"q", "site", "dedupe"})
#: longest search accepted
MAX_QUERY = 200


@dataclass(frozen=True)
class ArchiveQuery:
    q: str | None = None
    site: str | None = None
    dedupe: bool = False

    def key(self) -> tuple[str | None, str | None, bool]:
        return self.q, self.site, self.dedupe


def parse_archive_query(raw_query: str) -> ArchiveQuery:
    values = dict((k, v) for k, v in parse_qsl(raw_query, keep_blank_values=True,
                                                 encoding="utf-8", errors="replace")
                  if k in OPTIONS)
    dedupe = values.get("dedupe")
    if dedupe not in (None, "", "story"):
        raise QueryError(f"dedupe can only be 'story', not {dedupe!r}")
    q = (values.get("q") or "").strip() or None
    if q and len(q) > MAX_QUERY:
        raise QueryError(f"q longer than {MAX_QUERY} characters")
    site = values.get("site") or None
    if site and site not in all_sites():
        raise QueryError(f"no site named {site!r}")
    return ArchiveQuery(q=q, site=site, dedupe=dedupe == "story")


def search_spec(query: ArchiveQuery, base: str, self_url: str) -> FeedSpec:
    link = f"{base}{SEARCH_STEM}.atom?{urlencode({'q': query.q})}"
    return FeedSpec(key=f"{SEARCH_STEM}-{query.q}", title=f"partyfeed — tìm kiếm: {query.q}",
                    link=link, description=f"Các bài khớp nhất với “{query.q}”",
                    self_href=self_url, referrer_policy="no-referrer")


def search_articles(storage: Storage, query: ArchiveQuery, limit: int) -> list[Article]:
    """The articles of the best ``limit`` matches, each summarised by its snippet."""
    out = []
    for hit in Search(storage.engine).search(query.q or "", site=query.site, limit=limit):
        row = storage.find(hit.key)
        if row is not None:
            out.append(replace(row.to_article(), summary=hit.snippet.text(("", ""))))
    return out


def dedupe_by_story(storage: Storage, articles: Iterable[Article]) -> list[Article]:
    """The first article of each story, in the given (newest first) order."""
    articles = list(articles)
    stories = Stories(storage.engine).stories_of(a.url for a in articles)
    seen: set[int] = set()
    out = []
    for article in articles:
        story = stories.get(article.url)
        if story is None or story not in seen:
            out.append(article)
            if story is not None:
                seen.add(story)
    return out
