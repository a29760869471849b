"""Structured metadata a page declares about itself: JSON-LD, Open Graph, Dublin Core.

The second layer: independent of any site's DOM, so a redesign that keeps its
``<meta>`` tags (portals almost always do, for social sharing) still yields a
correct title, date, lead, author, category and lead image.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lxml.etree import _Element

from .dates import parse_date
from .text import clean_text

_ARTICLE_TYPES = {"NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle",
                  "BlogPosting", "OpinionNewsArticle"}


@dataclass
class Metadata:
    title: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    summary: str | None = None
    authors: list[str] = field(default_factory=list)
    category: str | None = None
    tags: list[str] = field(default_factory=list)
    image: str | None = None
    body_text: str | None = None
    #: ``og:url``, else ``<link rel=canonical>``: where the page says it lives
    canonical: str | None = None
    #: names the page gives its site or publisher (``og:site_name``, JSON-LD publisher), never authors
    publishers: list[str] = field(default_factory=list)


class _MetaTags:
    """The page's ``<meta>`` contents by attribute and name, read in one pass over the
    document instead of one XPath scan of the whole page per name looked up."""

    ATTRS = ("property", "name", "itemprop")

    def __init__(self, doc: _Element) -> None:
        self.by: dict[tuple[str, str], list[str]] = {}
        #: ``(property, name, content)`` of every tag with content, in page order
        self._order: list[tuple[str | None, str | None, str]] = []
        for tag in doc.iter("meta"):
            content = (tag.get("content") or "").strip()
            if not content:
                continue
            self._order.append((tag.get("property"), tag.get("name"), content))
            for attr in self.ATTRS:
                name = tag.get(attr)
                if name is not None:
                    self.by.setdefault((attr, name), []).append(content)

    def first(self, *names: str) -> str | None:
        """The first non-empty content for the first name that has one (property, then
        name, then itemprop)."""
        for name in names:
            for attr in self.ATTRS:
                found = self.by.get((attr, name))
                if found:
                    return found[0]
        return None

    def every(self, name: str) -> list[str]:
        """Every non-empty content of ``property`` or ``name`` = ``name``, in page order."""
        return [content for prop, nm, content in self._order if name in (prop, nm)]


def _json_ld_articles(doc: _Element) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            kinds = node.get("@type")
            kinds = set(kinds) if isinstance(kinds, list) else {kinds}
            if kinds & _ARTICLE_TYPES:
                found.append(node)
            walk(node.get("@graph"))

    for script in doc.xpath("//script[@type='application/ld+json']/text()"):
        try:
            walk(json.loads(script, object_hook=_unescape_strings))
        except ValueError:
            continue
    return found


def _unescape_strings(node: dict[str, Any]) -> dict[str, Any]:
    """JSON-LD strings with HTML entities (baochinhphu.vn writes ``ch&#237;nh``): script text
    is not HTML-decoded by the parser, so it is done here."""
    return {k: html.unescape(v) if isinstance(v, str) else
            [html.unescape(i) if isinstance(i, str) else i for i in v] if isinstance(v, list) else v
            for k, v in node.items()}


def _names(value: Any) -> list[str]:
    if isinstance(value, list):
        return [name for item in value for name in _names(item)]
    if isinstance(value, dict):
        value = value.get("name")
    if isinstance(value, str) and value.strip() and not value.startswith("http"):
        return [clean_text(value)]
    return []


def _first_str(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url") or value.get("name")
    return value.strip() if isinstance(value, str) and value.strip() else None


def section_name(section: str, known: Iterable[str] = ()) -> str:
    """The section itself from an ``article:section`` that lists it with its parents.

    ``Vấn đề quan tâm, Tin tức`` is the section ``Vấn đề quan tâm`` under ``Tin tức``; but a
    section name may hold a comma itself (``Lãnh đạo Đảng, Nhà nước``), so a name the site is
    known to use wins over splitting.
    """
    for name in sorted(known, key=len, reverse=True):
        if section == name or section.startswith(f"{name},"):
            return name
    return section.split(",")[0].strip()


def read_metadata(doc: _Element) -> Metadata:
    ld = next(iter(_json_ld_articles(doc)), {})
    metas = _MetaTags(doc)
    meta = Metadata()
    meta.title = clean_text(_first_str(ld.get("headline")) or metas.first("og:title", "twitter:title")
                            or "") or None
    meta.published = parse_date(_first_str(ld.get("datePublished")) or metas.first(
        "article:published_time", "datePublished", "pubdate", "DC.date.issued", "DC.date"))
    meta.updated = parse_date(_first_str(ld.get("dateModified")) or metas.first(
        "article:modified_time", "dateModified", "DC.date.modified"))
    meta.summary = clean_text(_first_str(ld.get("description")) or metas.first(
        "og:description", "description", "twitter:description") or "") or None
    authors = _names(ld.get("author"))
    if not authors:
        creator = metas.first("DC.Creator", "DC.creator", "article:author", "author")
        authors = _names(creator)
    meta.authors = authors
    # may list the section and its parents (``Vấn đề quan tâm, Tin tức``): see ``section_name``
    meta.category = clean_text(_first_str(ld.get("articleSection")) or metas.first("article:section") or "") or None
    tags = metas.every("article:tag")
    if not tags:
        keywords = ld.get("keywords") or metas.first("news_keywords", "keywords")
        if isinstance(keywords, str):
            tags = keywords.split(",")
        elif isinstance(keywords, list):
            tags = [str(k) for k in keywords]
    meta.tags = [clean_text(t) for t in tags if clean_text(t)]
    meta.image = _first_str(ld.get("image")) or metas.first("og:image", "twitter:image")
    body = _first_str(ld.get("articleBody"))
    meta.body_text = clean_text(body) if body else None
    canonical = metas.first("og:url") or next(iter(doc.xpath("//link[@rel='canonical']/@href")), None)
    meta.canonical = canonical.strip() if canonical else None
    publisher = ld.get("publisher")
    meta.publishers = [clean_text(n) for n in (metas.first("og:site_name", "application-name"),
                                                _first_str(publisher.get("name") if isinstance(publisher, dict)
                                                           else publisher))
                       if n and clean_text(n)]
    return meta
