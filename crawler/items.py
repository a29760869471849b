"""The article as it travels from extractor to pipeline to storage to feeds.

One schema for everything downstream of a page: ``partyfeed extract`` prints it,
the pipelines validate and store it, the feed builder reads it back.  It is a plain
dataclass, which Scrapy accepts as an item through ``itemadapter``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Image:
    url: str
    caption: str | None = None


@dataclass
class Article:
    url: str
    site: str
    title: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    summary: str | None = None
    authors: list[str] = field(default_factory=list)
    category: str | None = None
    tags: list[str] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    body_html: str = ""
    body_text: str = ""
    #: the agency credited instead of a person (``TTXVN``); never mixed into ``authors``
    source: str | None = None
    #: the site's own id for the article (``577383`` in ``…-577383.html``); feed ids derive from it
    article_id: str | None = None
    #: URL-path slug of the category (``tu-tuong-van-hoa``), for per-category feeds
    category_slug: str | None = None
    #: which extraction layer produced each field (``site:legacy``, ``metadata``, ``generic``)
    layers: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The JSON shape ``partyfeed extract`` prints: datetimes as ISO 8601 with offset."""
        data = asdict(self)
        for key in ("published", "updated"):
            value = getattr(self, key)
            data[key] = value.isoformat() if value else None
        return data
