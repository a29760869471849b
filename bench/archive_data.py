"""Archives of a given size for the archive benches, on SQLite or a throwaway PostgreSQL.

Articles are the saved copy's expected articles (``tests/sites/dangcongsan/expected``,
real texts, ~3.9k characters of body each) repeated under new ids, written in batches
through the store's own tables.
"""

from __future__ import annotations

import html
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import insert  # noqa: E402

from crawler.items import Article, Image  # noqa: E402
from crawler.storage import ArticleRow, Storage, content_hash  # noqa: E402

NEWEST = datetime(2026, 3, 1, tzinfo=timezone.utc)


def templates() -> list[Article]:
    out = []
    for path in sorted((REPO / "tests/sites/dangcongsan/expected").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if not (path.stem.isdigit() and data.get("title") and data.get("body_text")):
            continue
        body_html = "".join(f"<p>{html.escape(p)}</p>" for p in data["body_text"].split("\n") if p.strip())
        out.append(Article(
            url=data["url"], site="dangcongsan", title=data["title"],
            published=datetime.fromisoformat(data["published"]), summary=data.get("summary"),
            authors=data.get("authors") or [], source=data.get("source"),
            category=data.get("category"), category_slug=data.get("category_slug"),
            tags=data.get("tags") or [], body_text=data["body_text"], body_html=body_html,
            images=[Image(url=i["url"], caption=i.get("caption")) for i in data.get("images") or []],
            article_id=data.get("article_id")))
    return out


def article(i: int, temps: list[Article]) -> Article:
    t = temps[i % len(temps)]
    aid = str(10_000_000 + i)
    return Article(
        url=f"https://dangcongsan.vn/{t.category_slug or 'tin'}/bai-{aid}.html", site="dangcongsan",
        title=f"{t.title} ({aid})", published=NEWEST - timedelta(minutes=3 * i),
        summary=t.summary, authors=t.authors, source=t.source, category=t.category,
        category_slug=t.category_slug, tags=t.tags, images=t.images, body_html=t.body_html,
        body_text=t.body_text, article_id=aid)


def fill(storage: Storage, n: int, batch: int = 2000) -> None:
    """``n`` articles in batches of ``batch`` (``Storage.upsert`` one by one is for crawls)."""
    temps = templates()
    now = datetime.now(timezone.utc)

    def row(i: int) -> dict[str, Any]:
        a = article(i, temps)
        return {"key": f"dangcongsan:{a.article_id}", "site": a.site, "article_id": a.article_id,
                "url": a.url, "title": a.title, "published": a.published, "updated": None,
                "summary": a.summary, "authors": a.authors, "source": a.source,
                "category": a.category, "category_slug": a.category_slug, "tags": a.tags,
                "images": [{"url": im.url, "caption": im.caption} for im in a.images],
                "body_html": a.body_html, "body_text": a.body_text, "layers": {},
                "content_hash": content_hash(a), "version": 1, "first_seen": now,
                "changed_at": now, "last_seen": now}

    for start in range(0, n, batch):
        with storage.engine.begin() as conn:
            conn.execute(insert(ArticleRow), [row(i) for i in range(start, min(n, start + batch))])


@contextmanager
def backend(name: str, path: Path) -> Iterator[str]:
    """A database URL: an SQLite file at ``path``, or a new database in a temporary PostgreSQL."""
    if name == "sqlite":
        yield f"sqlite:///{path}"
        return
    from tests.pg import TempPostgres

    server = TempPostgres().start()
    try:
        yield server.new_database("bench")
    finally:
        server.stop()
