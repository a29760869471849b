"""Edits and takedowns as feeds: a word diff as HTML a feed reader can show.

A change entry's content is what a reader needs to see the edit without opening two
pages: for each field that changed (title, lead, authors, body, images) the changed
passages with a few words of context either side, removed words in ``<del>`` and
added ones in ``<ins>`` (every reader renders both; none runs a stylesheet), long
unchanged stretches cut to ``…``.  A paragraph break inside a shown passage becomes
``<br>``; a passage is one ``<p>``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

#: an operation of a word diff: ``("equal" | "delete" | "insert", text)``
Op = tuple[str, str]
#: words of unchanged text kept either side of a change
CONTEXT = 12


def _escape(text: str) -> str:
    return html.escape(text, quote=False).replace("\n\n", "<br>").replace("\n", "<br>")


def _words(text: str) -> list[str]:
    """``text`` cut after each run of spaces, so joining the pieces gives it back."""
    out, current = [], ""
    for char in text:
        if current and not char.isspace() and current[-1].isspace():
            out.append(current)
            current = ""
        current += char
    if current:
        out.append(current)
    return out


def diff_html(ops: Sequence[Op], context: int = CONTEXT) -> str:
    """The changed passages of one field, each a ``<p>``; empty when nothing changed."""
    if all(kind == "equal" for kind, _ in ops):
        return ""
    passages: list[list[str]] = [[]]
    for i, (kind, text) in enumerate(ops):
        if kind == "delete":
            passages[-1].append(f"<del>{_escape(text)}</del>")
        elif kind == "insert":
            passages[-1].append(f"<ins>{_escape(text)}</ins>")
        else:
            words = _words(text)
            first, last = i == 0, i == len(ops) - 1
            head = [] if first else words[:context]
            tail = [] if last else words[-context:]
            if len(words) > len(head) + len(tail):
                passages[-1].append(_escape("".join(head)) + ("…" if head else ""))
                if passages[-1] != [""]:
                    passages.append([])
                passages[-1].append(("…" if tail else "") + _escape("".join(tail)))
            else:
                passages[-1].append(_escape(text))
    return "".join(f"<p>{''.join(p).strip()}</p>" for p in passages if "".join(p).strip(" …"))


def field_diffs_html(fields: Iterable[tuple[str, Sequence[Op]]]) -> str:
    """Several fields' diffs, each under its name: ``[("Tiêu đề", ops), ("Nội dung", ops)]``."""
    out = []
    for label, ops in fields:
        body = diff_html(ops)
        if body:
            out.append(f"<h4>{html.escape(label, quote=False)}</h4>{body}")
    return "".join(out)
