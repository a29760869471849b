"""Refreshing known articles: young ones often, old ones rarely; an unchanged page costs a
304; a takedown needs two answers and a network error is never one."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from sqlalchemy import select, update

from crawler.archive.fetches import Fetches
from crawler.items import Article
from crawler.refresh import DEFAULT_POLICY
from crawler.storage import ArticleRow, FetchState, Storage
from scheduler.sitecopy import serving

from .conftest import SITE_ROOT, Install

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
T = TypeVar("T")


def _article(n: int, published: datetime) -> Article:
    return Article(url=f"https://dangcongsan.vn/thoi-su/bai-{n}.html", site="dangcongsan",
                   title=f"Bài {n}", published=published, body_text=f"Nội dung bài {n}.",
                   article_id=str(n))


def _in_transaction(storage: Storage, write: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A write of :class:`Fetches` in a transaction of its own (a crawl batches them)."""
    with storage.engine.begin() as conn:
        return write(conn, *args, **kwargs)


def test_young_articles_are_due_often_and_old_ones_rarely(db_url: str) -> None:
    storage = Storage(db_url)
    fetches = Fetches(storage.engine)
    ages = {1: timedelta(days=1), 2: timedelta(days=3), 3: timedelta(days=20),
            4: timedelta(days=90), 5: timedelta(days=400)}
    checked = {1: timedelta(hours=7), 2: timedelta(hours=2), 3: timedelta(days=4),
               4: timedelta(days=10), 5: timedelta(days=31)}
    for n, age in ages.items():
        storage.upsert(f"dangcongsan:{n}", _article(n, NOW - age))
        _in_transaction(storage, fetches.record, f"dangcongsan:{n}", "dangcongsan", _article(n, NOW).url, 200,
                       NOW - checked[n], etag=f'"e{n}"')
    due = fetches.due("dangcongsan", NOW)
    # 1: a day old, unchecked for 7 h (> 6 h); 3: 20 days, 4 days (> 3 d); 5: 400 days, 31 d (> 30 d)
    assert [d.key for d in due] == ["dangcongsan:1", "dangcongsan:3", "dangcongsan:5"]
    assert due[0].etag == '"e1"'
    assert fetches.due("dangcongsan", NOW, limit=1) == due[:1]
    assert DEFAULT_POLICY.every(timedelta(days=2)) < DEFAULT_POLICY.every(timedelta(days=60))
    # a removed article is never asked for again
    _in_transaction(storage, fetches.mark_removed, "dangcongsan:1", "dangcongsan",
                    _article(1, NOW).url, 404, "HTTP 404", NOW)
    assert "dangcongsan:1" not in [d.key for d in fetches.due("dangcongsan", NOW)]
    storage.close()


def test_a_takedown_is_recorded_once_however_often_it_is_seen(db_url: str) -> None:
    storage = Storage(db_url)
    fetches = Fetches(storage.engine)
    storage.upsert("dangcongsan:1", _article(1, NOW))
    url = _article(1, NOW).url
    assert _in_transaction(storage, fetches.mark_removed, "dangcongsan:1", "dangcongsan", url, 404, "HTTP 404", NOW)
    assert not _in_transaction(storage, fetches.mark_removed, "dangcongsan:1", "dangcongsan", url, 410, "HTTP 410",
                                    NOW + timedelta(hours=6))
    [removal] = fetches.removals("dangcongsan")
    assert removal.removed_at == NOW and removal.reason == "HTTP 404"
    # back again: no longer removed; a later takedown is news again
    _in_transaction(storage, fetches.record, "dangcongsan:1", "dangcongsan", url, 200, NOW + timedelta(days=1))
    assert fetches.removals("dangcongsan") == []
    assert _in_transaction(storage, fetches.mark_removed, "dangcongsan:1", "dangcongsan", url, 404, "HTTP 404",
                                NOW + timedelta(days=2))
    storage.close()


def _statuses(install: Install) -> dict[str, int | None]:
    storage = install.storage()
    with storage.engine.connect() as conn:
        rows = dict(conn.execute(select(FetchState.key, FetchState.status)).all())
    storage.close()
    return rows


def test_an_unchanged_page_costs_a_304(site_copy: str, install: Install) -> None:
    assert install.run("crawl", "dangcongsan", "--mirror", site_copy).returncode == 0
    storage = install.storage()
    with storage.engine.connect() as conn:
        stored = set(conn.scalars(select(ArticleRow.key)))
        validated = set(conn.scalars(select(FetchState.key).where(FetchState.etag.is_not(None))))
    storage.close()
    assert stored and stored <= validated  # each first fetch kept the page's validators

    result = install.run("crawl", "dangcongsan", "--mirror", site_copy, "--refresh")
    assert result.returncode == 0, result.stderr
    assert "0 updated" in result.stdout
    statuses = _statuses(install)
    assert {statuses[key] for key in stored} == {304}


def test_scheduled_crawls_refresh_only_what_is_due(site_copy: str, install: Install) -> None:
    assert install.run("crawl", "dangcongsan", "--mirror", site_copy).returncode == 0
    storage = install.storage()
    with storage.engine.begin() as conn:
        keys = sorted(conn.scalars(select(ArticleRow.key)))
        # one article last checked a month ago: due whatever its age
        conn.execute(update(FetchState).where(FetchState.key == keys[0])
                     .values(checked_at=datetime.now(timezone.utc) - timedelta(days=40), status=None))
    storage.close()
    assert install.run("crawl", "dangcongsan", "--mirror", site_copy).returncode == 0
    statuses = _statuses(install)
    assert statuses[keys[0]] == 304
    # the others were fetched minutes ago (their first fetch's 200): not due, not asked
    assert {statuses[k] for k in keys[1:]} == {200}


def _closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_a_network_error_is_never_a_takedown(site_copy: str, install: Install, tmp_path: Path) -> None:
    assert install.run("crawl", "dangcongsan", "--mirror", site_copy).returncode == 0
    install.run("crawl", "dangcongsan", "--mirror", _closed_port(), "--refresh")
    storage = install.storage()
    assert Fetches(storage.engine).removals() == []
    storage.close()
    changes = (install.feeds_dir / "dangcongsan-changes.atom").read_text(encoding="utf-8")
    assert "Đã gỡ" not in changes


def test_a_page_gone_once_is_asked_again_before_it_counts(site_copy: str, install: Install,
                                                          tmp_path: Path) -> None:
    assert install.run("crawl", "dangcongsan", "--mirror", site_copy).returncode == 0
    root = tmp_path / "site"
    shutil.copytree(SITE_ROOT, root)
    storage = install.storage()
    with storage.engine.connect() as conn:
        key, url = conn.execute(select(ArticleRow.key, ArticleRow.url).order_by(ArticleRow.key)).first()
    storage.close()
    (root / urlsplit(url).path.lstrip("/")).unlink()
    with serving(root) as mirror:
        result = install.run("crawl", "dangcongsan", "--mirror", mirror, "--refresh", "-v")
    assert "refresh/gone_retry': 1" in result.stderr
    assert "refresh/removed': 1" in result.stderr
    storage = install.storage()
    [removal] = Fetches(storage.engine).removals()
    storage.close()
    assert removal.key == key and removal.reason == "HTTP 404"
