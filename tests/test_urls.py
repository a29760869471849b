"""One row per article: canonical URLs and the dedupe key."""

import pytest

from crawler.settings import REMOTE_CONTROL_ENABLED, TELNETCONSOLE_ENABLED
from crawler.sites import get_site
from crawler.urls import article_key, canonical_url

SEED = "https://dangcongsan.vn/xay-dung-dang/thanh-uy-soc-trang-thuc-hien-tot-quy-che-dan-chu-co-so-577383.html"


@pytest.mark.parametrize("variant", [
    SEED,
    SEED.replace("https://", "http://"),
    SEED.replace("dangcongsan.vn", "DangCongSan.VN"),
    SEED + "#comments",
    SEED + "?utm_source=facebook&utm_medium=social&fbclid=abc",
    SEED + "?zarsrc=30",
])
def test_variants_of_an_article_url_share_one_canonical_form(variant: str) -> None:
    assert canonical_url(variant) == SEED


def test_meaningful_query_parameters_are_kept() -> None:
    assert canonical_url("https://dangcongsan.vn/tim-kiem?q=%C4%90%E1%BA%A3ng") == \
        "https://dangcongsan.vn/tim-kiem?q=%C4%90%E1%BA%A3ng"


def test_key_is_the_site_article_id_whatever_the_slug_or_category() -> None:
    site = get_site("dangcongsan")
    moved = "https://www.dangcongsan.vn/thoi-su/tieu-de-da-sua-577383.html"
    assert article_key(site, SEED) == article_key(site, moved) == "dangcongsan:577383"
    assert article_key(None, SEED + "#x") == SEED


def test_remote_control_and_telnet_are_off() -> None:
    # Scrapy 2.19 opens a code-execution port by default; a daemon keeps it shut
    assert REMOTE_CONTROL_ENABLED is False and TELNETCONSOLE_ENABLED is False


PORTAL = "https://dangcongsan.vn/tin-hoat-dong/dua-khuon-kho-quan-he-doi-tac-chien-luoc-toan-dien-viet-nam-australia-di-vao-chieu-sau-thuc-chat-hieu-qua.html"


@pytest.mark.parametrize("variant", [
    PORTAL + "?categoryId=1902448,1902446",
    PORTAL + "?categoryId=1902446",
    PORTAL.replace("https://", "http://www.") + "?categoryId=1902448&utm_source=zalo",
])
def test_a_portal_article_without_id_is_keyed_by_its_url_without_query(variant: str) -> None:
    site = get_site("dangcongsan")
    assert site.is_article(variant) and site.article_id(variant) is None
    assert article_key(site, variant) == PORTAL


def test_a_portal_slug_cut_mid_word_is_still_an_article() -> None:
    # sites.md §1.3: a real portal link, its slug cut at 120 characters ("…xac-thuc-die")
    cut = ("https://dangcongsan.vn/tin-hoat-dong/thuc-day-trien-khai-cac-giai-phap-cong-nghe-phuc-vu-nguoi-dan-"
           "doanh-nghiep-gan-voi-du-lieu-dan-cu-dinh-danh-xac-thuc-die.html")
    assert get_site("dangcongsan").is_article(cut)


def test_portal_listings_link_each_article_once_whatever_its_category_query() -> None:
    site = get_site("dangcongsan")
    page = (f'<a href="{PORTAL}?categoryId=1902448,1902446">Đưa khuôn khổ quan hệ</a>'
            f'<a href="{PORTAL}?categoryId=1902446">Đưa khuôn khổ quan hệ</a>'
            '<a href="/tin-hoat-dong">Tin hoạt động</a>')
    assert site.listing("https://dangcongsan.vn/", page).article_urls == [PORTAL]
