"""The database as the rest of the project sees it: :class:`Storage`.

All SQL of the project lives in this package.  A write is one short transaction
that takes the write lock with its first statement, so that a daemon and a manual
crawl writing the same SQLite file in WAL mode wait on each other's lock instead of
failing with "database is locked" or working from a stale read, and so that a
killed process leaves either the whole change or none of it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict
from datetime import datetime, timezone
from functools import cached_property, partial
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import quote

from sqlalchemy import (
    Connection,
    Update,
    bindparam,
    case,
    create_engine,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..items import Article, Image
from ..urls import canonical_url
from .engine import make_engine
from .models import (
    ArticleContent,
    ArticleRow,
    ArticleVersion,
    CrawlRun,
    Rejection,
    ScheduledRun,
)
from .schema import ensure_schema
from .tracking import ArticleStory
from .versions import Version, suspicious_change

#: ``suspicious``: content changed in a way that looks like a broken fetch (see ``versions``)
Outcome = Literal["new", "updated", "unchanged", "suspicious"]
#: what a job run by :meth:`Storage.run_many` returns
R = TypeVar("R")

#: the fields of a version (what ``article_contents`` keeps)
CONTENT_FIELDS = ("url", "title", "published", "summary", "authors", "source", "category",
                  "category_slug", "tags", "images", "body_html", "body_text")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def content_hash(article: Article) -> str:
    """Over what a reader sees; layers and fetch times are not content."""
    data = {k: v for k, v in asdict(article).items() if k not in ("layers", "updated")}
    data["published"] = article.published.isoformat() if article.published else None
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _content(row: Any, site: str) -> Article:
    """An ``Article`` from any row with the content fields (articles, article_contents)."""
    return Article(
        url=row.url, site=site, title=row.title, published=row.published,
        summary=row.summary, authors=list(row.authors or []), source=row.source,
        category=row.category, category_slug=row.category_slug, tags=list(row.tags or []),
        images=[Image(**image) for image in row.images or []],
        body_html=row.body_html, body_text=row.body_text)


class Storage:
    """The database as the rest of the project sees it."""

    def __init__(self, db_url: str) -> None:
        self.engine = make_engine(db_url)
        ensure_schema(self.engine)
        dialect = self.engine.dialect.name
        #: the dialect's INSERT, which has ON CONFLICT (core ``insert`` does not)
        self._insert: Any = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[dialect]

    def close(self) -> None:
        self.engine.dispose()

    def upsert(self, key: str, article: Article) -> Outcome:
        """Store ``article`` under ``key``: new, a new version, or just seen again."""
        return self.run_many([partial(self.upsert_in, key=key, article=article)])[0]

    def run_many(self, jobs: Sequence[Callable[[Connection], R]]) -> list[R]:
        """Run each job on one connection, all in one transaction: one commit for a whole
        batch (what :class:`~crawler.writer.BatchWriter` hands over), and either every
        job's writes are kept or none are."""
        with self.engine.begin() as conn:
            return [job(conn) for job in jobs]

    def upsert_in(self, conn: Connection, key: str, article: Article) -> Outcome:
        """The first statement is a write (``last_seen`` of an unchanged article), so the
        transaction holds the write lock (SQLite) or the row (PostgreSQL) before it
        reads the version it builds on."""
        assert article.published is not None and article.title
        now = utcnow()
        digest = content_hash(article)
        values = {
            "site": article.site, "article_id": article.article_id,
            "url": canonical_url(article.url), "title": article.title,
            "published": article.published, "summary": article.summary,
            "authors": article.authors, "source": article.source, "category": article.category,
            "category_slug": article.category_slug, "tags": article.tags,
            "images": [asdict(image) for image in article.images], "body_html": article.body_html,
            "body_text": article.body_text,
        }
        for _attempt in range(2):
            current = conn.execute(self._touch, {"key_": key, "digest": digest, "now": now}).first()
            if current is not None:
                break
            added = conn.execute(self._add, {
                "key": key, **values, "updated": article.updated, "layers": article.layers,
                "content_hash": digest, "version": 1, "first_seen": now, "changed_at": now,
                "last_seen": now}).first()
            if added is not None:
                return "new"
        assert current is not None  # the racing insert committed: it is there now
        row_id, old_hash, version = current
        if old_hash == digest:
            conn.execute(update(ArticleVersion)
                         .where(ArticleVersion.article == row_id,
                                ArticleVersion.version == version)
                         .values(last_seen=now))
            return "unchanged"
        old = conn.execute(select(ArticleRow).where(ArticleRow.id == row_id)).one()
        reason = suspicious_change(_content(old, old.site), article)
        if reason:
            conn.execute(insert(Rejection).values(
                site=article.site, url=values["url"], reason=f"suspicious-edit: {reason}",
                at=now))
            return "suspicious"
        self._add_version(conn, row_id, old, values, digest, now)
        # its text changed: its story is found again when the feeds are next built
        conn.execute(delete(ArticleStory).where(ArticleStory.article == row_id))
        conn.execute(update(ArticleRow).where(ArticleRow.id == row_id).values(
            **values, updated=article.updated or now, layers=article.layers,
            content_hash=digest, version=version + 1, changed_at=now, last_seen=now))
        return "updated"

    # The two statements every stored article runs, built once: building a statement
    # with its values costs more Python than executing it, on the writer thread that
    # shares the GIL with the reactor.
    @cached_property
    def _touch(self) -> Update:
        """Seen again: ``last_seen`` moves if the content is unchanged; the row as it was."""
        return (update(ArticleRow).where(ArticleRow.key == bindparam("key_"))
                .values(last_seen=case((ArticleRow.content_hash == bindparam("digest"),
                                        bindparam("now")), else_=ArticleRow.last_seen))
                .returning(ArticleRow.id, ArticleRow.content_hash, ArticleRow.version))

    @cached_property
    def _add(self) -> Any:
        """A new article (its columns come with the parameters); nothing if the key won a race."""
        return (self._insert(ArticleRow).on_conflict_do_nothing(index_elements=["key"])
                .returning(ArticleRow.id))

    def _add_version(self, conn: Connection, row_id: int, old: Any, values: dict[str, Any],
                     digest: str, now: datetime) -> None:
        """Record the change from ``old`` (an ``articles`` row) to ``values``.

        The first change also records the version it replaces, which until then lived
        only in ``articles``; a content seen before (a revert) is referenced, not copied.
        """
        if conn.scalar(select(func.count()).where(ArticleVersion.article == row_id)) == 0:
            content = self._content_id(conn, row_id, old.content_hash,
                                       {f: getattr(old, f) for f in CONTENT_FIELDS})
            conn.execute(insert(ArticleVersion).values(
                article=row_id, version=old.version, content=content,
                first_seen=old.changed_at, last_seen=old.last_seen or old.changed_at))
        content = self._content_id(conn, row_id, digest,
                                   {f: values[f] for f in CONTENT_FIELDS})
        conn.execute(insert(ArticleVersion).values(
            article=row_id, version=old.version + 1, content=content, first_seen=now,
            last_seen=now))

    @staticmethod
    def _content_id(conn: Connection, row_id: int, digest: str, fields: dict[str, Any]) -> int:
        known = conn.scalar(select(ArticleContent.id).where(ArticleContent.article == row_id,
                                                            ArticleContent.content_hash == digest))
        if known is not None:
            return int(known)
        return int(conn.execute(insert(ArticleContent).values(
            article=row_id, content_hash=digest, **fields).returning(ArticleContent.id)).scalar_one())

    def find(self, key_or_url: str) -> ArticleRow | None:
        """An article by its key (``dangcongsan:577383``) or by its URL, canonical or not."""
        query = select(ArticleRow)
        if "://" in key_or_url:
            query = query.where(ArticleRow.url == canonical_url(key_or_url))
        else:
            query = query.where(ArticleRow.key == key_or_url)
        with Session(self.engine, expire_on_commit=False) as session:
            return session.scalars(query.limit(1)).first()

    def versions(self, row: ArticleRow) -> list[Version]:
        """Every recorded version of ``row``, oldest first.

        An article never changed (or last changed before version history existed) has
        its current content as its only known version.
        """
        query = (select(ArticleVersion, ArticleContent)
                 .join(ArticleContent, ArticleContent.id == ArticleVersion.content)
                 .where(ArticleVersion.article == row.id).order_by(ArticleVersion.version))
        with Session(self.engine) as session:
            pairs = list(session.execute(query))
            if not pairs:
                return [Version(version=row.version, first_seen=row.changed_at,
                                last_seen=row.last_seen or row.changed_at,
                                content_hash=row.content_hash, article=row.to_article())]
            first_with: dict[int, int] = {}
            versions = []
            for version, content in pairs:
                versions.append(Version(
                    version=version.version, first_seen=version.first_seen,
                    last_seen=version.last_seen, content_hash=content.content_hash,
                    article=_content(content, row.site), same_as=first_with.get(content.id)))
                first_with.setdefault(content.id, version.version)
            return versions

    def known_keys(self, keys: Iterable[str]) -> set[str]:
        keys = list(keys)
        if not keys:
            return set()
        with self.engine.connect() as conn:
            return set(conn.scalars(select(ArticleRow.key).where(ArticleRow.key.in_(keys))))

    def recent(self, site: str | None = None, limit: int = 50,
               category_slug: str | None = None) -> list[Article]:
        """Newest first by publish time; the id breaks ties so the order is stable."""
        query = select(ArticleRow).order_by(ArticleRow.published.desc(), ArticleRow.id.desc())
        if site:
            query = query.where(ArticleRow.site == site)
        if category_slug:
            query = query.where(ArticleRow.category_slug == category_slug)
        with Session(self.engine) as session:
            return [row.to_article() for row in session.scalars(query.limit(limit))]

    def count(self, site: str | None = None) -> int:
        query = select(func.count(ArticleRow.id))
        if site:
            query = query.where(ArticleRow.site == site)
        with self.engine.connect() as conn:
            return int(conn.scalar(query) or 0)

    def record_rejection(self, site: str, url: str, reason: str) -> None:
        self.run_many([partial(self.reject_in, site=site, url=url, reason=reason)])

    @staticmethod
    def reject_in(conn: Connection, site: str, url: str, reason: str) -> None:
        conn.execute(insert(Rejection).values(site=site, url=url, reason=reason, at=utcnow()))

    def record_run(self, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(CrawlRun).values(**values))

    def set_next_run(self, site: str, when: datetime | None, pid: int | None) -> None:
        stmt = self._insert(ScheduledRun).values(site=site, next_run=when, pid=pid)
        stmt = stmt.on_conflict_do_update(index_elements=["site"],
                                          set_={"next_run": when, "pid": pid})
        with self.engine.begin() as conn:
            conn.execute(stmt)

    def next_run(self, site: str) -> ScheduledRun | None:
        with Session(self.engine, expire_on_commit=False) as session:
            return session.get(ScheduledRun, site)

    def rejections(self, site: str | None = None, limit: int = 20) -> Sequence[Rejection]:
        query = select(Rejection).order_by(Rejection.at.desc(), Rejection.id.desc()).limit(limit)
        if site:
            query = query.where(Rejection.site == site)
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.scalars(query))

    def housekeeping(self, older_than: datetime) -> int:
        """Prune run and rejection records; give freed pages back a little at a time, so a
        crawl writing meanwhile waits milliseconds, not the length of a full VACUUM."""
        with self.engine.begin() as conn:
            pruned = conn.execute(delete(CrawlRun).where(CrawlRun.started < older_than)).rowcount
            pruned += conn.execute(delete(Rejection).where(Rejection.at < older_than)).rowcount
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA incremental_vacuum(2000)")
                conn.exec_driver_sql("PRAGMA optimize")
        return pruned

    def run_count(self, site: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.scalar(select(func.count(CrawlRun.id)).where(CrawlRun.site == site)) or 0)

    def count_published_since(self, site: str, since: datetime) -> int:
        query = select(func.count(ArticleRow.id)).where(ArticleRow.site == site,
                                                         ArticleRow.published >= since)
        with self.engine.connect() as conn:
            return int(conn.scalar(query) or 0)

    def runs(self, site: str | None = None, limit: int = 20) -> Sequence[CrawlRun]:
        query = select(CrawlRun).order_by(CrawlRun.started.desc(), CrawlRun.id.desc()).limit(limit)
        if site:
            query = query.where(CrawlRun.site == site)
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.scalars(query))

    # --- feeds: categories, scans for filtered feeds, change token ---------------------------

    def category_slugs(self, site: str) -> list[str]:
        """The distinct category slugs of ``site``'s articles, sorted.

        A loose index scan over ``(site, category_slug, published)``: one index seek
        per category, so the cost follows the number of categories, not of articles.
        """
        slugs: list[str] = []
        with self.engine.connect() as conn:
            while True:
                query = select(func.min(ArticleRow.category_slug)).where(
                    ArticleRow.site == site, ArticleRow.category_slug.is_not(None))
                if slugs:
                    query = query.where(ArticleRow.category_slug > slugs[-1])
                slug = conn.scalar(query)
                if slug is None:
                    return slugs
                slugs.append(slug)

    def scan_recent(self, site: str | None = None, category_slug: str | None = None, *,
                    since: datetime | None = None, batch: int = 200,
                    max_rows: int = 2000) -> Iterable[Article]:
        """Articles newest first (the order of :meth:`recent`), fetched ``batch`` at a
        time by keyset pagination, at most ``max_rows``; published at or after ``since``."""
        seen = 0
        last: tuple[datetime, int] | None = None
        while seen < max_rows:
            query = select(ArticleRow).order_by(ArticleRow.published.desc(), ArticleRow.id.desc())
            if site:
                query = query.where(ArticleRow.site == site)
            if category_slug:
                query = query.where(ArticleRow.category_slug == category_slug)
            if since is not None:
                query = query.where(ArticleRow.published >= since)
            if last is not None:
                published, row_id = last
                query = query.where((ArticleRow.published < published)
                                    | ((ArticleRow.published == published)
                                       & (ArticleRow.id < row_id)))
            with Session(self.engine) as session:
                rows = list(session.scalars(query.limit(min(batch, max_rows - seen))))
                articles = [row.to_article() for row in rows]
            if not rows:
                return
            last = (rows[-1].published, rows[-1].id)
            seen += len(rows)
            yield from articles
            if len(rows) < batch:
                return

    def change_token(self) -> tuple[int, datetime | None]:
        """``(largest row id, latest changed_at)``: differs after any insert or content
        change, and costs two index look-ups."""
        with self.engine.connect() as conn:
            top = conn.scalar(select(func.max(ArticleRow.id))) or 0
            changed = conn.scalar(select(func.max(ArticleRow.changed_at)))
        if changed is not None and changed.tzinfo is None:
            changed = changed.replace(tzinfo=timezone.utc)
        return int(top), changed

    # --- listing coverage: how deep a completed crawl read each category --------------------

    def first_seen(self, keys: Iterable[str]) -> dict[str, datetime]:
        """When each stored key was first stored; keys not stored are absent."""
        keys = list(keys)
        if not keys:
            return {}
        query = select(ArticleRow.key, ArticleRow.first_seen).where(ArticleRow.key.in_(keys))
        with self.engine.connect() as conn:
            return {key: seen for key, seen in conn.execute(query)}

    def listing_coverage(self, site: str, category: str,
                         depth: int) -> tuple[datetime, dict[str, Any]] | None:
        """The newest successful run that read ``category`` of ``site`` to its end or at least
        ``depth`` listing pages deep without losing an article: ``(its end, its walk)``.

        Every article listed there when that run ended is stored, so an article stored no
        later than that end is one a crawl may stop at; one stored since, by a crawl that
        was killed or cut short, is not (issue 12: interrupted crawls lost articles).
        """
        query = (select(CrawlRun.finished, CrawlRun.detail)
                 .where(CrawlRun.site == site, CrawlRun.outcome == "ok")
                 .order_by(CrawlRun.finished.desc(), CrawlRun.id.desc()).limit(200))
        with Session(self.engine) as session:
            for finished, detail in session.execute(query):
                walk = ((detail or {}).get("coverage") or {}).get(category)
                if walk and (walk.get("bottom") or int(walk.get("depth", 0)) >= depth):
                    return finished, walk
        return None

    @classmethod
    def read_only(cls, path: Path) -> Storage:
        """``path`` opened for reading only, when it cannot be opened to write (a read-only
        mount, another user's file), so ``partyfeed status`` still reports.

        No pragmas and no schema changes, which would write.  ``mode=ro`` sees a running
        writer's WAL; on a read-only filesystem SQLite cannot make the WAL index it needs
        for that, and nothing can be writing there, so the file is read as ``immutable``.
        """

        def connect() -> sqlite3.Connection:
            uri = f"file:{quote(str(path.resolve()))}"
            conn = sqlite3.connect(f"{uri}?mode=ro", uri=True)
            try:
                conn.execute("PRAGMA schema_version")  # SQLite opens the file lazily
            except sqlite3.OperationalError:
                conn.close()
                conn = sqlite3.connect(f"{uri}?immutable=1", uri=True)
            return conn

        storage = cls.__new__(cls)
        storage.engine = create_engine("sqlite://", creator=connect)
        storage._insert = sqlite.insert
        return storage
