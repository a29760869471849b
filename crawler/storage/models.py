"""The tables, as SQLAlchemy models.

The schema itself belongs to the Alembic migrations in ``migrations/versions``: a
change here needs a new migration there (``tests/test_migrations.py`` fails when the
two disagree).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ..items import Article, Image


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
    """An article as last seen: what the feeds show."""

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
    #: 1 when first stored, +1 on every change of content (= the newest ``ArticleVersion.version``)
    version: Mapped[int] = mapped_column(Integer, default=1)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: when a fetch last returned the current content (NULL in rows older than migration 0002)
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime)

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


class ArticleContent(Base):
    """One distinct content of an article, stored once however often it comes back.

    Rows exist only for articles that changed at least once: the content each had
    before its first change, and every content after.  An article never edited costs
    nothing here.
    """

    __tablename__ = "article_contents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    content_hash: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(Text)
    published: Mapped[datetime] = mapped_column(UTCDateTime)
    summary: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(Text)
    category_slug: Mapped[str | None] = mapped_column(String(200))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    images: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    body_html: Mapped[str] = mapped_column(Text, default="")
    body_text: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (UniqueConstraint("article", "content_hash",
                                       name="uq_article_contents_article_hash"),)


class ArticleVersion(Base):
    """One change: the article showed ``content`` from ``first_seen`` to ``last_seen``.

    A->B->A is three versions whose first and third share one content row.
    """

    __tablename__ = "article_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[int] = mapped_column(ForeignKey("article_contents.id", ondelete="CASCADE"))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("article", "version", name="uq_article_versions_article_version"),
        # the changes feeds: newest edits first
        Index("ix_article_versions_first_seen", "first_seen"),
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
