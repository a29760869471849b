"""What a site module declares: hosts, URLs, listings and the layouts of its pages.

A site is data plus two small behaviours (which links on a listing are articles,
which page comes next); extraction itself is shared (``crawler.extraction``), so a
new site is one module of selectors and URL rules, not a new extractor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from lxml import html as lxml_html

from ..extraction.layered import extract
from ..extraction.parsing import css
from ..items import Article
from ..urls import article_key


@dataclass(frozen=True)
class Layout:
    """CSS selectors for one page design of a site; ``title``, ``content`` and ``marker`` identify it.

    ``content`` may be None for a design whose body container is not known from evidence:
    the body then comes from the generic layer, the other fields from these selectors.
    """

    name: str
    title: str
    content: str | None
    summary: str | None = None
    published: str | None = None
    updated: str | None = None
    author: str | None = None
    category: str | None = None
    tags: str | None = None
    #: an element only this design has (a ``<meta>`` the CMS writes), when title and content don't tell
    marker: str | None = None


@dataclass(frozen=True)
class Listing:
    article_urls: list[str]
    next_page: str | None


@dataclass(frozen=True)
class Site:
    name: str
    title: str
    home: str
    hosts: tuple[str, ...]
    #: slug → Vietnamese name, for every category the site is known to have
    categories: dict[str, str]
    #: slugs crawled when the configuration names none
    default_categories: tuple[str, ...]
    #: article URL path; its ``id`` group is the site's own article id
    article_path: re.Pattern[str]
    #: ``{slug}`` and ``{page}`` placeholders
    category_page: str
    layouts: tuple[Layout, ...] = ()
    #: links of the listing proper, before the fallback to every article link on the page
    listing_links: tuple[str, ...] = ()
    #: names that are the publisher, never an author
    publisher_names: tuple[str, ...] = field(default_factory=tuple)
    #: RSS/Atom feeds that list the site's newest articles: the cheapest way to learn new URLs
    feeds: tuple[str, ...] = ()

    def owns(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return host in self.hosts

    def is_article(self, url: str) -> bool:
        return self.owns(url) and bool(self.article_path.search(urlsplit(url).path))

    def article_id(self, url: str) -> str | None:
        match = self.article_path.search(urlsplit(url).path)
        return match.group("id") if match and self.owns(url) else None

    def category_slug(self, url: str) -> str | None:
        """The first path segment of an article URL, when it is a known category."""
        segment = urlsplit(url).path.strip("/").split("/", 1)[0]
        return segment if segment in self.categories else None

    def category_url(self, slug: str, page: int = 1) -> str:
        if page == 1:
            return urljoin(self.home, slug)
        return urljoin(self.home, self.category_page.format(slug=slug, page=page))

    def listing(self, url: str, html: str, *, category: str | None = None, page: int = 1) -> Listing:
        """Article links in page order and, for a category, the next listing page if linked."""
        doc = lxml_html.document_fromstring(html)
        doc.make_links_absolute(url, resolve_base_href=True)

        def articles(hrefs: list[str]) -> list[str]:
            # one link per article: an article without an id is linked by its canonical URL,
            # so the ``?categoryId=`` variants of several listings are one request
            seen: dict[str, str] = {}
            for href in hrefs:
                href = href.split("#", 1)[0].strip()
                if self.is_article(href):
                    key = article_key(self, href)
                    seen.setdefault(key, href if self.article_id(href) else key)
            return list(seen.values())

        found: list[str] = []
        if self.listing_links:
            found = articles([a.get("href", "") for a in css(", ".join(self.listing_links))(doc)])
        # then every other article link: a page may mix a known listing design with a new one
        keys = {article_key(self, href) for href in found}
        found += [href for href in articles(doc.xpath("//a/@href")) if article_key(self, href) not in keys]
        next_page = None
        if category is not None:
            wanted = self.category_url(category, page + 1)
            links = {href.rstrip("/") for href in doc.xpath("//a/@href")}
            next_page = wanted if wanted.rstrip("/") in links else None
        return Listing(article_urls=found, next_page=next_page)

    def extract(self, url: str, html: str | bytes) -> Article:
        return extract(url, html, self)
