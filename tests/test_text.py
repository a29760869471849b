"""Text normalisation: NFC, invisible characters, lead prefixes, bylines."""

import unicodedata

import pytest

from crawler.extraction.bylines import looks_like_byline, parse_byline
from crawler.extraction.metadata import section_name
from crawler.extraction.text import clean_text, slugify, strip_end_marker, strip_outlet_prefix


def test_clean_text_is_nfc_without_invisible_characters() -> None:
    nfd = unicodedata.normalize("NFD", "Đảng Cộng sản\u00a0Việt\u200bNam")
    cleaned = clean_text(nfd + "  \n ")
    assert cleaned == "Đảng Cộng sản ViệtNam"
    assert unicodedata.is_normalized("NFC", cleaned)


@pytest.mark.parametrize("lead", ["(ĐCSVN) – Tại buổi", "(ĐCSVN) - Tại buổi", "(ĐCSVN)-Tại buổi",
                                  "(Chinhphu.vn) - Tại buổi", " (ĐCSVN) —  Tại buổi"])
def test_outlet_prefix_is_removed_from_leads(lead: str) -> None:
    assert strip_outlet_prefix(lead) == "Tại buổi"


def test_end_marker_is_removed() -> None:
    assert strip_end_marker("của nhân dân./.") == "của nhân dân."
    assert strip_end_marker("của nhân dân /.") == "của nhân dân."
    assert strip_end_marker("tỷ lệ 1/2") == "tỷ lệ 1/2"


@pytest.mark.parametrize(
    ("byline", "authors", "source"),
    [
        ("Tin, ảnh: Thanh Nam", ["Thanh Nam"], None),
        ("Bài và ảnh: SƠN BÌNH", ["SƠN BÌNH"], None),
        ("Minh Anh", ["Minh Anh"], None),
        ("Nhóm phóng viên", ["Nhóm phóng viên"], None),
        ("Theo TTXVN", [], "TTXVN"),
        ("Bài: Thu Hà - Ảnh: Minh Đức", ["Thu Hà", "Minh Đức"], None),
        ("PV", [], None),  # a reporter placeholder, not a name
        ("BTV", [], None),
    ],
)
def test_bylines_become_names(byline: str, authors: list[str], source: str | None) -> None:
    assert parse_byline(byline) == (authors, source)
    assert looks_like_byline(byline)


def test_a_sentence_is_not_a_byline() -> None:
    assert not looks_like_byline(
        "Triển lãm sẽ diễn ra đến ngày 5/3 tại trụ sở Hội Nhiếp ảnh TP Hồ Chí Minh.")


def test_a_vietnamese_name_slugs_as_vietnamese_sites_write_it() -> None:
    assert slugify("Tư tưởng - Văn hóa") == "tu-tuong-van-hoa"
    assert slugify("Vấn đề quan tâm") == "van-de-quan-tam"
    assert slugify("Đảng, Nhà nước") == "dang-nha-nuoc"


def test_a_section_listed_with_its_parent_is_the_section() -> None:
    assert section_name("Vấn đề quan tâm, Tin tức") == "Vấn đề quan tâm"
    # a known name holding a comma is not split
    assert section_name("Lãnh đạo Đảng, Nhà nước, Tin tức", ["Lãnh đạo Đảng, Nhà nước"]) == "Lãnh đạo Đảng, Nhà nước"
