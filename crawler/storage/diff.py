"""Word-level diffs between versions of an article, as structured operations.

Vietnamese-aware in the ways that matter: both texts are NFC-normalised first (the
same word typed precomposed or decomposed is the same word), and diacritics are
significant (``Đảng`` and ``Dang``, ``sửa`` and ``sữa`` are different words — a
changed tone mark is an edit worth seeing).  Words are Unicode ``\\w`` runs, so a
syllable with its tone mark is one token; punctuation marks are tokens of their own.

The result is a list of :class:`Op` (``equal``/``delete``/``insert`` with their text),
which ``partyfeed history`` prints for a terminal and the changes feed renders as
``<del>``/``<ins>`` HTML.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

from ..items import Article

Tag = Literal["equal", "delete", "insert"]

#: a word or a punctuation mark, with the whitespace after it
_TOKEN = re.compile(r"\w+\s*|[^\w\s]\s*|\s+")
#: the fields compared, in the order they are shown
FIELDS = ("title", "summary", "body", "authors", "source", "images", "category", "tags",
          "published", "url")


@dataclass(frozen=True)
class Op:
    tag: Tag
    text: str

    def to_json(self) -> list[str]:
        return [self.tag, self.text]


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(unicodedata.normalize("NFC", text))


def word_diff(old: str, new: str) -> list[Op]:
    """The edit from ``old`` to ``new``; joining the ``equal``+``delete`` texts gives
    ``old`` back, ``equal``+``insert`` gives ``new`` (both NFC)."""
    a, b = tokens(old), tokens(new)
    matcher = SequenceMatcher(None, [t.strip() for t in a], [t.strip() for t in b],
                              autojunk=False)
    ops: list[Op] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            # equal words may differ in the whitespace after them: keep the new text's
            _append(ops, "equal", "".join(b[j1:j2]))
            continue
        _append(ops, "delete", "".join(a[i1:i2]))
        _append(ops, "insert", "".join(b[j1:j2]))
    return ops


def _append(ops: list[Op], tag: Tag, text: str) -> None:
    if not text:
        return
    if ops and ops[-1].tag == tag:
        ops[-1] = Op(tag, ops[-1].text + text)
    elif tag == "delete" and ops and ops[-1].tag == "insert":
        # deletions before insertions, so a replacement always reads old → new
        previous = ops.pop()
        _append(ops, "delete", text)
        ops.append(previous)
    else:
        ops.append(Op(tag, text))


def changed(ops: list[Op]) -> bool:
    return any(op.tag != "equal" for op in ops)


def condense(ops: list[Op], context: int = 8) -> list[Op]:
    """``ops`` with long unchanged stretches cut to ``context`` words each side (``…``)."""
    out: list[Op] = []
    for index, op in enumerate(ops):
        if op.tag != "equal":
            out.append(op)
            continue
        words = tokens(op.text)
        keep_head = context if index > 0 else 0
        keep_tail = context if index < len(ops) - 1 else 0
        if len(words) <= keep_head + keep_tail + 1:
            out.append(op)
            continue
        head = "".join(words[:keep_head])
        tail = "".join(words[len(words) - keep_tail:]) if keep_tail else ""
        out.append(Op("equal", f"{head}… {tail}" if head else f"…{' ' if tail else ''}{tail}"))
    return out


def _field_text(article: Article, field: str) -> str:
    if field == "body":
        return article.body_text
    if field == "images":
        return "\n".join(f"{image.url} {image.caption or ''}".strip() for image in article.images)
    if field in ("authors", "tags"):
        return ", ".join(getattr(article, field))
    if field == "published":
        return article.published.isoformat() if article.published else ""
    return getattr(article, field) or ""


def diff_articles(old: Article, new: Article) -> dict[str, list[Op]]:
    """Per changed field (``title``, ``summary``, ``body``, ``authors``, ``images``, …),
    its word diff; unchanged fields are left out."""
    result = {}
    for field in FIELDS:
        before, after = _field_text(old, field), _field_text(new, field)
        if unicodedata.normalize("NFC", before) != unicodedata.normalize("NFC", after):
            result[field] = word_diff(before, after)
    return result
