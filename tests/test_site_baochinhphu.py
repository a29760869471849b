"""baochinhphu.vn: URL rules, zone pages and their timeline, every field of every page of the
copy, and a crawl of the copy on loopback into a database and feeds.

The copy (tests/sites/baochinhphu/) serves one whole page captured from the live site and
fifteen pages generated from it with real RSS texts; see its README.
"""

from __future__ import annotations

import json
import re
import subprocess
import unicodedata
from datetime import datetime, timezone
from pathlib import Path

import feedparser
import pytest
from sqlalchemy import select

from crawler.sites import get_site, site_for_url
from crawler.storage import ArticleRow
from scheduler.sitecopy import serving

from .conftest import REPO, Install

ROOT = REPO / "tests" / "sites" / "baochinhphu"
SITE_ROOT = ROOT / "site"
SITE = get_site("baochinhphu")
EXPECTED = [json.loads(p.read_text(encoding="utf-8"))
            for p in sorted((ROOT / "expected").glob("*.json")) if p.stem.isdigit()]
LISTINGS = json.loads((ROOT / "expected" / "listings.json").read_text(encoding="utf-8"))
REAL = "https://baochinhphu.vn/co-che-chinh-sach-xac-dinh-gia-san-pham-in-duc-tien-102260905122709839.htm"
#: what the CMS leaves in a page and no reader may see
LEAKS = ("&#x", "&#2", "<!--", "react-text", "Tham khảo thêm", "bonewsrelation", "Ban biên tập")


def page(url: str) -> bytes:
    path = url.split("://", 1)[1].split("/", 1)[1] or "index.html"
    return (SITE_ROOT / path).read_bytes()


# --- URLs -----------------------------------------------------------------------------------

@pytest.mark.parametrize("url, article_id", [
    (REAL, "102260905122709839"),
    ("https://baochinhphu.vn/kim-ngach-xuat-nhap-khau-lap-ky-luc-moi-10226090311303306.htm", "10226090311303306"),
    ("https://baochinhphu.vn/dong-bang-song-hong-la-vung-tien-phong-dot-pha-chien-luoc-102143422.htm", "102143422"),
    ("https://www.baochinhphu.vn/gia-dau-giam-nhe-102260903145321612.htm", "102260903145321612"),
])
def test_articles_are_known_by_their_102_id(url: str, article_id: str) -> None:
    assert SITE.is_article(url)
    assert SITE.article_id(url) == article_id
    assert site_for_url(url) is SITE


@pytest.mark.parametrize("url", [
    "https://baochinhphu.vn/print/co-che-chinh-sach-xac-dinh-gia-san-pham-in-duc-tien-102260905122709839.htm",
    "https://baochinhphu.vn/chu-de/100-ngay-xu-ly-cac-diem-nghen-ve-chuyen-doi-so-295.htm",
    "https://baochinhphu.vn/duc-tien.html",
    "https://baochinhphu.vn/kinh-te.htm",
    "https://baochinhphu.vn/chinh-tri/doi-ngoai.htm",
    "https://baochinhphu.vn/timelinelist/1027/2.htm",
    "https://baochinhphu.vn/kinh-te.rss",
    "https://cafef.vn/co-che-chinh-sach-xac-dinh-gia-san-pham-in-duc-tien-102260905122709839.htm",
    "https://nhandan.vn/tang-cuong-hop-tac-post870001.html",
])
def test_print_versions_topics_tags_zones_and_other_hosts_are_not_articles(url: str) -> None:
    assert not SITE.is_article(url)


def test_zone_urls_and_their_timeline_pages() -> None:
    assert SITE.category_url("kinh-te") == "https://baochinhphu.vn/kinh-te.htm"
    assert SITE.category_url("chinh-tri/doi-ngoai") == "https://baochinhphu.vn/chinh-tri/doi-ngoai.htm"
    assert SITE.category_url("kinh-te", 2) == "https://baochinhphu.vn/timelinelist/1027/2.htm"
    assert set(SITE.default_categories) <= set(SITE.categories)
    assert SITE.categories["chi-dao-quyet-dinh-cua-chinh-phu-thu-tuong-chinh-phu"] == \
        "Chỉ đạo, quyết định của Chính phủ - Thủ tướng Chính phủ"


def test_the_sites_feeds_are_declared_at_the_root() -> None:
    assert "https://baochinhphu.vn/home.rss" in SITE.feeds
    assert all(SITE.owns(feed) and feed.endswith(".rss") for feed in SITE.feeds)


# --- listings -------------------------------------------------------------------------------

def test_a_zone_page_lists_stream_and_side_boxes_and_leads_to_the_timeline() -> None:
    url = "https://baochinhphu.vn/kinh-te.htm"
    listing = SITE.listing(url, page(url).decode(), category="kinh-te")
    assert listing.article_urls == LISTINGS["/kinh-te.htm"]
    assert listing.next_page == "https://baochinhphu.vn/timelinelist/1027/2.htm"


def test_timeline_pages_follow_each_other_until_one_comes_back_empty() -> None:
    second = "https://baochinhphu.vn/timelinelist/1023/2.htm"
    listing = SITE.listing(second, page(second).decode(), category="chi-dao-quyet-dinh-cua-chinh-phu-thu-tuong-chinh-phu",
                           page=2)
    assert listing.article_urls == LISTINGS["/timelinelist/1023/2.htm"] and listing.article_urls
    assert listing.next_page == "https://baochinhphu.vn/timelinelist/1023/3.htm"
    third = SITE.listing(listing.next_page, page(listing.next_page).decode(), category="kinh-te", page=3)
    assert third.article_urls == [] and third.next_page is None


def test_the_home_page_lists_its_boxes_and_has_no_next_page() -> None:
    listing = SITE.listing("https://baochinhphu.vn/", page("https://baochinhphu.vn/").decode())
    assert listing.article_urls == LISTINGS["/"]
    assert listing.next_page is None


def test_the_copy_links_every_article_from_home_or_a_zone() -> None:
    reached = set(LISTINGS["/"]) | {u for key, urls in LISTINGS.items() if key.endswith(".htm") for u in urls}
    assert reached == set(LISTINGS["all_articles"]) == {a["url"] for a in EXPECTED}


def test_served_feeds_list_articles_of_the_copy_in_the_sites_own_format() -> None:
    for feed in SITE.feeds:
        name = feed.rsplit("/", 1)[1]
        parsed = feedparser.parse((SITE_ROOT / name).read_bytes())
        assert not parsed.bozo, (name, parsed.get("bozo_exception"))
        links = [entry.link for entry in parsed.entries]
        assert links and links == LISTINGS["/" + name]
        assert set(links) <= set(LISTINGS["all_articles"])
        assert all(re.match(r"\(Chinhphu\.vn\) [-–]", e.summary) for e in parsed.entries)  # both dashes occur


# --- every article of the copy --------------------------------------------------------------

@pytest.fixture(scope="module", params=EXPECTED, ids=[a["article_id"] for a in EXPECTED])
def pair(request: pytest.FixtureRequest):
    want = request.param
    return SITE.extract(want["url"], page(want["url"])), want


def test_every_field_matches_the_source(pair) -> None:
    got, want = pair
    assert got.site == "baochinhphu"
    assert got.article_id == want["article_id"]
    assert got.title == want["title"]
    assert got.published == datetime.fromisoformat(want["published"])
    assert got.published.utcoffset().total_seconds() == 7 * 3600
    assert got.updated == datetime.fromisoformat(want["updated"])
    assert got.summary == want["summary"]
    assert got.authors == want["authors"]
    assert got.source == want["source"]
    assert got.category == want["category"]
    assert got.category_slug == want["category_slug"]
    assert got.tags == want["tags"]
    assert [(i.url, i.caption) for i in got.images] == [(i["url"], i["caption"]) for i in want["images"]]
    assert got.body_text.split("\n\n") == want["body_text"].split("\n\n")
    assert got.layers["title"] == got.layers["body"] == "site:afcbc"


def test_no_entity_comment_related_box_or_board_credit_reaches_the_article(pair) -> None:
    got, want = pair
    for field in (got.title, got.summary or "", got.body_text, got.body_html, " ".join(got.authors),
                  *(i.caption or "" for i in got.images)):
        assert unicodedata.is_normalized("NFC", field)
        for leak in (*LEAKS, *want["chrome"]):
            assert leak not in field, leak
    assert "style=" not in got.body_html and "<svg" not in got.body_html


def test_the_captured_page_comes_out_as_a_reader_sees_it() -> None:
    got = SITE.extract(REAL, page(REAL))
    assert got.title == "Cơ chế, chính sách xác định giá sản phẩm in, đúc tiền"
    assert got.published.isoformat() == "2026-09-05T13:30:00+07:00"  # not the id's 12:27:09
    assert got.summary.startswith("Chính phủ ban hành Nghị quyết số 40/2026/NQ-CP")
    assert got.authors == ["Phương Nhi"]
    assert got.body_text.startswith("Theo Nghị quyết, cơ chế, chính sách xác định giá")
    assert got.body_text.endswith("Nghị quyết này có hiệu lực từ ngày 04/9/2026.")
    assert "Phương Nhi" not in got.body_text
    assert "Nhà máy In tiền Quốc gia được sản xuất vàng miếng" not in got.body_html  # a related story


def test_a_byline_with_a_role_names_only_the_person() -> None:
    want = next(a for a in EXPECTED if a["authors"] == ["Đỗ Hương"])
    assert "Đỗ Hương (thực hiện)" in page(want["url"]).decode()
    assert SITE.extract(want["url"], page(want["url"])).authors == ["Đỗ Hương"]


def test_without_a_byline_the_editorial_board_is_not_an_author() -> None:
    want = next(a for a in EXPECTED if not a["authors"])
    assert '"Ban biên tập"' in page(want["url"]).decode()
    assert SITE.extract(want["url"], page(want["url"])).authors == []


def test_an_agency_credit_is_the_source_and_a_right_aligned_sentence_stays_text() -> None:
    real = page(REAL).decode()
    agency = SITE.extract(REAL, real.replace("<b>Phương Nhi</b>", "<b>(Theo TTXVN)</b>"))
    assert agency.authors == [] and agency.source == "TTXVN"
    assert "TTXVN" not in agency.body_text
    sentence = "Nghị quyết được gửi tới các bộ, ngành và địa phương để triển khai thực hiện trong năm 2026."
    signed = SITE.extract(REAL, real.replace("<b>Phương Nhi</b>", f"<b>{sentence}</b>"))
    assert signed.authors == [] and signed.body_text.endswith(sentence)


def test_an_entity_encoded_page_without_its_known_design_still_reads_clean() -> None:
    """A redesign: metadata and JSON-LD carry the article, their entities decoded."""
    redesigned = page(REAL).decode().replace("detail-title", "tieu-de").replace("afcbc-body", "noi-dung")
    got = SITE.extract(REAL, redesigned)
    assert got.title == "Cơ chế, chính sách xác định giá sản phẩm in, đúc tiền"
    assert got.summary.startswith("Chính phủ ban hành Nghị quyết số 40/2026/NQ-CP")
    assert got.published.isoformat() == "2026-09-05T13:30:00+07:00"
    for field in (got.title, got.summary, got.body_text, got.body_html):
        for leak in LEAKS:
            assert leak not in field, leak


# --- crawl → database → feeds ---------------------------------------------------------------

@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Install, subprocess.CompletedProcess[str]]:
    install = Install(tmp_path_factory.mktemp("baochinhphu"))
    with serving(SITE_ROOT) as mirror:
        result = install.run("crawl", "baochinhphu", "--mirror", mirror)
    assert result.returncode == 0, result.stdout + result.stderr
    return install, result


def test_a_crawl_of_the_copy_stores_every_article_with_every_field(crawled) -> None:
    install, result = crawled
    expected = {a["url"]: a for a in EXPECTED}
    assert f"{len(expected)} new" in result.stdout
    assert "0 rejected" in result.stdout and "0 errors" in result.stdout
    with install.storage().engine.connect() as conn:
        rows = {row.url: row for row in conn.execute(select(ArticleRow).where(ArticleRow.site == "baochinhphu"))}
    assert set(rows) == set(expected)
    for url, row in rows.items():
        want = expected[url]
        assert row.title == want["title"]
        assert row.published == datetime.fromisoformat(want["published"])
        assert row.article_id == want["article_id"]
        assert row.category_slug == want["category_slug"]


def _feed(path: Path) -> feedparser.FeedParserDict:
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, (path, parsed.get("bozo_exception"))
    return parsed


def test_the_crawled_feeds_hold_the_articles_newest_first_and_nothing_of_the_cms(crawled) -> None:
    install, _ = crawled
    newest = sorted(EXPECTED, key=lambda a: a["published"], reverse=True)
    feed = _feed(install.feeds_dir / "baochinhphu.atom")
    assert [e.link for e in feed.entries] == [a["url"] for a in newest]
    for entry, want in zip(feed.entries, newest):
        assert entry.title == want["title"]
        stamp = datetime(*entry.published_parsed[:6], tzinfo=timezone.utc)
        assert stamp == datetime.fromisoformat(want["published"]).astimezone(timezone.utc)
    zone = _feed(install.feeds_dir / "baochinhphu-chi-dao-quyet-dinh-cua-chinh-phu-thu-tuong-chinh-phu.rss")
    assert REAL in [e.link for e in zone.entries]
    for path in install.feeds_dir.iterdir():
        text = path.read_text(encoding="utf-8")
        for leak in ("&#x", "<!--", "react-text", "Tham khảo thêm", "Ban biên tập"):
            assert leak not in text, (path.name, leak)
