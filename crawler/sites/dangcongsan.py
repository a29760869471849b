"""dangcongsan.vn — Báo điện tử Đảng Cộng sản Việt Nam, the seed site.

Three page designs are known: the legacy newspaper CMS (to early 2025), the May-2025
portal and the 2026 portal.  The 2026 portal is read through its metadata (``og:*``,
``article:published_time``, ``DC.Creator``) and the generic layer, because what is
known of its DOM is too thin to pin selectors on.
"""

from __future__ import annotations

import re

from .base import Layout, Site

SITE = Site(
    name="dangcongsan",
    title="Báo điện tử Đảng Cộng sản Việt Nam",
    home="https://dangcongsan.vn/",
    hosts=("dangcongsan.vn", "www.dangcongsan.vn"),
    categories={
        "thoi-su": "Thời sự",
        "xay-dung-dang": "Xây dựng Đảng",
        "lanh-dao-dang-nha-nuoc": "Lãnh đạo Đảng, Nhà nước",
        "tu-tuong-van-hoa": "Tư tưởng - Văn hóa",
        "kinh-te": "Kinh tế",
        "xa-hoi": "Xã hội",
        "quoc-phong-an-ninh": "Quốc phòng - An ninh",
        "doi-ngoai": "Đối ngoại",
        "quoc-te": "Quốc tế",
        "phap-luat": "Pháp luật",
        "anh": "Ảnh",
        "multimedia": "Multimedia",
        "bac-giang-khat-vong-doi-moi-phat-trien": "Bắc Giang - Khát vọng đổi mới, phát triển",
    },
    default_categories=("thoi-su", "tu-tuong-van-hoa"),
    article_path=re.compile(r"/[^?#]*-(?P<id>\d{5,})\.html?$"),
    category_page="{slug}/p/{page}",
    layouts=(
        Layout(
            name="legacy",
            title="h1.post-title",
            content="div.post-content",
            summary="div.post-summary",
            published="div.lbPublishedDate",
            category=".breadcrumb a:last-child",
        ),
        Layout(
            name="portal2025",
            title="h1#contenttitle",
            content="div.noidungtt",
            summary="div#description",
            published="div#ngaytao",
            author="b#tacgia",
        ),
    ),
    listing_links=("a.item-title", "div.box-thumbnail a[title]", "div.subnews-item a[title]"),
    publisher_names=("dangcongsan.vn", "ĐCSVN", "Báo điện tử Đảng Cộng sản Việt Nam",
                     "Báo Điện tử Đảng Cộng sản Việt Nam"),
)
