"""Search over title, lead and body: SQLite FTS5 or PostgreSQL full-text, ranked, with snippets.

The indexes belong to the database and are kept in step by it (migration
``0003_search_stories``): on SQLite two external-content FTS5 tables over ``articles``
— ``articles_fts`` whose tokenizer removes diacritics, ``articles_fts_exact`` which
keeps them — filled by triggers on every insert, update and delete; on PostgreSQL two
GIN expression indexes over ``partyfeed_fold(…)`` and ``partyfeed_lower(…)`` text,
which PostgreSQL maintains itself.  Neither stores a second copy of the text.
:meth:`Search.rebuild` rebuilds them from ``articles`` (``partyfeed search --rebuild``).

Cost: one index look-up per query term, then ranking at most :data:`WINDOW` matching
rows — the newest; snippets are cut from the text of the articles shown only
(:func:`crawler.search.snippet`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, bindparam, text

from ..search import Query, Snippet, snippet
from ..storage import UTCDateTime

#: matches ranked: the newest this many (by row id, i.e. by when they were stored).  A
#: word found in half the archive would otherwise be ranked across half the archive; the
#: window keeps a query's cost flat as the archive grows, and a reader of news wants the
#: best of the recent matches (``--since`` and ``--site`` narrow before the window)
WINDOW = 5_000
#: bm25 weights of title, lead, body (SQLite); ts_rank weights D, C, B, A (PostgreSQL)
TITLE, LEAD, BODY = 10.0, 4.0, 1.0

#: the folded and exact documents on PostgreSQL — the expressions the migration indexes;
#: a query must use them verbatim for the planner to use the index
PG_FOLDED = ("(setweight(to_tsvector('simple'::regconfig, partyfeed_fold(title)), 'A') || "
             "setweight(to_tsvector('simple'::regconfig, partyfeed_fold(coalesce(summary, ''))), 'B') || "
             "to_tsvector('simple'::regconfig, partyfeed_fold(body_text)))")
PG_EXACT = ("to_tsvector('simple'::regconfig, partyfeed_lower(title || ' ' || "
            "coalesce(summary, '') || ' ' || body_text))")


@dataclass(frozen=True)
class Hit:
    key: str
    site: str
    url: str
    title: str
    published: datetime
    score: float
    snippet: Snippet

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "site": self.site, "url": self.url, "title": self.title,
                "published": self.published.isoformat(), "score": round(self.score, 4),
                "snippet": self.snippet.text(), "snippet_html": self.snippet.html()}


class Search:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"

    def search(self, query: str | Query, *, site: str | None = None,
               since: datetime | None = None, limit: int = 20) -> list[Hit]:
        """Best matches first; ``[]`` for a query without a single word."""
        parsed = query if isinstance(query, Query) else Query.parse(query)
        if not parsed or limit <= 0:
            return []
        where, params = (self._postgres if self.postgres else self._sqlite)(parsed)
        if site:
            where += " AND a.site = :site"
            params["site"] = site
        if since is not None:
            where += " AND a.published >= :since"
            params["since"] = since
        order = "articles_fts.rowid" if not self.postgres else "a.id"
        sql = (f"SELECT a.id, a.key, a.site, a.url, a.title, a.published, a.summary, a.body_text, "
               f"c.score FROM ({where} ORDER BY {order} DESC LIMIT :window) c "
               "JOIN articles a ON a.id = c.id "
               "ORDER BY c.score, a.published DESC, a.id DESC LIMIT :limit")
        params.update(limit=limit, window=WINDOW)
        clause = text(sql)
        if since is not None:
            clause = clause.bindparams(bindparam("since", type_=UTCDateTime()))
        stmt = clause.columns(published=UTCDateTime())
        with self.engine.connect() as conn:
            rows = conn.execute(stmt, params).all()
        return [Hit(key=r.key, site=r.site, url=r.url, title=r.title, published=r.published,
                    score=-float(r.score),
                    snippet=snippet(" ".join(filter(None, (r.summary, r.body_text))), parsed))
                for r in rows]

    @staticmethod
    def _sqlite(query: Query) -> tuple[str, dict[str, Any]]:
        sql = (f"SELECT a.id AS id, bm25(articles_fts, {TITLE}, {LEAD}, {BODY}) AS score "
               "FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid "
               "WHERE articles_fts MATCH :folded")
        params: dict[str, Any] = {"folded": query.fts5_folded()}
        exact = query.fts5_exact()
        if exact:
            sql += (" AND a.id IN (SELECT rowid FROM articles_fts_exact "
                    "WHERE articles_fts_exact MATCH :exact)")
            params["exact"] = exact
        return sql, params

    @staticmethod
    def _postgres(query: Query) -> tuple[str, dict[str, Any]]:
        # ts_rank is "higher is better"; negated so both backends sort ascending
        rank = f"ts_rank('{{0.1, 0.2, 0.4, 1.0}}', {PG_FOLDED}, to_tsquery('simple', :folded))"
        params: dict[str, Any] = {"folded": query.tsquery_folded()}
        run_on = query.tsquery_run_on()
        if run_on:  # the words side by side rank first (see Query.run_on)
            rank += f" + CASE WHEN {PG_FOLDED} @@ to_tsquery('simple', :run_on) THEN 1 ELSE 0 END"
            params["run_on"] = run_on
        sql = (f"SELECT a.id AS id, -({rank}) AS score "
               f"FROM articles a WHERE {PG_FOLDED} @@ to_tsquery('simple', :folded)")
        exact = query.tsquery_exact()
        if exact:
            sql += f" AND {PG_EXACT} @@ to_tsquery('simple', :exact)"
            params["exact"] = exact
        return sql, params

    def rebuild(self) -> None:
        """Rebuild the search indexes from ``articles``."""
        with self.engine.begin() as conn:
            if self.postgres:
                conn.exec_driver_sql("REINDEX INDEX ix_articles_search_folded")
                conn.exec_driver_sql("REINDEX INDEX ix_articles_search_exact")
            else:
                for table in ("articles_fts", "articles_fts_exact"):
                    conn.exec_driver_sql(f"INSERT INTO {table}({table}) VALUES ('rebuild')")
