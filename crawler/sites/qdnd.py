"""qdnd.vn — Báo Quân đội nhân dân, the army's daily (evidence: research/sites.md §3).

Article URLs have **no extension** and end in a 6–7 digit id
(``/quoc-phong-an-ninh/tin-tuc/<slug>-884098``); tag pages do end in ``.html`` and are
not articles.  ``og:title`` is cut short, so the title is the ``h1``.  Photos sit in
``<table align="center">`` boxes whose caption cell may even be an ``h2``; the byline
(``Tin, ảnh: VĂN CHIỂN``) is the last paragraph before the closing promo
``* Mời bạn đọc vào chuyên mục …``, which goes.

Its newest-articles RSS answers a client without cookies with a redirect to ``/rss``
that redirects to itself for ever; with a session cookie (set by that redirect) it
works.  So this site's spider, alone, keeps cookies — for its feeds only.
"""

from __future__ import annotations

import re

from .base import Layout
from .prepared import PreparedSite

SITE = PreparedSite(
    name="qdnd",
    title="Báo Quân đội nhân dân",
    home="https://www.qdnd.vn/",
    hosts=("qdnd.vn", "www.qdnd.vn"),
    categories={
        "chinh-tri": "Chính trị",
        "quoc-phong-an-ninh": "Quốc phòng - An ninh",
        "kinh-te": "Kinh tế",
        "xa-hoi": "Xã hội",
        "quoc-te": "Quốc tế",
        "van-hoa": "Văn hóa",
        "the-thao": "Thể thao",
        "phap-luat": "Pháp luật",
        "cuoi-tuan": "Cuối tuần",
    },
    default_categories=("chinh-tri", "quoc-phong-an-ninh"),
    article_path=re.compile(r"^/[a-z0-9-]+/[a-z0-9-]+/[a-z0-9-]+-(?P<id>\d{6,7})/?$"),
    category_page="{slug}/p/{page}",
    layouts=(
        Layout(
            name="article",
            title="h1.post-title",
            content="div[itemprop=articleBody]",
            summary="p.logo-online",
            published="span.post-subinfo span",
        ),
    ),
    listing_links=("article a[href]",),
    publisher_names=("Báo Quân đội nhân dân", "Quân đội nhân dân", "QĐND", "qdnd.vn"),
    feeds=("https://www.qdnd.vn/rss/cate/tin-tuc-moi-nhat.rss",),
    drop_paragraphs=re.compile(r"^\*\s*Mời\s+bạn\s+đọc\b"),
    # the CMS's auto-links to tag pages are sometimes broken: ``<a href="Đắk Nông" rel="nofollow">``
    unwrap=('div[itemprop=articleBody] a[rel=nofollow]:not([href^="http"]):not([href^="/"])',),
)
