"""The generic layer on pages no site module knows: what any news page a user points us at gets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from crawler.extraction.generic import find_main_content
from crawler.extraction.layered import extract
from crawler.extraction.parsing import parse_html

from .conftest import REPO

PARAGRAPHS = [
    "Sáng 12/3, tại Hà Nội, Ủy ban nhân dân thành phố tổ chức hội nghị tổng kết công tác phòng chống thiên tai năm "
    "qua và triển khai nhiệm vụ năm nay với sự tham dự của đại diện các sở, ngành và quận, huyện.",
    "Báo cáo tại hội nghị cho biết, trong năm qua thành phố đã chủ động ứng phó với nhiều đợt mưa lớn, giông lốc và "
    "triều cường, không để xảy ra thiệt hại lớn về người và tài sản của Nhân dân.",
    "Phát biểu chỉ đạo, lãnh đạo thành phố đề nghị các đơn vị tiếp tục rà soát phương án, chuẩn bị đầy đủ vật tư, "
    "phương tiện và lực lượng tại chỗ, sẵn sàng ứng phó khi có tình huống xảy ra.",
]
URL = "https://tintuc.example.vn/xa-hoi/ha-noi-tong-ket-cong-tac-phong-chong-thien-tai.html"


def _page(article_class: str = "sidebar-1", extra_head: str = "", byline: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + byline
    return f"""<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">
<title>Hà Nội tổng kết công tác phòng chống thiên tai</title>{extra_head}</head><body>
<div class="header"><a href="/">Trang chủ</a> <a href="/xa-hoi">Xã hội</a></div>
<div class="row"><div class="{article_class}"><h1>Hà Nội tổng kết công tác phòng chống thiên tai</h1>
<div class="date">12/03/2026 10:15</div><div class="content">{body}</div></div>
<div class="sidebar"><h3>Giới thiệu</h3><p>Trang tin điện tử tổng hợp của chúng tôi cung cấp thông tin thời sự,
kinh tế, văn hóa, xã hội trong nước và quốc tế, được cập nhật liên tục hằng ngày cho bạn đọc cả nước.</p></div></div>
<div class="footer"><p>Giấy phép số 123/GP-TTĐT. Địa chỉ: 1 phố Tràng Tiền, Hà Nội. Điện thoại: 024 0000 0000.</p></div>
</body></html>"""


def test_an_article_column_classed_sidebar_is_still_found() -> None:
    # real sites put the whole article column in a "sidebar-1" div; the filter that threw away
    # every container whose class mentions "sidebar" lost the article
    content = find_main_content(parse_html(_page("sidebar-1 main-col")))
    assert content is not None and content.get("class") == "content"
    article = extract(URL, _page("sidebar-1 main-col"))
    assert article.body_text == "\n\n".join(PARAGRAPHS)
    assert "Trang tin điện tử tổng hợp" not in article.body_text


def test_the_real_sidebar_is_still_furniture() -> None:
    assert "Giới thiệu" not in extract(URL, _page("main")).body_text


def test_a_right_aligned_bold_last_paragraph_is_the_author() -> None:
    article = extract(URL, _page(byline='<p style="text-align: right;"><strong>Minh Châu</strong></p>'))
    assert article.authors == ["Minh Châu"] and "Minh Châu" not in article.body_text


def test_the_site_or_publisher_name_is_never_an_author() -> None:
    head = ('<meta name="author" content="tintuc.example.vn"><meta property="og:site_name" content="Tin Tức Việt">'
            '<script type="application/ld+json">{"@type": "NewsArticle", "author": {"name": "Tin Tức Việt"},'
            '"publisher": {"name": "Tin Tức Việt"}}</script>')
    assert extract(URL, _page(extra_head=head)).authors == []


def test_a_canonical_naming_the_home_page_is_not_the_article() -> None:
    head = '<link rel="canonical" href="https://tintuc.example.vn/">'
    assert extract(URL, _page(extra_head=head)).url == URL


def test_extract_says_when_a_page_is_no_article(tmp_path: Path) -> None:
    page = tmp_path / "404.html"
    page.write_text('<html><head><meta charset="utf-8"><title>404 - Không tìm thấy trang</title></head><body>'
                    '<div class="header"><a href="/">Trang chủ</a></div><h1>Không tìm thấy trang</h1>'
                    "<p>Trang bạn yêu cầu không tồn tại hoặc đã bị xóa.</p></body></html>", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "scheduler", "extract", "--url", URL, str(page)],
                            cwd=tmp_path, text=True, capture_output=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    assert "not an article" in result.stderr and "error page" in result.stderr


def test_a_plain_short_last_paragraph_is_not_taken_for_an_author() -> None:
    for last in ("<p>You may also like:</p>", "<p>12 comments</p>", "<p>© Reuters</p>", "<p>Xem thêm tin khác</p>"):
        assert extract(URL, _page(byline=last)).authors == [], last
