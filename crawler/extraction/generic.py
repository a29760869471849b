"""The last layer: find the article in a page nobody wrote selectors for.

A redesign is the most common way a scraper dies silently.  This layer still yields a
title, a date and a body — and the article records that it came from here, which is
how drift gets noticed.

The body comes from two finders.  Ours scores every container by the prose directly
inside it (long paragraphs, few links) and keeps the page's own markup, so figures,
captions and the byline paragraph survive; trafilatura (a maintained extractor that
scores 0.96 F1 on the ScrapingHub benchmark, where ours alone scored 0.64) is better at
*which* text is the article.  When the two agree, ours is used for its markup; when
they disagree, trafilatura's text wins (measured: ``bench/aeb.py``).
"""

from __future__ import annotations

import copy
import re
from datetime import datetime

import trafilatura
from lxml import html as lxml_html
from lxml.etree import _Element, tostring
from trafilatura.htmlprocessing import convert_to_html
from trafilatura.metadata import extract_metadata

from .dates import parse_date
from .html import Body, clean_body
from .overlap import precision_recall
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


_FURNITURE_TAGS = {"footer", "header", "nav", "aside", "form"}
_FURNITURE_ATTR = re.compile(r"foot|header|menu|sidebar|side-?bar|col-side|comment|binh-?luan|copyright",
                             re.IGNORECASE)


def _is_furniture(element: _Element, headline: _Element | None) -> bool:
    """Inside the page's footer, header, navigation or sidebar: an imprint is prose, not an article.

    A container that holds the page's headline is the article column, whatever its class
    says: real sites put the whole article in a ``sidebar-1`` or ``main-sidebar`` div.
    """
    for node in (element, *element.iterancestors()):
        furniture = node.tag in _FURNITURE_TAGS or bool(
            _FURNITURE_ATTR.search(f"{node.get('class', '')} {node.get('id', '')}"))
        if furniture and (headline is None or node not in headline.iterancestors()):
            return True
    return False


def find_main_content(doc: _Element) -> _Element | None:
    """The element whose direct children carry the most prose, outside the page furniture."""
    best, best_score = None, 0.0
    headline = next(iter(doc.iter("h1")), None)
    for element in doc.iter(*_CONTAINERS):
        score = _paragraph_score(element)
        if score > best_score and _is_furniture(element, headline):
            continue
        if score > best_score:
            best, best_score = element, score
    return best


#: our candidate is kept when this share of its text is in trafilatura's and of trafilatura's in it
_AGREEMENT = 0.95


def trafilatura_body(text: str, url: str) -> _Element | None:
    """trafilatura's article body as a simple HTML ``<body>``.

    Its defaults, on the page text it parses itself: asking it for images, links or
    formatting, or handing it our tree, makes it pick worse text (measured on the benchmark).
    """
    document = trafilatura.bare_extraction(text, url=url, include_comments=False, with_metadata=False)
    body = getattr(document, "body", None)
    if body is None or not clean_text(" ".join(body.itertext())):
        return None
    markup = tostring(convert_to_html(body), encoding="unicode")
    return lxml_html.document_fromstring(markup).find("body")


def drop_link_lists(body: _Element, doc: _Element) -> _Element:
    """Lists in trafilatura's body whose every item was a whole link on the page.

    trafilatura drops the links but keeps their text, so a related-articles list after
    the article reads as part of it; on the page those items were nothing but links.
    """
    links = {clean_text(a.text_content()) for a in doc.iter("a")}
    for listing in list(body.iter("ul", "ol")):
        items = [clean_text(li.text_content()) for li in listing.iter("li")]
        if items and all(item in links for item in items) and listing.getparent() is not None:
            listing.getparent().remove(listing)
    return body


def choose_body(ours: _Element | None, ours_text: str, around: str, theirs: _Element | None
                ) -> _Element | None:
    """Our candidate when trafilatura's text agrees with it, else trafilatura's.

    They agree when nearly all of our body text is in trafilatura's, and nearly all of
    trafilatura's is in ours or ``around`` it (headline, lead, captions, byline: text we keep
    out of the body and trafilatura may keep in).
    """
    if theirs is None:
        return ours
    if ours is None or not ours_text:
        return theirs
    their_text = clean_text(" ".join(theirs.itertext()))
    precision, _ = precision_recall(their_text, ours_text)
    _, recall = precision_recall(their_text, f"{ours_text} {around}")
    return ours if precision >= _AGREEMENT and recall >= _AGREEMENT else theirs


def generic_body(doc: _Element, text: str, url: str, around: tuple[str, ...]) -> tuple[_Element | None, Body]:
    """The article body of a page no site selector reads, and the element it came from.

    ``around`` is the text the article shows outside its body (headline, lead), which
    trafilatura may count as body.
    """
    content = find_main_content(doc)
    body = clean_body(content, url) if content is not None else Body()
    theirs = trafilatura_body(text, url)
    around_body = " ".join([*around, *(i.caption or "" for i in body.images), body.byline or ""])
    chosen = choose_body(content, body.text, around_body,
                         drop_link_lists(theirs, doc) if theirs is not None else None)
    if chosen is not content and chosen is not None:
        content, body = chosen, clean_body(chosen, url)
    if body.text and is_link_chrome(doc, body.text):
        body = Body()  # navigation and related headlines: this page has no article text
    return content, body


#: a generic body whose text is mostly the page's own link texts is navigation, not an article
_MAX_LINK_TEXT_SHARE = 0.5


def is_link_chrome(doc: _Element, text: str) -> bool:
    """The body is mostly text the page also shows as links (menus, related headlines).

    On a page without an article (a video player alone, an error page) trafilatura falls
    back to the page's whole text; what it returns then is the navigation.
    """
    links = " ".join(clean_text(a.text_content()) for a in doc.iter("a"))
    precision, _ = precision_recall(links, text)
    return precision > _MAX_LINK_TEXT_SHARE


#: account names a CMS shows instead of a person
_NOT_A_NAME = re.compile(r"admin|webmaster|editor$|^by$", re.IGNORECASE)


def trafilatura_authors(doc: _Element, url: str) -> list[str]:
    """The authors trafilatura's metadata finds (bylines in the page text, ``rel=author``...),
    for pages where neither the body's byline nor the page's metadata names one."""
    found = extract_metadata(copy.deepcopy(doc), default_url=url).author or ""
    names = (clean_text(name) for name in found.split(";"))
    return [name for name in names if name and not _NOT_A_NAME.search(name)]


def find_title(doc: _Element) -> str | None:
    for h1 in doc.iter("h1"):
        text = clean_text(h1.text_content())
        if text:
            return text
    title = doc.find(".//title")
    return clean_text(title.text_content()) if title is not None else None


#: how far around the headline a dateline may sit, in elements
_NEAR_TITLE = 40
#: longest text of an element that is only a dateline (weekday, date, time, offset, view count)
_MAX_DATELINE = 90
_LEAD_ATTR = re.compile(r"sapo|lead|summary|description|chapeau|intro|excerpt|teaser|abstract|tom-?tat",
                        re.IGNORECASE)


def _dateline_near_title(doc: _Element) -> datetime | None:
    """The first short element after (then before) the ``h1`` that holds nothing but a date.

    News pages print the dateline next to the headline whatever their class names are;
    a long element there is the lead or the body, whose dates are events, not publication.
    """
    h1 = next(iter(doc.iter("h1")), None)
    if h1 is None:
        return None
    for axis in ("following", "preceding"):
        for element in h1.xpath(f"{axis}::*[position() <= {_NEAR_TITLE}]")[:: 1 if axis == "following" else -1]:
            if element.tag in ("script", "style", "a"):
                continue
            text = clean_text(element.text_content())
            if not text or len(text) > _MAX_DATELINE:
                if axis == "following" and element.tag == "p" and len(text) > 200:
                    break  # the body has started
                continue
            parsed = parse_date(text)
            if parsed:
                return parsed
    return None


def find_summary(doc: _Element, content: _Element | None = None) -> str | None:
    """The lead, when an element outside the body says it is one by its class or id."""
    for element in doc.iter("div", "p", "h2", "section", "span"):
        attrs = f"{element.get('class', '')} {element.get('id', '')}"
        if not _LEAD_ATTR.search(attrs):
            continue
        if content is not None and (element is content or content in element.iterancestors()
                                    or element in content.iterancestors() or content in element.iterdescendants()):
            continue
        text = clean_text(element.text_content())
        if 30 <= len(text) <= 1200:
            return text
    return None


def find_published(doc: _Element) -> datetime | None:
    """A dateline next to the headline, a ``<time datetime>``, then any element whose class or
    id speaks of a date."""
    near = _dateline_near_title(doc)
    if near:
        return near
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
