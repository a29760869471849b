"""Broken and unusual markup inside a body never costs the article its text.

libxml2 does not know every HTML5 void element: an ``<embed>``, ``<source>``, ``<track>``,
``<wbr>`` or ``<keygen>`` swallowed every following sibling, and since bodies drop
``embed`` as furniture, the rest of the article went with it (at the top of a body, the
whole article was rejected as empty).  Elements left unclosed that a body drops whole
(``<object>``, ``<button>``, ``<noscript>``…) must not take the article along either.
"""

from __future__ import annotations

import pytest

from crawler.sites import get_site

from .conftest import expected_articles, fixture_path

SITE = get_site("dangcongsan")
WANT = next(a for a in expected_articles() if a["layout"] == "legacy" and a["body_text"].count("\n\n") >= 3)
OPEN = '<div class="post-content">'
#: the HTML Standard's void elements, plus the obsolete ones browsers still treat as void
VOID = ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
        "wbr", "param", "keygen"]
#: elements commonly left open in CMS bodies, including ones bodies drop as furniture
UNCLOSED = ["object", "video", "audio", "button", "noscript", "select", "label", "canvas", "span", "font",
            "b", "i", "a", "em", "strong", "center", "div", "section", "figure", "blockquote", "fb:like",
            "o:p", "foo"]


def _page(markup: str, where: str) -> str:
    html = fixture_path(WANT["url"]).read_text(encoding="utf-8")
    assert OPEN in html
    if where == "top":
        return html.replace(OPEN, OPEN + markup, 1)
    start = html.index(OPEN)
    first_end = html.index("</p>", start) + len("</p>")
    return html[:first_end] + markup + html[first_end:]


@pytest.mark.parametrize("where", ["top", "middle"])
@pytest.mark.parametrize("tag", VOID)
def test_a_void_element_never_swallows_what_follows(tag: str, where: str) -> None:
    got = SITE.extract(WANT["url"], _page(f'<{tag} src="/media/clip.swf" type="application/x-shockwave-flash">', where))
    assert got.body_text == WANT["body_text"]
    assert got.layers["body"] == "site:legacy"


@pytest.mark.parametrize("where", ["top", "middle"])
@pytest.mark.parametrize("tag", UNCLOSED)
def test_an_unclosed_element_never_takes_the_article_with_it(tag: str, where: str) -> None:
    got = SITE.extract(WANT["url"], _page(f'<{tag} class="player" data-src="/media/clip.mp4">', where))
    # a paragraph left open around the first one may merge with it; no word may go missing
    assert got.body_text.split() == WANT["body_text"].split()


def test_a_closed_embed_with_fallback_content_keeps_the_article() -> None:
    got = SITE.extract(WANT["url"], _page('<object data="/x.swf"><embed src="/x.swf"></object>', "top"))
    assert got.body_text == WANT["body_text"] and "<embed" not in got.body_html and "<object" not in got.body_html
