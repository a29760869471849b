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
