"""tapchicongsan.org.vn — Tạp chí Cộng sản, the Party's theoretical journal.

A Liferay portal.  What is known of it is thin and comes from other people's scraper
code, not from captured pages: the three URL forms of an article, the listing's
pagination parameter, ``div.journal-content-article`` holding a first ``h2`` (the
title) and ``div.publishdate`` (``HH:MM, ngày DD-MM-YYYY``), ``div.ContentDetail``
holding the text, the ``TCCS - `` lead prefix, and credits printed in capitals with
academic titles (``PGS, TS BÙI THỊ NGỌC LAN`` over a line naming the institution).
So this module pins only those, and leaves the rest to metadata and the generic layer.

Credits are presented as the journal prints them, titles first, but in ordinary
case: ``PGS, TS Bùi Thị Ngọc Lan``.  The titles stay because Vietnamese readers cite
scholars with them and they tell namesakes apart; the institution line is dropped
(it is an affiliation, not a name).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from lxml import html as lxml_html
from lxml.etree import _Element

from ..extraction import layered
from ..extraction.parsing import css, page_text
from ..extraction.text import clean_text
from ..items import Article
from .base import Layout, Listing, Site

#: ``TCCS - `` / ``TCCS – ``: the journal's tag at the start of a lead
LEAD_PREFIX = re.compile(r"^\s*TCCS\s*[-–—]\s*")
#: what ``og:title`` and ``<title>`` add to an article's title
TITLE_SUFFIX = re.compile(r"\s*[-–|]\s*Tạp chí Cộng sản\s*$")
#: Liferay's page parameter of an asset-publisher portlet: ``_101_INSTANCE_YqSB2JpnYto9_cur=2``
PAGE_PARAM = re.compile(r"[?&]_101_INSTANCE_[A-Za-z0-9]+_cur=(\d+)")
#: academic, professional and military titles a credit may open with, in their usual spelling
TITLES = {t.casefold(): t for t in (
    "GS", "PGS", "TS", "TSKH", "ThS", "NCS", "CN", "KS", "BS", "NGND", "NGƯT", "NSND", "NSƯT",
    "Đại tướng", "Thượng tướng", "Trung tướng", "Thiếu tướng", "Đại tá", "Thượng tá", "Trung tá", "Thiếu tá",
)}
_TITLE_RE = "|".join(sorted((re.escape(t) for t in TITLES.values()), key=len, reverse=True))
_CREDIT = re.compile(rf"^(?P<titles>(?:(?:{_TITLE_RE})[\s.,-]+)*)(?P<name>[^\W\d_][^\d,;:()/.]*)$", re.IGNORECASE)


def credit_name(line: str) -> str | None:
    """``PGS, TS BÙI THỊ NGỌC LAN`` → ``PGS, TS Bùi Thị Ngọc Lan``; None when the line is not a credit."""
    match = _CREDIT.match(clean_text(line))
    if not match:
        return None
    name = match.group("name").strip()
    words = name.split()
    if not 2 <= len(words) <= 6 or name != name.upper():
        return None
    titles = [TITLES[t.casefold()] for t in re.findall(_TITLE_RE, match.group("titles"), re.IGNORECASE)]
    person = " ".join(word[:1] + word[1:].lower() for word in words)
    return f"{', '.join(titles)} {person}" if titles else person


def _lines(block: _Element) -> list[str]:
    """A block's text split where the page breaks the line (``<br>``)."""
    block = copy.deepcopy(block)
    for br in block.iter("br"):
        br.tail = "\n" + (br.tail or "")
    return [line for line in (clean_text(part) for part in block.text_content().split("\n")) if line]


@dataclass(frozen=True)
class TapchicongsanSite(Site):
    def category_slug(self, url: str) -> str | None:
        """The category segment of any of the three article URL forms."""
        match = self.article_path.search(urlsplit(url).path)
        slug = match.group("category") if match else None
        return slug if slug in self.categories else None

    def category_url(self, slug: str, page: int = 1) -> str:
        if page != 1:
            raise ValueError("later pages carry the portlet's instance id: follow Listing.next_page")
        return urljoin(self.home, self.category_page.format(slug=slug))

    def listing(self, url: str, html: str, *, category: str | None = None, page: int = 1) -> Listing:
        """Every article link on the page; for a category, the link to the next ``_cur`` page."""
        if not html.strip():
            return Listing(article_urls=[], next_page=None)
        found = super().listing(url, html).article_urls
        if category is None:
            return Listing(article_urls=found, next_page=None)
        here = PAGE_PARAM.search(url)
        wanted = (int(here.group(1)) if here else 1) + 1
        doc = lxml_html.document_fromstring(html)
        doc.make_links_absolute(url, resolve_base_href=True)
        next_page = next((href for href in doc.xpath("//a/@href")
                          if (m := PAGE_PARAM.search(href)) and int(m.group(1)) == wanted), None)
        return Listing(article_urls=found, next_page=next_page)

    def extract(self, url: str, html: str | bytes) -> Article:
        doc = layered.parse_html(page_text(html))  # decoded as any page is (decoding.py)
        lead, credits = self._prepare(doc)
        article = layered.extract(url, lxml_html.tostring(doc, encoding="unicode"), self)
        if article.title and article.layers.get("title") != f"site:{LAYOUT.name}":
            article.title = TITLE_SUFFIX.sub("", article.title)
        if lead:
            article.summary = lead
            article.layers["summary"] = f"site:{LAYOUT.name}"
        elif article.summary:
            article.summary = LEAD_PREFIX.sub("", article.summary) or None
        if credits:
            article.authors = credits
            article.layers["authors"] = f"site:{LAYOUT.name}"
        return article

    def _prepare(self, doc: _Element) -> tuple[str | None, list[str]]:
        """Take the ``TCCS - `` lead and the credits out of the text; returns them."""
        content = next(iter(css(LAYOUT.content)(doc)), None)
        if content is None:
            return None, []
        blocks = [b for b in content if isinstance(b.tag, str) and b.tag in ("p", "div") and clean_text(b.text_content())]
        lead = None
        for block in blocks[:3]:
            text = clean_text(block.text_content())
            if LEAD_PREFIX.match(text):
                lead = LEAD_PREFIX.sub("", text)
                block.drop_tree()
                blocks.remove(block)
                break
        credits: list[str] = []
        for block in (*blocks[:2], *blocks[-2:]):
            lines = _lines(block)
            name = credit_name(lines[0]) if lines and len(lines) <= 3 else None
            if name and block.getparent() is not None:
                credits.append(name)
                block.drop_tree()
        return lead, credits


LAYOUT = Layout(
    name="liferay",
    title="div.journal-content-article h2",
    content="div.journal-content-article div.ContentDetail",
    published="div.journal-content-article div.publishdate",
)

SITE = TapchicongsanSite(
    name="tapchicongsan",
    title="Tạp chí Cộng sản",
    home="https://www.tapchicongsan.org.vn/",
    hosts=("www.tapchicongsan.org.vn", "tapchicongsan.org.vn"),
    # slugs from article URLs; names inferred from the slugs (some drop "đ": "hoat-ong-cua-lanh-ao-ang-nha-nuoc")
    categories={
        "chinh-tri-xay-dung-dang": "Chính trị - Xây dựng Đảng",
        "kinh-te": "Kinh tế",
        "van_hoa_xa_hoi": "Văn hóa - Xã hội",
        "quoc-phong-an-ninh-oi-ngoai1": "Quốc phòng - An ninh - Đối ngoại",
        "the-gioi-van-de-su-kien": "Thế giới: Vấn đề - Sự kiện",
        "hoat-ong-cua-lanh-ao-ang-nha-nuoc": "Hoạt động của lãnh đạo Đảng, Nhà nước",
        "dang-uy-khoi-doanh-nghiep-trung-uong": "Đảng ủy Khối Doanh nghiệp Trung ương",
        "dau-tranh-phan-bac-cac-luan-dieu-sai-trai-thu-dich": "Đấu tranh phản bác các luận điệu sai trái, thù địch",
        "media-story": "Media Story",
    },
    # the journal's core section, and the one whose listing and pagination public code reads
    default_categories=("chinh-tri-xay-dung-dang", "dau-tranh-phan-bac-cac-luan-dieu-sai-trai-thu-dich"),
    # ``[/vi_VN]/web/guest/<cat>/-/2018/<id>/<slug>.aspx`` or ``…/<id>/view_content``, and
    # ``/web/guest/<cat>[/chi-tiet]/-/asset_publisher/<portlet>/content/<slug>`` (no id: keyed by URL)
    article_path=re.compile(
        r"^(?:/[a-z]{2}_[A-Z]{2})?(?:/web/guest)?/(?P<category>[\w-]+)(?:/chi-tiet)?/-/"
        r"(?:2018/(?P<id>\d+)/(?:[^/]+\.aspx|view_content)|asset_publisher/[\w-]+/content/[^/]+)$"),
    # the friendly URL of a section; its later pages are linked from it (see ``listing``)
    category_page="{slug}",
    layouts=(LAYOUT,),
    publisher_names=("Tạp chí Cộng sản", "TCCS", "tapchicongsan.org.vn"),
)
