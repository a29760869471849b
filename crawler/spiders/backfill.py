"""Backfill: a site's whole archive, every category down to its last listing page.

The scheduled crawl reads a few listing pages; a backfill walks all of them, so it
guards against what a scheduled crawl never meets: a pager that loops back to page 1
or keeps serving the same page (the listing's links are compared with the first and
the previous page's), a listing that suddenly links thousands of URLs (capped), an
archive with no end (a page cap per category), and the dupefilter drops any listing
URL seen twice.  Articles already stored are never fetched again; ``--since`` stops a
category's walk at the first listing page holding an older article (listings are
newest first), ``--until`` skips newer ones (the window is ``[since, until)``, both
aware datetimes).

The same class runs as ``partyfeed worker``: then requests come from a shared Redis
queue (``crawler.distributed``) instead of ``start()``, and there is no local resume
file — the queue itself is the resumable state.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from ..checkpoint import Frontier
from ..items import Article
from ..urls import article_key
from .base import SiteSpider

logger = logging.getLogger(__name__)

#: listing requests that fail in a row before a category is given up (its resume point stays)
MAX_LISTING_FAILURES = 3


class BackfillSpider(SiteSpider):
    """Mixed into a site's spider by :func:`backfill_spider`."""

    since: datetime | None
    until: datetime | None
    frontier: Frontier

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> BackfillSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        if not kwargs.get("categories"):  # the configuration's if it names some, else all
            spider.categories = list(spider.site.categories)
        spider.since = _when(settings.get("PARTYFEED_BACKFILL_SINCE"))
        spider.until = _when(settings.get("PARTYFEED_BACKFILL_UNTIL"))
        spider.max_pages = settings.getint("PARTYFEED_BACKFILL_MAX_PAGES")
        spider.max_links = settings.getint("PARTYFEED_BACKFILL_MAX_LINKS")
        spider.worker = settings.getbool("PARTYFEED_WORKER")
        state = settings.get("PARTYFEED_BACKFILL_STATE")
        window = {"since": settings.get("PARTYFEED_BACKFILL_SINCE"),
                  "until": settings.get("PARTYFEED_BACKFILL_UNTIL")}
        spider.frontier = Frontier.load(Path(state) if state else None, window)
        for signal in (signals.item_scraped, signals.item_dropped):
            crawler.signals.connect(spider._article_settled, signal=signal)
        crawler.signals.connect(spider._save_frontier, signal=signals.spider_closed)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.worker:  # a worker's requests come from the shared queue
            return
        for slug in self.categories:
            if slug in self.frontier.finished:
                continue
            page = self.frontier.resume_page(slug)
            if page > 1:
                logger.info("backfill of %s/%s resumes at listing page %d", self.name, slug, page)
            yield self._backfill_listing(slug, page, first=None, previous=None, dont_filter=True)

    def _backfill_listing(self, slug: str, page: int, *, first: str | None, previous: str | None,
                          failures: int = 0, dont_filter: bool = False) -> scrapy.Request:
        self.frontier.requested(slug, page)
        # one process works articles off first, so its queue stays short and its memory
        # flat; workers walk the listings ahead, so the shared queue keeps them all busy
        return scrapy.Request(
            self.site.category_url(slug, page), callback=self.parse_backfill_listing,
            errback=self.on_backfill_listing_error, dont_filter=dont_filter,
            priority=2 if self.worker else 0,
            cb_kwargs={"category": slug, "page": page, "first": first, "previous": previous,
                       "failures": failures})

    def parse_backfill_listing(self, response: Response, category: str, page: int,
                               first: str | None, previous: str | None,
                               failures: int = 0) -> Iterator[scrapy.Request]:
        self._stat("pages/listing")
        listing = self.site.listing(response.url, response.text, category=category, page=page)
        urls = listing.article_urls
        if len(urls) > self.max_links:
            logger.warning("%s links %d articles; following the first %d", response.url,
                           len(urls), self.max_links)
            self._stat("backfill/listings_truncated")
            urls = urls[:self.max_links]
        digest = hashlib.sha1("\n".join(sorted(urls)).encode()).hexdigest()
        if urls and digest in (first, previous):
            logger.warning("%s repeats %s; the pager of %s ends here", response.url,
                           "page 1" if digest == first else "the page before", category)
            self._stat("backfill/pager_loops")
            self.frontier.listed(category, page, [], self._linked(response, category))
            self.frontier.end(category)
            return
        keys = {url: article_key(self.site, url) for url in urls}
        known = self.storage.known_keys(keys.values())
        todo = [url for url in urls if keys[url] not in known]
        for _ in range(len(urls) - len(todo)):
            self._stat("articles/skipped_known")
        if listing.next_page and page < self.max_pages and not self.frontier.past_since(category, page):
            yield self._backfill_listing(category, page + 1, first=first or digest, previous=digest)
        else:
            if listing.next_page and page >= self.max_pages:
                logger.warning("%s: stopping at the page cap (%d)", category, self.max_pages)
                self._stat("backfill/page_cap")
            self.frontier.end(category)
        self.frontier.listed(category, page, [keys[url] for url in todo],
                             self._linked(response, category))
        for url in todo:
            yield scrapy.Request(url, callback=self.parse_backfill_article,
                                 errback=self.on_backfill_article_error, priority=1,
                                 cb_kwargs={"category": category, "page": page, "key": keys[url]})

    def _linked(self, response: Response, category: str) -> int:
        """The highest page number the pager links to: how long the category is, at least."""
        page_url = urljoin(self.site.home, self.site.category_page.format(slug=category, page="PAGE"))
        pattern = re.compile(re.escape(page_url).replace("PAGE", r"(\d+)") + r"/?$")
        numbers = [int(m[1]) for href in response.css("a::attr(href)").getall()
                   if (m := pattern.search(response.urljoin(href)))]
        return max(numbers, default=0)

    async def parse_backfill_article(self, response: Response, category: str, page: int,
                                     key: str) -> AsyncIterator[Article]:
        kept = False
        async for article in self.parse_article(response):
            published = article.published
            if published is not None and self.since and published < self.since:
                self._stat("backfill/before_since")
                self.frontier.older(category, page)
            elif published is not None and self.until and published >= self.until:
                self._stat("backfill/after_until")
            else:
                kept = True
                yield article
        if not kept:  # rejected (recorded by parse_article) or outside the window
            self.frontier.done(category, page, key)

    def on_backfill_article_error(self, failure: Failure) -> None:
        self.on_error(failure)  # counted and logged; a later backfill tries it again
        kwargs = failure.request.cb_kwargs
        self.frontier.done(kwargs["category"], kwargs["page"], kwargs["key"])

    def on_backfill_listing_error(self, failure: Failure) -> Iterator[scrapy.Request]:
        """The page stays pending (a restart tries it again); the walk goes on past it."""
        self.on_error(failure)
        kwargs = failure.request.cb_kwargs
        category, page = kwargs["category"], kwargs["page"]
        if kwargs["failures"] + 1 >= MAX_LISTING_FAILURES or page >= self.max_pages:
            logger.warning("%s: %d listing pages failed in a row; this category stops at page %d",
                           category, kwargs["failures"] + 1, page)
            return
        yield self._backfill_listing(category, page + 1, first=kwargs["first"],
                                     previous=kwargs["previous"], failures=kwargs["failures"] + 1)

    def _article_settled(self, item: object, response: Response | None = None,
                         **_kwargs: object) -> None:
        """An article stored (the store pipeline has written it) or rejected."""
        request = getattr(response, "request", None)
        kwargs = request.cb_kwargs if request is not None else {}
        if "key" in kwargs:
            self.frontier.done(kwargs["category"], kwargs["page"], kwargs["key"])

    def _save_frontier(self, reason: str) -> None:
        complete = reason == "finished" and all(self.frontier.complete(s) for s in self.categories)
        self.frontier.save(complete=complete)


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def backfill_spider(spider_cls: type[SiteSpider],
                    settings: dict[str, Any] | None = None) -> type[BackfillSpider]:
    """The site's spider with the backfill behaviour (and per-site ``settings``); same
    name, so the same Redis keys."""
    return type(f"{spider_cls.__name__}Backfill", (BackfillSpider, spider_cls),
                {"custom_settings": {**(spider_cls.custom_settings or {}), **(settings or {})}})

