"""Extraction in worker processes (``crawler.pool``): the same articles as inline, and a
worker that dies — or a crawl killed with its workers running — loses nothing and
leaves nothing behind."""

from __future__ import annotations

import asyncio
import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from crawler.pool import Extracted, ExtractionPool, extract_page
from crawler.sites import all_sites

from .conftest import REPO, Install, SiteCopyFiles
from .sitegen import CATEGORIES, Copy, serve, templates

SPAWNED = "multiprocessing.spawn import spawn_main"


def _pages() -> list[tuple[str, str, bytes]]:
    """Every saved article page of the five sites' copies, as ``(site, url, body)``."""
    pages = []
    for site in all_sites():
        copy = SiteCopyFiles(site)
        pages += [(site, article["url"], copy.page(article["url"]).read_bytes())
                  for article in copy.articles()]
    return pages


def test_worker_processes_extract_what_the_reactor_would() -> None:
    pages = [*_pages(), ("qdnd", "https://www.qdnd.vn/empty", b"  \n")]

    async def in_workers() -> list[Extracted]:
        pool = ExtractionPool(processes=2, inline=0)
        try:
            return await asyncio.gather(*(pool.extract(site, url, body, "text/html")
                                          for site, url, body in pages))
        finally:
            pool.close()

    inline = [extract_page(site, url, body, "text/html") for site, url, body in pages]
    assert len(pages) > 70 and all(result.article for result in inline[:-1])
    assert inline[-1].unparseable and inline[-1].article is None
    assert asyncio.run(in_workers()) == inline


def test_an_extractor_that_raises_is_a_result_not_a_dead_pool() -> None:
    async def run() -> list[Extracted]:
        pool = ExtractionPool(processes=1, inline=0)
        try:
            failed = await pool.extract("no-such-site", "https://example.org/a", b"<p>x</p>", None)
            page = SiteCopyFiles("nhandan").articles()[0]["url"]
            fine = await pool.extract("nhandan", page, SiteCopyFiles("nhandan").page(page).read_bytes(), None)
            return [failed, fine]
        finally:
            pool.close()

    failed, fine = asyncio.run(run())
    assert failed.article is None and "KeyError: \"unknown site 'no-such-site'" in (failed.crashed or "")
    assert fine.article is not None and fine.article.site == "nhandan"


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def _worker_of(crawl: subprocess.Popen[str]) -> int:
    """The crawl's extraction worker, once it has been spawned (polled: it takes a few
    hundred milliseconds to start)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for child in _children(crawl.pid):
            if SPAWNED in Path(f"/proc/{child}/cmdline").read_text().replace("\0", " "):
                return child
        assert crawl.poll() is None, "the crawl ended before it started a worker"
        select.select([], [], [], 0.01)
    raise AssertionError("no extraction worker appeared")


def _crawl(install: Install, mirror: str, *settings: str, **popen: Any) -> subprocess.Popen[str]:
    """``scrapy crawl`` of the generated copy that extracts every page in one worker."""
    command = [sys.executable, "-m", "scrapy", "crawl", "dangcongsan", "-a",
               f"categories={','.join(CATEGORIES)}", "-a", "max_pages=5",
               "-s", f"PARTYFEED_MIRROR={mirror}", "-s", "DOWNLOAD_DELAY=0",
               "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "PARTYFEED_EXTRACT_INLINE=0",
               *(settings or ("-s", "PARTYFEED_EXTRACT_PROCESSES=1"))]
    popen.setdefault("env", install.env)
    return subprocess.Popen(command, cwd=REPO, text=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, **popen)


def _until(process: subprocess.Popen[str], pattern: str) -> list[str]:
    """The crawl's log up to the first line matching ``pattern``."""
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line)
        if re.search(pattern, line):
            return seen
    raise AssertionError(f"no {pattern!r} in the log:\n{''.join(seen[-30:])}")


@contextmanager
def _generated(articles: int) -> Iterator[str]:
    """A generated copy of ``articles`` articles on loopback: its base URL."""
    server = serve(Copy(articles, templates()))
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _rest_of_log(crawl: subprocess.Popen[str], status: int = 0) -> str:
    """The crawl's log to its end, once it exited with ``status``."""
    assert crawl.stderr is not None
    log = crawl.stderr.read()
    assert crawl.wait(timeout=60) == status, log[-3000:]
    return log


def test_a_killed_worker_costs_no_page(install: Install) -> None:
    """``kill -9`` of the worker while it starts, holding the first page: the pool is
    started again, the pages it held are read again, every article is stored once."""
    with _generated(240) as mirror:
        crawl = _crawl(install, mirror)
        _until(crawl, r"extracting in 1 worker process")
        os.kill(_worker_of(crawl), signal.SIGKILL)
        log = _rest_of_log(crawl)
    assert "an extraction worker died; starting the pool again" in log
    assert "'partyfeed/extraction/restarts': 1" in log
    assert "'partyfeed/articles/new': 240" in log and "Traceback" not in log
    storage = install.storage()
    try:
        assert storage.count("dangcongsan") == 240
    finally:
        storage.close()


def test_a_killed_crawl_takes_its_workers_with_it(install: Install) -> None:
    with _generated(240) as mirror:
        crawl = _crawl(install, mirror)
        _until(crawl, r"extracting in 1 worker process")
        worker = os.pidfd_open(_worker_of(crawl))
        crawl.kill()
        crawl.wait(timeout=60)
        readable, _, _ = select.select([worker], [], [], 30)  # the worker's exit, or 30 s
        os.close(worker)
    assert readable, "the extraction worker outlived its crawl"


def test_ctrl_c_stops_workers_quietly(install: Install) -> None:
    """Ctrl-C reaches the whole process group: the workers leave it to the crawl, which
    finishes the pages in hand and closes the pool — no traceback from a worker."""
    with _generated(240) as mirror:
        crawl = _crawl(install, mirror, process_group=0)
        _until(crawl, r"extracting in 1 worker process")
        _worker_of(crawl)
        os.killpg(crawl.pid, signal.SIGINT)
        log = _rest_of_log(crawl)
    assert "Received SIGINT, shutting down gracefully" in log
    assert "Traceback" not in log and "KeyboardInterrupt" not in log, log[-3000:]


def test_the_configuration_sets_the_workers(install: Install) -> None:
    """``extract_processes`` in ``partyfeed.toml`` reaches ``scrapy crawl`` too."""
    config = install.root / "partyfeed.toml"
    config.write_text("[partyfeed]\nextract_processes = 2\n")
    with _generated(60) as mirror:
        log = _rest_of_log(_crawl(install, mirror, "-s", "LOG_LEVEL=INFO",
                                  env={**install.env, "PARTYFEED_CONFIG": str(config)}))
    assert "extracting in 2 worker process(es)" in log
    assert "'partyfeed/articles/new': 60" in log
