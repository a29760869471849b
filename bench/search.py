"""Search latency at 10k and at 1M articles, in one run, on SQLite (FTS5).

    python bench/search.py [--sizes 10000,1000000] [--db PATH]

Synthetic rows made of real text: titles, sentences and leads of the real articles in
tests/data/story_pairs.json, shuffled into new articles, inserted through the real
schema (migrations, triggers keeping the FTS5 indexes in step).  The archive grows in
place from the first size to the next; at each size every query runs warm, seven times,
and the median is kept.  The last lines print the ratio of the latencies against the
ratio of the archive sizes: search must grow far slower than the archive.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.archive.search_store import Search  # noqa: E402
from crawler.storage import Storage  # noqa: E402

TEXTS = ROOT / "tests" / "data" / "story_pairs.json"
QUERIES = ["quoc hoi", '"ban chap hanh trung uong"', "Đảng", "dang bo tinh", "kinh te xa hoi",
           "soc trang", "phong chong dich", "xyzzy khong co"]
_SENTENCE = re.compile(r"(?<=[.!?…])\s+")


def corpus() -> tuple[list[str], list[str]]:
    texts = json.loads(TEXTS.read_text(encoding="utf-8"))["texts"].values()
    titles = [t["title"] for t in texts]
    sentences = [s for t in texts for s in _SENTENCE.split(t["body"].replace("\n", " ")) if len(s) > 30]
    return titles, sentences


def grow(path: Path, start: int, stop: int, titles: list[str], sentences: list[str]) -> float:
    """Insert rows ``start``..``stop`` through the triggers; returns rows per second."""
    rng = random.Random(start)
    base = datetime(2020, 1, 1)
    began = time.perf_counter()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    batch = []
    for n in range(start, stop):
        body = " ".join(rng.sample(sentences, rng.randint(3, 6)))
        when = (base + timedelta(minutes=3 * n)).strftime("%Y-%m-%d %H:%M:%S.000000")
        batch.append((f"bench:{n}", rng.choice(["dangcongsan", "nhandan", "qdnd", "baochinhphu"]),
                      str(n), f"https://example.vn/bai-{n}.html", rng.choice(titles) + f" ({n})",
                      when, rng.choice(sentences), body, f"<p>{body}</p>", f"{n:064x}", when))
        if len(batch) == 20_000 or n == stop - 1:
            conn.executemany(
                "INSERT INTO articles (key, site, article_id, url, title, published, summary, "
                "body_text, body_html, content_hash, first_seen, changed_at, last_seen, authors, "
                "tags, images, layers, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                "'[]', '[]', '[]', '{}', 1)", [(*row[:11], row[10], row[10]) for row in batch])
            conn.commit()
            batch.clear()
    conn.close()
    return (stop - start) / (time.perf_counter() - began)


def latencies(search: Search) -> dict[str, tuple[float, int]]:
    out = {}
    for query in QUERIES:
        search.search(query)  # warm
        runs = []
        for _ in range(7):
            began = time.perf_counter()
            hits = search.search(query)
            runs.append(time.perf_counter() - began)
        out[query] = (statistics.median(runs), len(hits))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--db", help="the SQLite file to grow (default: a temporary one)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    folder = tempfile.mkdtemp(prefix="partyfeed-search-bench-")
    path = Path(args.db or Path(folder) / "bench.db")
    storage = Storage(f"sqlite:///{path}")  # the real schema, by the migrations
    search = Search(storage.engine)
    titles, sentences = corpus()
    print(f"{len(titles)} real titles, {len(sentences)} real sentences; database {path}")
    results: dict[int, dict[str, tuple[float, int]]] = {}
    done = 0
    for size in sizes:
        rate = grow(path, done, size, titles, sentences)
        done = size
        results[size] = latencies(search)
        print(f"{size:>9,} articles (inserted at {rate:,.0f}/s, indexes in step), "
              f"{path.stat().st_size / 2**20:,.0f} MiB")
        for query, (seconds, hits) in results[size].items():
            print(f"    {seconds * 1000:8.2f} ms  {hits:3d} hits  {query}")
    storage.close()
    small, large = sizes[0], sizes[-1]
    print(f"archive {large / small:,.0f}× larger:")
    ratios = []
    for query in QUERIES:
        ratio = results[large][query][0] / results[small][query][0]
        ratios.append(ratio)
        print(f"    {ratio:6.1f}×  {query}")
    total_small = sum(s for s, _ in results[small].values())
    total_large = sum(s for s, _ in results[large].values())
    print(f"all queries together: {total_small * 1000:.1f} ms → {total_large * 1000:.1f} ms, "
          f"{total_large / total_small:.1f}× for a {large / small:,.0f}× archive "
          f"(worst query {max(ratios):.1f}×)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
