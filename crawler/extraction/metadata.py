"""Structured metadata a page declares about itself: JSON-LD, Open Graph, Dublin Core.

The second layer: independent of any site's DOM, so a redesign that keeps its
``<meta>`` tags (portals almost always do, for social sharing) still yields a
correct title, date, lead, author, category and lead image.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from datetime import datetime
from collections.abc import Iterable
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


def _meta(doc: _Element, *names: str) -> str | None:
    for name in names:
        for attr in ("property", "name", "itemprop"):
            for value in doc.xpath(f"//meta[@{attr}=$n]/@content", n=name):
                if value and value.strip():
                    return value.strip()
    return None


def _meta_all(doc: _Element, name: str) -> list[str]:
    return [v.strip() for v in doc.xpath("//meta[@property=$n or @name=$n]/@content", n=name)
            if v and v.strip()]


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
    meta = Metadata()
    meta.title = clean_text(_first_str(ld.get("headline")) or _meta(doc, "og:title", "twitter:title")
                            or "") or None
    meta.published = parse_date(_first_str(ld.get("datePublished")) or _meta(
        doc, "article:published_time", "datePublished", "pubdate", "DC.date.issued", "DC.date"))
    meta.updated = parse_date(_first_str(ld.get("dateModified")) or _meta(
        doc, "article:modified_time", "dateModified", "DC.date.modified"))
    meta.summary = clean_text(_first_str(ld.get("description")) or _meta(
        doc, "og:description", "description", "twitter:description") or "") or None
    authors = _names(ld.get("author"))
    if not authors:
        creator = _meta(doc, "DC.Creator", "DC.creator", "article:author", "author")
        authors = _names(creator)
    meta.authors = authors
    # may list the section and its parents (``Vấn đề quan tâm, Tin tức``): see ``section_name``
    meta.category = clean_text(_first_str(ld.get("articleSection")) or _meta(doc, "article:section") or "") or None
    tags = _meta_all(doc, "article:tag")
    if not tags:
        keywords = ld.get("keywords") or _meta(doc, "news_keywords", "keywords")
        if isinstance(keywords, str):
            tags = keywords.split(",")
        elif isinstance(keywords, list):
            tags = [str(k) for k in keywords]
    meta.tags = [clean_text(t) for t in tags if clean_text(t)]
    meta.image = _first_str(ld.get("image")) or _meta(doc, "og:image", "twitter:image")
    body = _first_str(ld.get("articleBody"))
    meta.body_text = clean_text(body) if body else None
    canonical = _meta(doc, "og:url") or next(iter(doc.xpath("//link[@rel='canonical']/@href")), None)
    meta.canonical = canonical.strip() if canonical else None
    publisher = ld.get("publisher")
    meta.publishers = [clean_text(n) for n in (_meta(doc, "og:site_name", "application-name"),
                                                _first_str(publisher.get("name") if isinstance(publisher, dict)
                                                           else publisher))
                       if n and clean_text(n)]
    return meta
