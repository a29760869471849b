"""Bringing a database to the schema this code expects, with Alembic.

``Storage(url)`` calls :func:`ensure_schema` on open, as 0.1.0 called ``create_all``:
cron lines, the daemon and Scrapy's pipeline all open the store themselves, and none
of them should break after an upgrade of the package because nobody ran a command.
The check costs one query when the schema is current.  ``partyfeed db upgrade`` runs
the same upgrade on purpose (e.g. before starting new daemons against PostgreSQL).

Migrations run in one transaction holding the database's write lock (``BEGIN
IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL), so processes opening a fresh
or old database at once migrate it once, one after the other.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, inspect, text

from .engine import make_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: the revision 0.1.0's ``create_all`` schema is
INITIAL = "0001_initial"
#: pg_advisory_xact_lock key: "partyfeed" in ASCII, folded to 63 bits
_PG_LOCK = int.from_bytes(b"partyfeed", "big") & 0x7FFF_FFFF_FFFF_FFFF


class SchemaError(RuntimeError):
    """The database's schema is one this code cannot use or upgrade."""


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def head() -> str:
    """The newest revision of the migrations shipped with this code."""
    revision = ScriptDirectory.from_config(_config()).get_current_head()
    assert revision is not None
    return revision


def current(connection: Connection) -> str | None:
    """The database's revision; ``None`` for an empty database or one made by 0.1.0."""
    return MigrationContext.configure(connection).get_current_revision()


def _known(revision: str) -> bool:
    try:
        return ScriptDirectory.from_config(_config()).get_revision(revision) is not None
    except CommandError:
        return False


def revision_of(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return current(conn)


def ensure_schema(engine: Engine) -> None:
    """Upgrade ``engine``'s database to :func:`head` unless it is there already."""
    if revision_of(engine) == head():
        return
    if engine.url.get_backend_name() == "sqlite" and engine.url.database in (None, "", ":memory:"):
        _upgrade(engine, "head")  # a database in memory exists only on this engine's connection
        return
    upgrade(engine.url.render_as_string(hide_password=False))


def upgrade(db_url: str, revision: str = "head") -> tuple[str | None, str | None]:
    """Migrate ``db_url`` to ``revision``; returns the revisions before and after.

    A database made by 0.1.0 (its tables, no ``alembic_version``) is stamped at
    ``0001_initial`` first, so its data stays where it is.
    """
    engine = make_engine(db_url, serialized=True)
    try:
        return _upgrade(engine, revision)
    finally:
        engine.dispose()


def _upgrade(engine: Engine, revision: str) -> tuple[str | None, str | None]:
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
        before = current(conn)
        if before is not None and not _known(before):
            raise SchemaError(
                f"the database is at schema revision {before}, which this partyfeed does "
                f"not know (its newest is {head()}): it was upgraded by a newer release")
        config = _config(conn)
        if before is None and inspect(conn).has_table("articles"):
            command.stamp(config, INITIAL)
            before = INITIAL
        command.upgrade(config, revision)
        return before, current(conn)
