"""nhandan.vn — Báo Nhân Dân, the Party's central daily (evidence: research/sites.md §2).

Articles are ``/<slug>-post<id>.html`` with no category in the URL, so the category
comes from the breadcrumb.  The page is the "cms-body" newspaper CMS: ``h1.article__title``,
``div.article__sapo``, ``time[datetime]`` (``…+0700``), body ``div.article__body.cms-body``
with lazy images (``data-src``), an ad slot (``div.sda_middle``) and unlabelled related-story
lists (``<div style="clear: both;"><ul>…``) inside it.  ``Báo Nhân Dân điện tử`` in the
author metadata is the publisher, never an author.  Its home RSS works.
"""

from __future__ import annotations

import re

from .base import Layout
from .prepared import PreparedSite

SITE = PreparedSite(
    name="nhandan",
    title="Báo Nhân Dân",
    home="https://nhandan.vn/",
    hosts=("nhandan.vn", "www.nhandan.vn"),
    categories={
        "chinhtri": "Chính trị",
        "xay-dung-dang": "Xây dựng Đảng",
        "xa-luan": "Xã luận",
        "kinhte": "Kinh tế",
        "xahoi": "Xã hội",
        "vanhoa": "Văn hóa",
        "giaoduc": "Giáo dục",
        "khoahoc-congnghe": "Khoa học - Công nghệ",
        "thethao": "Thể thao",
        "moi-truong": "Môi trường",
        "thegioi": "Thế giới",
        "phapluat": "Pháp luật",
        "y-te": "Y tế",
        "du-lich": "Du lịch",
        "factcheck": "Kiểm chứng thông tin",
        "hanoi": "Hà Nội",
        "tphcm": "Thành phố Hồ Chí Minh",
        "bandoc": "Bạn đọc",
    },
    default_categories=("chinhtri", "xahoi"),
    article_path=re.compile(r"^/[^/]+-post(?P<id>\d+)\.html$"),
    # no evidence of how the current site pages a category; a guess, used only if linked
    category_page="{slug}?page={page}",
    layouts=(
        Layout(
            name="article",
            title="h1.article__title",
            content="div.article__body",
            summary="div.article__sapo",
            published=".article__meta time",
            author=".article__author-source .name, .article__author",
            category=".breadcrumbs a.text",
            tags=".article__tag a",
        ),
    ),
    listing_links=(".story__heading a",),
    publisher_names=("Báo Nhân Dân điện tử", "Báo Nhân Dân", "Nhân Dân", "nhandan.vn"),
    feeds=("https://nhandan.vn/rss/home.rss",),
    drop=(".article__body .sda_middle", ".article__body .ads_middle", ".article__body .article-relate",
          '.article__body div[style*="clear"] > ul'),
    category_link=".breadcrumbs a.text",
)
