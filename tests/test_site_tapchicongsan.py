"""tapchicongsan.org.vn: the three Liferay article URL forms, section pages and their ``_cur``
pagination, every field of every page of the copy, credits in capitals, and a crawl of the
copy on loopback into a database and feeds.

The copy's DOM is a reconstruction around the little public code tells (see its README);
its texts are real articles of the sister journal Tạp chí Tuyên giáo.
"""

from __future__ import annotations

import json
import subprocess
import unicodedata
from datetime import datetime
from urllib.parse import unquote, urlsplit

import feedparser
import pytest
from sqlalchemy import select

from crawler.sites import get_site, site_for_url
from crawler.sites.tapchicongsan import credit_name
from crawler.storage import ArticleRow
from scheduler.sitecopy import serving
from crawler.urls import article_key

from .conftest import REPO, Install

ROOT = REPO / "tests" / "sites" / "tapchicongsan"
SITE_ROOT = ROOT / "site"
SITE = get_site("tapchicongsan")
EXPECTED = [json.loads(p.read_text(encoding="utf-8"))
            for p in sorted((ROOT / "expected").glob("*.json")) if p.stem.isdigit()]
LISTINGS = json.loads((ROOT / "expected" / "listings.json").read_text(encoding="utf-8"))
HOME = "https://www.tapchicongsan.org.vn/"


def page(url: str) -> bytes:
    """The copy's file for a URL: an article is a folder (its URL has no ``.html``), a later
    listing page the file named by its query."""
    parts = urlsplit(url)
    path = unquote(parts.path).lstrip("/")
    if parts.query:
        return (SITE_ROOT / f"{path}?{parts.query}").read_bytes()
    target = SITE_ROOT / path
    return (target / "index.html" if target.is_dir() else target).read_bytes()


# --- URLs -----------------------------------------------------------------------------------

@pytest.mark.parametrize("url, article_id, category", [
    ("https://www.tapchicongsan.org.vn/web/guest/kinh-te/-/2018/910402/"
     "chinh-sach-cong-nghiep-xanh-huong-toi-su-phat-trien-ben-vung-o-viet-nam.aspx", "910402", "kinh-te"),
    ("https://tapchicongsan.org.vn/vi_VN/web/guest/chinh-tri-xay-dung-dang/-/2018/825300/"
     "tong-bi-thu-le-duan---nha-lanh-dao-kiet-xuat-cua-dang--va-cach-mang-viet-nam.aspx", "825300",
     "chinh-tri-xay-dung-dang"),
    ("https://www.tapchicongsan.org.vn/web/guest/van_hoa_xa_hoi/-/2018/52474/view_content", "52474", "van_hoa_xa_hoi"),
    ("https://www.tapchicongsan.org.vn/en_US/web/guest/dang-uy-khoi-doanh-nghiep-trung-uong/-/2018/826621/view_content",
     "826621", "dang-uy-khoi-doanh-nghiep-trung-uong"),
    ("https://www.tapchicongsan.org.vn/web/guest/dau-tranh-phan-bac-cac-luan-dieu-sai-trai-thu-dich/chi-tiet/-/"
     "asset_publisher/YqSB2JpnYto9/content/ha-noi-to-chuc-tot", None, "dau-tranh-phan-bac-cac-luan-dieu-sai-trai-thu-dich"),
    ("https://www.tapchicongsan.org.vn/media-story/-/asset_publisher/V8hhp4dK31Gf/content/nhung-dau-an", None,
     "media-story"),
])
def test_the_three_liferay_article_forms_are_articles(url: str, article_id: str | None, category: str) -> None:
    assert SITE.is_article(url) and site_for_url(url) is SITE
    assert SITE.article_id(url) == article_id
    assert SITE.category_slug(url) == category


def test_the_aspx_and_view_content_forms_of_one_article_are_one_key() -> None:
    aspx = "https://www.tapchicongsan.org.vn/web/guest/kinh-te/-/2018/910402/chinh-sach-cong-nghiep-xanh.aspx"
    view = "https://tapchicongsan.org.vn/vi_VN/web/guest/kinh-te/-/2018/910402/view_content"
    assert article_key(SITE, aspx) == article_key(SITE, view) == "tapchicongsan:910402"


@pytest.mark.parametrize("url", [
    "https://www.tapchicongsan.org.vn/web/guest/kinh-te",
    "https://www.tapchicongsan.org.vn/dau-tranh-phan-bac-cac-luan-dieu-sai-trai-thu-dich",
    "https://www.tapchicongsan.org.vn/image/journal/article?img_id=31480821&t=1743921920514",
    "https://www.tapchicongsan.org.vn/documents/20182/379036601/Anh.jpg/0b1c?t=1717492313046",
    "https://xaydungdang.tapchicongsan.org.vn/videos/bai-hoc-20306.html",
    "https://baochinhphu.vn/web/guest/kinh-te/-/2018/910402/chinh-sach.aspx",
])
def test_sections_images_other_subdomains_and_hosts_are_not_articles(url: str) -> None:
    assert not SITE.is_article(url)


def test_a_section_is_its_friendly_url_and_later_pages_are_only_reached_by_link() -> None:
    assert SITE.category_url("kinh-te") == "https://www.tapchicongsan.org.vn/kinh-te"
    with pytest.raises(ValueError):
        SITE.category_url("kinh-te", 2)
    assert set(SITE.default_categories) <= set(SITE.categories)
    assert SITE.feeds == ()  # no RSS is known for this site


# --- credits --------------------------------------------------------------------------------

@pytest.mark.parametrize("line, name", [
    ("PGS, TS BÙI THỊ NGỌC LAN", "PGS, TS Bùi Thị Ngọc Lan"),  # real credits on the journal's home page
    ("GS, TS TÔ LÂM", "GS, TS Tô Lâm"),
    ("LÝ ROTHA", "Lý Rotha"),
    ("Thiếu tướng, PGS, TS NGUYỄN VĂN A", "Thiếu tướng, PGS, TS Nguyễn Văn A"),
    ("THS. TRẦN THỊ B", "ThS Trần Thị B"),
    ("Theo TTXVN", None),
    ("Học viện Chính trị quốc gia Hồ Chí Minh", None),
    ("TG", None),
    ("I. QUAN ĐIỂM 2020", None),
])
def test_credits_in_capitals_keep_their_titles_in_ordinary_case(line: str, name: str | None) -> None:
    assert credit_name(line) == name


# --- listings -------------------------------------------------------------------------------

@pytest.mark.parametrize("category", ["chinh-tri-xay-dung-dang", "dau-tranh-phan-bac-cac-luan-dieu-sai-trai-thu-dich"])
def test_a_section_page_leads_to_its_next_cur_page_and_the_last_page_to_none(category: str) -> None:
    first_url = HOME + category
    first = SITE.listing(first_url, page(first_url).decode(), category=category)
    assert first.article_urls == LISTINGS["/" + category]
    assert first.next_page is not None and first.next_page.endswith("_cur=2")
    assert "&amp;" not in first.next_page
    assert "/" + first.next_page.split("/", 3)[3] in LISTINGS
    second = SITE.listing(first.next_page, page(first.next_page).decode(), category=category, page=2)
    assert second.article_urls == LISTINGS["/" + first.next_page.split("/", 3)[3]]
    assert second.next_page is None


def test_the_home_page_links_every_article_and_has_no_next_page() -> None:
    listing = SITE.listing(HOME, page(HOME).decode())
    assert listing.article_urls == LISTINGS["/"]
    assert set(listing.article_urls) == set(LISTINGS["all_articles"]) == {a["url"] for a in EXPECTED}
    assert listing.next_page is None


# --- every article of the copy --------------------------------------------------------------

@pytest.fixture(scope="module", params=EXPECTED, ids=[a["evidence"].split(":")[0] for a in EXPECTED])
def pair(request: pytest.FixtureRequest):
    want = request.param
    return SITE.extract(want["url"], page(want["url"])), want


def test_every_field_matches_the_source(pair) -> None:
    got, want = pair
    assert got.site == "tapchicongsan"
    assert got.article_id == want["article_id"]
    assert got.title == want["title"]
    assert got.published == datetime.fromisoformat(want["published"])
    assert got.published.utcoffset().total_seconds() == 7 * 3600
    assert got.updated is None
    assert got.summary == want["summary"]
    assert got.authors == want["authors"]
    assert got.source == want["source"]
    assert got.category == want["category"]
    assert got.category_slug == want["category_slug"]
    assert got.tags == want["tags"]
    assert [(i.url, i.caption) for i in got.images] == [(i["url"], i["caption"]) for i in want["images"]]
    assert got.body_text.split("\n\n") == want["body_text"].split("\n\n")


def test_no_lead_tag_credit_affiliation_or_page_furniture_reaches_the_article(pair) -> None:
    got, want = pair
    for field in (got.title, got.summary or "", got.body_text, got.body_html, " ".join(got.authors)):
        assert unicodedata.is_normalized("NFC", field)
        for chrome in want["chrome"]:
            assert chrome not in field, chrome
    assert "style=" not in got.body_html


def test_a_credit_above_the_lead_is_found_as_well_as_one_below_the_text() -> None:
    top = next(a for a in EXPECTED if a["authors"] == ["Lý Rotha"])
    html = page(top["url"]).decode()
    assert html.index("LÝ ROTHA") < html.index("<strong>TCCS - ")
    assert SITE.extract(top["url"], page(top["url"])).authors == ["Lý Rotha"]


def test_a_redesigned_page_still_yields_title_date_lead_and_text_from_metadata_and_the_generic_layer() -> None:
    want = next(a for a in EXPECTED if a["authors"] == ["Phạm Việt Phong"])
    redesigned = (page(want["url"]).decode().replace("journal-content-article", "bai-viet")
                  .replace("ContentDetail", "noi-dung"))
    got = SITE.extract(want["url"], redesigned)
    assert got.title == want["title"]  # og:title without " - Tạp chí Cộng sản"
    assert got.summary == want["summary"]  # og:description without "TCCS - "
    assert got.published == datetime.fromisoformat(want["published"])  # the dateline's class still says publish
    assert got.layers["body"] == "generic"
    assert want["body_text"].split("\n\n")[3] in got.body_text


# --- crawl → database → feeds ---------------------------------------------------------------

@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Install, subprocess.CompletedProcess[str]]:
    install = Install(tmp_path_factory.mktemp("tapchicongsan"))
    with serving(SITE_ROOT) as mirror:
        result = install.run("crawl", "tapchicongsan", "--mirror", mirror)
    assert result.returncode == 0, result.stdout + result.stderr
    return install, result


def test_a_crawl_of_the_copy_stores_every_article_with_every_field(crawled) -> None:
    install, result = crawled
    expected = {a["url"]: a for a in EXPECTED}
    assert f"{len(expected)} new" in result.stdout
    assert "0 rejected" in result.stdout and "0 by the generic layer" in result.stdout and "0 errors" in result.stdout
    with install.storage().engine.connect() as conn:
        rows = {row.url: row for row in conn.execute(select(ArticleRow).where(ArticleRow.site == "tapchicongsan"))}
    assert set(rows) == set(expected)
    for url, row in rows.items():
        want = expected[url]
        assert row.title == want["title"]
        assert row.published == datetime.fromisoformat(want["published"])
        assert row.article_id == want["article_id"]
        assert row.category_slug == want["category_slug"]


def test_the_crawled_feeds_carry_the_credits_and_not_the_lead_tag(crawled) -> None:
    install, _ = crawled
    parsed = feedparser.parse((install.feeds_dir / "tapchicongsan.atom").read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    newest = sorted(EXPECTED, key=lambda a: a["published"], reverse=True)
    assert [e.link for e in parsed.entries] == [a["url"] for a in newest]
    for entry, want in zip(parsed.entries, newest):
        assert entry.title == want["title"]
        assert [a.get("name") for a in entry.get("authors", []) if a.get("name")] == want["authors"]
    for path in install.feeds_dir.iterdir():
        text = path.read_text(encoding="utf-8")
        assert "TCCS - " not in text and "Phó Trưởng ban Tuyên giáo Tỉnh Sóc Trăng" not in text, path.name
