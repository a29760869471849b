"""qdnd.vn: its URLs, listings, every field of every saved article, its promo and byline, its session-bound RSS."""

from __future__ import annotations

import http.cookiejar
import subprocess
import sys
import unicodedata
import urllib.error
import urllib.request
from datetime import datetime

import pytest

from crawler.sites import get_site, site_for_url

from .conftest import (
    REPO,
    Install,
    SiteCopyFiles,
    assert_stored_as_expected,
    atom_errors,
    crawl_one,
)

SITE = get_site("qdnd")
COPY = SiteCopyFiles("qdnd")
ARTICLES = COPY.articles()
FEED = "https://www.qdnd.vn/rss/cate/tin-tuc-moi-nhat.rss"


@pytest.mark.parametrize("url, article_id", [
    ("https://www.qdnd.vn/kinh-te/cac-van-de/tao-dong-luc-cho-cong-dong-khoi-nghiep-sang-tao-521717", "521717"),
    ("https://www.qdnd.vn/cuoi-tuan/dien-dan/muon-ton-vinh-ao-dai-can-hieu-dung-656360", "656360"),
    ("https://qdnd.vn/quoc-phong-an-ninh/xay-dung-quan-doi/tu-hao-ve-truyen-thong-them-yeu-don-vi-808531", "808531"),
    ("https://www.qdnd.vn/chinh-tri/tin-tuc/dai-tuong-phan-van-giang-chu-tri-hoi-nghi-1052548", "1052548"),
])
def test_article_urls_have_no_extension_and_end_in_their_id(url: str, article_id: str) -> None:
    assert SITE.is_article(url) and SITE.article_id(url) == article_id
    assert site_for_url(url) is SITE


@pytest.mark.parametrize("url", [
    "https://www.qdnd.vn/tag/quoc-phong-an-ninh-1588.html",     # tag pages end in .html
    "https://www.qdnd.vn/tag/thuong-tuong-trinh-van-quyet-1465.html",
    "https://www.qdnd.vn/quoc-phong-an-ninh",                    # a category
    "https://www.qdnd.vn/quoc-phong-an-ninh/p/2",                # its second page
    "https://www.qdnd.vn/rss/cate/tin-tuc-moi-nhat.rss",
    "https://www.qdnd.vn/chinh-tri/tin-tuc/bai-viet-123.html",   # a public config's wrong guess
    "https://nhandan.vn/chinh-tri/tin-tuc/mot-bai-cua-bao-khac-884012",  # another site's host
])
def test_other_pages_are_not_articles(url: str) -> None:
    assert not SITE.is_article(url)


def test_categories_and_defaults_are_the_sites_own() -> None:
    assert SITE.categories["quoc-phong-an-ninh"] == "Quốc phòng - An ninh"
    assert set(SITE.default_categories) <= set(SITE.categories)
    assert SITE.category_url("quoc-phong-an-ninh", 2) == "https://www.qdnd.vn/quoc-phong-an-ninh/p/2"


@pytest.mark.parametrize("path", [p for p in COPY.listings() if p.startswith("/") and not p.endswith(".rss")])
def test_listings_give_their_articles_in_order(path: str) -> None:
    url = "https://www.qdnd.vn" + path
    slug = path.strip("/").split("/")[0] or None
    listing = SITE.listing(url, COPY.page(url).read_text(encoding="utf-8"), category=slug)
    assert listing.article_urls == COPY.listings()[path]
    assert listing.next_page == ("https://www.qdnd.vn/quoc-phong-an-ninh/p/2"
                                 if path == "/quoc-phong-an-ninh" else None)


@pytest.fixture(scope="module", params=ARTICLES, ids=[a["article_id"] for a in ARTICLES])
def pair(request: pytest.FixtureRequest):
    want = request.param
    return SITE.extract(want["url"], COPY.page(want["url"]).read_bytes()), want


def test_every_field_matches_the_source(pair) -> None:
    got, want = pair
    assert got.title == want["title"]  # the h1, not the truncated og:title
    assert got.published == datetime.fromisoformat(want["published"])
    assert got.published.utcoffset().total_seconds() == 7 * 3600
    assert got.summary == want["summary"]
    assert got.authors == want["authors"] and got.source == want["source"]
    assert (got.category, got.category_slug) == (want["category"], want["category_slug"])
    assert got.tags == want["tags"] and got.article_id == want["article_id"]
    assert [(i.url, i.caption) for i in got.images] == [(i["url"], i["caption"]) for i in want["images"]]
    assert got.body_text.split("\n\n") == want["body_text"].split("\n\n")
    assert not any(layer == "generic" for layer in got.layers.values()), got.layers


def test_promo_byline_and_page_chrome_never_reach_the_article(pair) -> None:
    got, want = pair
    for text in (got.title, got.summary or "", got.body_text, got.body_html):
        assert unicodedata.is_normalized("NFC", text)
        for chrome in want["chrome"]:
            assert chrome not in text, chrome
    assert "Mời bạn đọc" not in got.body_html and "style=" not in got.body_html


def test_h2_captions_of_image_tables_are_captions_not_headings() -> None:
    got = SITE.extract(*_page("884098"))
    assert got.images[0].caption == ("Đại tá Đinh Hồng Tiếng, Chỉ huy trưởng Bộ CHQS tỉnh Đắk Nông phát biểu.")
    assert "<h2>" not in got.body_html and got.body_html.count("<figure>") == 4
    assert got.authors == ["VĂN TOẢN"]
    # a photo named "k 2.jpg" on the site is a valid URL in the feed
    assert got.images[2].url.endswith("/upload_2273/k%202.jpg")
    # the CMS's broken auto-link <a href="Đắk Nông"> is its text, not a link to nowhere
    assert "LLVT tỉnh Đắk Nông, các quân nhân" in got.body_html and "/%C4%90%E1%BA%AFk%20N" not in got.body_html
    assert '<a href="https://www.qdnd.vn/tag/nghia-vu-quan-su-1430.html"' in got.body_html


def test_raw_ckeditor_entities_are_decoded() -> None:
    got = SITE.extract(*_page("884012"))
    assert got.body_text.startswith("Dự hội nghị có đại biểu chỉ huy một số cơ quan chức năng Bộ Quốc phòng;")
    assert "&oacute;" not in got.body_html and got.authors == ["VĂN CHIỂN"]


def test_a_paragraph_starting_with_an_asterisk_is_not_the_promo() -> None:
    got = SITE.extract(*_page("884005"))
    assert got.body_text.split("\n\n")[-1].startswith("* Trước đó, các đơn vị")
    assert got.authors == ["PHAN TUỆ"]


def _page(article_id: str) -> tuple[str, bytes]:
    want = next(a for a in ARTICLES if a["article_id"] == article_id)
    return want["url"], COPY.page(want["url"]).read_bytes()


def test_the_copys_rss_loops_without_a_session_and_answers_with_one(site_copies: str) -> None:
    feed = site_copies.replace("{site}", "qdnd") + "rss/cate/tin-tuc-moi-nhat.rss"
    with pytest.raises(urllib.error.HTTPError, match="infinite loop"):
        urllib.request.urlopen(feed, timeout=10)  # urllib keeps no cookies: round and round
    jar = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    jar.open(feed, timeout=10).read()  # sent to /rss for a session
    with jar.open(feed, timeout=10) as response:
        assert response.read().startswith(b"<?xml") and "tin-tuc-moi-nhat" in response.url


def test_crawl_finds_through_the_rss_what_no_listing_shows_and_builds_valid_feeds(
        install: Install, site_copies: str) -> None:
    feed_only = [u for u in COPY.listings()[FEED.split("qdnd.vn", 1)[1]]
                 if not any(u in urls for path, urls in COPY.listings().items()
                            if path.startswith("/") and not path.endswith(".rss"))]
    assert feed_only, "the copy should hold an article only the RSS names"
    result = crawl_one(install, "qdnd", site_copies)
    assert "qdnd: ok — " in result.stdout and f"{len(ARTICLES)} new" in result.stdout
    assert_stored_as_expected(install, ARTICLES)
    atom = (install.feeds_dir / "qdnd.atom").read_bytes()
    assert atom_errors(atom) == []
    for chrome in ("Mời bạn đọc", "Tin, ảnh: VĂN TOẢN", "Ý kiến bạn đọc"):
        assert chrome not in atom.decode()
    status = install.run("status")
    assert "qdnd: ok" in status.stdout and "unusable" not in status.stdout
    again = crawl_one(install, "qdnd", site_copies)
    # nothing new: the feed (sent for a session, the RSS index, the feed), the home page and the
    # first page of each default category; no article page, no page 2
    assert again.stdout.startswith("qdnd: ok — 6 pages, 0 new, 0 updated"), again.stdout


def test_without_cookies_the_rss_is_noted_unusable_and_the_listings_still_run(
        install: Install, site_copies: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "qdnd", "-s", f"PARTYFEED_MIRROR={site_copies}",
         "-s", f"PARTYFEED_DB={install.db_url}", "-s", "COOKIES_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
         "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=WARNING"],
        cwd=REPO, env=install.env, text=True, capture_output=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert f"feed {FEED} unusable: IgnoreRequest: max redirections reached" in result.stderr
    stored = {a.url for a in install.storage().recent(limit=100)}
    listed = {u for p, urls in COPY.listings().items() if p.startswith("/") and not p.endswith(".rss")
              for u in urls}
    assert stored == listed and len(stored) == len(ARTICLES) - 1


def test_articles_just_read_from_the_feed_do_not_stop_a_categorys_pagination(install: Install,
                                                                            site_copies: str) -> None:
    """The feed names page 1's articles; page 2 still has to be read on a first crawl.

    One request at a time makes the order certain: the feed, then (newest requests first)
    the articles it names, stored before the category's first page is parsed.
    """
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "qdnd", "-s", f"PARTYFEED_MIRROR={site_copies}",
         "-s", f"PARTYFEED_DB={install.db_url}", "-s", "CONCURRENT_REQUESTS=1", "-s", "DOWNLOAD_DELAY=0",
         "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=WARNING"],
        cwd=REPO, env=install.env, text=True, capture_output=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert {a.url for a in install.storage().recent(limit=100)} == {a["url"] for a in ARTICLES}
