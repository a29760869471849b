#!/usr/bin/env python3
"""Our generic layer against trafilatura on real pages: the ScrapingHub article-extraction benchmark.

Run from the repository root:

    .venv/bin/python bench/aeb.py                 # all 181 pages of ../shared/data/scrapinghub-aeb
    .venv/bin/python bench/aeb.py --pages         # plus one line per page where ours loses
    .venv/bin/python bench/aeb.py --data tests/real/aeb   # the subset the test suite keeps

Two extractors, same pages, one run:

* ``ours``        -- ``crawler.extraction.layered.extract(url, html_bytes, site=None)``: what
                     ``partyfeed extract`` does on an unknown host (decoding, metadata, generic layer);
* ``trafilatura`` -- ``trafilatura.extract(html, url=url, output_format="json", with_metadata=True)``
                     called plainly on the same text.

Body: the benchmark's own metric -- true/false positives over shingles of 4 ``\\w+`` tokens of the
predicted vs the true ``articleBody``; precision and recall per page (1/1 when both are empty,
0/0 when nothing matches), averaged over pages, F1 of the averages.  Also the pages whose body is
empty.  The ground truth has no title, date or author, so for those the table shows coverage
only: how many pages each extractor gives a title, a published date *with a time of day*, and
authors for; correctness of those fields is measured on our own fixtures by bench/accuracy.py.

Exit status 1 when ours is below trafilatura on body F1 or has an empty body.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crawler.extraction.layered import extract  # noqa: E402
from crawler.extraction.overlap import precision_recall  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "scrapinghub-aeb"


@dataclass
class Output:
    body: str = ""
    title: str | None = None
    timed: bool = False
    authors: list[str] = field(default_factory=list)


def load(data: Path) -> list[tuple[str, str, bytes, str]]:
    """``(hash, url, html bytes, true body)`` for every page of the benchmark folder."""
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for key, item in sorted(truth.items()):
        path = data / "html" / f"{key}.html.gz"
        if path.exists():
            pages.append((key, item["url"], gzip.decompress(path.read_bytes()), item["articleBody"]))
    return pages


def ours(url: str, html: bytes) -> Output:
    article = extract(url, html, None)
    timed = article.published is not None and (article.published.hour, article.published.minute) != (0, 0)
    return Output(article.body_text, article.title, timed, article.authors)


def trafilatura_plain(url: str, html: bytes) -> Output:
    import trafilatura

    raw = trafilatura.extract(html, url=url, output_format="json", with_metadata=True)
    if not raw:
        return Output()
    data = json.loads(raw)
    date = data.get("date") or ""
    authors = [a.strip() for a in re.split(r"[;,]", data.get("author") or "") if a.strip()]
    return Output(data.get("text") or "", data.get("title"), "T" in date, authors)


def score(name: str, run: Callable[[str, bytes], Output], pages: list[tuple[str, str, bytes, str]]
          ) -> dict[str, object]:
    precisions, recalls, outputs = [], [], {}
    started = time.perf_counter()
    for key, url, html, truth in pages:
        out = run(url, html)
        outputs[key] = out
        p, r = precision_recall(truth, out.body)
        precisions.append(p)
        recalls.append(r)
    seconds = time.perf_counter() - started
    p, r = mean(precisions), mean(recalls)
    return {
        "name": name, "precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
        "empty": sum(1 for o in outputs.values() if not o.body.strip()),
        "title": sum(1 for o in outputs.values() if o.title),
        "timed": sum(1 for o in outputs.values() if o.timed),
        "authors": sum(1 for o in outputs.values() if o.authors),
        "ms": 1000 * seconds / len(pages), "outputs": outputs,
        "per_page": dict(zip([k for k, *_ in pages], zip(precisions, recalls), strict=True)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="benchmark folder (html/, ground-truth.json)")
    parser.add_argument("--pages", action="store_true", help="list the pages where ours loses")
    args = parser.parse_args()
    pages = load(args.data)
    results = [score("ours", ours, pages), score("trafilatura", trafilatura_plain, pages)]
    print(f"{len(pages)} pages from {args.data}")
    print(f"{'':28}" + "".join(f"{r['name']:>14}" for r in results))
    rows = [("body precision", "precision", "{:.3f}"), ("body recall", "recall", "{:.3f}"),
            ("body F1", "f1", "{:.3f}"), ("empty bodies", "empty", "{}"),
            ("pages with a title", "title", "{}"), ("published with time", "timed", "{}"),
            ("pages with authors", "authors", "{}"), ("ms / page", "ms", "{:.1f}")]
    for label, key, fmt in rows:
        print(f"{label:28}" + "".join(f"{fmt.format(r[key]):>14}" for r in results))
    mine, theirs = results
    if args.pages:
        for key, (p, r) in mine["per_page"].items():  # type: ignore[union-attr]
            tp, tr = theirs["per_page"][key]  # type: ignore[index]
            if p + r < tp + tr - 0.02:
                print(f"  {key}  ours P {p:.2f} R {r:.2f}  trafilatura P {tp:.2f} R {tr:.2f}")
    ok = mine["f1"] >= theirs["f1"] and mine["empty"] == 0  # type: ignore[operator]
    print("target (ours >= trafilatura on body F1, no empty body):", "met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
