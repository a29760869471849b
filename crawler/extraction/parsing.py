"""Text to an lxml tree whose element boundaries are the ones a browser would build.

libxml2 (2.14) does not know every HTML5 void element: an ``<embed src=…>``, ``<source>``,
``<track>``, ``<wbr>`` or ``<keygen>`` becomes a container that swallows every following
sibling up to its parent's end tag — and since ``embed`` is dropped from bodies as
furniture, everything after it went with it.  Browsers never give void elements children,
so after parsing their swallowed content is moved back out, behind them.

An element left open that may hold content (``<object>``, ``<button>``, ``<noscript>``,
``<video>``, ``<figure>``…) swallows its following siblings in browsers too, but a reader still sees the
text; since extraction drops such elements whole, one that holds paragraphs of prose is
unwrapped instead: its content stays, the element goes.
"""

from __future__ import annotations

from functools import lru_cache

from lxml import html as lxml_html
from lxml.cssselect import CSSSelector
from lxml.etree import ParserError, _Element

from .decoding import decode_page

#: the HTML Standard's void elements (plus the obsolete ones browsers still treat as void)
VOID_ELEMENTS = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr", "param", "keygen", "basefont", "bgsound", "frame", "image",
})


#: elements that extraction drops or treats as one box, whose real content is never paragraphs of prose
_EMBEDDED = ("object", "applet", "button", "select", "textarea", "label", "iframe", "svg", "math",
             "canvas", "audio", "video", "noscript", "template", "map", "figure")
#: prose inside one of those, beyond which it must have swallowed the article
_SWALLOWED_TEXT = 200


class ExtractionError(ValueError):
    """The page is not an HTML document at all."""


def hoist_void_children(doc: _Element) -> None:
    """Give every void element's children and text back to its parent, right after it."""
    for element in list(doc.iter(*VOID_ELEMENTS)):
        parent = element.getparent()
        if parent is None or (len(element) == 0 and not element.text):
            continue
        position = parent.index(element) + 1
        children = list(element)
        # the void element's own text follows it, then its children, then its old tail
        tail = children[-1] if children else None
        if tail is not None:
            tail.tail = (tail.tail or "") + (element.tail or "")
            element.tail = element.text
        else:
            element.tail = (element.text or "") + (element.tail or "")
        element.text = None
        for offset, child in enumerate(children):
            parent.insert(position + offset, child)


def unwrap_swallowed_prose(doc: _Element) -> None:
    """Unwrap embedded-content elements left open around paragraphs of the page's text."""
    for element in list(doc.iter(*_EMBEDDED)):
        if element.getparent() is None or element.find(".//p") is None:
            continue
        if len(" ".join(element.itertext()).strip()) > _SWALLOWED_TEXT:
            element.drop_tag()


def page_text(html: str | bytes) -> str:
    """Text as is; bytes decoded by :func:`~.decoding.decode_page` (no HTTP header: a saved file)."""
    return decode_page(html).text if isinstance(html, bytes) else html


def parse_html(text: str) -> _Element:
    """A document tree with browser element boundaries (see the module docstring)."""
    parser = lxml_html.HTMLParser(encoding="utf-8")
    try:
        doc = lxml_html.document_fromstring(text.encode("utf-8"), parser=parser)
    except (ParserError, ValueError) as exc:
        raise ExtractionError(f"not an HTML document: {exc}") from None
    hoist_void_children(doc)
    unwrap_swallowed_prose(doc)
    return doc


@lru_cache(maxsize=1024)
def css(selector: str) -> CSSSelector:
    """``selector`` compiled once (as ``element.cssselect`` would, for HTML): translating CSS
    to XPath costs more than running it, and a crawl asks for the same few selectors on
    every page."""
    return CSSSelector(selector, translator="html")
