"""An article edited on the site between two crawls: two versions, a readable diff,
and nothing recorded for refreshes that are not edits — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from crawler.storage.diff import Op, condense, diff_articles, word_diff
from crawler.items import Article

from scheduler.history import render_ops

from .conftest import Install, fixture_path

URL = ("https://dangcongsan.vn/xay-dung-dang/"
       "thanh-uy-soc-trang-thuc-hien-tot-quy-che-dan-chu-co-so-577383.html")
KEY = "dangcongsan:577383"


def _page(site: Path) -> Path:
    return site / fixture_path(URL).relative_to(fixture_path(URL).parents[1])


def _crawl(install: Install, mirror: str, *extra: str) -> str:
    result = install.run("crawl", "dangcongsan", "--mirror", mirror, *extra)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_an_article_edited_between_crawls_has_two_versions_and_a_readable_diff(
        any_install: Install, editable_copy: tuple[Path, str]) -> None:
    site, mirror = editable_copy
    _crawl(any_install, mirror)
    page = _page(site)
    html = page.read_text(encoding="utf-8")
    page.write_text(html.replace("thực hiện tốt Quy chế", "thực hiện hiệu quả Quy chế")
                        .replace("Báo cáo của Thành ủy Sóc Trăng cho thấy",
                                 "Báo cáo của Thành ủy Sóc Trăng nêu rõ"), encoding="utf-8")
    assert ", 1 updated," in _crawl(any_install, mirror, "--refresh")
    assert ", 0 updated," in _crawl(any_install, mirror, "--refresh")  # seen again, no new version

    shown = any_install.run("history", URL)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[1] == "2 versions"
    assert lines[2].startswith("v1  seen ") and "thực hiện tốt Quy chế" in lines[2]
    assert lines[3].startswith("v2  seen ") and lines[3].endswith("changed: title, body")
    assert "Sóc Trăng thực hiện [-tốt-]{+hiệu quả+} Quy chế" in shown.stdout
    assert "Thành ủy Sóc Trăng [-cho thấy-]{+nêu rõ+}, thực hiện" in shown.stdout
    assert "\x1b[" not in shown.stdout  # not a terminal: no colour codes

    data = json.loads(any_install.run("history", KEY, "--json").stdout)
    old, new = data["versions"]
    assert old["article"]["title"] == "Thành ủy Sóc Trăng thực hiện tốt Quy chế dân chủ cơ sở"
    assert new["article"]["title"] == "Thành ủy Sóc Trăng thực hiện hiệu quả Quy chế dân chủ cơ sở"
    assert "cho thấy" in old["article"]["body_text"] and "nêu rõ" in new["article"]["body_text"]
    assert ["delete", "tốt "] in new["changes"]["title"] and ["insert", "hiệu quả "] in new["changes"]["title"]
    assert old["last_seen"] < new["first_seen"] < new["last_seen"]


def test_a_truncated_page_on_refresh_is_not_taken_as_an_edit(
        any_install: Install, editable_copy: tuple[Path, str]) -> None:
    site, mirror = editable_copy
    _crawl(any_install, mirror)
    page = _page(site)
    html = page.read_bytes()
    page.write_bytes(html[:html.index("Báo cáo của Thành ủy".encode()) + 200])  # cut mid-body
    refreshed = _crawl(any_install, mirror, "--refresh")
    assert ", 0 updated," in refreshed and ", 1 rejected," in refreshed
    assert "1 version\n" in any_install.run("history", KEY).stdout
    rejected = any_install.run("status", "--rejected").stdout
    assert "suspicious-edit: the body shrank" in rejected and URL in rejected


def test_history_is_coloured_on_a_terminal_only() -> None:
    ops = word_diff("thực hiện tốt Quy chế", "thực hiện hiệu quả Quy chế")
    assert render_ops(ops, colour=False) == "thực hiện [-tốt-]{+hiệu quả+} Quy chế"
    assert render_ops(ops, colour=True) == (
        "thực hiện \x1b[31;9mtốt\x1b[0m\x1b[32mhiệu quả\x1b[0m Quy chế")


def test_unknown_article_history_says_so(install: Install) -> None:
    result = install.run("history", "dangcongsan:1")
    assert result.returncode == 1 and "no stored article" in result.stderr


def test_word_diff_is_vietnamese_aware() -> None:
    # the same words typed decomposed (NFD) are the same words
    assert word_diff("Quo\u0302\u0301c ho\u0323\u0302i", "Quốc hội") == [Op("equal", "Quốc hội")]
    # a changed tone mark or a dropped diacritic is an edit
    assert word_diff("sửa đổi", "sữa đổi") == [Op("delete", "sửa "), Op("insert", "sữa "),
                                               Op("equal", "đổi")]
    assert word_diff("Đảng ta", "Dang ta")[0] == Op("delete", "Đảng ")
    ops = word_diff("a b c d e f g h i j k l m n o p q r s t u v w x y z",
                    "a b c d e f g h i j k l m n o p q r s t u v w x y Z")
    assert condense(ops, 3) == [Op("equal", "… w x y "), Op("delete", "z"), Op("insert", "Z")]


def test_diff_of_two_versions_names_the_fields_that_changed() -> None:
    old = Article(url="https://dangcongsan.vn/a-1.html", site="dangcongsan", title="Tiêu đề",
                  authors=["Thanh Hà"], body_text="Nội dung cũ.")
    new = Article(url="https://dangcongsan.vn/a-1.html", site="dangcongsan", title="Tiêu đề",
                  authors=["Thanh Hà", "Minh Anh"], body_text="Nội dung mới.")
    changes = diff_articles(old, new)
    assert list(changes) == ["body", "authors"]
    assert changes["authors"] == [Op("equal", "Thanh Hà"), Op("insert", ", Minh Anh")]
