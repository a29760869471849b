"""dangcongsan.vn — Báo điện tử Đảng Cộng sản Việt Nam, the seed site.

Three page designs are known: the legacy newspaper CMS (to early 2025), the May-2025
portal and the 2026 portal ("Cổng thông tin điện tử Đảng Cộng sản Việt Nam").

The 2026 portal (evidence: ``shared/research/sites.md`` §1.4, §6.6) has no article id in
its URLs (``/tin-hoat-dong/<slug>.html``, linked as ``…html?categoryId=1902448,1902446``;
slugs cut at ~120 characters, even mid-word), so its articles are keyed by their
canonical URL without the query.  What is known of its DOM is the full title in the
``h1`` (``og:title`` is truncated with ``...``) and the author in ``.author``, where ``PV``,
``BTV`` and ``ĐCSVN`` are placeholders; the rest comes from its metadata
(``article:published_time``, the meta description with its ``(ĐCSVN) - `` prefix,
``article:section`` and keywords) and the body from the generic layer.  Its
``DC.Creator`` always names the portal itself, which marks the design and is never an author.
"""

from __future__ import annotations

import re

from .base import Layout, Site

#: the 2026 portal's name, the default of its ``DC.Creator``
PORTAL_NAME = "Cổng thông tin điện tử Đảng Cộng sản Việt Nam"

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
    # the 2026 portal lists its articles under /tin-hoat-dong, whatever their section
    default_categories=("thoi-su", "tu-tuong-van-hoa", "tin-hoat-dong"),
    # legacy ``/<category>/<slug>-<id>.html``; 2026 portal ``/tin-hoat-dong/<slug>.html`` (no id)
    article_path=re.compile(r"/[^?#]*-(?P<id>\d{5,})\.html?$|^/tin-hoat-dong/[a-z0-9-]+\.html$"),
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
        Layout(
            name="portal2026",
            title="h1",
            content=None,
            author=".author",
            marker=f'meta[name="DC.Creator"][content="{PORTAL_NAME}"]',
        ),
    ),
    listing_links=("a.item-title", "div.box-thumbnail a[title]", "div.subnews-item a[title]"),
    publisher_names=("dangcongsan.vn", "ĐCSVN", "Báo điện tử Đảng Cộng sản Việt Nam",
                     "Báo Điện tử Đảng Cộng sản Việt Nam", PORTAL_NAME),
)
