"""Alembic owns the schema: old databases upgrade in place, new ones are built by the
migrations, and the models never drift from them."""

from __future__ import annotations

import re
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select, text

from crawler.storage import ArticleRow, Base, CrawlRun, Rejection, ScheduledRun, SchemaError, Storage
from crawler.storage.schema import head, revision_of, upgrade
from crawler.storage.tracking import include_name

from .conftest import Install

RELEASE_0_1_0 = Path(__file__).parent / "fixtures" / "partyfeed-0.1.0.sql"


def _old_database(path: Path) -> str:
    """An SQLite file exactly as partyfeed 0.1.0 left it (from the frozen dump)."""
    with sqlite3.connect(path) as conn:
        conn.executescript(RELEASE_0_1_0.read_text(encoding="utf-8"))
    conn.close()
    return f"sqlite:///{path}"


def _ddl(statements: list[str]) -> set[str]:
    return {re.sub(r"\s+", " ", s).strip().rstrip(";") for s in statements if s}


def test_database_made_by_0_1_0_upgrades_in_place_with_its_data(tmp_path: Path) -> None:
    url = _old_database(tmp_path / "old.db")
    before = sqlite3.connect(tmp_path / "old.db")
    titles = dict(before.execute("select key, title from articles"))
    before.close()
    assert len(titles) == 4

    storage = Storage(url)
    assert revision_of(storage.engine) == head()
    with storage.engine.connect() as conn:
        assert dict(conn.execute(select(ArticleRow.key, ArticleRow.title)).all()) == titles
        assert conn.scalar(select(func.count()).select_from(Rejection)) == 1
        assert conn.scalar(select(func.count()).select_from(CrawlRun)) == 1
        assert conn.scalar(select(func.count()).select_from(ScheduledRun)) == 1
        # the current content's last sighting is its last change, as far as 0.1.0 knew
        assert conn.scalar(select(func.count()).where(ArticleRow.last_seen != ArticleRow.changed_at)) == 0

    # the upgraded archive keeps versions from now on, starting from the stored one
    key = sorted(titles)[0]
    row = storage.find(key)
    assert row is not None
    edited = replace(row.to_article(), title=row.title + " (cập nhật)")
    assert storage.upsert(key, edited) == "updated"
    versions = storage.versions(storage.find(key))
    assert [v.article.title for v in versions] == [titles[key], titles[key] + " (cập nhật)"]
    assert versions[0].first_seen == row.changed_at
    storage.close()


def test_first_migration_creates_the_schema_of_0_1_0(tmp_path: Path) -> None:
    old = sqlite3.connect(tmp_path / "old.db")
    old.executescript(RELEASE_0_1_0.read_text(encoding="utf-8"))
    release = _ddl([sql for (sql,) in old.execute("select sql from sqlite_master")])
    old.close()

    upgrade(f"sqlite:///{tmp_path / 'new.db'}", "0001_initial")
    new = sqlite3.connect(tmp_path / "new.db")
    made = _ddl([sql for (sql,) in new.execute(
        "select sql from sqlite_master where name != 'alembic_version' "
        "and name not like 'sqlite_autoindex_alembic%'")])
    new.close()
    assert made == release


def test_models_and_migrations_agree(db_url: str) -> None:
    storage = Storage(db_url)
    with storage.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": include_name}), Base.metadata)
    storage.close()
    assert diff == []


def test_processes_opening_a_new_database_at_once_migrate_it_once(db_url: str) -> None:
    def open_store(_: int) -> str | None:
        storage = Storage(db_url)
        try:
            return revision_of(storage.engine)
        finally:
            storage.close()

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(open_store, range(4))) == [head()] * 4


def test_a_database_from_a_newer_release_is_refused_clearly(db_url: str) -> None:
    Storage(db_url).close()
    storage = Storage(db_url)
    with storage.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_future'"))
    storage.close()
    with pytest.raises(SchemaError, match="0099_future.*newer release"):
        Storage(db_url)


def test_db_command_shows_and_upgrades_an_old_database(install: Install) -> None:
    install.data_dir.mkdir(parents=True)
    _old_database(install.data_dir / "partyfeed.db")
    assert "schema none (empty, or made by partyfeed 0.1.0)" in install.run("db", "current").stdout
    upgraded = install.run("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout.strip() == f"schema 0001_initial → {head()}"
    assert install.run("db", "upgrade").stdout.strip() == f"schema at {head()} already"
    assert f"schema {head()};" in install.run("db", "current").stdout
    history = install.run("history", "dangcongsan:577383")
    assert history.returncode == 0 and "1 version" in history.stdout, history.stderr
