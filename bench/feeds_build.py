"""Feed build time at 10k and 1M stored articles: it must follow the entries written,
not the size of the archive.

    .venv/bin/python bench/feeds_build.py            # 10k and 1M (the 1M database is made once, ~1 min)
    .venv/bin/python bench/feeds_build.py --sizes 10000 100000

The databases live in ``$PARTYFEED_BENCH_DIR`` (default ``/tmp/partyfeed-bench``) and are
reused.  Articles are made from the saved copy's expected articles
(``tests/sites/dangcongsan/expected``), spread over the site's categories, one every
~3 minutes back in time; the newest 5,000 carry the full article body, older ones a
short one (what the build reads is the newest 50 per feed, so old bodies only cost disk).

Per size it prints the best of 3 for: a full build into an empty folder (every file
written), and a rebuild after a "crawl" of 20 new articles (what the daemon does), then
the 1M / 10k ratio measured in this run.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crawler.items import Article, Image  # noqa: E402
from crawler.sites import get_site  # noqa: E402
from crawler.storage import Storage  # noqa: E402
from feeds.build import build_feeds  # noqa: E402

BENCH_DIR = Path(os.environ.get("PARTYFEED_BENCH_DIR", "/tmp/partyfeed-bench"))
FULL_BODIES = 5000
NEWEST = datetime(2026, 3, 1, tzinfo=timezone.utc)


def templates() -> list[dict]:
    out = []
    for path in sorted((REPO / "tests/sites/dangcongsan/expected").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if path.stem.isdigit() and data.get("title") and data.get("body_text"):
            out.append(data)
    return out


def _body_html(t: dict) -> str:
    paras = "".join(f"<p>{html.escape(p)}</p>" for p in t["body_text"].split("\n") if p.strip())
    for image in t.get("images") or []:
        caption = html.escape(image.get("caption") or "")
        paras += (f'<figure><img src="{html.escape(image["url"])}" alt="{caption}">'
                  f"<figcaption>{caption}</figcaption></figure>")
    return paras


def make_db(path: Path, n: int) -> None:
    """``n`` articles, written with one executemany (the Storage upsert would take an hour at 1M)."""
    tmp = path.with_suffix(".part")
    tmp.unlink(missing_ok=True)
    storage = Storage(f"sqlite:///{tmp}")
    storage.close()
    site = get_site("dangcongsan")
    slugs = list(site.categories)
    temps = templates()
    conn = sqlite3.connect(tmp)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    columns = ("key, site, article_id, url, title, published, updated, summary, authors, source, "
               "category, category_slug, tags, images, body_html, body_text, layers, content_hash, "
               "version, first_seen, changed_at")
    sql = f"INSERT INTO articles ({columns}) VALUES ({', '.join('?' * 21)})"
    full = [(_body_html(t), t["body_text"]) for t in temps]
    now = NEWEST.replace(tzinfo=None).isoformat(sep=" ")

    def rows(start: int, stop: int):
        for i in range(start, stop):
            t = temps[i % len(temps)]
            slug = slugs[i % len(slugs)]
            aid = str(10_000_000 + n - i)
            url = f"https://dangcongsan.vn/{slug}/bai-{aid}.html"
            published = (NEWEST - timedelta(minutes=3 * i)).replace(tzinfo=None).isoformat(sep=" ")
            body_html, body_text = full[i % len(temps)] if i < FULL_BODIES else (
                f"<p>{html.escape(t['summary'] or t['title'])}</p>", t["summary"] or t["title"])
            yield (f"dangcongsan:{aid}", "dangcongsan", aid, url, f"{t['title']} ({aid})", published,
                   None, t["summary"], json.dumps(t["authors"], ensure_ascii=False), t.get("source"),
                   site.categories[slug], slug, json.dumps(t.get("tags") or [], ensure_ascii=False),
                   json.dumps(t.get("images") or [], ensure_ascii=False), body_html, body_text, "{}",
                   f"{i:064x}", 1, now, now)

    step = 50_000
    for start in range(0, n, step):
        conn.executemany(sql, rows(start, min(n, start + step)))
        conn.commit()
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()
    tmp.rename(path)


def crawl_more(storage: Storage, count: int, round_: int) -> None:
    temps = templates()
    for i in range(count):
        t = temps[i % len(temps)]
        aid = f"9{round_:03d}{i:05d}"
        article = Article(
            url=f"https://dangcongsan.vn/thoi-su/moi-{aid}.html", site="dangcongsan",
            title=f"{t['title']} (mới {aid})",
            published=NEWEST + timedelta(hours=round_, minutes=i), summary=t["summary"],
            authors=t["authors"], category="Thời sự", category_slug="thoi-su",
            images=[Image(**img) for img in t.get("images") or []], body_html=_body_html(t),
            body_text=t["body_text"], article_id=aid)
        storage.upsert(f"dangcongsan:{aid}", article)


def best(fn, rounds: int = 3) -> float:
    times = []
    for r in range(rounds):
        started = time.perf_counter()
        fn(r)
        times.append(time.perf_counter() - started)
    return min(times)


def measure(n: int) -> dict[str, float]:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    db = BENCH_DIR / f"articles-{n}.db"
    if not db.exists():
        started = time.perf_counter()
        print(f"  making {db} ({n:,} articles) …", flush=True)
        make_db(db, n)
        print(f"  made in {time.perf_counter() - started:.0f} s", flush=True)
    work = Path(tempfile.mkdtemp(prefix="pf-bench-"))
    copy = work / "db.sqlite"
    copy.write_bytes(db.read_bytes())  # rebuild rounds insert rows: keep the cached one clean
    storage = Storage(f"sqlite:///{copy}")
    stored = storage.count()
    result = {"stored": stored}

    def full(r: int) -> None:
        out = work / f"full-{r}"
        written = build_feeds(storage, out)
        result["files"] = len(written)

    result["full"] = best(full)
    out = work / "feeds"
    build_feeds(storage, out)

    times = []
    for r in range(3):
        crawl_more(storage, 20, r + 1)
        started = time.perf_counter()
        written = build_feeds(storage, out)
        times.append(time.perf_counter() - started)
        result["rewritten"] = len(written)
    result["after_crawl"] = min(times)
    storage.close()
    for child in sorted(work.rglob("*"), reverse=True):
        child.rmdir() if child.is_dir() else child.unlink()
    work.rmdir()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    args = parser.parse_args()
    results = {}
    for n in args.sizes:
        print(f"{n:,} stored articles:", flush=True)
        r = measure(n)
        results[n] = r
        print(f"  full build ({r['files']} files, 50 entries each): {r['full'] * 1000:8.0f} ms")
        print(f"  rebuild after 20 new articles ({r['rewritten']} files changed): "
              f"{r['after_crawl'] * 1000:8.0f} ms", flush=True)
    small, large = min(results), max(results)
    if small != large:
        a, b = results[small], results[large]
        print(f"\nratio {large:,} / {small:,} stored (same entries written): "
              f"full build {b['full'] / a['full']:.2f}x, rebuild {b['after_crawl'] / a['after_crawl']:.2f}x "
              f"(archive {large // small}x larger)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
