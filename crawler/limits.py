"""How big anything may get: a downloaded page, a stored field, a rendered entry.

One hostile or broken page must not cost gigabytes of memory (a gzip bomb), nor make
every later feed build fail (lxml refuses a text node over 10 MB), nor publish a
100 KB headline.  The limits sit far above real articles — the longest body of the
saved copy is 25,000 characters, the longest title 120; state documents published
whole (a Party congress resolution) run to a few hundred kilobytes — and far below
what breaks a parser or a reader.
"""

from __future__ import annotations

#: a page larger than this, on the wire or once decompressed, is refused as ``too-large``
MAX_PAGE_BYTES = 8 * 1024 * 1024
#: a page larger than this is logged as unusually large
WARN_PAGE_BYTES = 2 * 1024 * 1024
#: per stored field, in characters; longer values are cut (and counted) before storing,
#: and again when rendering, for rows stored before these limits existed
MAX_CHARS = {
    "title": 500,
    "summary": 3_000,
    "body_html": 1_000_000,
    "body_text": 500_000,
    "category": 200,
    "author": 200,
    "tag": 200,
    "caption": 2_000,
}
#: per stored list: authors, tags, images
MAX_ITEMS = 100
#: what a cut value ends with, so a reader sees that text is missing
ELLIPSIS = " …"


def cut_text(value: str, limit: int) -> str:
    """``value`` if short enough, else cut at the last space before ``limit`` with an ellipsis."""
    if len(value) <= limit:
        return value
    head = value[:limit - len(ELLIPSIS)]
    space = head.rfind(" ")
    return (head[:space] if space > limit // 2 else head).rstrip() + ELLIPSIS


def cut_html(value: str, limit: int) -> str:
    """``value`` if short enough, else cut before the last tag that would be split.

    Open elements are left open: the HTML sanitiser (nh3, html5ever) closes them, as a
    browser would.
    """
    if len(value) <= limit:
        return value
    head = value[:limit]
    tag = head.rfind("<")
    if tag > head.rfind(">"):
        head = head[:tag]
    return head + "<p>…</p>"
