"""``partyfeed history``: an article's versions and what changed between them.

Printed like ``git diff --word-diff``: ``[-removed-]{+added+}`` in plain text, red
struck-through and green on a terminal; ``--json`` gives the versions whole with
the structured diff ops (``[tag, text]``) of each against the one before.
"""

from __future__ import annotations

import re
from typing import Any

from crawler.storage import ArticleRow, Version
from crawler.storage.diff import Op, condense, diff_articles

_STYLE = {"delete": ("\x1b[31;9m", "\x1b[0m"), "insert": ("\x1b[32m", "\x1b[0m")}
_PLAIN = {"delete": ("[-", "-]"), "insert": ("{+", "+}")}
_PARAGRAPH = re.compile(r"\s*\n\s*")
#: how much unchanged text to keep around a change
CONTEXT = 8


def render_ops(ops: list[Op], colour: bool) -> str:
    marks = _STYLE if colour else _PLAIN
    parts = []
    for index, op in enumerate(ops):
        text = _PARAGRAPH.sub(" ¶ ", op.text)
        if op.tag == "equal":
            parts.append(text)
            continue
        start, end = marks[op.tag]
        stripped = text.rstrip()
        replaced = op.tag == "delete" and index + 1 < len(ops) and ops[index + 1].tag == "insert"
        # a replacement reads [-old-]{+new+}: the insertion brings its own spacing
        parts.append(f"{start}{stripped}{end}{'' if replaced else text[len(stripped):]}")
    return "".join(parts).rstrip()


def _stamp(version: Version) -> str:
    return (f"seen {version.first_seen:%Y-%m-%d %H:%M} → {version.last_seen:%Y-%m-%d %H:%M} UTC")


def format_history(row: ArticleRow, versions: list[Version], colour: bool = False) -> str:
    lines = [f"{row.key}  {row.url}", f"{len(versions)} version{'s' if len(versions) != 1 else ''}"
             + (" (earlier ones were overwritten before version history existed)"
                if versions[0].version > 1 else "")]
    previous: Version | None = None
    for version in versions:
        head = f"v{version.version}  {_stamp(version)}"
        if previous is None:
            lines.append(f"{head}  {version.article.title}")
        else:
            changes = diff_articles(previous.article, version.article)
            again = f"  = v{version.same_as} again" if version.same_as else ""
            lines.append(f"{head}  changed: {', '.join(changes)}{again}")
            for field, ops in changes.items():
                lines.append(f"    {field}: {render_ops(condense(ops, CONTEXT), colour)}")
        previous = version
    return "\n".join(lines)


def history_json(row: ArticleRow, versions: list[Version]) -> dict[str, Any]:
    out = []
    previous: Version | None = None
    for version in versions:
        changes = diff_articles(previous.article, version.article) if previous else {}
        out.append({
            "version": version.version, "first_seen": version.first_seen.isoformat(),
            "last_seen": version.last_seen.isoformat(), "content_hash": version.content_hash,
            "same_as": version.same_as, "article": version.article.to_json(),
            "changes": {field: [op.to_json() for op in ops] for field, ops in changes.items()},
        })
        previous = version
    return {"key": row.key, "site": row.site, "url": row.url, "versions": out}
