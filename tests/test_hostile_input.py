"""Hostile pages never freeze the feeds, blow up memory or pass as another site's articles.

Each test serves the saved copy on loopback with a few pages replaced by what a
broken or hostile server sends: a 20 MB article, a 100 KB headline, a gzip bomb,
redirects off the copy.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zlib
from datetime import datetime, timezone
from pathlib import Path

import feedparser
from sqlalchemy import select

from crawler.items import Article
from crawler.limits import MAX_CHARS, MAX_PAGE_BYTES
from crawler.sites import get_site
from crawler.storage import ArticleRow, Rejection

from .conftest import (
    REPO,
    SITE_ROOT,
    Answer,
    Install,
    copy_handler,
    expected_articles,
    hostile_copy,
    web_through_proxy,
)

ARTICLES = {a["url"]: a for a in expected_articles()}
HUGE_PAGE = "/tu-tuong-van-hoa/khai-hoi-cho-tinh-thac-luoi-659854.html"
LONG_TITLE = "/tu-tuong-van-hoa/dem-tho-ban-hoa-am-dat-nuoc-ton-vinh-di-san-thi-ca-dan-toc-660026.html"
LONG_BODY = "/tu-tuong-van-hoa/doc-thu-tha-song-de-tim-ve-cach-song-an-yen-659943.html"
BOMB = "/tu-tuong-van-hoa/khai-hoi-den-tran-hao-khi-dong-a-tieng-vong-ngan-nam-659942.html"


def _url(path: str) -> str:
    return f"https://dangcongsan.vn{path}"


def _page(path: str) -> str:
    return (SITE_ROOT / path.lstrip("/")).read_text(encoding="utf-8")


def _words(chars: int) -> str:
    """Vietnamese prose of about ``chars`` characters."""
    sentence = "Đảng bộ tỉnh lãnh đạo thực hiện thắng lợi nhiệm vụ phát triển kinh tế xã hội. "
    return sentence * (chars // len(sentence) + 1)


def _padded(path: str, marker: str, text: str) -> bytes:
    """The saved page with ``text`` inserted right after ``marker``."""
    page = _page(path)
    assert marker in page
    return page.replace(marker, marker + text, 1).encode()


def _gzip_bomb(size: int) -> bytes:
    """``size`` bytes of HTML-looking filler, gzipped: about a thousandth on the wire."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"<p>" + b" " * (1024 * 1024 - 3)
    parts = [compressor.compress(chunk) for _ in range(size // len(chunk))]
    return b"".join(parts) + compressor.flush()


def _rows(install: Install) -> dict[str, ArticleRow]:
    with install.storage().engine.connect() as conn:
        return {row.url: row for row in conn.execute(select(ArticleRow))}


def _rejections(install: Install) -> dict[str, str]:
    with install.storage().engine.connect() as conn:
        return {row.url: row.reason for row in conn.execute(select(Rejection))}


def test_oversized_pages_and_fields_are_cut_or_refused_and_feeds_keep_flowing(
        install: Install) -> None:
    bomb = _gzip_bomb(64 * 1024 * 1024)
    answers = {
        HUGE_PAGE: Answer(body=_padded(HUGE_PAGE, '<div class="post-content">',
                                       f"<p>{_words(20_000_000)}</p>")),
        LONG_TITLE: Answer(body=_padded(LONG_TITLE, '<h1 class="post-title">', _words(100_000))),
        LONG_BODY: Answer(body=_padded(LONG_BODY, '<div class="post-content">',
                                       f"<p>{_words(3_000_000)}</p>")),
        BOMB: Answer(headers=(("Content-Encoding", "gzip"),), body=bomb),
    }
    assert len(bomb) < MAX_PAGE_BYTES < 64 * 1024 * 1024
    with hostile_copy(answers) as (mirror, _):
        result = install.run("crawl", "dangcongsan", "--mirror", mirror)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert f"{len(ARTICLES) - 2} new" in result.stdout and "2 rejected" in result.stdout
    assert "(2 cut to size)" in result.stdout, result.stdout

    # the 20 MB page and the bomb are refused for what they are
    rejected = _rejections(install)
    assert rejected[_url(HUGE_PAGE)].startswith("too-large")
    assert rejected[_url(BOMB)].startswith("too-large")

    rows = _rows(install)
    title = rows[_url(LONG_TITLE)].title
    assert len(title) <= MAX_CHARS["title"] and title.endswith("…")
    assert title.startswith("Đảng bộ tỉnh lãnh đạo")  # the padding came first
    long_body = rows[_url(LONG_BODY)]
    assert len(long_body.body_text) <= MAX_CHARS["body_text"]
    assert len(long_body.body_html) <= MAX_CHARS["body_html"] + 10
    assert long_body.body_text.startswith("Đảng bộ tỉnh lãnh đạo")

    for name in ("dangcongsan.atom", "dangcongsan.rss", "all.atom"):
        feed = feedparser.parse((install.feeds_dir / name).read_bytes())
        assert not feed.bozo, (name, feed.get("bozo_exception"))
        assert len(feed.entries) == len(ARTICLES) - 2
        assert max(len(e.title) for e in feed.entries) <= MAX_CHARS["title"]


def test_an_oversized_row_already_stored_never_breaks_a_feed_build(install: Install) -> None:
    """Stored before the limits existed: a 20 MB body and a 100 KB title."""
    storage = install.storage()
    try:
        storage.upsert("dangcongsan:1", Article(
            url="https://dangcongsan.vn/thoi-su/bai-rat-dai-100001.html", site="dangcongsan",
            title=_words(100_000), published=datetime(2026, 1, 1, tzinfo=timezone.utc),
            body_html="<p>" + _words(20_000_000) + "</p>", body_text=_words(20_000_000),
            article_id="100001", category_slug="thoi-su"))
    finally:
        storage.close()
    result = install.run("feeds")
    assert result.returncode == 0, result.stderr
    for name in ("dangcongsan.atom", "dangcongsan.rss", "all.atom"):
        data = (install.feeds_dir / name).read_bytes()
        assert len(data) < 3 * MAX_CHARS["body_html"], name
        feed = feedparser.parse(data)
        assert not feed.bozo, (name, feed.get("bozo_exception"))
        assert len(feed.entries) == 1 and len(feed.entries[0].title) <= MAX_CHARS["title"]
    items = json.loads((install.feeds_dir / "dangcongsan.json").read_bytes())["items"]
    assert len(items) == 1 and len(items[0]["title"]) <= MAX_CHARS["title"]


MOVED = "/xay-dung-dang/thanh-uy-soc-trang-thuc-hien-tot-quy-che-dan-chu-co-so-577383.html"
HIJACKED = "/tu-tuong-van-hoa/khuyen-khich-cac-co-so-dien-anh-pho-bien-phim-viet-659898.html"
FAKE_TITLE = "TIN GIẢ do máy chủ khác đăng"


def _fake_article() -> bytes:
    """A well-formed article page of the site's own design, from a host that is not the site."""
    return _padded(HIJACKED, '<h1 class="post-title">', FAKE_TITLE + " ")


def test_mirror_redirects_stay_on_the_copy(install: Install) -> None:
    """``--mirror``: a redirect inside the copy is fetched from the copy, never from the live
    site; a redirect to another host is refused, and that host's page is never stored."""
    with hostile_copy({"/fake.html": Answer(body=_fake_article())}) as (elsewhere, other_saw):
        answers = {
            MOVED: Answer(301, (("Location", "/moved" + MOVED),)),
            "/moved" + MOVED: Answer(body=_page(MOVED).encode()),
            HIJACKED: Answer(302, (("Location", f"{elsewhere}/fake.html"),)),
        }
        with hostile_copy(answers) as (mirror, copy_saw):
            result = install.run("crawl", "dangcongsan", "--mirror", mirror)
    assert result.returncode == 0, result.stderr
    assert other_saw == []  # the other host was never asked
    assert "/moved" + MOVED in copy_saw
    rows = _rows(install)
    assert not [url for url, row in rows.items() if FAKE_TITLE in row.title]
    moved = [row for row in rows.values() if row.title == ARTICLES[_url(MOVED)]["title"]]
    assert len(moved) == 1 and moved[0].url in (_url(MOVED), _url("/moved" + MOVED))
    assert "0 errors" in result.stdout, result.stdout  # nothing was fetched from the live site



def _listing(*paths: str) -> Answer:
    links = "".join(f'<a class="item-title" href="https://dangcongsan.vn{p}">tin</a>' for p in paths)
    return Answer(body=f"<!DOCTYPE html><html><body>{links}</body></html>".encode())


def test_without_mirror_a_redirect_off_the_site_is_never_stored(
        install: Install, tmp_path: Path) -> None:
    """The real crawl path (HTTPS to dangcongsan.vn, robots.txt, offsite filtering) through a
    loopback proxy that stands in for the internet: an article that redirects to another
    host is rejected as off-site and nothing of that host is stored."""
    site_saw: list[str] = []
    other_saw: list[str] = []
    nowhere = tmp_path / "nowhere"
    nowhere.mkdir()
    hosts = {
        "dangcongsan.vn": copy_handler({
            "/": _listing(HIJACKED, MOVED),
            **{f"/{slug}": _listing() for slug in get_site("dangcongsan").default_categories},
            HIJACKED: Answer(302, (("Location", "https://tin-gia.example/fake.html"),)),
        }, site_saw),
        "*": copy_handler({"/fake.html": Answer(body=_fake_article())}, other_saw, nowhere),
    }
    with web_through_proxy(tmp_path, hosts) as proxy:
        # the plain Scrapy way, which can switch politeness off (AutoThrottle starts at 5 s)
        result = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "dangcongsan", "-s", "DOWNLOAD_DELAY=0",
             "-s", "AUTOTHROTTLE_ENABLED=0"],
            cwd=REPO, env={**install.env, "https_proxy": proxy}, text=True,
            capture_output=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert HIJACKED in site_saw and MOVED in site_saw  # the crawl did go through the proxy
    rows = _rows(install)
    assert [row.title for row in rows.values()] == [ARTICLES[_url(MOVED)]["title"]]
    assert other_saw == []
    assert _rejections(install)[_url(HIJACKED)].startswith("off-site")
    assert "'partyfeed/rejected/off-site': 1" in result.stderr  # counted once
