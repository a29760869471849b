"""nhandan.vn: its URLs, listings, every field of every saved article, its in-body chrome, its RSS alive, dead and stale."""

from __future__ import annotations

import re
import shutil
import unicodedata
from datetime import datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import pytest

from crawler.config import load_config
from crawler.discovery import read_feed
from crawler.sites import get_site, site_for_url
from scheduler.sitecopy import serving
from scheduler.status import metrics_exporter

from .conftest import (
    Install,
    SiteCopyFiles,
    assert_stored_as_expected,
    atom_errors,
    crawl_one,
)

SITE = get_site("nhandan")
COPY = SiteCopyFiles("nhandan")
ARTICLES = COPY.articles()
FEED = "https://nhandan.vn/rss/home.rss"


@pytest.mark.parametrize("url, article_id", [
    ("https://nhandan.vn/xung-dang-la-thanh-bao-kiem-sac-ben-trong-dau-tranh-phong-chong-toi-pham-post980623.html",
     "980623"),
    ("https://nhandan.vn/video-bao-dong-lu-tren-ha-luu-song-thuong-song-luc-nam-post983606.html", "983606"),
    ("https://www.nhandan.vn/some-2005-article-post410945.html", "410945"),
])
def test_article_urls_end_in_post_and_their_id(url: str, article_id: str) -> None:
    assert SITE.is_article(url) and SITE.article_id(url) == article_id
    assert site_for_url(url) is SITE


@pytest.mark.parametrize("url", [
    "https://nhandan.vn/chu-de/giai-vo-dich-bong-da-dong-nam-a-asean-cup-2026-705029.html",  # a topic
    "https://nhandan.vn/ocop/ca-phe-pha-phin-dehavi-valley-prod545.html",                     # a product
    "https://nhandan.vn/tag/Covid19-53",
    "https://nhandan.vn/chinhtri/",
    "https://nhandan.vn/rss/home.rss",
    "https://special.nhandan.vn/emagazine/index.html",
    "https://baochinhphu.vn/mot-bai-post983672.html",  # another site's host
])
def test_other_pages_are_not_articles(url: str) -> None:
    assert not SITE.is_article(url)


def test_categories_and_defaults_are_the_sites_own() -> None:
    assert SITE.categories["chinhtri"] == "Chính trị"
    assert set(SITE.default_categories) <= set(SITE.categories)


@pytest.mark.parametrize("path", [p for p in COPY.listings() if p.startswith("/") and not p.endswith(".rss")])
def test_listings_give_their_articles_in_order(path: str) -> None:
    url = "https://nhandan.vn" + path
    listing = SITE.listing(url, COPY.page(url).read_text(encoding="utf-8"),
                           category=path.strip("/") or None)
    assert listing.article_urls == COPY.listings()[path]  # relative links made absolute, others' left out
    assert listing.next_page is None


def test_the_rss_names_its_articles_with_their_dates() -> None:
    body = (COPY.root / "rss" / "home.rss").read_bytes()
    entries = read_feed(body, FEED)
    assert [e.url for e in entries] == COPY.listings()["/rss/home.rss"]
    by_url = {a["url"]: a for a in ARTICLES}
    assert all(e.published == datetime.fromisoformat(by_url[e.url]["published"]) for e in entries)


@pytest.fixture(scope="module", params=ARTICLES, ids=[a["article_id"] for a in ARTICLES])
def pair(request: pytest.FixtureRequest):
    want = request.param
    return SITE.extract(want["url"], COPY.page(want["url"]).read_bytes()), want


def test_every_field_matches_the_source(pair) -> None:
    got, want = pair
    assert got.title == want["title"]
    assert got.published == datetime.fromisoformat(want["published"])
    assert got.published.utcoffset().total_seconds() == 7 * 3600
    assert got.summary == want["summary"]
    assert got.authors == want["authors"] and got.source == want["source"]  # never the publisher
    assert (got.category, got.category_slug) == (want["category"], want["category_slug"])
    assert got.tags == want["tags"] and got.article_id == want["article_id"]
    assert [(i.url, i.caption) for i in got.images] == [(i["url"], i["caption"]) for i in want["images"]]
    assert got.body_text.split("\n\n") == want["body_text"].split("\n\n")
    assert not any(layer == "generic" for layer in got.layers.values()), got.layers


def test_ads_related_lists_and_page_chrome_never_reach_the_article(pair) -> None:
    got, want = pair
    for text in (got.title, got.summary or "", got.body_text, got.body_html):
        assert unicodedata.is_normalized("NFC", text)
        for chrome in want["chrome"]:
            assert chrome not in text, chrome
    assert "<li>" not in got.body_html and "data:image" not in got.body_html


def test_lazy_images_are_their_real_avif() -> None:
    want = next(a for a in ARTICLES if a["article_id"] == "983672")
    got = SITE.extract(want["url"], COPY.page(want["url"]).read_bytes())
    assert got.images[0].url.startswith("https://cdn.nhandan.vn/images/") and got.images[0].url.endswith(".avif")
    assert f'src="{got.images[0].url}"' in got.body_html


def test_crawl_reads_the_rss_first_and_builds_valid_feeds(install: Install, site_copies: str) -> None:
    result = crawl_one(install, "nhandan", site_copies)
    assert "nhandan: ok — " in result.stdout and f"{len(ARTICLES)} new" in result.stdout, result.stdout
    assert_stored_as_expected(install, ARTICLES)
    atom = (install.feeds_dir / "nhandan.atom").read_bytes()
    assert atom_errors(atom) == []
    assert "Quảng cáo" not in atom.decode() and "sdaWeb" not in atom.decode()
    # the qdnd story linked from the home page is qdnd's to crawl, not nhandan's
    assert {a.site for a in install.storage().recent(limit=100)} == {"nhandan"}
    status = install.run("status")
    assert "nhandan: ok" in status.stdout and "feed " not in status.stdout
    again = crawl_one(install, "nhandan", site_copies)
    # nothing new: the feed, the home page and one page per default category, no article
    assert again.stdout.startswith("nhandan: ok — 4 pages, 0 new, 0 updated"), again.stdout


def _copy_with(tmp_path: Path, change) -> Path:
    root = tmp_path / "nhandan"
    shutil.copytree(COPY.root, root)
    change(root / "rss" / "home.rss")
    return root


def test_a_dead_feed_is_noted_and_the_listings_still_find_their_articles(install: Install, tmp_path: Path) -> None:
    root = _copy_with(tmp_path, Path.unlink)
    with serving(root) as mirror:
        result = crawl_one(install, "nhandan", mirror)
    listed = {u for p, urls in COPY.listings().items() if p.startswith("/") and not p.endswith(".rss") for u in urls}
    assert {a.url for a in install.storage().recent(limit=100)} == listed
    assert "0 errors" in result.stdout  # a dead feed is not a crawl error
    status = install.run("status").stdout
    assert "nhandan: ok" in status and f"feed      {FEED} unusable: http_404" in status


def test_a_feed_far_behind_its_site_is_noted_stale(install: Install, tmp_path: Path) -> None:
    def age(feed: Path) -> None:
        text = feed.read_text(encoding="utf-8")
        shifted = re.sub(r"<pubDate>(.*?)</pubDate>", lambda m: "<pubDate>" + format_datetime(
            parsedate_to_datetime(m.group(1)) - timedelta(days=30)) + "</pubDate>", text)
        feed.write_text(shifted, encoding="utf-8")

    root = _copy_with(tmp_path, age)
    with serving(root) as mirror:
        crawl_one(install, "nhandan", mirror)
    status = install.run("status", "--json")
    assert '"feeds_stale"' in status.stdout
    text = install.run("status").stdout
    assert "nhandan: ok" in text and f"feed      {FEED} stale: newest item 2026-07-23" in text
    metrics, _ = metrics_exporter(load_config(env=install.env))()
    assert b'partyfeed_last_run_feeds_unusable{site="nhandan",state="stale"} 1.0' in metrics
    assert b'partyfeed_last_run_feeds_unusable{site="nhandan",state="failed"} 0.0' in metrics
