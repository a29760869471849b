"""Crawl throughput against a bare Scrapy spider, memory at two sizes, and incremental cost.

    .venv/bin/python bench/crawl.py [--sizes 3000,30000] [--new 20] [--concurrency 16]
    .venv/bin/python bench/crawl.py --sizes 3000 --distributed 3

Builds a loopback copy of a legacy-layout dangcongsan.vn with N articles (20 per listing
page, three categories), generated on the fly from the saved fixture pages of
``tests/sites/dangcongsan/site`` (each article page is a real fixture page with its title
numbered, so every page is a full page with its chrome), and for each size runs, one after
the other, on the same copy, with politeness off (no delay, no AutoThrottle, no robots.txt):

* **bare**: a Scrapy spider that follows the same listing pages and fetches the same
  article pages, and parses nothing (``scrapy runspider``, Scrapy's default settings);
* **bare, 4 items**: the same with partyfeed's ``CONCURRENT_ITEMS = 4`` — Scrapy starts
  that many asyncio tasks for every response, and the default 100 costs the bare spider
  too: this is the stricter comparison, with that overhead out of both;
* **partyfeed**: ``scrapy crawl dangcongsan`` — the real spider, extraction (in a worker
  process past the first 100 pages, ``crawler.pool``), the pipelines and an SQLite file.

It prints pages/s, the ratio against each bare run (the target, against the first, is
≥ 0.6), and peak RSS — ``wait4``'s, or the process tree's sampled total where that is
larger, so partyfeed is charged for its extraction worker — and, across sizes, how
partyfeed's peak RSS grew.  Then it publishes ``--new``
articles on the copy and runs ``partyfeed crawl`` a second time: the requests the copy
answered divided by the new articles stored is the incremental cost (target ≤ 1.2).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.sitegen import CATEGORIES, PER_PAGE, Copy, sentences, serve, templates  # noqa: E402

BARE_SPIDER = '''
import re
import scrapy

ARTICLE = re.compile(r"-\\d{5,}\\.html$")


class Bare(scrapy.Spider):
    """Follows listings and fetches articles, parses nothing."""

    name = "bare"

    def __init__(self, base, categories, max_pages, **kwargs):
        super().__init__(**kwargs)
        self.base, self.categories, self.max_pages = base, categories.split(","), int(max_pages)

    async def start(self):
        yield scrapy.Request(self.base + "/", dont_filter=True)
        for slug in self.categories:
            yield scrapy.Request(f"{self.base}/{slug}", cb_kwargs={"page": 1, "slug": slug})

    def parse(self, response, page=0, slug=None):
        for href in response.css("a.item-title::attr(href), div.box-thumbnail a::attr(href),"
                                 " div.subnews-item a::attr(href)").getall():
            if ARTICLE.search(href):
                yield response.follow(href, callback=self.article)
        if slug and page < self.max_pages and response.css(f'a[href="/{slug}/p/{page + 1}"]'):
            yield response.follow(f"/{slug}/p/{page + 1}", cb_kwargs={"page": page + 1, "slug": slug})

    def article(self, response):
        pass
'''


@dataclass
class Run:
    seconds: float
    pages: int
    peak_mib: float

    @property
    def rate(self) -> float:
        return self.pages / self.seconds


def timed(command: list[str], copy: Copy, env: dict[str, str], cwd: Path) -> Run:
    """Runs ``command``; pages are what the copy answered.  Peak RSS is the larger of
    ``wait4``'s figure and the process tree's total sampled every 50 ms: a crawl that
    extracts in worker processes (``crawler.pool``) is charged for them too."""
    before = copy.served
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], _tree_rss_kib(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    done.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        sys.exit(f"{command[:4]} failed ({process.returncode}):\n{errors.decode()[-2000:]}")
    return Run(seconds, copy.served - before, max(usage.ru_maxrss, peak[0]) / 1024)


def _tree_rss_kib(pid: int) -> int:
    """Resident KiB of ``pid`` and all its descendants, from ``/proc`` (Linux)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, ValueError):  # gone meanwhile
            continue
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="3000,30000")
    parser.add_argument("--new", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--distributed", type=int, default=0, metavar="N",
                        help="instead: a backfill in one process against N workers sharing Redis")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.distributed:
        return distributed(sizes[0], args.distributed)
    polite_off = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
                  "-s", "ROBOTSTXT_OBEY=False", "-s", f"CONCURRENT_REQUESTS={args.concurrency}",
                  "-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={args.concurrency}", "-s", "LOG_LEVEL=ERROR"]
    print(f"{'articles':>8} | {'bare p/s':>8} | {'partyfeed p/s':>13} | {'ratio':>5} | "
          f"{'bare peak MiB':>13} | {'partyfeed peak MiB':>18} | {'bare, 4 items p/s':>17} | "
          f"{'ratio':>5}")
    peaks: list[float] = []
    ok = True
    incremental: tuple[int, int, int] | None = None
    pages = templates()
    for size in sizes:
        copy = Copy(size, pages, sentences(pages))
        server = serve(copy)
        base = f"http://127.0.0.1:{server.server_address[1]}"
        max_pages = -(-size // len(CATEGORIES) // PER_PAGE) + 1
        with tempfile.TemporaryDirectory() as tmp:
            spider = Path(tmp) / "bare.py"
            spider.write_text(BARE_SPIDER)
            env = {**os.environ, "PYTHONPATH": str(REPO), "PARTYFEED_DATA_DIR": tmp,
                   "PARTYFEED_DB": f"sqlite:///{tmp}/partyfeed.db"}
            runspider = [sys.executable, "-m", "scrapy", "runspider", str(spider), "-a", f"base={base}",
                         "-a", f"categories={','.join(CATEGORIES)}", "-a", f"max_pages={max_pages}",
                         *polite_off]
            bare = timed(runspider, copy, env, Path(tmp))
            # the bare spider with partyfeed's CONCURRENT_ITEMS: what is left once Scrapy's
            # per-response task overhead is taken out of both
            tuned = timed([*runspider, "-s", "CONCURRENT_ITEMS=4"], copy, env, Path(tmp))
            ours = timed([sys.executable, "-m", "scrapy", "crawl", "dangcongsan", "-s",
                          f"PARTYFEED_MIRROR={base}", "-a", f"categories={','.join(CATEGORIES)}",
                          "-a", f"max_pages={max_pages}", *polite_off], copy, env, REPO)
            stored = sqlite3.connect(f"{tmp}/partyfeed.db").execute(
                "select count(*) from articles").fetchone()[0]
            if stored != size:
                print(f"  ! partyfeed stored {stored} of {size} articles")
                ok = False
            ratio = ours.rate / bare.rate
            ok = ok and ratio >= 0.6
            peaks.append(ours.peak_mib)
            print(f"{size:>8} | {bare.rate:>8.0f} | {ours.rate:>13.0f} | {ratio:>5.2f} | "
                  f"{bare.peak_mib:>13.0f} | {ours.peak_mib:>18.0f} | {tuned.rate:>17.0f} | "
                  f"{ours.rate / tuned.rate:>5.2f}", flush=True)
            if incremental is None:
                # ``scrapy crawl`` records no run; a scheduled crawl (nothing new, listings
                # only) is the complete pass a later crawl may trust
                crawl = [sys.executable, "-m", "scheduler", "crawl", "dangcongsan", "--mirror", base,
                         "--no-feeds", "--max-pages", str(max_pages)]
                crawl_env = {**env, "PARTYFEED_CONFIG": str(_config(Path(tmp)))}
                subprocess.run(crawl, cwd=tmp, env=crawl_env, capture_output=True, check=True)
                copy.publish(args.new)
                before = copy.served
                second = subprocess.run(crawl, cwd=tmp, env=crawl_env, capture_output=True, text=True)
                requests = copy.served - before
                added = sqlite3.connect(f"{tmp}/partyfeed.db").execute(
                    "select count(*) from articles").fetchone()[0] - stored
                incremental = (requests, added, second.returncode)
        server.shutdown()
        server.server_close()
    if len(peaks) > 1:
        growth = peaks[-1] / peaks[0]
        ok = ok and growth < 1.25
        print(f"\npartyfeed peak RSS {sizes[-1]} vs {sizes[0]} articles: {growth:.2f}x (flat is < 1.25)")
    if incremental:
        requests, added, code = incremental
        per = requests / max(added, 1)
        ok = ok and added == args.new and per <= 1.2 and code == 0
        print(f"second crawl after {args.new} new articles: {requests} requests, {added} stored, "
              f"{per:.2f} requests per new article (target <= 1.2)")
    return 0 if ok else 1


def distributed(size: int, workers: int) -> int:
    """``partyfeed backfill`` in one process vs ``backfill --distributed`` and N workers:
    what the shared queue costs and gains.

    Same copy, politeness off, a fresh SQLite file (WAL) for each, a private redis-server
    on a Unix socket; pages/s is what the copy answered over wall time, the workers' from
    their start to the last one's exit less their idle wait.
    """
    from tests.redis_server import RedisServer

    pages = templates()
    copy = Copy(size, pages, sentences(pages))
    server = serve(copy)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    rates = []
    stored_counts = []
    for mode in ("one process", f"{workers} workers"):
        with tempfile.TemporaryDirectory() as tmp:
            redis = RedisServer(Path(tmp)).start()
            path = _config(Path(tmp))
            path.write_text(f'[partyfeed]\nredis = "{redis.url}"\n\n' + path.read_text())
            env = {**os.environ, "PYTHONPATH": str(REPO), "PARTYFEED_DATA_DIR": tmp,
                   "PARTYFEED_CONFIG": str(path), "PARTYFEED_DB": f"sqlite:///{tmp}/partyfeed.db"}
            command = [sys.executable, "-m", "scheduler"]
            before, started = copy.served, time.perf_counter()
            if mode == "one process":
                subprocess.run([*command, "backfill", "dangcongsan", "--mirror", base], cwd=tmp,
                               env=env, check=True, capture_output=True)
                seconds = time.perf_counter() - started
            else:
                subprocess.run([*command, "backfill", "dangcongsan", "--distributed"], cwd=tmp,
                               env=env, check=True, capture_output=True)
                started = time.perf_counter()
                running = [subprocess.Popen([*command, "worker", "dangcongsan", "--mirror", base,
                                             "--idle", "1s"], cwd=tmp, env=env,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                           for _ in range(workers)]
                for process in running:
                    process.wait()
                seconds = time.perf_counter() - started - 1  # less the idle wait at the end
            redis.stop()
            rates.append((copy.served - before) / seconds)
            from crawler.storage import Storage

            storage = Storage(env["PARTYFEED_DB"])
            stored_counts.append(storage.count("dangcongsan"))
            storage.close()
            print(f"{mode:>12}: {copy.served - before} pages in {seconds:.1f}s = "
                  f"{rates[-1]:.0f} pages/s, {stored_counts[-1]} articles stored", flush=True)
    server.shutdown()
    print(f"{workers} workers vs one process: {rates[1] / rates[0]:.2f}x "
          f"(on {os.cpu_count()} cores; the copy is served from this process)")
    return 0 if stored_counts == [size, size] else 1


def _config(tmp: Path) -> Path:
    """The three categories the copy has, for ``partyfeed crawl``."""
    path = tmp / "partyfeed.toml"
    path.write_text('[sites.dangcongsan]\ncategories = ["' + '", "'.join(CATEGORIES) + '"]\n')
    return path


if __name__ == "__main__":
    raise SystemExit(main())
