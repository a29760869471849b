"""SQLAlchemy models, the engine with its SQLite pragmas, and the few queries others need.

All SQL of the project lives here.  Writes are single statements (an upsert, an
insert) so that a daemon and a manual crawl writing the same SQLite file in WAL
mode wait on each other's lock instead of failing with "database is locked", and
so that a killed process leaves either the whole row or none of it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from .items import Article, Image
from .urls import canonical_url

Outcome = Literal["new", "updated", "unchanged"]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC (SQLite has no time zones), always returned aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to storage")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.replace(tzinfo=timezone.utc) if value is not None else None


class Base(DeclarativeBase):
    pass


class ArticleRow(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(500), unique=True)
    site: Mapped[str] = mapped_column(String(64))
    article_id: Mapped[str | None] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(2000), index=True)
    title: Mapped[str] = mapped_column(Text)
    published: Mapped[datetime] = mapped_column(UTCDateTime)
    updated: Mapped[datetime | None] = mapped_column(UTCDateTime)
    summary: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(Text)
    category_slug: Mapped[str | None] = mapped_column(String(200))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    images: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    body_html: Mapped[str] = mapped_column(Text, default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    layers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    content_hash: Mapped[str] = mapped_column(String(64))
    #: 1 when first stored, +1 on every change of content
    version: Mapped[int] = mapped_column(Integer, default=1)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_articles_published", "published"),
        Index("ix_articles_site_published", "site", "published"),
        # per-category feeds, and the loose index scan listing a site's categories
        Index("ix_articles_site_category_published", "site", "category_slug", "published"),
        # the served feeds' cheap "did anything change" token
        Index("ix_articles_changed_at", "changed_at"),
    )

    def to_article(self) -> Article:
        return Article(
            url=self.url, site=self.site, title=self.title, published=self.published,
            updated=self.updated, summary=self.summary, authors=list(self.authors or []),
            source=self.source,
            category=self.category, tags=list(self.tags or []),
            images=[Image(**image) for image in self.images or []], body_html=self.body_html,
            body_text=self.body_text, article_id=self.article_id,
            category_slug=self.category_slug, layers=dict(self.layers or {}),
        )


class Rejection(Base):
    """A page that yielded no usable article, kept so a person can look at it."""

    __tablename__ = "rejections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(64), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(64), index=True)
    started: Mapped[datetime] = mapped_column(UTCDateTime)
    finished: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(32))
    pages: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    #: stored articles whose title or date only the generic layer could find
    fallback: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ScheduledRun(Base):
    """The daemon's next run per site, so ``partyfeed status`` can tell it from another process."""

    __tablename__ = "schedule"

    site: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_run: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pid: Mapped[int | None] = mapped_column(Integer)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    if not cursor.execute("PRAGMA page_count").fetchone()[0]:
        # takes effect on a new file only, and writes: a full disk or read-only file refuses it
        cursor.execute("PRAGMA auto_vacuum=INCREMENTAL")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(db_url: str) -> Engine:
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    return engine


def content_hash(article: Article) -> str:
    """Over what a reader sees; layers and fetch times are not content."""
    data = {k: v for k, v in asdict(article).items() if k not in ("layers", "updated")}
    data["published"] = article.published.isoformat() if article.published else None
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class Storage:
    """The database as the rest of the project sees it."""

    def __init__(self, db_url: str) -> None:
        self.engine = make_engine(db_url)
        Base.metadata.create_all(self.engine)
        dialect = self.engine.dialect.name
        #: the dialect's INSERT, which has ON CONFLICT (core ``insert`` does not)
        self._insert: Any = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[dialect]

    def close(self) -> None:
        self.engine.dispose()

    def upsert(self, key: str, article: Article) -> Outcome:
        """One statement: insert, or update only when the content hash differs."""
        assert article.published is not None and article.title
        now = utcnow()
        values = {
            "key": key, "site": article.site, "article_id": article.article_id,
            "url": canonical_url(article.url), "title": article.title,
            "published": article.published, "updated": article.updated,
            "summary": article.summary, "authors": article.authors, "source": article.source,
            "category": article.category,
            "category_slug": article.category_slug, "tags": article.tags,
            "images": [asdict(image) for image in article.images], "body_html": article.body_html,
            "body_text": article.body_text, "layers": article.layers,
            "content_hash": content_hash(article), "version": 1, "first_seen": now,
            "changed_at": now,
        }
        stmt = self._insert(ArticleRow).values(**values)
        excluded = stmt.excluded
        changing = {name: excluded[name] for name in values
                    if name not in ("key", "first_seen", "version", "updated")}
        changing["version"] = ArticleRow.version + 1
        changing["updated"] = func.coalesce(excluded.updated, excluded.changed_at)
        stmt = stmt.on_conflict_do_update(
            index_elements=["key"], set_=changing,
            where=ArticleRow.content_hash != excluded.content_hash,
        ).returning(ArticleRow.version)
        with self.engine.begin() as conn:
            version = conn.execute(stmt).scalar()
        if version is None:
            return "unchanged"
        return "new" if version == 1 else "updated"

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
        with self.engine.begin() as conn:
            conn.execute(insert(Rejection).values(
                site=site, url=url, reason=reason, at=utcnow()))

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
