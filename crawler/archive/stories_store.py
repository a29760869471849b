"""Stories in the database: each stored article joined to the story it belongs to.

An article is assigned when it is stored or changes (:meth:`Stories.assign`): its
signature's LSH bands are looked up in ``story_bands`` (an indexed look-up per band,
whatever the archive's size), candidates are confirmed on their stored signatures, and
the article joins the oldest matching story, or starts its own.  Bands are kept for
articles stored or changed within :data:`WINDOW` only (:meth:`Stories.prune`): outlets
carry a dispatch within days of each other and a crawl meets the copies as close
together, and the table stays the size of a few weeks of news.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone

from sqlalchemy import Connection, Engine, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from ..sites import all_sites
from ..storage import ArticleRow
from ..storage.tracking import ArticleStory, StoryBand
from ..urls import canonical_url

WINDOW = timedelta(days=30)


def outlet(site: str) -> str:
    """How a feed names an outlet: its host (``nhandan.vn``), or the site name."""
    module = all_sites().get(site)
    if module is None:
        return site
    return module.home.split("//", 1)[-1].strip("/").removeprefix("www.")


class Stories:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    def assign(self, key: str) -> int | None:
        """(Re)assign the article stored under ``key``; returns its story, None if unknown."""
        return self.assign_many([key])[0]

    def assign_many(self, keys: Sequence[str]) -> list[int | None]:
        """(Re)assign each article, in one transaction: a crawl's writer hands over a batch."""
        with self.engine.begin() as conn:
            return [self._assign(conn, key) for key in keys]

    def _assign(self, conn: Connection, key: str) -> int | None:
        # datasketch pulls in scipy (0.4 s): imported on the first article, not when a
        # crawl process starts, so a crawl stopped at once stops cleanly
        from ..stories import Signature, article_signature

        row = conn.execute(select(ArticleRow.id, ArticleRow.title, ArticleRow.summary,
                                  ArticleRow.body_text, ArticleRow.published)
                           .where(ArticleRow.key == key)).first()
        if row is None:
            return None
        sig = article_signature(row.title, row.summary, row.body_text)
        bands = sig.bands()
        candidates = conn.execute(
            select(ArticleStory.article, ArticleStory.story, ArticleStory.signature)
            .where(ArticleStory.article.in_(
                select(StoryBand.article).where(StoryBand.band.in_(bands),
                                                StoryBand.article != row.id)))).all()
        matches = [story for _, story, data in candidates
                   if sig.same_story(Signature.from_bytes(data))]
        story = min(matches, default=row.id)
        values = {"article": row.id, "story": story, "signature": sig.to_bytes()}
        conn.execute(self._insert(ArticleStory).values(**values).on_conflict_do_update(
            index_elements=["article"], set_={"story": story, "signature": values["signature"]}))
        conn.execute(delete(StoryBand).where(StoryBand.article == row.id))
        now = datetime.now(timezone.utc)
        conn.execute(insert(StoryBand), [{"band": band, "article": row.id, "seen": now}
                                         for band in dict.fromkeys(bands)])
        return story

    def assign_missing(self, batch: int = 500) -> int:
        """Assign every article without a story, oldest first (after an upgrade, or a
        ``partyfeed search --rebuild``); returns how many."""
        done = 0
        while True:
            with self.engine.connect() as conn:
                keys = list(conn.scalars(
                    select(ArticleRow.key).outerjoin(ArticleStory, ArticleStory.article == ArticleRow.id)
                    .where(ArticleStory.article.is_(None))
                    .order_by(ArticleRow.published, ArticleRow.id).limit(batch)))
            if not keys:
                return done
            self.assign_many(keys)
            done += len(keys)

    def prune(self, now: datetime) -> int:
        """Drop the bands of articles not seen new or changed within the window; their
        story stays."""
        with self.engine.begin() as conn:
            return conn.execute(delete(StoryBand).where(StoryBand.seen < now - WINDOW)).rowcount

    def stories_of(self, urls: Iterable[str]) -> dict[str, int]:
        """canonical URL → story, for the articles at ``urls`` that have one."""
        wanted = {canonical_url(u) for u in urls}
        if not wanted:
            return {}
        with self.engine.connect() as conn:
            return {url: story for url, story in conn.execute(
                select(ArticleRow.url, ArticleStory.story)
                .join(ArticleStory, ArticleStory.article == ArticleRow.id)
                .where(ArticleRow.url.in_(wanted)))}

    def also_in(self, urls: Iterable[str]) -> dict[str, list[str]]:
        """canonical URL → the *other* outlets carrying its story (hosts, sorted)."""
        stories = self.stories_of(urls)
        if not stories:
            return {}
        with self.engine.connect() as conn:
            members = conn.execute(
                select(ArticleStory.story, ArticleRow.site, ArticleRow.url)
                .join(ArticleRow, ArticleRow.id == ArticleStory.article)
                .where(ArticleStory.story.in_(set(stories.values())))).all()
        sites_of: dict[int, set[str]] = defaultdict(set)
        site_of_url: dict[str, str] = {}
        for story, site, url in members:
            sites_of[story].add(site)
            site_of_url[url] = site
        return {url: sorted(outlet(s) for s in sites_of[story] - {site_of_url.get(url)})
                for url, story in stories.items() if sites_of[story] - {site_of_url.get(url)}}
