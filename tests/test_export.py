"""``partyfeed export``: the archive streamed out, whole, as JSON Lines or CSV."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from crawler.items import Article
from crawler.storage import Storage
from crawler.storage.export import ARTICLE_COLUMNS, VERSION_COLUMNS, export

from .conftest import Install, expected_articles

UTC = timezone.utc


def _article(n: int, site: str = "dangcongsan", days_ago: int = 0, **changes: object) -> Article:
    base = Article(url=f"https://{site}.vn/bai-viet-{n}.html", site=site,
                   title=f"Quốc hội thảo luận dự án luật số {n}",
                   published=datetime(2026, 11, 28, 3, 0, tzinfo=UTC) - timedelta(days=days_ago),
                   authors=["Thanh Hà"], body_text=f"Nội dung bài {n}.", body_html=f"<p>Nội dung bài {n}.</p>",
                   article_id=str(n))
    return replace(base, **changes)  # type: ignore[arg-type]


def _jsonl(storage: Storage, **options: object) -> list[dict]:
    out = io.BytesIO()
    count = export(storage.engine, out, "jsonl", **options)  # type: ignore[arg-type]
    records = [json.loads(line) for line in out.getvalue().decode("utf-8").splitlines()]
    assert count == len(records)
    return records


def test_export_writes_every_article_once_with_its_fields(db_url: str) -> None:
    storage = Storage(db_url)
    for n in range(1, 4):
        storage.upsert(f"dangcongsan:{n}", _article(n))
    records = _jsonl(storage)
    assert [r["key"] for r in records] == ["dangcongsan:1", "dangcongsan:2", "dangcongsan:3"]
    assert list(records[0]) == list(ARTICLE_COLUMNS)
    assert records[0]["title"] == "Quốc hội thảo luận dự án luật số 1"
    assert records[0]["published"] == "2026-11-28T03:00:00+00:00"
    assert records[0]["authors"] == ["Thanh Hà"] and records[0]["version"] == 1
    storage.close()


def test_export_versions_gives_every_version_of_every_article(db_url: str) -> None:
    storage = Storage(db_url)
    storage.upsert("dangcongsan:1", _article(1))
    storage.upsert("dangcongsan:2", _article(2))
    storage.upsert("dangcongsan:1", _article(1, title="Quốc hội thông qua dự án luật số 1"))
    records = _jsonl(storage, all_versions=True)
    assert [(r["key"], r["version"]) for r in records] == [
        ("dangcongsan:1", 1), ("dangcongsan:1", 2), ("dangcongsan:2", 1)]
    assert list(records[0]) == list(VERSION_COLUMNS)
    assert records[0]["title"] == "Quốc hội thảo luận dự án luật số 1"
    assert records[1]["title"] == "Quốc hội thông qua dự án luật số 1"
    assert records[0]["last_seen"] <= records[1]["first_seen"]
    storage.close()


def test_export_keeps_to_one_site_and_to_what_was_published_since(db_url: str) -> None:
    storage = Storage(db_url)
    storage.upsert("dangcongsan:1", _article(1, days_ago=10))
    storage.upsert("dangcongsan:2", _article(2))
    storage.upsert("nhandan:3", _article(3, site="nhandan"))
    since = datetime(2026, 11, 27, tzinfo=UTC)
    assert [r["key"] for r in _jsonl(storage, site="dangcongsan")] == ["dangcongsan:1", "dangcongsan:2"]
    assert [r["key"] for r in _jsonl(storage, since=since)] == ["dangcongsan:2", "nhandan:3"]
    assert [r["key"] for r in _jsonl(storage, site="nhandan", since=since, all_versions=True)] == ["nhandan:3"]
    storage.close()


def test_export_command_writes_a_whole_csv_file(crawled, tmp_path: Path) -> None:
    install: Install = crawled[0]
    target = tmp_path / "archive.csv"
    result = install.run("export", "--format", "csv", "-o", str(target), "--since", "2000-01-01")
    assert result.returncode == 0, result.stderr
    count = len(expected_articles())
    assert result.stderr.strip() == f"{count} articles exported"
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == count and list(rows[0]) == list(ARTICLE_COLUMNS)
    titles = {a["url"]: a["title"] for a in expected_articles()}
    assert all(titles[row["url"]] == row["title"] for row in rows)
    assert json.loads(rows[0]["authors"]) is not None
    assert [p.name for p in tmp_path.iterdir()] == ["archive.csv"]  # no temp file left


def test_export_rejects_a_bad_since_clearly(install: Install) -> None:
    result = install.run("export", "--since", "last tuesday")
    assert result.returncode == 2 and "--since: not a date, time or duration" in result.stderr
