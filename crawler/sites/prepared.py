"""Sites whose pages need a word of their own before the shared extractor reads them.

Some furniture sits *inside* an article body and looks like prose to any generic
cleaner — qdnd.vn's closing ``* Mời bạn đọc vào chuyên mục …`` paragraph, nhandan.vn's
unlabelled related-story lists and ad slots — and some sites say an article's section
only in a breadcrumb link, not in its URL.  A site module says which, as data; the
extractor stays shared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from lxml import html as lxml_html

from ..extraction.parsing import css, page_text, parse_html
from ..extraction.text import clean_text
from ..items import Article
from .base import Site


@dataclass(frozen=True)
class PreparedSite(Site):
    #: CSS selectors of page furniture to drop before extraction
    drop: tuple[str, ...] = ()
    #: CSS selectors of elements to replace by their content (a broken link whose text is prose)
    unwrap: tuple[str, ...] = ()
    #: a paragraph whose text this pattern finds (anchor it with ``^``) is furniture: a promo, a "read more"
    drop_paragraphs: re.Pattern[str] | None = None
    #: a link whose ``href`` names the article's category (first path segment), e.g. a breadcrumb
    category_link: str | None = None

    def extract(self, url: str, html: str | bytes) -> Article:
        doc = parse_html(page_text(html))  # bytes decoded as a crawl decodes them
        for element in [e for selector in self.drop for e in css(selector)(doc)]:
            _drop(element)
        for element in [e for selector in self.unwrap for e in css(selector)(doc)]:
            element.drop_tag()
        if self.drop_paragraphs is not None:
            for paragraph in list(doc.iter("p")):
                if self.drop_paragraphs.search(clean_text(paragraph.text_content())):
                    _drop(paragraph)
        slug = self._linked_category(doc, url)
        article = super().extract(url, lxml_html.tostring(doc, encoding="unicode"))
        if slug and not article.category_slug:
            article.category_slug = slug
            if not article.category:
                article.category = self.categories[slug]
                article.layers["category"] = "site:link"
        return article

    def _linked_category(self, doc: lxml_html.HtmlElement, url: str) -> str | None:
        for link in css(self.category_link)(doc) if self.category_link else ():
            href = urljoin(url, link.get("href", ""))
            segment = urlsplit(href).path.strip("/").split("/", 1)[0]
            if self.owns(href) and segment in self.categories:
                return segment
        return None


def _drop(element: lxml_html.HtmlElement) -> None:
    """Remove an element, keeping the text that follows it."""
    if element.getparent() is not None:
        element.drop_tree()
