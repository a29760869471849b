"""A backfill walks a site's whole archive, survives being killed, and never blocks the crawls."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable
from urllib.parse import urlsplit

from crawler.extraction.dates import VIETNAM

from .conftest import Install
from .sitegen import CATEGORIES, PER_PAGE, Copy
from .test_progress import _run_on_a_terminal

CONFIG = '[sites.dangcongsan]\ncategories = ["' + '", "'.join(CATEGORIES) + '"]\n'


def _configure(install: Install, extra: str = "") -> None:
    (install.root / "partyfeed.toml").write_text(CONFIG + extra)


def _stored_paths(install: Install) -> list[str]:
    storage = install.storage()
    try:
        return [urlsplit(a.url).path for a in storage.scan_recent(max_rows=10**6)]
    finally:
        storage.close()


def _listing_requests(copy: Copy, since: int = 0) -> list[str]:
    return [p for p in copy.log[since:] if not p.endswith(".html")]


def test_backfill_walks_every_category_to_its_last_page(
        install: Install, generated_site: Callable[[int], tuple[Copy, str]]) -> None:
    copy, base = generated_site(300)
    _configure(install)
    result = install.run("backfill", "dangcongsan", "--mirror", base)
    assert result.returncode == 0, result.stderr
    assert "300 new" in result.stdout
    stored = _stored_paths(install)
    assert sorted(stored) == sorted(copy.url(i) for i in range(800_000, 800_300))
    pages = -(-100 // PER_PAGE)
    assert sorted(_listing_requests(copy)) == sorted(
        f"/{slug}" if page == 1 else f"/{slug}/p/{page}"
        for slug in CATEGORIES for page in range(1, pages + 1))
    state = json.loads((install.data_dir / "backfill" / "dangcongsan.json").read_text())
    assert state["complete"] is True


def test_backfill_killed_with_kill_9_resumes_without_fetching_stored_articles_again(
        install: Install, generated_site: Callable[[int], tuple[Copy, str]]) -> None:
    copy, base = generated_site(600)
    _configure(install)
    process, _ = install.start("backfill", "dangcongsan", "--mirror", base)
    copy.wait_until(lambda c: sum(c.article_requests().values()) >= 250)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    stored_before = set(_stored_paths(install))
    assert 0 < len(stored_before) < 600
    mark = len(copy.log)

    result = install.run("backfill", "dangcongsan", "--mirror", base)
    assert result.returncode == 0, result.stderr

    again = copy.article_requests(since=mark)
    assert not stored_before & set(again), "the restarted backfill fetched stored articles again"
    stored = _stored_paths(install)
    assert len(stored) == len(set(stored)) == 600
    assert set(stored) == {copy.url(i) for i in range(800_000, 800_600)}
    # it resumed at the first incomplete listing page, not at page 1 of each category
    full_walk = len(CATEGORIES) * -(-200 // PER_PAGE)
    assert len(_listing_requests(copy, since=mark)) < full_walk
    assert not {f"/{slug}" for slug in CATEGORIES} & set(_listing_requests(copy, since=mark))


def test_backfill_stopped_with_ctrl_c_resumes_while_a_crawl_of_the_site_runs_beside_it(
        install: Install, generated_site: Callable[[int], tuple[Copy, str]]) -> None:
    copy, base = generated_site(300)
    # 40 requests/s: slow enough that a crawl runs while the backfill is under way
    _configure(install, "backfill_rate = 40\n")
    process, lines = install.start("backfill", "dangcongsan", "--mirror", base)
    copy.wait_until(lambda c: sum(c.article_requests().values()) >= 20)
    crawl = install.run("crawl", "dangcongsan", "--mirror", base, "--wait", "0", "--no-feeds")
    assert crawl.returncode == 0, crawl.stderr  # no lock held against it
    assert process.poll() is None, "the backfill ended before the crawl ran beside it"
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 1
    assert "run the same command again to resume" in lines.wait_for("resume")
    stored_before = set(_stored_paths(install))
    mark = len(copy.log)

    result = install.run("backfill", "dangcongsan", "--mirror", base)
    assert result.returncode == 0, result.stderr
    assert not stored_before & set(copy.article_requests(since=mark))
    stored = _stored_paths(install)
    assert len(stored) == len(set(stored)) == 300


def test_backfill_keeps_to_the_configured_rate(
        install: Install, generated_site: Callable[[int], tuple[Copy, str]]) -> None:
    copy, base = generated_site(60)
    _configure(install, "backfill_rate = 20\n")
    result = install.run("backfill", "dangcongsan", "--mirror", base)
    assert result.returncode == 0, result.stderr
    assert len(_stored_paths(install)) == 60
    # 63 pages at no more than 20 a second take at least 62/20 s, however fast the copy
    span = copy.times[-1] - copy.times[0]
    assert len(copy.log) == 63 and span >= (len(copy.log) - 1) / 20


def test_a_pager_that_loops_back_to_page_1_ends_the_walk(
        install: Install, generated_site: Callable[[int], tuple[Copy, str]]) -> None:
    copy, base = generated_site(120)
    real_listing = copy.listing

    def looping(slug: str | None, page: int) -> str:
        """Past its last page each category serves page 1 again, and links one page further."""
        html = real_listing(slug, 1 if slug and page > 2 else page)
        return html.replace("</body>", f'<a href="/{slug}/p/{page + 1}">next</a></body>')

    copy.listing = looping  # type: ignore[method-assign]
    _configure(install)
    result = install.run("backfill", "dangcongsan", "--mirror", base)
    assert result.returncode == 0, result.stderr
    assert len(_stored_paths(install)) == 120
    assert len(_listing_requests(copy)) == len(CATEGORIES) * 3  # pages 1, 2, and the repeat


def test_a_listing_linking_ten_thousand_articles_is_capped(
        install: Install, generated_site: Callable[[int], tuple[Copy, str]]) -> None:
    copy, base = generated_site(300)
    real_listing = copy.listing

    def flood(slug: str | None, page: int) -> str:
        """Page 1 of the first category suddenly also links 10,000 (dead) articles."""
        html = real_listing(slug, page)
        if slug == CATEGORIES[0] and page == 1:
            links = "".join(f'<a class="item-title" href="/{slug}/tin-{i}.html">x</a>'
                            for i in range(900_000, 910_000))
            html = html.replace("</body>", links + "</body>")
        return html

    copy.listing = flood  # type: ignore[method-assign]
    (install.root / "partyfeed.toml").write_text(
        '[sites.dangcongsan]\ncategories = ["' + CATEGORIES[0] + '"]\n')
    result = install.run("backfill", "dangcongsan", "--mirror", base, "--verbose")
    assert result.returncode == 0, result.stderr
    assert "links 10020 articles; following the first 200" in result.stderr
    assert len(_stored_paths(install)) == 100  # the category's real articles, all of them
    assert sum(copy.article_requests().values()) == 200 + 80


def test_backfill_keeps_to_its_date_window_and_stops_at_older_articles(
        install: Install, generated_site: Callable[[int], tuple[Copy, str]]) -> None:
    copy, base = generated_site(600)
    _configure(install)
    result = install.run("backfill", "dangcongsan", "--mirror", base,
                         "--since", "2024-02-22", "--until", "2024-02-24")
    assert result.returncode == 0, result.stderr
    storage = install.storage()
    try:
        days = {a.published.astimezone(VIETNAM).date().isoformat()
                for a in storage.scan_recent(max_rows=10**6)}
    finally:
        storage.close()
    assert days == {"2024-02-22", "2024-02-23", "2024-02-24"}
    # the fixture pages' dates repeat on every listing page, so older articles turn up on
    # page 1 already: each category stops a few pages on (the next page is asked for
    # before the articles' dates are known), not after all ten
    assert len(_listing_requests(copy)) <= len(CATEGORIES) * 10 // 2


def test_backfill_shows_progress_with_an_eta_on_a_terminal(
        install: Install, generated_site: Callable[[int], tuple[Copy, str]]) -> None:
    _, base = generated_site(300)
    _configure(install)
    status, output = _run_on_a_terminal(install, "backfill", "dangcongsan", "--mirror", base)
    assert status == 0, output
    assert "dangcongsan backfill: " in output and " articles stored, ETA " in output
    assert "300 new" in output
