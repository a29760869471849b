"""Refresh bookkeeping: validators for conditional GET, what is due, what was taken down."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..refresh import DEFAULT_POLICY, RefreshPolicy
from ..storage import ArticleRow, ArticleVersion
from ..storage.tracking import FetchState


@dataclass(frozen=True)
class Due:
    """A known article to fetch again, with the validators of its last answer."""

    key: str
    url: str
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True)
class Removal:
    key: str
    site: str
    url: str
    title: str
    article_id: str | None
    published: datetime
    removed_at: datetime
    reason: str


class Fetches:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    # The writes take the connection of a transaction the caller holds: a crawl runs them
    # on its database writer (crawler.writer), batched with the articles it stores.

    def record(self, conn: Connection, key: str, site: str, url: str, status: int, now: datetime,
               *, etag: str | None = None, last_modified: str | None = None) -> None:
        """A page answered ``status`` (200 or 304): it is there, checked now.  A 304
        keeps the stored validators and counts as seeing the stored version again; a 200
        replaces the validators (the pipeline then stores what it read).  An article seen
        again after a takedown is no longer removed."""
        values = {"key": key, "site": site, "url": url, "status": status, "checked_at": now,
                  "removed_at": None, "removed_reason": None}
        changing = dict(values)
        if status != 304:
            values.update(etag=etag, last_modified=last_modified)
            changing.update(etag=etag, last_modified=last_modified)
        del changing["key"]
        stmt = self._insert(FetchState).values(**values)
        conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_=changing))
        if status == 304:
            # the site vouches the stored content is current: seen again, as an
            # identical refetch would record it
            row = conn.execute(update(ArticleRow).where(ArticleRow.key == key)
                               .values(last_seen=now)
                               .returning(ArticleRow.id, ArticleRow.version)).first()
            if row is not None:
                conn.execute(update(ArticleVersion).where(
                    ArticleVersion.article == row.id, ArticleVersion.version == row.version)
                    .values(last_seen=now))

    def record_first(self, conn: Connection, site: str,
                     pages: list[tuple[str, str, str | None, str | None]], now: datetime) -> None:
        """The validators of articles fetched for the first time, ``(key, url, etag,
        last_modified)`` each: a crawl hands them over once, at its end, instead of one
        write per page."""
        for key, url, etag, last_modified in pages:
            values = {"key": key, "site": site, "url": url, "status": 200, "checked_at": now,
                      "removed_at": None, "removed_reason": None, "etag": etag,
                      "last_modified": last_modified}
            changing = {k: v for k, v in values.items() if k != "key"}
            conn.execute(self._insert(FetchState).values(**values)
                         .on_conflict_do_update(index_elements=["key"], set_=changing))

    def mark_removed(self, conn: Connection, key: str, site: str, url: str, status: int,
                     reason: str, now: datetime) -> bool:
        """Record a takedown; True when it is news (an article already removed stays
        removed since the first time, so a page flapping is one entry per takedown)."""
        stmt = self._insert(FetchState).values(
            key=key, site=site, url=url, status=status, checked_at=now, removed_at=now,
            removed_reason=reason)
        stmt = stmt.on_conflict_do_update(
            index_elements=["key"],
            set_={"status": status, "checked_at": now,
                  "removed_at": func.coalesce(FetchState.removed_at, now),
                  "removed_reason": func.coalesce(FetchState.removed_reason, reason)})
        before = conn.scalar(select(FetchState.removed_at).where(FetchState.key == key))
        conn.execute(stmt)
        return before is None

    def due(self, site: str, now: datetime, policy: RefreshPolicy = DEFAULT_POLICY,
            limit: int | None = None) -> list[Due]:
        """Known, not removed articles of ``site`` whose last check is older than their
        age allows, youngest band first, longest unchecked first within a band."""
        limit = policy.per_run if limit is None else limit
        checked = func.coalesce(FetchState.checked_at, ArticleRow.first_seen)
        out: list[Due] = []
        with self.engine.connect() as conn:
            for after, until, before in policy.bands(now):
                if len(out) >= limit:
                    break
                query = (select(ArticleRow.key, ArticleRow.url, FetchState.etag,
                                FetchState.last_modified)
                         .outerjoin(FetchState, FetchState.key == ArticleRow.key)
                         .where(ArticleRow.site == site, FetchState.removed_at.is_(None),
                                checked < before)
                         .order_by(checked).limit(limit - len(out)))
                if after is not None:
                    query = query.where(ArticleRow.published > after)
                if until is not None:
                    query = query.where(ArticleRow.published <= until)
                out.extend(Due(*row) for row in conn.execute(query))
        return out

    def removals(self, site: str | None = None, limit: int = 50) -> list[Removal]:
        """Taken-down articles, most recent takedown first."""
        query = (select(FetchState.key, ArticleRow.site, ArticleRow.url, ArticleRow.title,
                        ArticleRow.article_id, ArticleRow.published, FetchState.removed_at,
                        FetchState.removed_reason)
                 .join(ArticleRow, ArticleRow.key == FetchState.key)
                 .where(FetchState.removed_at.is_not(None))
                 .order_by(FetchState.removed_at.desc(), FetchState.key).limit(limit))
        if site:
            query = query.where(FetchState.site == site)
        with self.engine.connect() as conn:
            return [Removal(*row) for row in conn.execute(query)]

    def state(self, key: str) -> FetchState | None:
        with Session(self.engine, expire_on_commit=False) as session:
            return session.get(FetchState, key)
