"""The archive remembers, on the local copy of dangcongsan.vn, on SQLite and PostgreSQL:
an article edited between two crawls has two versions, a readable diff in ``history`` and
one entry in the changes feed; taken-down articles show as removed; the same text under
two URLs is one story; ``search`` finds Vietnamese typed without diacritics."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest

from crawler.archive.fetches import Fetches
from crawler.archive.stories_store import Stories
from crawler.search import fold
from crawler.storage import Storage
from scheduler.sitecopy import serving

from .conftest import SITE_ROOT, Install

#: the words the edit replaces, and what replaces them
EDIT_FROM, EDIT_TO = "đoàn công tác Ban Dân vận Trung ương", "đoàn công tác liên ngành Trung ương"
EDITED = "577383"  # Thành ủy Sóc Trăng thực hiện tốt Quy chế dân chủ cơ sở
REPRINT_ID = "999001"


@dataclass
class Archive:
    install: Install
    root: Path
    mirror: str

    def page(self, url: str) -> Path:
        return self.root / urlsplit(url).path.lstrip("/")

    def crawl(self, *extra: str) -> None:
        result = self.install.run("crawl", "dangcongsan", "--mirror", self.mirror, *extra)
        assert "Traceback" not in result.stderr, result.stderr
        assert result.returncode in (0, 1), result.stderr


@pytest.fixture(params=["sqlite", "postgresql"])
def archive(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Archive]:
    root = tmp_path / "site"
    shutil.copytree(SITE_ROOT, root)
    (tmp_path / "install").mkdir()
    db = request.getfixturevalue("postgres").new_database() if request.param == "postgresql" else None
    with serving(root) as mirror:
        yield Archive(Install(tmp_path / "install", db=db), root, mirror)


def _reprint(archive: Archive, storage: Storage, key: str) -> str:
    """The stored article ``key``'s page again under another id, linked from the home page
    in place of another article's link: the same text under two URLs."""
    row = storage.find(key)
    assert row is not None
    page = archive.page(row.url)
    old_id = row.article_id
    new_url = row.url.replace(f"-{old_id}.html", f"-{REPRINT_ID}.html")
    html = page.read_text(encoding="utf-8").replace(f"-{old_id}.html", f"-{REPRINT_ID}.html")
    archive.page(new_url).write_text(html.replace("(ĐCSVN)", "(TTXVN)"), encoding="utf-8")
    home = archive.root / "index.html"
    links = re.findall(r'href="(https://dangcongsan\.vn/[^"]+-(\d+)\.html)"',
                       home.read_text(encoding="utf-8"))
    victim = next(url for url, number in links if number not in (old_id, EDITED))
    home.write_text(home.read_text(encoding="utf-8").replace(
        f'href="{victim}"', f'href="{new_url}"', 1), encoding="utf-8")
    return new_url


def test_edits_takedowns_stories_and_search_on_the_copy(archive: Archive) -> None:
    archive.crawl()
    storage = Storage(archive.install.db_url)
    try:
        # articles the site numbers (the 2026 portal's have no id)
        stored = {row.article_id: row for row in _rows(storage) if row.article_id}
        assert EDITED in stored and len(stored) >= 10
        edited = stored[EDITED]
        gone_404, gone_home = [r for k, r in sorted(stored.items()) if k != EDITED][:2]
        twin = [r for k, r in sorted(stored.items()) if r not in (edited, gone_404, gone_home)][0]
        # the first fetch kept each page's validators: the first refresh is conditional
        state = Fetches(storage.engine).state(edited.key)
        assert state is not None and state.etag

        page = archive.page(edited.url)
        html = page.read_text(encoding="utf-8")
        assert EDIT_FROM in html
        page.write_text(html.replace(EDIT_FROM, EDIT_TO), encoding="utf-8")
        archive.page(gone_404.url).unlink()
        archive.page(gone_home.url).unlink()
        archive.page(gone_home.url).with_suffix("").with_name(
            archive.page(gone_home.url).name + ".redirect").write_text("/", encoding="utf-8")
        reprint_url = _reprint(archive, storage, twin.key)
    finally:
        storage.close()

    archive.crawl("--refresh")

    # two versions, and a diff a person can read
    history = archive.install.run("history", edited.key)
    assert history.returncode == 0, history.stderr
    assert "2 versions" in history.stdout
    assert "[-Ban Dân vận-]" in history.stdout and "{+liên ngành+}" in history.stdout

    # one entry per edit, none for the unchanged pages refreshed with them; takedowns too
    changes = feedparser.parse(archive.install.feeds_dir / "dangcongsan-changes.atom")
    assert not changes.bozo, changes.bozo_exception
    edits = [e for e in changes.entries if e.title.startswith("Đã sửa")]
    removals = {e.link: e for e in changes.entries if e.title.startswith("Đã gỡ")}
    assert len(edits) == 1
    assert edits[0].link == edited.url
    content = edits[0].content[0].value
    assert "<del>Ban Dân vận" in content and "<ins>liên ngành" in content
    assert set(removals) == {gone_404.url, gone_home.url}
    assert "HTTP 404" in removals[gone_404.url].summary
    assert "redirected to the home page" in removals[gone_home.url].summary
    gone = archive.install.run("history", gone_404.key)
    assert "removed " in gone.stdout and "HTTP 404" in gone.stdout
    assert json.loads(archive.install.run("history", gone_home.url, "--json").stdout)["removed"]["reason"] \
        == "redirected to the home page"
    everything = feedparser.parse(archive.install.feeds_dir / "all-changes.atom")
    assert {e.id for e in everything.entries} == {e.id for e in changes.entries}

    # the article's own entry is its latest version, with an updated time
    site_feed = feedparser.parse(archive.install.feeds_dir / "dangcongsan.atom")
    entry = next(e for e in site_feed.entries if e.link == edited.url)
    assert EDIT_TO in entry.content[0].value and EDIT_FROM not in entry.content[0].value
    assert entry.updated_parsed > entry.published_parsed

    storage = Storage(archive.install.db_url)
    try:
        stories = Stories(storage.engine).stories_of([twin.url, reprint_url])
        assert len(stories) == 2 and len(set(stories.values())) == 1
        assert Stories(storage.engine).stories_of([edited.url]) != {edited.url: stories[twin.url]}
    finally:
        storage.close()

    # Vietnamese typed without diacritics
    words = fold("Quy chế dân chủ cơ sở")
    found = archive.install.run("search", words, "--json")
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)
    assert edited.url in [h["url"] for h in hits]
    assert "<mark>" in hits[0]["snippet_html"]


def _rows(storage: Storage):
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from crawler.storage import ArticleRow

    with Session(storage.engine, expire_on_commit=False) as session:
        return list(session.scalars(select(ArticleRow)))
