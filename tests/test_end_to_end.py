"""The whole system against the saved copy on loopback: crawl command, database, feeds."""

from __future__ import annotations

import re
import shutil
import socket
from datetime import datetime, timezone
from pathlib import Path

import feedparser
from sqlalchemy import select, text

from crawler.sites import all_sites
from crawler.storage import ArticleRow, Rejection
from scheduler.sitecopy import serving

from .conftest import CHROME, REPO, SITE_ROOT, Install, expected_articles, fixture_path


def _expected_by_url() -> dict[str, dict]:
    return {a["url"]: a for a in expected_articles()}


def test_crawl_stores_every_article_of_the_copy(crawled) -> None:
    install, result = crawled
    expected = _expected_by_url()
    assert f"{len(expected)} new" in result.stdout
    assert "0 rejected" in result.stdout and "0 errors" in result.stdout
    with install.storage().engine.connect() as conn:
        rows = {row.url: row for row in conn.execute(select(ArticleRow))}
    assert set(rows) == set(expected)
    for url, row in rows.items():
        want = expected[url]
        assert row.title == want["title"]
        assert row.published == datetime.fromisoformat(want["published"])


def test_times_are_stored_as_utc(crawled) -> None:
    install, _ = crawled
    seed = install.storage().recent(site="dangcongsan", limit=1000)
    by_id = {a.article_id: a for a in seed}
    assert by_id["577383"].published == datetime(2021, 3, 1, 11, 50, tzinfo=timezone.utc)
    assert all(a.published.utcoffset().total_seconds() == 0 for a in seed)
    with install.storage().engine.connect() as conn:  # the file holds UTC wall time
        raw = conn.scalar(text("select published from articles where article_id = '577383'"))
    assert str(raw).startswith("2021-03-01 11:50:00")


def _parse(path: Path) -> feedparser.FeedParserDict:
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, (path, parsed.get("bozo_exception"))
    return parsed


def test_feeds_hold_the_newest_articles_in_order(crawled) -> None:
    install, _ = crawled
    expected = _expected_by_url()
    newest = sorted(expected.values(), key=lambda a: a["published"], reverse=True)[:50]
    for name in ("dangcongsan.rss", "dangcongsan.atom", "all.rss", "all.atom"):
        feed = _parse(install.feeds_dir / name)
        entries = feed.entries
        assert len(entries) == len(newest)
        assert [e.link for e in entries] == [a["url"] for a in newest]
        ids = [e.id for e in entries]
        assert len(set(ids)) == len(ids)
        for entry, want in zip(entries, newest):
            assert entry.title == want["title"]
            # the site's article id, or the URL for the 2026 portal's id-less articles
            assert entry.id.endswith(want["article_id"] or want["url"].split("://", 1)[1]), entry.id
            stamp = datetime(*entry.published_parsed[:6], tzinfo=timezone.utc)
            assert stamp == datetime.fromisoformat(want["published"]).astimezone(timezone.utc)


def test_no_chrome_text_reaches_database_or_feeds(crawled) -> None:
    install, _ = crawled
    feeds = [p.read_text(encoding="utf-8") for p in install.feeds_dir.iterdir()]
    for article in install.storage().recent(limit=1000):
        stored = " ".join([article.title, article.summary or "", article.body_text, article.body_html])
        for chrome in CHROME:
            assert chrome not in stored, (article.url, chrome)
    for chrome in CHROME:
        if chrome == "<script":
            assert all("<script" not in f for f in feeds)  # escaped or not, never present
            assert all("&lt;script" not in f for f in feeds)
        else:
            assert all(chrome not in f for f in feeds), chrome


def test_second_crawl_adds_nothing(crawled, site_copy: str, tmp_path: Path) -> None:
    install = crawled[0].copy_to(tmp_path / "again")
    before = {p.name: p.read_bytes() for p in install.feeds_dir.iterdir()}
    count = install.storage().count()
    result = install.run("crawl", "dangcongsan", "--mirror", site_copy)
    assert result.returncode == 0, result.stderr
    # the home page and the first page of each category (thoi-su, tu-tuong-van-hoa and the 2026
    # portal's tin-hoat-dong); no article page, no page 2
    assert result.stdout.startswith("dangcongsan: ok — 4 pages, 0 new, 0 updated"), result.stdout
    assert install.storage().count() == count
    assert {p.name: p.read_bytes() for p in install.feeds_dir.iterdir()} == before


def test_feed_bytes_stable_without_new_articles(crawled, tmp_path: Path) -> None:
    install = crawled[0].copy_to(tmp_path / "feeds")
    before = {p.name: p.read_bytes() for p in install.feeds_dir.iterdir()}
    result = install.run("feeds")
    assert result.returncode == 0, result.stderr
    after = {p.name: p.read_bytes() for p in install.feeds_dir.iterdir()}
    # every byte the crawl wrote stays; only the feeds of sites never crawled here appear
    assert {name: after[name] for name in before} == before
    others = set(all_sites()) - {"dangcongsan"}
    assert {name.split(".")[0] for name in after.keys() - before.keys()} == \
        others | {f"{site}-changes" for site in others}
    assert "0 feed files changed" in install.run("feeds").stdout


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_site_fails_in_one_line_and_keeps_the_feeds(crawled, tmp_path: Path) -> None:
    install = crawled[0].copy_to(tmp_path / "offline")
    before = {p.name: p.read_bytes() for p in install.feeds_dir.iterdir()}
    result = install.run("crawl", "dangcongsan", "--mirror", f"http://127.0.0.1:{_closed_port()}")
    assert result.returncode == 1
    failures = [line for line in result.stderr.splitlines() if line.startswith("dangcongsan:")]
    assert len(failures) == 1 and "unreachable" in failures[0], result.stderr
    assert "Traceback" not in result.stderr
    assert {p.name: p.read_bytes() for p in install.feeds_dir.iterdir()} == before


def _edited_copy(tmp_path: Path) -> tuple[Path, dict, dict]:
    """A copy of the site where one article was edited and another lost its date."""
    root = tmp_path / "site"
    shutil.copytree(SITE_ROOT, root)
    def content(article: dict) -> str:
        return fixture_path(article["url"]).read_text(encoding="utf-8").split('class="post-content"')[-1]

    legacy = [a for a in expected_articles() if a["layout"] == "legacy" and a["body_text"]
              and a["body_text"][:40] in content(a)]
    edited, broken = legacy[0], legacy[1]
    page = fixture_path(edited["url"]).relative_to(SITE_ROOT)
    html = (root / page).read_text(encoding="utf-8")
    first_words = edited["body_text"][:40]
    head, body = html.split('class="post-content"', 1)
    body = body.replace(first_words, "ĐÍNH CHÍNH: " + first_words, 1)
    (root / page).write_text(f'{head}class="post-content"{body}', encoding="utf-8")
    page = fixture_path(broken["url"]).relative_to(SITE_ROOT)
    html = (root / page).read_text(encoding="utf-8")
    html = re.sub(r'<div class="lbPublishedDate">.*?</div>', "", html, flags=re.S)
    (root / page).write_text(html, encoding="utf-8")
    return root, edited, broken


def test_changed_article_updates_its_row_and_a_broken_page_is_rejected(crawled, tmp_path: Path) -> None:
    install = crawled[0].copy_to(tmp_path / "edited")
    root, edited, broken = _edited_copy(tmp_path)
    count = install.storage().count()
    with serving(root) as mirror:
        result = install.run("crawl", "dangcongsan", "--mirror", mirror, "--refresh")
    assert result.returncode == 0, result.stderr
    assert "1 updated" in result.stdout and "1 rejected" in result.stdout, result.stdout
    storage = install.storage()
    assert storage.count() == count  # the broken page keeps its stored copy
    with storage.engine.connect() as conn:
        row = conn.execute(select(ArticleRow).where(ArticleRow.url == edited["url"])).one()
        assert row.version == 2 and "ĐÍNH CHÍNH" in row.body_text
        assert row.updated is not None and row.updated > row.published
        rejected = conn.execute(select(Rejection.url, Rejection.reason)).all()
        assert [r.url for r in rejected] == [broken["url"]]
        assert "missing-published" in rejected[0].reason
        kept = conn.execute(select(ArticleRow).where(ArticleRow.url == broken["url"])).one()
        assert kept.version == 1
    listed = install.run("status", "--rejected")
    assert broken["url"] in listed.stdout and "missing-published" in listed.stdout
    feed = feedparser.parse((install.feeds_dir / "dangcongsan.atom").read_bytes())
    entries = [e for e in feed.entries if e.link == edited["url"]]
    if entries:  # the edited article is among the newest 50
        assert "ĐÍNH CHÍNH" in entries[0].content[0].value


def test_scrapy_crawl_works_from_the_repository_root(site_copy: str, install: Install) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "dangcongsan", "-s", f"PARTYFEED_MIRROR={site_copy}",
         "-s", "PARTYFEED_MAX_PAGES=1", "-s", "LOG_LEVEL=WARNING", "-s", "DOWNLOAD_DELAY=0",
         "-s", "AUTOTHROTTLE_ENABLED=False"],
        cwd=REPO, env=install.env, text=True, capture_output=True, timeout=180,
    )
    assert result.returncode == 0, result.stderr
    with install.storage().engine.connect() as conn:
        assert conn.scalar(text("select count(*) from articles")) > 0


def test_dead_links_and_garbage_pages_are_counted_not_fatal(install: Install, tmp_path: Path) -> None:
    root = tmp_path / "site"
    shutil.copytree(SITE_ROOT, root)
    articles = expected_articles()
    dead, garbage, truncated = articles[3], articles[4], articles[5]
    (root / fixture_path(dead["url"]).relative_to(SITE_ROOT)).unlink()
    (root / fixture_path(garbage["url"]).relative_to(SITE_ROOT)).write_bytes(
        b"\x00\xff\xfe<<<\x89PNG\r\n\x1a\n" * 50)
    page = root / fixture_path(truncated["url"]).relative_to(SITE_ROOT)
    page.write_bytes(page.read_bytes()[:1500])  # cut in the middle of the <head>
    with serving(root) as mirror:
        result = install.run("crawl", "dangcongsan", "--mirror", mirror)
    assert result.returncode == 0, result.stderr  # the site as a whole is fine
    assert "Traceback" not in result.stderr
    assert "1 errors" in result.stdout and "2 rejected" in result.stdout, result.stdout
    with install.storage().engine.connect() as conn:
        urls = set(conn.scalars(select(ArticleRow.url)))
        rejected = dict(conn.execute(select(Rejection.url, Rejection.reason)).all())
    assert urls == {a["url"] for a in articles} - {dead["url"], garbage["url"], truncated["url"]}
    assert set(rejected) == {garbage["url"], truncated["url"]}
    run = install.storage().runs("dangcongsan")[0]
    assert run.detail["error_kinds"] == {"http_404": 1}
    for name in ("dangcongsan.atom", "all.rss"):
        assert not feedparser.parse((install.feeds_dir / name).read_bytes()).bozo
