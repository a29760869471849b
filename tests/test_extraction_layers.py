"""Each extraction layer on its own pages: which layer a field came from, and that it is right.

The pages are the saved copy's (tests/sites/dangcongsan); what each page should give is in its
expected JSON, written by the fixture generator from the source text.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime

import pytest

from crawler.extraction.bylines import parse_byline
from crawler.extraction.layered import extract
from crawler.sites import get_site

from .conftest import CHROME, REPO, expected_articles, fixture_path

SITE = get_site("dangcongsan")
#: by the site's article id, or by the slug for the 2026 portal's id-less URLs
BY_ID = {a["article_id"] or a["url"].rsplit("/", 1)[1].removesuffix(".html"): a for a in expected_articles()}
VIDEO = "sao-la-la-bieu-tuong-cua-sea-games-31-va-asean-para-games-11"
MEGA = "doan-ket-la-nguon-suc-manh-dong-luc-chu-yeu-bao-dam-cho-thang-loi-ben-vung-cua-su-nghiep-xay-dung-va-bao-ve-to-quoc"
BY_LAYOUT: dict[str, list[dict]] = {}
for _article in BY_ID.values():
    BY_LAYOUT.setdefault(_article["layout"], []).append(_article)


def _extract(want: dict, site=SITE, url: str | None = None):
    return extract(url or want["url"], fixture_path(want["url"]).read_bytes(), site)


def test_the_copy_has_pages_of_every_layout() -> None:
    assert {k: len(v) >= 2 for k, v in BY_LAYOUT.items()} == {
        "legacy": True, "portal2025": True, "portal2026": True, "unknown": True}
    assert len(BY_LAYOUT["portal2025"]) >= 3


@pytest.mark.parametrize("layout", ["legacy", "portal2025"])
def test_known_layouts_are_read_by_their_selectors(layout: str) -> None:
    for want in BY_LAYOUT[layout]:
        got = _extract(want)
        assert got.layers["title"] == got.layers["published"] == f"site:{layout}", want["article_id"]
        if want["body_text"]:
            assert got.layers["body"] == f"site:{layout}"
        assert got.title == want["title"]
        assert got.published == datetime.fromisoformat(want["published"])
        assert got.body_text == want["body_text"]


def test_portal2026_reads_h1_author_metadata_and_a_generic_body() -> None:
    for want in BY_LAYOUT["portal2026"]:
        got = _extract(want)
        assert got.layers["title"] == "site:portal2026"  # the h1: og:title is cut with "..."
        assert got.layers["published"] == got.layers["summary"] == got.layers["category"] == "metadata"
        assert got.layers["body"] == "generic"
        assert got.title == want["title"] and got.body_text == want["body_text"]
        assert got.authors == want["authors"] and got.tags == want["tags"]
        assert "Cổng thông tin điện tử Đảng Cộng sản Việt Nam" not in got.authors  # DC.Creator


def test_portal2026_og_title_is_truncated_and_the_h1_wins() -> None:
    want = BY_ID[MEGA]
    raw = fixture_path(want["url"]).read_text(encoding="utf-8")
    assert '<meta property="og:title" content="' in raw and '...">' in raw
    assert _extract(want).title == want["title"] and not want["title"].endswith("...")


def test_portal2026_placeholder_authors_are_no_authors() -> None:
    placeholders = {"PV", "BTV", "ĐCSVN"}
    seen = set()
    for want in BY_LAYOUT["portal2026"]:
        raw = fixture_path(want["url"]).read_text(encoding="utf-8")
        shown = raw.split('<div class="author">', 1)[1].split("<", 1)[0]
        if shown in placeholders:
            seen.add(shown)
            assert _extract(want).authors == []
    assert seen == placeholders


def test_the_evidence_article_of_the_2026_portal() -> None:
    """sites.md §6.6: the zotero translator's test case for the live portal."""
    want = BY_ID["dua-khuon-kho-quan-he-doi-tac-chien-luoc-toan-dien-viet-nam-australia-di-vao-chieu-sau-thuc-chat-hieu-qua"]
    listed = want["url"] + "?categoryId=1902448,1902446"
    got = _extract(want, url=listed)
    assert got.url == want["url"] and got.article_id is None
    assert got.title == ("Đưa khuôn khổ quan hệ Đối tác Chiến lược Toàn diện Việt Nam - Australia đi vào chiều sâu, "
                         "thực chất, hiệu quả")
    assert got.published.date().isoformat() == "2026-08-07"
    assert got.authors == ["Lan Anh"]
    assert got.category == "Vấn đề quan tâm" and "Tin tức" in got.tags and "thực chất" in got.tags
    assert got.summary.startswith("Nhận lời mời của Toàn quyền Australia Sam Mostyn") and "(ĐCSVN)" not in got.summary


def test_an_old_slug_whose_og_url_names_another_is_that_article() -> None:
    want = BY_ID["dua-khuon-kho-quan-he-doi-tac-chien-luoc-toan-dien-viet-nam-australia-di-vao-chieu-sau-thuc-chat-hieu-qua"]
    alias = want["aliases"][0]
    got = extract(alias, fixture_path(alias).read_bytes(), SITE)
    assert got.url == want["url"]


def test_a_canonical_off_the_site_is_ignored() -> None:
    want = BY_ID[VIDEO]
    raw = fixture_path(want["url"]).read_text(encoding="utf-8").replace(
        want["url"], "https://evil.example.com/phishing.html")
    assert extract(want["url"] + "?categoryId=1", raw, SITE).url == want["url"]


def test_unknown_layout_with_metadata_takes_title_and_date_from_it() -> None:
    want = BY_ID["700101"]
    got = _extract(want)
    assert got.layers["title"] == got.layers["published"] == "metadata"
    assert got.layers["body"] == "generic"
    assert got.published == datetime.fromisoformat(want["published"])  # JSON-LD "+0700"
    assert got.body_text == want["body_text"]
    assert got.authors == want["authors"] == ["TUẤN NAM"]


def test_unknown_layout_without_metadata_is_read_by_the_generic_layer() -> None:
    want = BY_ID["700102"]
    html = fixture_path(want["url"]).read_text(encoding="utf-8")
    assert "og:title" not in html and "ld+json" not in html
    got = _extract(want)
    for name in ("title", "published", "summary", "body", "authors"):
        assert got.layers[name] == "generic", name
    assert got.title == want["title"]
    assert got.published == datetime.fromisoformat(want["published"])
    assert got.summary == want["summary"]
    assert got.body_text == want["body_text"]
    assert [(i.url, i.caption) for i in got.images] == [(i["url"], i["caption"]) for i in want["images"]]


def test_agency_credit_is_a_source_not_an_author() -> None:
    want = BY_ID["700105"]
    assert '<b id="tacgia">Theo TTXVN</b>' in fixture_path(want["url"]).read_text(encoding="utf-8")
    got = _extract(want)
    assert got.source == "TTXVN" and got.authors == []
    assert got.layers["source"] == "site:portal2025"
    assert parse_byline("Theo TTXVN") == ([], "TTXVN")
    assert parse_byline("(Theo VNA)") == ([], "VNA")


def test_several_bylines_give_several_authors() -> None:
    want = BY_ID["700104"]
    got = _extract(want)
    assert got.authors == ["Cao Nguyên", "Minh Đức"] == want["authors"]
    assert parse_byline("Bài: Thu Hà - Ảnh: Minh Đức") == (["Thu Hà", "Minh Đức"], None)
    assert parse_byline("Bài và ảnh: SƠN BÌNH") == (["SƠN BÌNH"], None)
    assert parse_byline("Tin, ảnh: Thanh Nam") == (["Thanh Nam"], None)


def test_page_without_lead_or_image_and_in_nfd() -> None:
    want = BY_ID["700103"]
    raw = fixture_path(want["url"]).read_bytes().decode("utf-8")
    assert "\u0301" in raw or "\u0300" in raw  # decomposed marks: the bytes are NFD
    got = _extract(want)
    assert got.summary is None and want["summary"] is None
    assert got.images == [] and "<figure>" not in got.body_html
    assert got.title == want["title"] and got.body_text == want["body_text"]


def test_video_page_keeps_the_poster_as_its_figure() -> None:
    want = BY_ID[VIDEO]
    got = _extract(want)
    assert [(i.url, i.caption) for i in got.images] == [(i["url"], i["caption"]) for i in want["images"]]
    assert "<video" not in got.body_html and got.body_html.count("<figure>") == 1


@pytest.mark.parametrize("article_id", ["700101", "700102", "700103", "700104", "700105", VIDEO, MEGA])
def test_no_chrome_on_the_new_layouts(article_id: str) -> None:
    want = BY_ID[article_id]
    got = _extract(want)
    for text in (got.title, got.summary or "", got.body_text, got.body_html):
        for chrome in (*CHROME, *want["chrome"]):
            assert chrome not in text, chrome
    assert "style=" not in got.body_html and "/." not in got.body_text[-3:]


def test_extract_command_on_a_foreign_host_runs_metadata_and_generic(tmp_path) -> None:
    """``partyfeed extract`` without --site on a host no site module knows."""
    want = BY_ID["700102"]
    url = "https://tin.example.org/bai-viet/thac-si-dat-mo-xung-phong-nhap-ngu"
    result = subprocess.run(
        [sys.executable, "-m", "scheduler", "extract", "--url", url, str(fixture_path(want["url"]))],
        cwd=tmp_path, text=True, capture_output=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["site"] == "generic" and data["url"] == url
    assert data["title"] == want["title"]
    assert data["published"] == want["published"]
    assert data["body_text"] == want["body_text"]
    assert data["layers"]["title"] == data["layers"]["published"] == data["layers"]["body"] == "generic"
    assert data["article_id"] is None and data["category"] is None
