"""baochinhphu.vn — Báo Điện tử Chính phủ, the Government's newspaper.

One page design is known, from a whole article page, a zone page and an RSS feed
captured from the live site in September 2026 (the VCCorp/Admicro "afcbc" CMS that
CafeF also runs).  What that CMS does to a page, and what this module undoes:

* titles, ``og:*``, JSON-LD and even ``article:published_time`` are HTML-entity
  encoded (``C&#x1A1; ch&#x1EBF;``, ``&#x2B;07:00``); inside JSON-LD the entities
  survive parsing, so they are decoded here, string by string;
* the body carries HTML comments (``<!-- react-text: 128 -->``, an editor timestamp)
  and a "Tham khảo thêm" related-stories box (``type="RelatedNewsBox"``);
* the author is the last right-aligned paragraph of the body, while JSON-LD names
  ``Ban biên tập`` (the editorial board) and ``meta name=author`` the site itself;
* a zone page shows its first items; later ones come from ``/timelinelist/{zone}/{page}.htm``,
  an HTML fragment the page's own script asks for, and the zone id is in ``#hdZoneId``.

Article ids are ``102`` (the site id) followed by the creation time ``YYMMDDhhmmss``
and a serial; older articles have short ids (``-102143422.htm``).
"""

from __future__ import annotations

import html as html_lib
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import html as lxml_html
from lxml.etree import _Element

from ..extraction import layered
from ..extraction.bylines import parse_byline
from ..extraction.parsing import css, page_text
from ..extraction.text import clean_text
from ..items import Article
from .base import Layout, Listing, Site

HOME = "https://baochinhphu.vn/"
#: ``/timelinelist/{zone id}/{page}.htm``: pages 2… of a zone, as the site's own script fetches them
TIMELINE = re.compile(r"^/timelinelist/(?P<zone>\d+)/(?P<page>\d+)\.htm$")
#: a byline's trailing role in brackets: ``Đỗ Hương (thực hiện)``
_BYLINE_ROLE = re.compile(r"\s*\((?:thực hiện|tổng hợp|lược dịch|dịch)\)\s*$", re.IGNORECASE)
_RIGHT_ALIGNED = re.compile(r"text-align\s*:\s*right", re.IGNORECASE)


def _decode_entities(value: Any) -> Any:
    """Every string in a JSON value with its HTML entities decoded (``&#237;`` → ``í``)."""
    if isinstance(value, str):
        return html_lib.unescape(value)
    if isinstance(value, list):
        return [_decode_entities(item) for item in value]
    if isinstance(value, dict):
        return {key: _decode_entities(item) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class BaochinhphuSite(Site):
    #: zone slug → zone id, where known (the zone page itself says so in ``#hdZoneId``)
    zone_ids: dict[str, int] = field(default_factory=dict)

    def category_url(self, slug: str, page: int = 1) -> str:
        if page == 1:
            return urljoin(self.home, f"{slug}.htm")
        return urljoin(self.home, self.category_page.format(zone=self.zone_ids[slug], page=page))

    def listing(self, url: str, html: str, *, category: str | None = None, page: int = 1) -> Listing:
        """Stream and side-box links; the next timeline page while a zone page still lists articles."""
        if not html.strip():  # past a zone's last page the timeline answers with nothing
            return Listing(article_urls=[], next_page=None)
        found = super().listing(url, html).article_urls
        if category is None or not found:
            return Listing(article_urls=found, next_page=None)
        timeline = TIMELINE.match(urlsplit(url).path)
        if timeline:
            zone, current = timeline.group("zone"), int(timeline.group("page"))
        else:
            doc = lxml_html.document_fromstring(html)
            zone = next(iter(doc.xpath("//input[@id='hdZoneId']/@value")), "").strip()
            current = 1
        if not zone.isdigit():
            return Listing(article_urls=found, next_page=None)
        next_page = urljoin(self.home, self.category_page.format(zone=zone, page=current + 1))
        return Listing(article_urls=found, next_page=next_page)

    def extract(self, url: str, html: str | bytes) -> Article:
        doc = layered.parse_html(page_text(html))  # decoded as any page is (decoding.py)
        byline = self._prepare(doc)
        article = layered.extract(url, lxml_html.tostring(doc, encoding="unicode"), self)
        if byline:
            publisher = {name.casefold() for name in self.publisher_names}
            authors, source = byline
            article.authors = [a for a in authors if a.casefold() not in publisher]
            article.layers["authors"] = f"site:{LAYOUT.name}"
            if source:
                article.source = source
                article.layers["source"] = f"site:{LAYOUT.name}"
        elif not article.authors:
            article.layers.pop("authors", None)
        crumb = next(iter(doc.xpath("//div[contains(@class,'detail-breadcrumb')]//a[@data-role='cate-name']/@href")), "")
        slug = urlsplit(crumb).path.strip("/").removesuffix(".htm")
        article.category_slug = slug if slug in self.categories else None
        return article

    def _prepare(self, doc: _Element) -> tuple[list[str], str | None] | None:
        """Undo the CMS's habits in place; returns the byline it took out of the body, parsed."""
        for script in doc.xpath("//script[@type='application/ld+json']"):
            try:
                decoded = _decode_entities(json.loads(script.text or ""))
            except ValueError:
                continue
            script.text = json.dumps(decoded, ensure_ascii=False).replace("</", "<\\/")
        for node in doc.xpath("//body//comment() | //*[@type='RelatedNewsBox']"):
            if node.getparent() is not None:
                node.drop_tree()
        content = next(iter(css(LAYOUT.content)(doc)), None)
        if content is None:
            return None
        credits = [p for p in content.iter("p")
                   if _RIGHT_ALIGNED.search(p.get("style", "")) and clean_text(p.text_content())]
        if not credits:
            return None
        authors, source = parse_byline(_BYLINE_ROLE.sub("", clean_text(credits[-1].text_content())))
        if not authors and not source:  # a right-aligned line that is not a credit stays text
            return None
        credits[-1].drop_tree()
        return authors, source


LAYOUT = Layout(
    name="afcbc",
    title="h1.detail-title",
    content="div.detail-content.afcbc-body",
    summary="h2.detail-sapo",
    published="div.detail-time [data-role=publishdate]",
    category="div.detail-breadcrumb a[data-role=cate-name]",
    tags="ul.detail-tag-list li a",
)

SITE = BaochinhphuSite(
    name="baochinhphu",
    title="Báo Điện tử Chính phủ",
    home=HOME,
    hosts=("baochinhphu.vn", "www.baochinhphu.vn"),
    categories={
        "chinh-tri": "Chính trị",
        "chinh-tri/doi-ngoai": "Đối ngoại",
        "chinh-tri/to-chuc-nhan-su": "Tổ chức nhân sự",
        "chinh-tri/hoi-nhap": "Hội nhập",
        "kinh-te": "Kinh tế",
        "kinh-te/ngan-hang": "Ngân hàng",
        "kinh-te/chung-khoan": "Chứng khoán",
        "kinh-te/kinh-doanh": "Kinh doanh",
        "van-hoa": "Văn hóa",
        "van-hoa/the-thao": "Thể thao",
        "van-hoa/du-lich": "Du lịch",
        "xa-hoi": "Xã hội",
        "xa-hoi/phap-luat": "Pháp luật",
        "xa-hoi/doi-song": "Đời sống",
        "xa-hoi/y-te": "Y tế",
        "khoa-giao": "Khoa giáo",
        "khoa-giao/giao-duc": "Giáo dục",
        "khoa-giao/khoa-hoc-cong-nghe": "Khoa học - Công nghệ",
        "quoc-te": "Quốc tế",
        "chi-dao-quyet-dinh-cua-chinh-phu-thu-tuong-chinh-phu":
            "Chỉ đạo, quyết định của Chính phủ - Thủ tướng Chính phủ",
        "chi-dao-dieu-hanh": "Chỉ đạo điều hành",
        "chinh-sach-va-cuoc-song": "Chính sách và cuộc sống",
        "thong-cao-bao-chi": "Thông cáo báo chí",
        "tra-loi-cong-dan": "Trả lời công dân",
    },
    # the Government's own decisions, and the zone whose feed is known to be fresh
    default_categories=("chi-dao-quyet-dinh-cua-chinh-phu-thu-tuong-chinh-phu", "kinh-te"),
    # one path segment: ``/print/<slug>-<id>.htm`` is the same article again, ``/chu-de/…`` a topic
    article_path=re.compile(r"^/[^/?#]+-(?P<id>102\d{6,15})\.htm$"),
    # pages 2… of a zone: the AJAX timeline the zone page's own script reads, by zone id, not slug
    category_page="timelinelist/{zone}/{page}.htm",
    layouts=(LAYOUT,),
    listing_links=("a.box-stream-link-title", "a.box-link-title", "a.box-category-link-title"),
    publisher_names=("baochinhphu.vn", "Ban biên tập", "Báo Điện tử Chính phủ", "Chinhphu.vn"),
    feeds=("https://baochinhphu.vn/home.rss", "https://baochinhphu.vn/kinh-te.rss",
           "https://baochinhphu.vn/chinh-sach-va-cuoc-song.rss"),
    zone_ids={"chi-dao-quyet-dinh-cua-chinh-phu-thu-tuong-chinh-phu": 1023, "kinh-te": 1027,
              "chi-dao-dieu-hanh": 102263, "tra-loi-cong-dan": 102301},
)
