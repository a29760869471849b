"""A site that fails is asked less often, then as usual once it answers again
(``crawler.middlewares.BackoffMiddleware``), against a real server on loopback."""

from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import urlsplit

from .conftest import REPO, SITES_DIR, Answer, Install, hostile_copy

START, CAP = 0.05, 0.2


def test_a_failing_site_is_slowed_down_not_hammered(install: Install) -> None:
    """Every article answers 503 twice, then its page.  With no delay configured, Scrapy
    would send the 40 failing requests at full pace; here, once a few 503s are in, the site
    is asked at most every CAP seconds until pages come back, and then at full pace again."""
    listings = json.loads((SITES_DIR / "dangcongsan" / "expected" / "listings.json").read_text())
    articles = {urlsplit(url).path for url in listings["/"] + listings["/thoi-su"]}
    failing = Answer(503, body=b"overloaded")
    answers = {path: [failing, failing, Answer(200, body=_page(path))] for path in articles}
    times: list[float] = []
    with hostile_copy(answers, times=times) as (mirror, seen):
        crawl = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "dangcongsan", "-a", "categories=thoi-su",
             "-a", "max_pages=1", "-s", f"PARTYFEED_MIRROR={mirror}", "-s", "DOWNLOAD_DELAY=0",
             "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "RANDOMIZE_DOWNLOAD_DELAY=False",
             "-s", f"PARTYFEED_BACKOFF_START={START}", "-s", f"PARTYFEED_BACKOFF_MAX={CAP}",
             "-s", "LOG_LEVEL=INFO"],
            cwd=REPO, env=install.env, capture_output=True, text=True, timeout=120)
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    assert f"'partyfeed/articles/new': {len(articles)}" in crawl.stderr
    assert f"asking it at most every {CAP:.1f}s" in crawl.stderr
    asked = [(path, when) for path, when in zip(seen, times) if path in articles]
    attempts = [sum(1 for p, _ in asked[:i + 1] if p == path) for i, (path, _) in enumerate(asked)]
    assert len(asked) == 3 * len(articles)
    gaps = [later - earlier for (_, earlier), (_, later) in zip(asked, asked[1:])]
    recovered = attempts.index(3)  # the first request the site answers with its page
    # the first few go out together; from the fourth 503 on, the delay is at its cap
    assert min(gaps[8:recovered - 1]) >= CAP * 0.95, gaps
    # good answers halve it back: most pages are then asked at full pace again
    after = sorted(gaps[recovered:])
    assert after[len(after) // 2] < CAP / 4, after


def _page(path: str) -> bytes:
    return (SITES_DIR / "dangcongsan" / "site" / path.lstrip("/")).read_bytes()
