"""Edits and takedowns as feeds: ``<site>-changes.*`` and ``all-changes.*``.

One entry per detected edit and one per takedown, newest first, each linking to the
article.  An edit's content is what a reader needs to see it without opening two
pages: for each field that changed (title, lead, body, authors, images …) the changed
passages with a few words of context either side (:func:`crawler.storage.diff.condense`),
removed words in ``<del>`` and added ones in ``<ins>`` — every feed reader renders both,
none runs a stylesheet.  Entries are ordinary :class:`~crawler.items.Article` values so
the one renderer (ids, sanitising, RSS/Atom/JSON) makes these feeds too; the entry id is
the article's plus ``/v<N>`` (or ``/removed``), so each change is a new entry.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.archive.fetches import Fetches, Removal
from crawler.items import Article
from crawler.storage import ArticleRow, ArticleVersion, Storage
from crawler.storage.diff import Op, condense, diff_articles

from .render import FeedSpec

#: the stem suffix of a changes feed: ``dangcongsan-changes``
SUFFIX = "-changes"
#: words of unchanged text kept either side of a change
CONTEXT = 12
#: how each field is named in an entry (the readers of these sites read Vietnamese)
LABELS = {"title": "Tiêu đề", "summary": "Sapo", "body": "Nội dung", "authors": "Tác giả",
          "source": "Nguồn", "images": "Ảnh", "category": "Chuyên mục", "tags": "Từ khóa",
          "published": "Thời gian đăng", "url": "Địa chỉ"}


def _escape(text: str) -> str:
    return html.escape(text, quote=False).replace("\n", "<br>")


def diff_html(ops: Sequence[Op], context: int = CONTEXT) -> str:
    """One field's word diff as a paragraph of HTML; empty when nothing changed."""
    if all(op.tag == "equal" for op in ops):
        return ""
    parts = []
    for op in condense(list(ops), context):
        if op.tag == "delete":
            parts.append(f"<del>{_escape(op.text)}</del>")
        elif op.tag == "insert":
            parts.append(f"<ins>{_escape(op.text)}</ins>")
        else:
            parts.append(_escape(op.text))
    return f"<p>{''.join(parts).strip()}</p>"


def edit_html(old: Article, new: Article) -> str:
    """Every changed field's diff, each under its name."""
    out = []
    for field, ops in diff_articles(old, new).items():
        body = diff_html(ops)
        if body:
            out.append(f"<h4>{html.escape(LABELS.get(field, field), quote=False)}</h4>{body}")
    return "".join(out)


def _edit_entry(row: ArticleRow, old: Article, new: Article, version: int, seen: datetime) -> Article:
    changed = [LABELS.get(f, f).lower() for f in diff_articles(old, new)]
    return Article(
        url=row.url, site=row.site, title=f"Đã sửa: {new.title}", published=seen, updated=seen,
        summary=f"Bài viết được sửa ({', '.join(changed)}), phát hiện lúc "
                f"{seen:%Y-%m-%d %H:%M} UTC; phiên bản {version}.",
        body_html=edit_html(old, new), body_text="",
        article_id=f"{row.article_id or row.key}/v{version}", category=row.category,
        category_slug=row.category_slug)


def _removal_entry(removal: Removal) -> Article:
    when = removal.removed_at
    text = (f"Bài viết không còn trên trang ({removal.reason}) từ {when:%Y-%m-%d %H:%M} UTC. "
            "Bản lưu cuối cùng vẫn có trong kho lưu trữ.")
    return Article(
        url=removal.url, site=removal.site, title=f"Đã gỡ: {removal.title}", published=when,
        updated=when, summary=text, body_html=f"<p>{html.escape(text, quote=False)}</p>",
        article_id=f"{removal.article_id or removal.key}/removed")


def changes_spec(spec: FeedSpec) -> FeedSpec:
    """The changes feed beside the articles feed ``spec`` (a site's, or all sites')."""
    return replace(spec, key=spec.key + SUFFIX, title=f"Sửa đổi và gỡ bỏ — {spec.title}",
                   description=f"Các bài bị sửa hoặc gỡ: {spec.description}")


def change_entries(storage: Storage, site: str | None = None, limit: int = 50) -> list[Article]:
    """The newest ``limit`` edits and takedowns of ``site`` (None: every site), as entries."""
    query = (select(ArticleVersion.article, ArticleVersion.version, ArticleVersion.first_seen)
             .join(ArticleRow, ArticleRow.id == ArticleVersion.article)
             .where(ArticleVersion.version > 1)
             .order_by(ArticleVersion.first_seen.desc(), ArticleVersion.id.desc()).limit(limit))
    if site:
        query = query.where(ArticleRow.site == site)
    with storage.engine.connect() as conn:
        changes = conn.execute(query).all()
    entries: list[Article] = []
    rows: dict[int, tuple[ArticleRow, dict[int, Article]]] = {}
    for article_id, version, seen in changes:
        if article_id not in rows:
            with Session(storage.engine, expire_on_commit=False) as session:
                row = session.get_one(ArticleRow, article_id)
            rows[article_id] = (row, {v.version: v.article for v in storage.versions(row)})
        row, versions = rows[article_id]
        if version - 1 in versions and version in versions:
            entries.append(_edit_entry(row, versions[version - 1], versions[version], version, seen))
    entries.extend(_removal_entry(r) for r in Fetches(storage.engine).removals(site, limit))
    entries.sort(key=lambda a: a.published, reverse=True)
    return entries[:limit]
