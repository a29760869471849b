"""The archive: SQLAlchemy models, Alembic-owned schema, and :class:`Storage`, the one
place the rest of the project reads and writes it.

``models`` the tables, ``engine`` the connection setup per backend, ``schema`` the
migrations runner, ``store`` the :class:`Storage` facade, ``versions`` what a version
is and when a change is not one, ``diff`` word-level diffs between versions,
``export`` streaming the archive out, ``tracking`` fetch state and stories (migration
0003).
"""

from .engine import make_engine
from .models import (
    ArticleContent,
    ArticleRow,
    ArticleVersion,
    Base,
    CrawlRun,
    Rejection,
    ScheduledRun,
    UTCDateTime,
)
from .schema import SchemaError
from .store import CONTENT_FIELDS, Outcome, Storage, content_hash, utcnow
from .tracking import ArticleStory, FetchState, StoryBand
from .versions import Version

__all__ = [
    "CONTENT_FIELDS", "ArticleContent", "ArticleRow", "ArticleStory", "ArticleVersion", "Base",
    "CrawlRun", "FetchState", "Outcome", "Rejection", "ScheduledRun", "SchemaError", "Storage",
    "StoryBand", "UTCDateTime", "Version",
    "content_hash", "make_engine", "utcnow",
]
