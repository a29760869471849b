"""``PARTYFEED_DB=postgresql+psycopg://…``: the same crawl, feeds, commands and served
feeds as on SQLite, against a real PostgreSQL 15 started by the suite."""

from __future__ import annotations

import http.client
import json
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import feedparser
import pytest

from crawler.config import Config
from crawler.storage.schema import head
from feeds.serve import start_feed_server

from .conftest import Install, expected_articles
from .pg import TempPostgres


@pytest.fixture(scope="module")
def pg_crawled(site_copy: str, postgres: TempPostgres,
               tmp_path_factory: pytest.TempPathFactory) -> Install:
    root = tmp_path_factory.mktemp("pg") / "install"
    root.mkdir()
    install = Install(root, postgres.new_database("crawl"))
    result = install.run("crawl", "dangcongsan", "--mirror", site_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(expected_articles())} new" in result.stdout
    return install


def _entries(path: Path) -> list[tuple[str, str, str, str]]:
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return [(e.id, e.title, e.link, e.published) for e in parsed.entries]


def test_a_crawl_into_postgresql_stores_every_article_with_its_utc_time(pg_crawled: Install) -> None:
    storage = pg_crawled.storage()
    stored = {a.url: a for a in storage.recent(limit=1000)}
    storage.close()
    expected = {a["url"]: a for a in expected_articles()}
    assert set(stored) == set(expected)
    for url, article in stored.items():
        assert article.title == expected[url]["title"]
        assert article.published == datetime.fromisoformat(expected[url]["published"])
        assert article.published.utcoffset().total_seconds() == 0


def test_feeds_built_from_postgresql_equal_those_built_from_sqlite(pg_crawled: Install, crawled) -> None:
    sqlite_install = crawled[0]
    for name in ("dangcongsan.atom", "dangcongsan.rss", "all.atom", "dangcongsan-thoi-su.atom"):
        assert _entries(pg_crawled.feeds_dir / name) == _entries(sqlite_install.feeds_dir / name), name
    pg_json = json.loads((pg_crawled.feeds_dir / "all.json").read_text(encoding="utf-8"))
    sqlite_json = json.loads((sqlite_install.feeds_dir / "all.json").read_text(encoding="utf-8"))
    assert pg_json["items"] == sqlite_json["items"]


def test_status_db_export_and_history_work_on_postgresql(pg_crawled: Install) -> None:
    status = pg_crawled.run("status", "--json")
    assert status.returncode == 0, status.stderr
    [site] = [s for s in json.loads(status.stdout) if s["site"] == "dangcongsan"]
    assert site["articles"] == len(expected_articles())
    assert f"schema {head()};" in pg_crawled.run("db", "current").stdout
    exported = pg_crawled.run("export", "--site", "dangcongsan")
    assert exported.returncode == 0, exported.stderr
    assert len(exported.stdout.splitlines()) == len(expected_articles())
    history = pg_crawled.run("history", "dangcongsan:577383")
    assert history.returncode == 0 and "1 version" in history.stdout
    assert pg_crawled.run("feeds").returncode == 0


def test_served_filtered_feeds_read_postgresql(pg_crawled: Install) -> None:
    config = Config(db_url=pg_crawled.db_url, feeds_dir=pg_crawled.feeds_dir,
                    data_dir=pg_crawled.data_dir)
    server = start_feed_server(config, host="127.0.0.1", port=0)
    try:
        conn = http.client.HTTPConnection(*server.server_address[:2], timeout=30)
        conn.request("GET", "/all.atom?filter_title=" + quote("Sóc Trăng"))
        response = conn.getresponse()
        body = response.read()
        conn.close()
    finally:
        server.stop()
    assert response.status == 200
    titles = [e.title for e in feedparser.parse(body).entries]
    assert titles and all("Sóc Trăng" in t for t in titles)
