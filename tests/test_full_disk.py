"""A full disk is a failed run, said in one line — never `ok — 0 new`, never a traceback.

The filesystem is real: a 4 MiB tmpfs mounted for the test and filled with a file.
"""

from __future__ import annotations

import sqlite3
from .conftest import Install, SmallDisk, expected_articles, site_status


def test_a_full_disk_under_the_database_fails_the_crawl_in_one_line(
        install: Install, small_disk: SmallDisk, site_copy: str) -> None:
    # the database lives on the small disk; feeds and locks stay put
    install = Install(install.root, f"sqlite:///{small_disk.path / 'partyfeed.db'}")
    assert install.run("status").returncode == 0  # the database exists, then the disk fills
    small_disk.fill(leave=192 * 1024)
    result = install.run("crawl", "dangcongsan", "--mirror", site_copy)
    status = install.run("status", "--json")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == \
        "dangcongsan: cannot store articles: database or disk is full"
    assert "failed" in result.stdout and "ok —" not in result.stdout
    # status reads the full database and says so
    assert status.returncode == 0, status.stderr
    site = site_status(status.stdout)
    assert site["health"] == "failing"
    assert "database or disk is full" in site["reason"]
    # nothing half-stored: the file is sound and every row it holds is a whole article
    small_disk.free()
    with sqlite3.connect(small_disk.path / "partyfeed.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = conn.execute("SELECT url, title, body_text FROM articles").fetchall()
    expected = {a["url"]: a for a in expected_articles()}
    assert len(rows) < len(expected)
    for url, title, body in rows:
        assert title == expected[url]["title"] and body == expected[url]["body_text"]
