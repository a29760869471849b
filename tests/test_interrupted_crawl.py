"""A crawl that is killed, timed out or cut short never hides articles from the next one.

The kill point is the copy server's own request counter: the server holds the k-th
request (and every later one) and tells the test, which then sends ``kill -9`` — so
the crawl dies at a known point in its walk, chosen by a seeded random number, with
no sleeping and no guessing.
"""

from __future__ import annotations

import random
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import select

from crawler.storage import ArticleRow, CrawlRun
from scheduler.sitecopy import FolderHandler, base_url

from .conftest import REPO, SITE_ROOT, Install, expected_articles, site_status
from .sitegen import ARTICLE_PATH, CATEGORIES, Copy, serve, templates

#: requests a full crawl of the copy makes (home, 2 × 3 listing pages, 39 articles)
FULL_CRAWL_REQUESTS = 46


class _Gate:
    """Counts requests; from the ``stop_at``-th on, holds them until released."""

    def __init__(self, stop_at: int) -> None:
        self.stop_at = stop_at
        self.count = 0
        self.lock = threading.Lock()
        self.reached = threading.Event()
        self.released = threading.Event()

    def enter(self) -> None:
        with self.lock:
            self.count += 1
            hold = self.count >= self.stop_at
        if hold:
            self.reached.set()
            self.released.wait(timeout=120)


class _GatedHandler(FolderHandler):
    def __init__(self, *args: object, gate: _Gate, **kwargs: object) -> None:
        self.gate = gate
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def do_GET(self) -> None:  # noqa: N802
        self.gate.enter()
        try:
            super().do_GET()
        except OSError:  # the crawler was killed while we held its request
            pass


@contextmanager
def _gated_copy(stop_at: int) -> Iterator[tuple[str, _Gate]]:
    gate = _Gate(stop_at)
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 partial(_GatedHandler, roots={"": SITE_ROOT.resolve()}, gate=gate))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield base_url(server), gate
    finally:
        gate.released.set()
        server.shutdown()
        server.server_close()


def _killed_crawl(install: Install, stop_at: int, *extra: str,
                  sig: signal.Signals = signal.SIGKILL) -> int:
    """``partyfeed crawl`` sent ``sig`` when it asks the copy for its ``stop_at``-th page;
    its exit status."""
    with _gated_copy(stop_at) as (mirror, gate):
        process = subprocess.Popen(install.command("crawl", "dangcongsan", "--mirror", mirror,
                                                   "--no-feeds", *extra),
                                   cwd=install.root, env=install.env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # the crawl ends by itself when it makes fewer requests than stop_at
        threading.Thread(target=lambda: (process.wait(), gate.reached.set()), daemon=True).start()
        assert gate.reached.wait(timeout=120)
        process.send_signal(sig)
        gate.released.set()  # a crawl asked to stop finishes the page it is waiting for
        return process.wait(timeout=60)


def _stored_urls(install: Install) -> set[str]:
    storage = install.storage()
    try:
        with storage.engine.connect() as conn:
            return set(conn.scalars(select(ArticleRow.url)))
    finally:
        storage.close()


def _full_crawl(install: Install, site_copy: str) -> subprocess.CompletedProcess[str]:
    result = install.run("crawl", "dangcongsan", "--mirror", site_copy, "--no-feeds")
    assert result.returncode == 0, result.stderr
    return result


def test_interrupted_crawls_lose_nothing(tmp_path: Path, site_copy: str) -> None:
    """Random ``kill -9``s (seeded, several rounds), then one normal crawl: every article."""
    every = {a["url"] for a in expected_articles()}
    for seed in range(4):
        rnd = random.Random(seed)
        root = tmp_path / f"round-{seed}"
        root.mkdir()
        install = Install(root)
        kills = [(rnd.randint(3, FULL_CRAWL_REQUESTS), rnd.choice(["", "1", "2"]))
                 for _ in range(rnd.randint(1, 3))]
        for stop_at, max_pages in kills:
            _killed_crawl(install, stop_at, *(["--max-pages", max_pages] if max_pages else []))
        before = len(_stored_urls(install))
        _full_crawl(install, site_copy)
        missing = every - _stored_urls(install)
        assert not missing, (f"round {seed} (kills at {kills}, {before} stored before): "
                             f"{len(missing)} articles never stored: {sorted(missing)[:3]}")


def test_a_shallow_crawl_hides_no_deeper_listing_page(install: Install, site_copy: str) -> None:
    """``--max-pages 1`` read only page 1 of each category; the next normal crawl reads on."""
    shallow = install.run("crawl", "dangcongsan", "--mirror", site_copy, "--max-pages", "1",
                          "--no-feeds")
    assert shallow.returncode == 0, shallow.stderr
    assert len(_stored_urls(install)) < len(expected_articles())
    _full_crawl(install, site_copy)
    assert _stored_urls(install) == {a["url"] for a in expected_articles()}


def test_a_complete_crawl_lets_the_next_one_stop_early(install: Install, site_copy: str) -> None:
    """Nothing new: the next crawl reads the first listing page of each category and stops."""
    _full_crawl(install, site_copy)
    again = _full_crawl(install, site_copy)
    # home + one listing page per default category (thoi-su, tu-tuong-van-hoa, tin-hoat-dong)
    assert "— 4 pages, 0 new" in again.stdout, again.stdout


def test_new_articles_cost_about_one_request_each(install: Install) -> None:
    """20 new articles on a 600-article copy: the next crawl reads page 1 of each category,
    stops where the listing reaches articles a complete crawl covered, and fetches the 20."""
    copy = Copy(600, templates())
    server = serve(copy)
    mirror = f"http://127.0.0.1:{server.server_address[1]}"
    config = install.root / "partyfeed.toml"
    config.write_text('[sites.dangcongsan]\ncategories = ["' + '", "'.join(CATEGORIES) + '"]\n'
                      'max_pages = 12\n')
    try:
        first = install.run("crawl", "dangcongsan", "--mirror", mirror, "--no-feeds")
        assert first.returncode == 0 and "600 new" in first.stdout, first.stdout + first.stderr
        copy.publish(20)
        before = len(copy.log)
        second = install.run("crawl", "dangcongsan", "--mirror", mirror, "--no-feeds")
        assert second.returncode == 0 and ", 20 new" in second.stdout, second.stdout
        asked = copy.log[before:]
    finally:
        server.shutdown()
        server.server_close()
    listings = [p for p in asked if not ARTICLE_PATH.search(p)]
    assert sorted(listings) == sorted(["/", *(f"/{c}" for c in CATEGORIES)]), listings
    assert len(asked) / 20 <= 1.2, asked


def test_a_killed_crawl_keeps_every_article_it_reported_stored(install: Install) -> None:
    """Articles are written by a thread in batches; one counts as stored (Scrapy's
    ``Scraped from`` line) only once its batch is committed, so ``kill -9`` right after
    loses none of them."""
    copy = Copy(300, templates())
    server = serve(copy)
    mirror = f"http://127.0.0.1:{server.server_address[1]}"
    crawl = [sys.executable, "-m", "scrapy", "crawl", "dangcongsan", "-a",
             f"categories={','.join(CATEGORIES)}", "-a", "max_pages=5",
             "-s", f"PARTYFEED_MIRROR={mirror}", "-s", "LOG_LEVEL=DEBUG",
             "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]
    reported: list[str] = []
    try:
        process = subprocess.Popen(crawl, cwd=REPO, env=install.env, text=True,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert process.stderr is not None
        for line in process.stderr:
            if match := re.search(r"Scraped from <200 (\S+)>", line):
                reported.append(match[1])
                if len(reported) == 40:
                    process.kill()
                    break
        process.wait(timeout=60)
    finally:
        server.shutdown()
        server.server_close()
    assert len(reported) == 40, "the crawl ended before it was killed"
    assert set(reported) <= _stored_urls(install)


def test_a_crawl_stopped_by_sigterm_is_interrupted_not_failing(install: Install) -> None:
    """Ctrl-C or a stopping daemon: the run is recorded as interrupted, which neither makes the
    site ``failing`` nor vouches for any listing depth."""
    assert _killed_crawl(install, 10, sig=signal.SIGTERM) == 1
    with install.storage().engine.connect() as conn:
        runs = conn.execute(select(CrawlRun.outcome, CrawlRun.detail)).all()
    assert [outcome for outcome, _ in runs] == ["interrupted"]
    assert "coverage" not in runs[0][1]
    status = install.run("status", "--json")
    assert site_status(status.stdout)["health"] == "unknown"  # no crawl has finished yet
