"""The 2026 dangcongsan.vn portal crawled end to end, and pages that are no article refused.

The portal's article URLs carry no id (``/tin-hoat-dong/<slug>.html``) and its listings link
them with ``?categoryId=`` lists; an article must be one row whatever the query or the old
slug it was reached by, with the fields sites.md §1.4/§6.6 gives.  Category pages, video-only
pages and error pages served with status 200 are rejected with a reason, never stored.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import feedparser
from sqlalchemy import select

from crawler.storage import ArticleRow, Rejection
from scheduler.sitecopy import serving

from .conftest import SITE_ROOT, Install, expected_articles, fixture_path

PORTAL = [a for a in expected_articles() if a["layout"] == "portal2026"]
EVIDENCE = next(a for a in PORTAL if a.get("aliases"))
VIDEO = next(a for a in PORTAL if "sao-la" in a["url"])


def _listing_with(root: Path, links: list[str]) -> None:
    """Add links to the portal listing /tin-hoat-dong of a copy."""
    page = root / "tin-hoat-dong" / "index.html"
    extra = "".join(f'<div class="news-item"><h3><a href="{u}">Một bài viết của Cổng thông tin điện tử Đảng</a></h3></div>'
                    for u in links)
    page.write_text(page.read_text(encoding="utf-8").replace("</body>", extra + "</body>"), encoding="utf-8")


def _no_article_pages(root: Path) -> dict[str, str]:
    """Three pages at article URLs of the portal that are not articles; URL → what it is."""
    base = "https://dangcongsan.vn/tin-hoat-dong/"
    video_only = fixture_path(VIDEO["url"]).read_text(encoding="utf-8")
    start = video_only.index('<div class="article-content">')
    end = video_only.index("</div>", start)
    player = video_only[video_only.index("<figure", start):video_only.index("</figure>", start) + 9]
    player = player.split("<figcaption>")[0] + "</figure>"  # the player alone, no caption, no text
    video_only = video_only[:start] + '<div class="article-content">' + player + video_only[end:]
    video_only = video_only.replace(video_only[video_only.index('<div class="article-sapo">'):
                                              video_only.index('<div class="article-content">')], "")
    video_only = video_only.replace(VIDEO["url"], base + "video-khong-co-loi-binh.html")  # its own og:url
    listing = (root / "tin-hoat-dong" / "index.html").read_text(encoding="utf-8")
    error = ('<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>404 - Trang không tồn tại'
             '</title></head><body><div class="portal-header"><a href="/">Trang chủ</a></div><div class="error">'
             '<h1>Trang bạn tìm không tồn tại</h1><p>Đường dẫn có thể đã bị thay đổi hoặc bài viết đã bị gỡ bỏ. '
             'Mời bạn quay lại trang chủ để đọc tin mới nhất.</p></div></body></html>')
    pages = {base + "video-khong-co-loi-binh.html": video_only, base + "chuyen-muc-tin-tuc.html": listing,
             base + "bai-viet-da-go.html": error}
    for url, html in pages.items():
        (root / fixture_path(url).relative_to(SITE_ROOT)).write_text(html, encoding="utf-8")
    # a category page has no publication date of its own: that is the reason it gives
    return {url: kind for url, kind in zip(pages, ("no article text", "missing-published", "error page"), strict=True)}


def test_the_portal_is_crawled_once_per_article_whatever_the_link(install: Install, tmp_path: Path) -> None:
    root = tmp_path / "site"
    shutil.copytree(SITE_ROOT, root)
    # the same article under another categoryId, and under an old slug whose og:url names it
    _listing_with(root, [EVIDENCE["url"] + "?categoryId=1902448", EVIDENCE["aliases"][0]])
    bad = _no_article_pages(root)
    _listing_with(root, list(bad))
    (install.root / "partyfeed.toml").write_text('[sites.dangcongsan]\ncategories = ["tin-hoat-dong"]\n')
    with serving(root) as mirror:
        result = install.run("crawl", "dangcongsan", "--mirror", mirror)
    assert result.returncode == 0, result.stderr
    assert f"{len(PORTAL) + 5} new" in result.stdout  # home lists 5 legacy pages, the portal its own
    assert "3 rejected" in result.stdout, result.stdout
    with install.storage().engine.connect() as conn:
        rows = {row.url: row for row in conn.execute(select(ArticleRow))}
        rejected = dict(conn.execute(select(Rejection.url, Rejection.reason)).all())
    for want in PORTAL:
        row = rows[want["url"]]  # stored under the canonical URL, query and old slug gone
        assert row.title == want["title"] and row.article_id is None
        assert row.authors == want["authors"]
        assert row.category == want["category"] and row.summary == want["summary"]
    assert not [u for u in rows if "?" in u or u == EVIDENCE["aliases"][0]]
    assert set(rejected) == set(bad)
    for url, kind in bad.items():
        assert kind in rejected[url], rejected[url]
        assert url not in rows
    feed = feedparser.parse((install.feeds_dir / "dangcongsan.atom").read_bytes())
    entry = next(e for e in feed.entries if e.link == EVIDENCE["url"])
    assert entry.title == EVIDENCE["title"] and entry.author == "Lan Anh"
    assert (install.feeds_dir / "dangcongsan-van-de-quan-tam.atom").exists()
