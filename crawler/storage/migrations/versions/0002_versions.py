"""Every version of an article: its distinct contents, and when each version was seen.

``articles.last_seen`` starts as ``changed_at`` for existing rows: the last moment the
current content is known to have been there.  Versions before this migration were not
kept (0.1.0 overwrote them); history starts with each article's current content.

Revision ID: 0002_versions
Revises: 0001_initial
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_versions"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("last_seen", sa.DateTime(), nullable=True))
    op.execute("UPDATE articles SET last_seen = changed_at")
    op.create_table(
        "article_contents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("published", sa.DateTime(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("category_slug", sa.String(length=200), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("images", sa.JSON(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["article"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("article", "content_hash", name="uq_article_contents_article_hash"),
    )
    op.create_table(
        "article_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", sa.Integer(), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["article"], ["articles.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["content"], ["article_contents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("article", "version", name="uq_article_versions_article_version"),
    )
    op.create_index("ix_article_versions_first_seen", "article_versions", ["first_seen"])


def downgrade() -> None:
    op.drop_index("ix_article_versions_first_seen", table_name="article_versions")
    op.drop_table("article_versions")
    op.drop_table("article_contents")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("last_seen")
