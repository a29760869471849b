"""Bylines to author names.

Vietnamese bylines name the role before the names (``Tin, ảnh: Thanh Nam``,
``Bài và ảnh: SƠN BÌNH``) or credit an agency (``Theo TTXVN``); the names are what a
feed's author field wants, the agency is a source, not a person.
"""

from __future__ import annotations

import re

from .text import clean_text

_ROLE = re.compile(
    r"^(?:(?:tin|bài|ảnh|video|clip|đồ họa|thực hiện|nhóm pv|pv)"
    r"(?:\s*(?:,|và|-|\+)\s*(?:tin|bài|ảnh|video|clip|đồ họa))*)\s*[:：]\s*",
    re.IGNORECASE,
)
_SOURCE = re.compile(r"^\(?\s*(?:theo|nguồn)\s*[:]?\s*(.+?)\)?$", re.IGNORECASE)
_SPLIT = re.compile(r"\s*(?:,|;|\s-\s|\s–\s|\svà\s)\s*")
#: last lines of a body that are page furniture, whatever their markup
_NOT_A_CREDIT = re.compile(r"^(?:\d+\s+)?comments?$|bình luận|^share|^chia sẻ", re.IGNORECASE)
#: a reporter's or editor's placeholder (``PV`` phóng viên, ``BTV`` biên tập viên), not a name
PLACEHOLDERS = {"pv", "btv", "ctv"}
#: longest plausible byline; anything longer is a sentence, not a credit
MAX_BYLINE_CHARS = 80


def parse_byline(text: str) -> tuple[list[str], str | None]:
    """``(authors, source)`` from a byline; ``([], None)`` when it is not one."""
    line = clean_text(text).strip(" .")
    if not line or len(line) > MAX_BYLINE_CHARS:
        return [], None
    source_match = _SOURCE.match(line)
    if source_match:
        return [], source_match.group(1).strip()
    names = _ROLE.sub("", line, count=1)
    parts = (_ROLE.sub("", part, count=1).strip(" .") for part in _SPLIT.split(names))
    return [part for part in parts if part and part.casefold() not in PLACEHOLDERS], None


def is_credited(text: str) -> bool:
    """The line names its role (``Tin, ảnh: …``) or its source (``Theo TTXVN``)."""
    line = clean_text(text)
    return bool(_ROLE.match(line) or _SOURCE.match(line))


def looks_like_byline(text: str) -> bool:
    """Short, no sentence punctuation inside, few words: a credit line, not prose (nor a
    ``You may also like:`` lead-in, a ``©`` notice or a comment counter)."""
    line = clean_text(text)
    if not line or len(line) > MAX_BYLINE_CHARS or line.count(" ") > 9:
        return False
    if is_credited(line):
        return True
    body = line.rstrip(".")
    if body.endswith(":") or "©" in body or _NOT_A_CREDIT.search(body):
        return False
    return "." not in body and not any(ch.isdigit() for ch in body) and len(body.split()) <= 5
