"""Is what came out of a page an article at all?

Every extractor finds *something* on any page: on a category page the generic layer
returns the list of headlines, on an error page served with status 200 the apology, on
a video-only page the player's caption.  Stored, these become feed entries with an empty
or chrome-only body.  This judges the extracted article, not the page, so the same rule
holds whichever layer produced it; the pipeline rejects with the reason it gives.
"""

from __future__ import annotations

import re

from lxml import html as lxml_html

from ..items import Article
from .text import clean_text

#: less body text than this, with fewer than two pictures, is no article (a player, an apology)
MIN_TEXT = 80
#: a body whose text is mostly link text is a list of other articles
MAX_LINK_SHARE = 0.5
#: and a body this short with an error title is the site saying the page is not there
MAX_ERROR_TEXT = 600
_ERROR_TITLE = re.compile(
    r"\b(?:404|403|410|500|503)\b|not found|page not found|error|không tìm thấy|không tồn tại|"
    r"trang (?:này )?không|đã bị xóa|lỗi|bảo trì|access denied",
    re.IGNORECASE,
)


def _link_share(body_html: str) -> float:
    if not body_html.strip():
        return 0.0
    root = lxml_html.fragment_fromstring(body_html, create_parent="div")
    text = len(clean_text(root.text_content()))
    links = sum(len(clean_text(a.text_content())) for a in root.iter("a"))
    return links / text if text else 0.0


def not_an_article(article: Article) -> str | None:
    """Why the extracted page is no article (``listing page: …``), or None if it is one."""
    text = article.body_text.strip()
    if article.title and _ERROR_TITLE.search(article.title) and len(text) < MAX_ERROR_TEXT:
        return f"error page: titled {article.title[:80]!r}"
    share = _link_share(article.body_html)
    if share > MAX_LINK_SHARE:
        return f"listing page: {share:.0%} of the body is links to other pages"
    if len(text) < MIN_TEXT and len(article.images) < 2:
        return (f"no article text: {len(text)} characters and {len(article.images)} picture(s) "
                "(a video-only, empty or placeholder page)")
    return None
