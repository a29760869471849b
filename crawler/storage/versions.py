"""What counts as a new version of an article, and what a version is.

A refresh whose content hash differs is a new version unless it looks like a broken
fetch rather than an edit.  The sanity rules (:func:`suspicious_change`) are
deliberately one-sided: a page that *loses* most of its text, or turns into a
"not found" page while still answering 200, is recorded as a rejection
(``suspicious-edit: …``, listed by ``partyfeed status --rejected``) and the stored
version stays.  The cost is that a genuine cut of more than half an article is not
recorded automatically — a person sees it in the rejections instead.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from ..items import Article

#: a new body shorter than this share of the old one is a truncated fetch, not an edit
SHRINK = 0.5
#: bodies shorter than this vary too much between real edits to judge by length
MIN_JUDGED_LENGTH = 200
#: titles of error pages served with status 200 (matched NFC, lower-cased).  Narrow on
#: purpose: a real title may mention "404" (a decree number) or "không tồn tại"
ERROR_TITLE = re.compile(
    r"^(?:lỗi |error )?404\b|\b(?:page not found|not found|server error|lỗi hệ thống"
    r"|không tìm thấy (?:trang|bài viết|nội dung|dữ liệu)"
    r"|(?:trang|bài viết|nội dung|tin bài)(?: này)? không tồn tại"
    r"|(?:trang|bài viết|nội dung|tin bài)(?: này)? đã bị (?:xóa|xoá|gỡ)"
    r"|trang bạn (?:yêu cầu|tìm))\b")


@dataclass(frozen=True)
class Version:
    """One version of an article: its whole content and when it was seen."""

    version: int
    first_seen: datetime
    last_seen: datetime
    content_hash: str
    article: Article
    #: the earlier version with the very same content (a revert), if any
    same_as: int | None = None


def _fold(text: str | None) -> str:
    return unicodedata.normalize("NFC", text or "").lower()


def suspicious_change(old: Article, new: Article) -> str | None:
    """Why ``new`` looks like a failed fetch of ``old`` rather than an edit, or None."""
    old_len, new_len = len(old.body_text.strip()), len(new.body_text.strip())
    if old_len and not new_len and not new.images:
        return "the body is empty"
    if old_len >= MIN_JUDGED_LENGTH and new_len < SHRINK * old_len:
        return f"the body shrank from {old_len} to {new_len} characters"
    if ERROR_TITLE.search(_fold(new.title)) and not ERROR_TITLE.search(_fold(old.title)):
        return f"the title looks like an error page: {new.title!r}"
    return None
