"""RSS and Atom feeds read for one thing only: which article URLs are new, and how new.

A site's feed is the cheapest way to learn its newest URLs, but feeds are also the part
of a news site nobody looks after: they go stale for years, answer HTML error pages,
lose their declaration or carry broken entities.  So this reader is deliberately small
and forgiving — lxml in recovery mode over ``<item><link>`` (RSS 0.9x/2.0, RDF) and
``<entry><link href>`` (Atom), no namespaces assumed, no entities or network resolved —
and says nothing about a feed's content beyond links and dates.  Articles themselves
always come from their pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

from lxml import etree

from .extraction.dates import VIETNAM, parse_date

#: ``8/22/2026 1:30:00 PM``: the US-style date some Vietnamese CMSs put in ``pubDate``
_US_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AP]M)\s*$",
                      re.IGNORECASE)
_PARSER = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)


class NotAFeed(ValueError):
    """The document has no RSS items or Atom entries at all (an error page, an HTML page)."""


@dataclass(frozen=True)
class FeedEntry:
    url: str
    published: datetime | None


def _local(element: etree._Element) -> str:
    tag = element.tag
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element if _local(child) == name]


def parse_feed_date(text: str | None) -> datetime | None:
    """RFC 822 (RSS), ISO 8601 (Atom), the US form, or any Vietnamese form; always aware."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        value = None
    if value is None:
        us = _US_DATE.match(text)
        if us:
            month, day, year, hour, minute, second, half = us.groups()
            hour_24 = int(hour) % 12 + (12 if half.upper() == "PM" else 0)
            try:
                value = datetime(int(year), int(month), int(day), hour_24, int(minute),
                                 int(second or 0), tzinfo=VIETNAM)
            except ValueError:
                value = None
    if value is None:
        value = parse_date(text)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=VIETNAM)
    return value


def _entry_url(entry: etree._Element, base: str) -> str | None:
    for link in _children(entry, "link"):
        href = link.get("href")  # Atom
        if href and link.get("rel", "alternate") == "alternate":
            return urljoin(base, href.strip())
        if not href and link.text and link.text.strip():  # RSS
            return urljoin(base, link.text.strip())
    for guid in _children(entry, "guid"):
        if guid.get("isPermaLink", "true") != "false" and (guid.text or "").startswith("http"):
            return guid.text.strip()
    return None


def _entry_date(entry: etree._Element) -> datetime | None:
    for name in ("pubdate", "published", "updated", "date", "issued", "modified"):
        for child in _children(entry, name):
            value = parse_feed_date(child.text)
            if value is not None:
                return value
    return None


def read_feed(body: bytes, base_url: str) -> list[FeedEntry]:
    """Entries in feed order; raises :class:`NotAFeed` when there is nothing feed-like in ``body``."""
    try:
        root = etree.fromstring(body, _PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise NotAFeed(f"not XML: {exc}") from None
    if root is None:
        raise NotAFeed("empty or not XML")
    entries = [e for e in root.iter() if _local(e) in ("item", "entry")]
    if not entries and _local(root) not in ("rss", "feed", "rdf"):
        raise NotAFeed(f"no RSS items or Atom entries (root element <{_local(root) or '?'}>)")
    found: list[FeedEntry] = []
    for entry in entries:
        url = _entry_url(entry, base_url)
        if url:
            found.append(FeedEntry(url=url, published=_entry_date(entry)))
    return found


def newest(entries: list[FeedEntry]) -> datetime | None:
    dates = [e.published for e in entries if e.published is not None]
    return max(dates) if dates else None

