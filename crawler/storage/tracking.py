"""The tables of migration ``0003_search_stories``, on the store's declarative base.

Kept apart from ``articles`` (a row per key, whatever the article's state) so that a
fetch can be recorded before the pipeline has stored the article it yields, and so the
articles table — what every feed reads — does not grow with bookkeeping.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, UTCDateTime


class FetchState(Base):
    """How an article's page last answered: validators for conditional GET, and removal."""

    __tablename__ = "fetch_state"

    key: Mapped[str] = mapped_column(String(500), primary_key=True)
    site: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(2000))
    etag: Mapped[str | None] = mapped_column(String(200))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    #: the last answer from the site (200, 304, 404, …); NULL before the first refresh
    status: Mapped[int | None] = mapped_column(Integer)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: set when the page answered 404/410 or sent readers to the home page, twice
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_fetch_state_removed_at", "removed_at"),)


class ArticleStory(Base):
    """The story an article belongs to (the id of the story's first article), and its
    MinHash signature, kept to confirm later candidates against."""

    __tablename__ = "article_stories"

    article: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"),
                                         primary_key=True)
    story: Mapped[int] = mapped_column(Integer, index=True)
    signature: Mapped[bytes] = mapped_column(LargeBinary)


class StoryBand(Base):
    """One LSH band of an article's signature: articles sharing a row here are candidates.

    Only articles stored or changed within :data:`crawler.archive.stories_store.WINDOW`
    keep their bands (outlets carry a dispatch within days of each other, and a crawl
    meets them as close together), so the table stays the size of a few weeks of news
    however large the archive grows.
    """

    __tablename__ = "story_bands"

    band: Mapped[str] = mapped_column(String(24), primary_key=True)
    article: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"),
                                         primary_key=True)
    #: when the article was (re)assigned: bands older than the window are pruned
    seen: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_story_bands_seen", "seen"),
                      Index("ix_story_bands_article", "article"))


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """For Alembic's model/database comparisons: leave out the search indexes, which
    migration 0003 makes with raw DDL and no model describes (SQLite's FTS5 tables and
    their shadow tables, PostgreSQL's expression indexes)."""
    return not (name or "").startswith(("articles_fts", "ix_articles_search_"))
