"""Item pipelines: validate → normalise → limit → store.

An article without URL, title or publish date is dropped with its reason, counted
in the crawl stats and kept in the ``rejections`` table; nothing is ever stored half.
A database that cannot be written (a full disk, a read-only file) stops the crawl at
the first failure: one log line, the spider closed as ``store-failed``, the run failed.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from dataclasses import replace
from datetime import UTC
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro
from sqlalchemy.exc import SQLAlchemyError

from .extraction.layered import GENERIC
from .extraction.text import clean_text, nfc
from .extraction.verdict import not_an_article
from .items import Article, Image
from .limits import MAX_CHARS, MAX_ITEMS, cut_html, cut_text
from .sites import site_for_url
from .urls import article_key, canonical_url

if TYPE_CHECKING:
    from .spiders.base import SiteSpider

logger = logging.getLogger(__name__)

STATS_PREFIX = "partyfeed"
#: the crawl's finish reason when the database refused a write
STORE_FAILED = "store-failed"
#: stats key holding the database's one-line complaint
STORE_ERROR = f"{STATS_PREFIX}/store_error"


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
        owner = site_for_url(item.url)
        if owner is None or owner.name != item.site:
            raise Rejected("off-site", item.url)  # a redirect took the page off the site's hosts
        if not item.title:
            raise Rejected("missing-title", item.url)
        reason = not_an_article(item)  # before the date: an error page has none, and says why
        if reason:
            raise Rejected("not-an-article", f"{item.url}: {reason}")
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


class LimitPipeline:
    """Cuts fields longer than :mod:`crawler.limits` allows; each cut is logged and counted
    (``partyfeed/truncated``), so a 100 KB headline is neither published nor silently lost."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LimitPipeline:
        return cls(crawler)

    def process_item(self, item: Article) -> Article:
        cuts: list[str] = []

        def limit(field: str, value: str, html: bool = False) -> str:
            if len(value) <= MAX_CHARS[field]:
                return value
            cuts.append(f"{field} ({len(value):,} characters)")
            return (cut_html if html else cut_text)(value, MAX_CHARS[field])

        def first(field: str, values: list[str]) -> list[str]:
            if len(values) > MAX_ITEMS:
                cuts.append(f"{field} ({len(values):,})")
            return values[:MAX_ITEMS]

        limited = replace(
            item,
            title=limit("title", item.title or ""),
            summary=limit("summary", item.summary) if item.summary else item.summary,
            category=limit("category", item.category) if item.category else item.category,
            authors=[limit("author", a) for a in first("authors", item.authors)],
            tags=[limit("tag", t) for t in first("tags", item.tags)],
            images=[Image(url=i.url, caption=limit("caption", i.caption) if i.caption else None)
                    for i in item.images[:MAX_ITEMS]],
            body_html=limit("body_html", item.body_html, html=True),
            body_text=limit("body_text", item.body_text),
        )
        if len(item.images) > MAX_ITEMS:
            cuts.append(f"images ({len(item.images):,})")
        if cuts:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value(f"{STATS_PREFIX}/truncated")
            logger.warning("cut to size %s: %s", item.url, ", ".join(cuts))
        return limited


class StorePipeline:
    """Hands articles to the spider's database writer (:attr:`SiteSpider.writer
    <crawler.spiders.base.SiteSpider.writer>`) and waits for the commit, so the reactor
    never blocks on the database and nothing is counted as stored before it is."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(self.request_scheduled, signal=signals.request_scheduled)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    async def process_item(self, item: Article) -> Article:
        assert self.crawler.stats is not None
        if self.crawler.stats.get_value(STORE_ERROR):
            raise StoreFailed()  # items already in flight when the first write failed
        spider = _spider(self.crawler)
        key = article_key(site_for_url(item.url), item.url)
        try:
            outcome = await spider.writer.write(partial(spider.storage.upsert_in, key=key,
                                                        article=item))
        except SQLAlchemyError as exc:
            store_failed(self.crawler, exc)
            raise StoreFailed() from None
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
        if isinstance(exception, StoreFailed):
            return  # not the page's fault, and the database would refuse the record too
        reason = getattr(exception, "reason", "dropped")
        url = getattr(item, "url", None) or (response.url if response is not None else "?")
        site = str(getattr(item, "site", None) or getattr(spider, "name", "?"))
        record_rejection(self.crawler, site, url, reason, str(exception))

    def request_scheduled(self, request: Request, spider: object = None) -> None:
        """Scrapy's offsite middleware drops a redirect to another host as it is scheduled,
        silently (no errback, no signal): a listed article that moved off the site is still
        a rejection to report.  (With ``--mirror`` such a redirect is refused, and rejected,
        by :class:`~crawler.middlewares.MirrorMiddleware` instead.)"""
        origin = (request.meta.get("redirect_urls") or [None])[0]
        site = site_for_url(origin) if origin else None
        if (site is not None and not site.owns(request.url) and not request.dont_filter
                and not request.meta.get("allow_offsite")):
            record_rejection(self.crawler, site.name, origin, "off-site",
                             f"off-site: redirected to {request.url}")


def _spider(crawler: Crawler) -> SiteSpider:
    """The crawl's spider: it owns the crawl's storage and database writer."""
    return cast("SiteSpider", crawler.spider)


def record_rejection(crawler: Crawler, site: str, url: str, reason: str, detail: str) -> None:
    """Count a rejected page in the stats and keep it for ``partyfeed extract``: written by
    the crawl's database writer, not waited for (a refused write stops the crawl)."""
    assert crawler.stats is not None
    crawler.stats.inc_value(f"{STATS_PREFIX}/articles/rejected")
    crawler.stats.inc_value(f"{STATS_PREFIX}/rejected/{reason}")
    spider = _spider(crawler)
    spider.write_later(partial(spider.storage.reject_in, site=site, url=url,
                               reason=detail or reason))


def report_failed_write(crawler: Crawler, written: Future[Any]) -> None:
    """A write the crawl did not wait for failed: :func:`store_failed`, on the reactor."""
    exc = written.exception()
    if isinstance(exc, SQLAlchemyError):
        from twisted.internet import reactor

        reactor.callFromThread(store_failed, crawler, exc)  # type: ignore[attr-defined]
    elif exc is not None:
        logger.error("a database write failed", exc_info=exc)


class StoreFailed(DropItem):
    """The database refused the write; the crawl is being stopped (see :func:`store_failed`)."""

    def __init__(self) -> None:
        super().__init__("not stored: the database refused writes")


def database_error(exc: SQLAlchemyError) -> str:
    """The driver's own words (``database or disk is full``), without SQL or parameters."""
    original = getattr(exc, "orig", None) or exc
    return str(original).splitlines()[0] if str(original) else type(original).__name__


def store_failed(crawler: Crawler, exc: SQLAlchemyError) -> None:
    """First refused write: say it once and close the spider; later ones stay silent.

    Going on would log one traceback per article and end ``ok — 0 new``, telling status
    and ``/healthz`` that all is well while nothing is kept.
    """
    assert crawler.stats is not None and crawler.engine is not None
    if crawler.stats.get_value(STORE_ERROR):
        return
    message = database_error(exc)
    crawler.stats.set_value(STORE_ERROR, message)
    logger.error("cannot write to the database: %s; stopping the crawl", message)
    if crawler.engine.spider is not None:  # not closed already (its last writes failing)
        deferred_from_coro(crawler.engine.close_spider_async(reason=STORE_FAILED))



