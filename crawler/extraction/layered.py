"""Page → Article, field by field, from the most specific layer that has a valid value.

Layers, in order: the site's own selectors for a layout it recognises
(``site:<layout>``), the page's structured metadata (``metadata``), and the generic
content finder (``generic``).  Each field records the layer it came from, so a
crawl can tell when a site has silently changed design.
"""

from __future__ import annotations

import re
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urljoin, urlsplit

from lxml.etree import _Element

from ..items import Article, Image
from ..urls import site_canonical_url
from .bylines import parse_byline
from .dates import parse_date, to_vietnam
from .generic import find_published, find_summary, find_title, generic_body, trafilatura_authors
from .html import Body, clean_body, original_image_url
from .metadata import read_metadata, section_name
from .parsing import ExtractionError, css, page_text, parse_html
from .text import clean_text, slugify, strip_outlet_prefix

if TYPE_CHECKING:
    from ..sites.base import Layout, Site

__all__ = ["GENERIC", "METADATA", "ExtractionError", "extract"]

METADATA, GENERIC = "metadata", "generic"
T = TypeVar("T")
#: og:image values that are the site's logo or share card, not the article's photo
_SITE_WIDE_IMAGE = re.compile(r"default|logo|no-?image|placeholder|share", re.IGNORECASE)


def _first(doc: _Element, selector: str | None) -> _Element | None:
    if not selector:
        return None
    found = css(selector)(doc)
    return found[0] if found else None


def _text_of(doc: _Element, selector: str | None) -> str:
    element = _first(doc, selector)
    return clean_text(element.text_content()) if element is not None else ""


def _layout(doc: _Element, site: Site | None) -> Layout | None:
    for layout in site.layouts if site else ():
        if all(_first(doc, selector) is not None
               for selector in (layout.title, layout.content, layout.marker) if selector):
            return layout
    return None


def _is_article_of_same_site(url: str, other: str, site: Site | None) -> bool:
    if site:
        return site.is_article(other)
    host, other_host = (urlsplit(u).hostname or "" for u in (url, other))
    return (host.removeprefix("www.") == other_host.removeprefix("www.")
            and urlsplit(other).path not in ("", "/"))


def _canonical(url: str, declared: str | None, site: Site | None) -> str:
    """Where the page says it lives (``og:url``/canonical), when that is an article of the same site.

    A slug URL whose canonical names another article of the site is that article, stored
    once under the canonical.  A canonical off the site is ignored (anyone can write one),
    and so is one naming the home page or a listing (some CMSes write that on every page:
    taken at its word, every article would become one row).
    """
    if declared:
        declared = urljoin(url, declared)
        if urlsplit(declared).scheme in ("http", "https") and _is_article_of_same_site(url, declared, site):
            url = declared
    return site_canonical_url(site, url) if site else url


def _name_key(name: str) -> str:
    """``baochinhphu.vn``, ``Baochinhphu Vn`` and ``www.baochinhphu.vn`` are one name."""
    return re.sub(r"\W+", "", name.casefold().removeprefix("www."))


def _not_publisher(names: list[str], publishers: set[str], url: str) -> list[str]:
    """Authors without the site's or publisher's own name (``baochinhphu.vn``, the portal's)."""
    own = {_name_key(p) for p in publishers} | {_name_key(urlsplit(url).hostname or "")}
    return [n for n in names if _name_key(n) not in own]


def _vn(value: datetime | None) -> datetime | None:
    return to_vietnam(value) if value else None


def _pick(layers: dict[str, str], name: str, *candidates: tuple[T | None, str | None]) -> T | None:
    """The first non-empty value whose layer applies; records that layer under ``name``."""
    for value, layer in candidates:
        if value and layer:
            layers[name] = layer
            return value
    return None


def _slug_of(site: Site, category: str) -> str:
    """The site's own slug for a category it names (nhandan's ``xahoi`` for ``Xã hội``),
    else the name as a URL slug."""
    wanted = category.casefold()
    return next((slug for slug, name in site.categories.items() if name.casefold() == wanted),
                slugify(category))


def extract(url: str, html: str | bytes, site: Site | None = None) -> Article:
    """Extract an article; fields no layer can fill stay empty for validation to judge."""
    text = page_text(html)
    doc = parse_html(text)
    meta = read_metadata(doc)
    layout = _layout(doc, site)
    site_layer = f"site:{layout.name}" if layout else None
    url = _canonical(url, meta.canonical, site)
    article = Article(url=url, site=site.name if site else "generic")
    layers = article.layers

    article.title = _pick(layers, "title", (_text_of(doc, layout.title) if layout else None, site_layer),
                         (meta.title, METADATA), (find_title(doc), GENERIC))
    published = _pick(layers, "published",
                     (parse_date(_text_of(doc, layout.published)) if layout else None, site_layer),
                     (meta.published, METADATA), (find_published(doc), GENERIC))
    article.published = _vn(published)
    updated = _pick(layers, "updated",
                   (parse_date(_text_of(doc, layout.updated)) if layout and layout.updated else None,
                    site_layer),
                   (meta.updated, METADATA))
    article.updated = _vn(updated)
    content = _first(doc, layout.content) if layout and layout.content else None
    body_layer: str = site_layer or GENERIC
    body = clean_body(content, url) if content is not None else Body()
    if content is None:
        content, body = generic_body(doc, text, url, (article.title or "", meta.summary or ""))
        body_layer = GENERIC
    summary = _pick(layers, "summary", (_text_of(doc, layout.summary) if layout else None, site_layer),
                   (meta.summary, METADATA),
                   (find_summary(doc, content) if not layout else None, GENERIC))
    article.summary = clean_text(strip_outlet_prefix(summary)) or None if summary else None
    if body.text:
        layers["body"] = body_layer
    elif meta.body_text:
        body = Body(html=f"<p>{escape(meta.body_text)}</p>", text=meta.body_text)
        layers["body"] = METADATA
    article.body_html, article.body_text = body.html, body.text

    article.images = body.images
    if body.images:
        layers["images"] = layers.get("body", GENERIC)
    elif meta.image and not _SITE_WIDE_IMAGE.search(meta.image):
        article.images = [Image(url=original_image_url(meta.image))]
        layers["images"] = METADATA

    publisher = {*(site.publisher_names if site else ()), *meta.publishers}
    byline_authors: list[str] = []
    source: str | None = None
    byline_layer = body_layer if body.byline else site_layer
    if body.byline:
        byline_authors, source = parse_byline(body.byline)
    elif layout and layout.author:
        byline_authors, source = parse_byline(_text_of(doc, layout.author))
    byline_authors = _not_publisher(byline_authors, publisher, url)
    meta_authors = _not_publisher(meta.authors, publisher, url)
    found = (_not_publisher(trafilatura_authors(doc, url), publisher, url)
             if not (byline_authors or meta_authors or layout) else None)
    article.authors = _pick(layers, "authors", (byline_authors, byline_layer), (meta_authors, METADATA),
                            (found, GENERIC)) or []
    if source:
        article.source = source
        layers["source"] = byline_layer or GENERIC

    slug = site.category_slug(url) if site else None
    category = _pick(layers, "category",
                    (_text_of(doc, layout.category) if layout and layout.category else None, site_layer),
                    (site.categories.get(slug) if site and slug else None, "site:url"),
                    (section_name(meta.category, site.categories.values() if site else ())
                     if meta.category else None, METADATA))
    article.category = category
    # a URL without a category (the 2026 portal's /tin-hoat-dong/) files the article under its section
    article.category_slug = slug or (_slug_of(site, category) if site and category else None)
    tags = _pick(layers, "tags", ([clean_text(t.text_content()) for t in css(layout.tags)(doc)]
                         if layout and layout.tags else None, site_layer), (meta.tags, METADATA))
    article.tags = [t for t in tags or [] if t]
    article.article_id = site.article_id(url) if site else None
    return article
