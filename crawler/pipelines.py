"""Item pipelines: validate → normalise → store.

An article without URL, title or publish date is dropped with its reason, counted
in the crawl stats and kept in the ``rejections`` table; nothing is ever stored half.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.http import Response

from .archive.stories_store import Stories
from .extraction.layered import GENERIC
from .extraction.text import clean_text, nfc
from .items import Article, Image
from .sites import site_for_url
from .storage import Storage
from .urls import article_key, canonical_url

logger = logging.getLogger(__name__)

STATS_PREFIX = "partyfeed"


class Rejected(DropItem):
    """An article that cannot be stored; ``reason`` is a short stable slug."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class ValidatePipeline:
    def process_item(self, item: Article) -> Article:
        if not isinstance(item, Article):
            raise Rejected("not-an-article", type(item).__name__)
        if not item.url:
            raise Rejected("missing-url")
        if not item.title:
            raise Rejected("missing-title", item.url)
        if item.published is None:
            raise Rejected("missing-published", item.url)
        if item.published.tzinfo is None:
            raise Rejected("naive-published", item.url)
        if not item.body_text and not item.images:
            raise Rejected("empty-body", item.url)
        return item


class NormalisePipeline:
    """NFC text, UTC datetimes, canonical URL — whatever produced the item."""

    def process_item(self, item: Article) -> Article:
        return replace(
            item,
            url=canonical_url(item.url),
            title=clean_text(item.title),
            summary=clean_text(item.summary) or None,
            authors=[clean_text(a) for a in item.authors if clean_text(a)],
            category=clean_text(item.category) or None,
            tags=[clean_text(t) for t in item.tags if clean_text(t)],
            images=[Image(url=i.url, caption=clean_text(i.caption) or None) for i in item.images],
            body_html=nfc(item.body_html),
            body_text=nfc(item.body_text),
            published=item.published.astimezone(UTC) if item.published else None,
            updated=item.updated.astimezone(UTC) if item.updated else None,
        )


class StorePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.storage = Storage(crawler.settings["PARTYFEED_DB"])
        self.stories = Stories(self.storage.engine)
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    def process_item(self, item: Article) -> Article:
        key = article_key(site_for_url(item.url), item.url)
        outcome = self.storage.upsert(key, item)
        if outcome in ("new", "updated"):
            self.stories.assign(key)  # the same text elsewhere makes it one story
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"{STATS_PREFIX}/articles/{outcome}")
        if GENERIC in (item.layers.get("title"), item.layers.get("published")):
            # neither the site's selectors nor the page's metadata gave title and date: the
            # first sign of a redesign.  (A body from the generic layer alone is normal for
            # layouts read through their metadata, like the 2026 portal.)
            self.crawler.stats.inc_value(f"{STATS_PREFIX}/articles/fallback")
        logger.debug("%s %s", outcome, item.url)
        return item

    def item_dropped(self, item: object, response: Response | None, exception: BaseException,
                     spider: object = None) -> None:
        reason = getattr(exception, "reason", "dropped")
        url = getattr(item, "url", None) or (response.url if response is not None else "?")
        site = str(getattr(item, "site", None) or getattr(spider, "name", "?"))
        record_rejection(self.crawler, self.storage, site, url, reason, str(exception))

    def spider_closed(self) -> None:
        self.storage.close()


def record_rejection(crawler: Crawler, storage: Storage, site: str, url: str, reason: str,
                     detail: str) -> None:
    """Count a rejected page in the stats and keep it for ``partyfeed extract``."""
    assert crawler.stats is not None
    crawler.stats.inc_value(f"{STATS_PREFIX}/articles/rejected")
    crawler.stats.inc_value(f"{STATS_PREFIX}/rejected/{reason}")
    storage.record_rejection(site, url, detail or reason)



