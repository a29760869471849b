"""What storing a version costs: bytes per version against the article's own size.

    .venv/bin/python bench/versions.py                 # 2,000 articles, SQLite and PostgreSQL
    .venv/bin/python bench/versions.py --articles 5000 --backend sqlite

Real article texts (``archive_data``) are stored through ``Storage.upsert``, then
every article goes through the rounds below, each measured as the growth of the
version tables (SQLite: ``dbstat`` pages; PostgreSQL: ``pg_total_relation_size``
after ``VACUUM``), divided by the versions the round recorded:

1. first edit (one sentence changed): records the version it replaces *and* the new one;
2. second edit: one new version;
3. revert to the first text: a version that reuses the stored content;
4. the same page again: no version at all.

The article's size is what its row takes in ``articles``.  Target: an edit's version
costs at most the article's size (ratio ≤ 1.0), a revert or a refetch next to nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from archive_data import article, backend, templates  # noqa: E402
from sqlalchemy import Engine, func, select, text  # noqa: E402

from crawler.storage import ArticleVersion, Storage  # noqa: E402

VERSION_TABLES = ("article_contents", "article_versions")


def sizes(engine: Engine) -> dict[str, int]:
    """Bytes on disk per table, indexes included."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            rows = conn.execute(text(
                "SELECT coalesce(i.tbl_name, d.name), sum(d.pgsize) FROM dbstat d "
                "LEFT JOIN sqlite_master i ON i.name = d.name GROUP BY 1"))
            return {name: int(size) for name, size in rows}
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
        return {name: int(conn.scalar(text("SELECT pg_total_relation_size(:t)"), {"t": name}))
                for name in ("articles", *VERSION_TABLES)}


def version_bytes(engine: Engine) -> int:
    measured = sizes(engine)
    return sum(measured.get(name, 0) for name in VERSION_TABLES)


def edit(body: str, mark: str) -> str:
    """One sentence changed: a word in the middle of the text replaced."""
    words = body.split(" ")
    words[len(words) // 2] = mark
    return " ".join(words)


def bench(url: str, n: int) -> bool:
    storage = Storage(url)
    temps = templates()
    originals = [article(i, temps) for i in range(n)]
    for a in originals:
        storage.upsert(f"dangcongsan:{a.article_id}", a)
    article_size = sizes(storage.engine)["articles"] / n
    text_size = sum(len(a.body_html.encode()) + len(a.body_text.encode()) + len(a.title.encode())
                    + len((a.summary or "").encode()) for a in originals) / n
    print(f"{storage.engine.dialect.name}: {n} articles, {article_size:,.0f} bytes each in `articles` "
          f"({text_size:,.0f} bytes of text)")
    rounds = [
        ("first edit (old + new version)", lambda a: replace(
            a, body_text=edit(a.body_text, "sửa-một"), body_html=edit(a.body_html, "sửa-một"))),
        ("second edit", lambda a: replace(
            a, body_text=edit(a.body_text, "sửa-hai"), body_html=edit(a.body_html, "sửa-hai"))),
        ("revert to the first text", lambda a: a),
        ("the same page again", lambda a: a),
    ]
    ok = True
    for label, change in rounds:
        before_bytes = version_bytes(storage.engine)
        with storage.engine.connect() as conn:
            before_versions = int(conn.scalar(select(func.count()).select_from(ArticleVersion)) or 0)
        for a in originals:
            storage.upsert(f"dangcongsan:{a.article_id}", change(a))
        grown = version_bytes(storage.engine) - before_bytes
        with storage.engine.connect() as conn:
            added = int(conn.scalar(select(func.count()).select_from(ArticleVersion)) or 0) - before_versions
        per = grown / added if added else float(grown)
        ratio = per / article_size
        print(f"  {label:32} {added:>6} versions  {per:>9,.0f} bytes per version  "
              f"= {ratio:.2f} x the article")
        if label.endswith("edit") or label.startswith("first"):
            ok &= ratio <= 1.0
        elif added:
            ok &= ratio <= 0.05
        else:
            ok &= grown <= 0.01 * article_size * n
    storage.close()
    return ok


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory(prefix="partyfeed-bench-versions-") as tmp:
        for name in ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]:
            with backend(name, Path(tmp) / "versions.db") as url:
                ok &= bench(url, args.articles)
    print("target: an edit's version ≤ 1.0 x the article, a revert ≤ 0.05 x, a refetch ~0 —",
          "met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
