"""The last layer: find the article in a page nobody wrote selectors for.

A redesign is the most common way a scraper dies silently.  This layer scores every
container by the prose directly inside it (long paragraphs, few links) and takes
the best, so an unannounced layout still yields a title, a date and a body — and
the article records that it came from here, which is how drift gets noticed.
"""

from __future__ import annotations

from datetime import datetime

from lxml.etree import _Element

from .dates import parse_date
from .text import clean_text

_CONTAINERS = ("article", "div", "section", "main", "td")
_MIN_PARAGRAPH = 40


def _paragraph_score(element: _Element) -> float:
    score = 0.0
    for child in element:
        if child.tag not in ("p", "h2", "h3", "blockquote", "ul", "ol"):
            continue
        text = clean_text(child.text_content())
        if len(text) < _MIN_PARAGRAPH and child.tag == "p":
            continue
        link_text = sum(len(clean_text(a.text_content())) for a in child.iter("a"))
        score += max(0.0, len(text) - 2 * link_text)
    return score


def find_main_content(doc: _Element) -> _Element | None:
    """The element whose direct children carry the most prose."""
    best, best_score = None, 0.0
    for element in doc.iter(*_CONTAINERS):
        score = _paragraph_score(element)
        if score > best_score:
            best, best_score = element, score
    return best


def find_title(doc: _Element) -> str | None:
    for h1 in doc.iter("h1"):
        text = clean_text(h1.text_content())
        if text:
            return text
    title = doc.find(".//title")
    return clean_text(title.text_content()) if title is not None else None


def find_published(doc: _Element) -> datetime | None:
    """A ``<time datetime>`` first, then any element whose class or id speaks of a date."""
    for value in doc.xpath("//time/@datetime"):
        parsed = parse_date(value)
        if parsed:
            return parsed
    xpath = ("//*[contains(translate(@class,'DATETIMEPUBLISH','datetimepublish'),'date') or "
             "contains(translate(@class,'DATETIMEPUBLISH','datetimepublish'),'time') or "
             "contains(translate(@id,'DATETIMENGAYTAO','datetimengaytao'),'date') or "
             "contains(translate(@class,'PUBLISH','publish'),'publish')]")
    for element in doc.xpath(xpath):
        parsed = parse_date(clean_text(element.text_content()))
        if parsed:
            return parsed
    return None
