"""Search indexes, stories, and what each article page last answered.

* ``fetch_state``: validators for conditional GET, last status, takedowns — keyed by the
  article key, so a fetch is recorded before the pipeline stores what it yields.
* ``article_stories`` / ``story_bands``: each article's story and MinHash signature, and
  the LSH bands of recent articles (see :mod:`crawler.archive.stories_store`).
* Search.  SQLite: two external-content FTS5 tables over ``articles`` (one tokenizer
  removes diacritics, one keeps them) and the triggers that keep them in step; filled
  from the existing rows here.  PostgreSQL: ``partyfeed_lower``/``partyfeed_fold``
  (Vietnamese lower case and diacritic folding with ``translate``, so no extension and
  no locale is needed — a ``C``-locale cluster lower-cases ASCII only) and two GIN
  expression indexes; the expressions must stay identical to
  :data:`crawler.archive.search_store.PG_FOLDED` / ``PG_EXACT``.

A later migration that rebuilds ``articles`` on SQLite (``batch_alter_table``) drops
the triggers with the old table and must create them again.

Revision ID: 0003_search_stories
Revises: 0002_versions
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0003_search_stories"
down_revision = "0002_versions"
branch_labels = None
depends_on = None

_TONES = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
#: every Vietnamese vowel with every tone, lower case, and the plain letter it folds to
_VOWELS = [(unicodedata.normalize("NFC", base + tone), plain)
           for base, plain in zip("aăâeêioôơuưy", "aaaeeiooouuy") for tone in _TONES]
_LOWER = "".join(v for v, _ in _VOWELS) + "đ"
_UPPER = _LOWER.upper()
_PLAIN = "".join(p for _, p in _VOWELS) + "d"

_FTS = {"articles_fts": "unicode61 remove_diacritics 2",
        "articles_fts_exact": "unicode61 remove_diacritics 0"}
_COLUMNS = "title, summary, body_text"


def _fts_rows(prefix: str, command: str | None = None) -> str:
    """One INSERT per FTS table, of ``prefix``'s (``new``/``old``) row."""
    out = []
    for table in _FTS:
        if command:
            out.append(f"INSERT INTO {table}({table}, rowid, {_COLUMNS}) VALUES "
                       f"('{command}', {prefix}.id, {prefix}.title, {prefix}.summary, {prefix}.body_text);")
        else:
            out.append(f"INSERT INTO {table}(rowid, {_COLUMNS}) VALUES "
                       f"({prefix}.id, {prefix}.title, {prefix}.summary, {prefix}.body_text);")
    return " ".join(out)


def upgrade() -> None:
    op.create_table(
        "fetch_state",
        sa.Column("key", sa.String(length=500), nullable=False),
        sa.Column("site", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("etag", sa.String(length=200), nullable=True),
        sa.Column("last_modified", sa.String(length=64), nullable=True),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.Column("removed_at", sa.DateTime(), nullable=True),
        sa.Column("removed_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_fetch_state_removed_at", "fetch_state", ["removed_at"])
    op.create_table(
        "article_stories",
        sa.Column("article", sa.Integer(), nullable=False),
        sa.Column("story", sa.Integer(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["article"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article"),
    )
    op.create_index("ix_article_stories_story", "article_stories", ["story"])
    op.create_table(
        "story_bands",
        sa.Column("band", sa.String(length=24), nullable=False),
        sa.Column("article", sa.Integer(), nullable=False),
        sa.Column("seen", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["article"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("band", "article"),
    )
    op.create_index("ix_story_bands_seen", "story_bands", ["seen"])
    op.create_index("ix_story_bands_article", "story_bands", ["article"])

    if op.get_bind().dialect.name == "sqlite":
        for table, tokenize in _FTS.items():
            op.execute(f"CREATE VIRTUAL TABLE {table} USING fts5({_COLUMNS}, content='articles', "
                       f"content_rowid='id', tokenize='{tokenize}')")
            op.execute(f"INSERT INTO {table}({table}) VALUES ('rebuild')")
        op.execute(f"CREATE TRIGGER articles_search_insert AFTER INSERT ON articles BEGIN "
                   f"{_fts_rows('new')} END")
        op.execute(f"CREATE TRIGGER articles_search_delete AFTER DELETE ON articles BEGIN "
                   f"{_fts_rows('old', 'delete')} END")
        op.execute(f"CREATE TRIGGER articles_search_update AFTER UPDATE OF {_COLUMNS} ON articles "
                   f"BEGIN {_fts_rows('old', 'delete')} {_fts_rows('new')} END")
    else:
        op.execute("CREATE FUNCTION partyfeed_lower(text) RETURNS text LANGUAGE sql IMMUTABLE "
                   f"STRICT PARALLEL SAFE AS $$ SELECT translate(lower($1), '{_UPPER}', '{_LOWER}') $$")
        op.execute("CREATE FUNCTION partyfeed_fold(text) RETURNS text LANGUAGE sql IMMUTABLE "
                   "STRICT PARALLEL SAFE AS "
                   f"$$ SELECT translate(partyfeed_lower($1), '{_LOWER}', '{_PLAIN}') $$")
        op.execute(
            "CREATE INDEX ix_articles_search_folded ON articles USING gin ("
            "(setweight(to_tsvector('simple'::regconfig, partyfeed_fold(title)), 'A') || "
            "setweight(to_tsvector('simple'::regconfig, partyfeed_fold(coalesce(summary, ''))), 'B') || "
            "to_tsvector('simple'::regconfig, partyfeed_fold(body_text))))")
        op.execute(
            "CREATE INDEX ix_articles_search_exact ON articles USING gin ("
            "to_tsvector('simple'::regconfig, partyfeed_lower(title || ' ' || "
            "coalesce(summary, '') || ' ' || body_text)))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER articles_search_{trigger}")
        for table in _FTS:
            op.execute(f"DROP TABLE {table}")
    else:
        op.execute("DROP INDEX ix_articles_search_exact")
        op.execute("DROP INDEX ix_articles_search_folded")
        op.execute("DROP FUNCTION partyfeed_fold(text)")
        op.execute("DROP FUNCTION partyfeed_lower(text)")
    op.drop_table("story_bands")
    op.drop_table("article_stories")
    op.drop_table("fetch_state")
