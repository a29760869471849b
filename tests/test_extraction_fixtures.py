"""Each saved page of the copy extracts to its expected article, with no crawler running."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from datetime import datetime

import pytest

from crawler.sites import get_site

from .conftest import CHROME, REPO, expected_articles, fixture_path

ARTICLES = expected_articles()
SITE = get_site("dangcongsan")


@pytest.fixture(scope="module", params=ARTICLES, ids=[a["article_id"] or a["url"].rsplit("/", 1)[1][:40] for a in ARTICLES])
def pair(request: pytest.FixtureRequest):
    want = request.param
    return SITE.extract(want["url"], fixture_path(want["url"]).read_bytes()), want


def test_fields_match_the_expected_article(pair) -> None:
    got, want = pair
    assert got.title == want["title"]
    assert got.published == datetime.fromisoformat(want["published"])
    assert got.published.utcoffset().total_seconds() == 7 * 3600
    assert (got.summary or None) == (want["summary"] or None)
    assert got.authors == want["authors"]
    assert got.source == want.get("source")
    assert got.category == want["category"]
    assert got.category_slug == want["category_slug"]
    assert got.article_id == want["article_id"]
    assert got.url == want["url"]
    assert got.tags == want["tags"]
    assert [(i.url, i.caption) for i in got.images] == [(i["url"], i["caption"]) for i in want["images"]]


def test_body_text_matches_paragraph_for_paragraph(pair) -> None:
    got, want = pair
    assert got.body_text.split("\n\n") == want["body_text"].split("\n\n")


def test_no_chrome_and_only_nfc_text(pair) -> None:
    got, want = pair
    for field in (got.title, got.summary or "", got.body_text, got.body_html):
        assert unicodedata.is_normalized("NFC", field)
        for chrome in (*CHROME, *want.get("chrome", [])):
            assert chrome not in field, chrome
    assert "style=" not in got.body_html and "onclick" not in got.body_html


def test_images_are_figures_with_captions(pair) -> None:
    got, _ = pair
    assert got.body_html.count("<figure>") == len(got.images)
    for image in got.images:
        assert image.url.startswith("https://")
        if image.caption:
            assert f"<figcaption>{image.caption}</figcaption>" in got.body_html


def test_seed_article_comes_out_exactly() -> None:
    seed = next(a for a in ARTICLES if a["article_id"] == "577383")
    got = SITE.extract(seed["url"], fixture_path(seed["url"]).read_bytes())
    assert got.title == "Thành ủy Sóc Trăng thực hiện tốt Quy chế dân chủ cơ sở"
    assert got.published.isoformat() == "2021-03-01T18:50:00+07:00"
    assert got.summary.startswith("Tại buổi làm việc, đồng chí Nguyễn Phước Lộc")
    assert got.authors == ["Thanh Nam"]
    assert [i.caption for i in got.images] == [
        "Đồng chí Nguyễn Phước Lộc, Phó Trưởng Ban Dân vận Trung ương chủ trì buổi làm việc."]
    assert got.body_text.startswith("Ngày 01/3, đoàn công tác Ban Dân vận Trung ương")
    assert got.body_text.endswith("liên quan đến đời sống của nhân dân.")
    assert "Tin, ảnh" not in got.body_text and "Thanh Nam" not in got.body_text


def test_extract_command_prints_the_article_as_json(tmp_path) -> None:
    seed = next(a for a in ARTICLES if a["article_id"] == "577383")
    result = subprocess.run(
        [sys.executable, "-m", "scheduler", "extract", "--site", "dangcongsan", "--url", seed["url"],
         str(fixture_path(seed["url"]))],
        cwd=tmp_path, text=True, capture_output=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) >= {"url", "site", "title", "published", "updated", "summary", "authors",
                         "category", "tags", "images", "body_html", "body_text"}
    assert data["published"] == "2021-03-01T18:50:00+07:00"
    assert data["images"][0]["caption"].startswith("Đồng chí Nguyễn Phước Lộc")
