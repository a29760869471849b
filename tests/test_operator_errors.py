"""A careless operator gets one clear line and a documented exit status, never a traceback.

Exit statuses (``partyfeed --help``, README): 2 for a configuration or command line that
cannot work, 1 for a run that failed (a database or feeds folder that refused a write).
"""

from __future__ import annotations

import json
import signal
import sqlite3
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.sites import all_sites
from crawler.storage import CrawlRun

from .conftest import (SITE_ROOT, Answer, Install, SmallDisk, expected_articles, hostile_copy,
                       site_status)


def _one_line(result, status: int) -> str:  # noqa: ANN001 (a CompletedProcess)
    """The single line a failed command printed on stderr, after checking the exit status."""
    assert result.returncode == status, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(("toml", "says"), [
    ("[sites.dangcongsan]\ninterval = nan\n", "interval"),
    ("[sites.dangcongsan]\ninterval = inf\n", "interval"),
    ("[sites.dangcongsan]\ninterval = 1e300\n", "at most 366 days"),
    ("[sites.dangcongsan]\ntime_limit = '99999999999d'\n", "time_limit"),
    ("[partyfeed]\nfeed_limit = 9223372036854775807\n", "feed_limit"),
    ("[partyfeed]\nextract_processes = -1\n", "extract_processes must be a whole number from 0 to 64"),
    ("[partyfeed]\nextract_processes = 'all'\n", "extract_processes"),
    ("[sites.dangcongsan]\nmax_pages = 9223372036854775807\n", "max_pages"),
    ("[sites.dangcongsn]\ninterval = '10m'\n", "no site called dangcongsn (sites: " + ", ".join(all_sites())),
])
def test_a_broken_configuration_is_one_line(install: Install, toml: str, says: str) -> None:
    (install.root / "partyfeed.toml").write_text(toml)
    assert says in _one_line(install.run("status"), 2)


@pytest.mark.parametrize(("args", "says"), [
    (["crawl", "--max-pages", "-1"], "--max-pages"),
    (["crawl", "--max-pages", "0"], "--max-pages"),
    (["crawl", "--mirror", "127.0.0.1:8000"], "--mirror"),
    (["crawl", "--mirror", "ftp://127.0.0.1/"], "--mirror"),
    (["crawl", "--mirror", "http://127.0.0.1:99999"], "--mirror"),
    (["crawl", "--wait", "nan"], "--wait"),
    (["status", "--rejected", "100000000000000000000"], "--rejected"),
    (["status", "--rejected", "-1"], "--rejected"),
    (["run", "--interval", "nan"], "--interval"),
    (["run", "--interval", "99999999d"], "--interval"),
])
def test_a_bad_command_line_is_one_line(install: Install, args: list[str], says: str) -> None:
    assert says in _one_line(install.run(*args), 2)


def test_a_database_path_that_cannot_be_a_database_is_one_line(install: Install) -> None:
    a_file = install.root / "a-file"
    a_file.write_text("not a folder")
    not_a_database = install.root / "notes.db"
    not_a_database.write_text("these are notes, not SQLite")
    cases = {
        a_file / "partyfeed.db": "is a file, not a folder",
        install.root: "is a folder, not a file",
        not_a_database: "is not an SQLite database",
    }
    for path, says in cases.items():
        for command in ("status", "crawl"):
            result = install.run("--db", f"sqlite:///{path}", command)
            line = _one_line(result, 2)
            assert str(path) in line and says in line, line
    assert not_a_database.read_text() == "these are notes, not SQLite"  # left alone


def test_a_read_only_database_can_still_be_read(crawled, small_disk: SmallDisk) -> None:
    install, _ = crawled
    db = small_disk.path / "partyfeed.db"
    source, copy = sqlite3.connect(install.data_dir / "partyfeed.db"), sqlite3.connect(db)
    source.backup(copy)  # a consistent copy, in WAL mode like the original
    source.close()
    copy.close()
    small_disk.read_only()
    url = f"sqlite:///{db}"
    status = install.run("--db", url, "status", "--json")
    assert status.returncode == 0 and "Traceback" not in status.stderr, status.stderr
    site = site_status(status.stdout)
    assert site["articles"] == len(expected_articles()) and site["last_run"]["outcome"] == "ok"
    assert install.run("--db", url, "status", "--rejected").returncode == 0
    assert "read-only" in _one_line(install.run("--db", url, "crawl", "--no-feeds"), 2)


def test_a_full_or_read_only_feeds_folder_is_one_line(crawled, small_disk: SmallDisk,
                                                      site_copy: str) -> None:
    install, _ = crawled
    feeds = small_disk.path / "feeds"
    small_disk.fill()
    line = _one_line(install.run("--feeds-dir", str(feeds), "feeds"), 1)
    assert "cannot write the feeds" in line and "No space left on device" in line, line
    # a crawl into a full feeds folder: the crawl itself is kept and reported, then the line
    crawl = install.run("--feeds-dir", str(feeds), "crawl", "dangcongsan", "--mirror", site_copy)
    assert "dangcongsan: ok" in crawl.stdout
    assert "No space left on device" in _one_line(crawl, 1)
    assert not list(small_disk.path.rglob("*.tmp"))  # no temp file left behind
    small_disk.free()
    small_disk.read_only()
    line = _one_line(install.run("--feeds-dir", str(feeds), "feeds"), 1)
    assert "Read-only file system" in line, line


def test_temp_files_of_a_killed_feed_build_are_removed_by_the_next(crawled,
                                                                   tmp_path: Path) -> None:
    install = crawled[0].copy_to(tmp_path / "copy")
    # what `partyfeed feeds` killed between writing a temp file and renaming it leaves
    left = [Path(tempfile.mkstemp(dir=install.feeds_dir, prefix=f".{name}.", suffix=".tmp")[1])
            for name in ("dangcongsan.atom", "all.rss")]
    result = install.run("feeds")
    assert result.returncode == 0, result.stderr
    assert not any(path.exists() for path in left)
    assert not list(install.feeds_dir.glob(".*"))


ARTICLE = "/tu-tuong-van-hoa/khai-hoi-cho-tinh-thac-luoi-659854.html"
OTHER = "/tu-tuong-van-hoa/dem-tho-ban-hoa-am-dat-nuoc-ton-vinh-di-san-thi-ca-dan-toc-660026.html"


def test_retry_after_is_honoured_up_to_a_cap(install: Install) -> None:
    """429 + ``Retry-After: 2``: retried after two seconds, and stored.  503 asking for an
    hour: not retried (the cap is two minutes), one error, and the crawl does not hang."""
    page = (SITE_ROOT / ARTICLE.lstrip("/")).read_bytes()
    answers = {
        ARTICLE: [Answer(429, (("Retry-After", "2"),), b"slow down"), Answer(body=page)],
        OTHER: Answer(503, (("Retry-After", "3600"),), b"maintenance"),
    }
    times: list[float] = []
    with hostile_copy(answers, times=times) as (mirror, seen):
        result = install.run("crawl", "dangcongsan", "--mirror", mirror, "--no-feeds")
    assert result.returncode == 0, result.stderr
    asked = [when for path, when in zip(seen, times) if path == ARTICLE]
    assert len(asked) == 2 and asked[1] - asked[0] >= 2
    assert seen.count(OTHER) == 1
    assert f"{len(expected_articles()) - 1} new" in result.stdout and "1 errors" in result.stdout


def test_a_skipped_daemon_run_is_recorded(install: Install, site_copy: str) -> None:
    from scheduler.locks import site_lock

    with site_lock(install.data_dir / "locks", "dangcongsan"):  # a manual crawl, running
        daemon, lines = install.start("run", "dangcongsan", "--interval", "1h",
                                      "--mirror", site_copy)
        try:
            lines.wait_for("crawl dangcongsan: skipped")
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=120)
    with install.storage().engine.connect() as conn:
        outcomes = set(conn.scalars(select(CrawlRun.outcome)))
    assert "skipped" in outcomes, outcomes
    status = install.run("status", "--json")
    site = site_status(status.stdout)
    assert site["last_skipped"]["reason"] == "another crawl of it was running"
    assert site["health"] == "unknown", site  # skipped is not failed: no crawl has run yet
    assert "skipped" in install.run("status").stdout
