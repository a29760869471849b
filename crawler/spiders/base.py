"""The spider every site shares: listings in, article pages out, extraction delegated.

Listing pages are always fetched again; article pages already stored are skipped,
and a category stops paginating at the first listing page that holds only known
articles — so a scheduled crawl costs a few listing pages when nothing is new.

The site's RSS/Atom feeds are fetched first: they name the newest articles for the
price of one request.  A feed that is dead, redirects in circles, is not a feed or has
gone stale never stops a crawl — the listings follow regardless — and is counted so
``partyfeed status`` can say so.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any, ClassVar

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from ..discovery import NotAFeed, newest, read_feed
from ..extraction.layered import ExtractionError
from ..items import Article
from ..middlewares import MIRROR_OF
from ..pipelines import STATS_PREFIX, record_rejection
from ..sites import Site
from ..storage import Storage
from ..urls import article_key

logger = logging.getLogger(__name__)


class SiteSpider(scrapy.Spider):
    site: ClassVar[Site]
    storage: Storage

    def __init__(self, *args: Any, categories: str | list[str] | None = None,
                 max_pages: int | str | None = None, refresh: bool | str = False,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if isinstance(categories, str):  # ``scrapy crawl site -a categories=a,b``
            categories = [c for c in categories.split(",") if c]
        self.categories = list(categories or [])
        self.max_pages = int(max_pages) if max_pages else None
        self.refresh = refresh in (True, "1", "true", "yes")
        self.allowed_domains = list(self.site.hosts)
        #: feed URL → its newest item's date, for judging staleness when the crawl ends
        self.feed_newest: dict[str, datetime | None] = {}
        #: keys this crawl learnt from a feed: once stored, they say nothing about older listing pages
        self.from_feed: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SiteSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.categories = (spider.categories or list(settings.getlist("PARTYFEED_CATEGORIES"))
                             or list(spider.site.default_categories))
        spider.max_pages = spider.max_pages or settings.getint("PARTYFEED_MAX_PAGES") or 3
        spider.refresh = spider.refresh or settings.getbool("PARTYFEED_REFRESH")
        spider.storage = Storage(settings["PARTYFEED_DB"])
        return spider

    def closed(self, reason: str) -> None:
        self._judge_feeds()
        self.storage.close()

    def _stat(self, key: str, value: Any = None) -> None:
        assert self.crawler.stats is not None
        if value is None:
            self.crawler.stats.inc_value(f"{STATS_PREFIX}/{key}")
        else:
            self.crawler.stats.set_value(f"{STATS_PREFIX}/{key}", value)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.site.feeds:
            yield self._feed_request(url)
        yield self._listing_request(self.site.home, None, 1)
        for slug in self.categories:
            yield self._listing_request(self.site.category_url(slug), slug, 1)

    def _listing_request(self, url: str, category: str | None, page: int) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_listing, errback=self.on_error,
                              dont_filter=True, cb_kwargs={"category": category, "page": page})

    def _feed_request(self, url: str, *, retry: bool = False) -> scrapy.Request:
        # One cookie jar for feeds, apart from pages: where a site's spider enables cookies
        # (a feed behind a session), the session stays with the feeds.  A feed that
        # redirects more than a few times is going in circles.
        return scrapy.Request(url, callback=self.parse_feed, errback=self.on_feed_error,
                              dont_filter=True, priority=10, cb_kwargs={"feed": url, "retry": retry},
                              meta={"cookiejar": "feeds", "redirect_ttl": 5})

    def parse_feed(self, response: Response, feed: str, retry: bool) -> Iterator[scrapy.Request]:
        """Articles the feed names that are this site's and not stored yet."""
        self._stat("pages/feed")
        try:
            entries = read_feed(response.body, response.url)
        except NotAFeed as exc:
            if (not retry and response.meta.get("redirect_times")
                    and self.crawler.settings.getbool("COOKIES_ENABLED")):
                # redirected elsewhere to be given a session: the same feed again, with it
                yield self._feed_request(feed, retry=True)
                return
            self._feed_failed(feed, f"not a feed ({exc})")
            return
        self._stat("feeds/ok")
        self.feed_newest[feed] = newest(entries)
        urls = list(dict.fromkeys(e.url.split("#", 1)[0] for e in entries))
        # another site's story or a topic page is not this module's to read
        ours = [url for url in urls if self.site.is_article(url)]
        keys = {url: article_key(self.site, url) for url in ours}
        known = set() if self.refresh else self.storage.known_keys(keys.values())
        for url in ours:
            if keys[url] in known:
                self._stat("articles/skipped_known")
                continue
            self._stat("articles/from_feed")
            self.from_feed.add(keys[url])
            yield scrapy.Request(url, callback=self.parse_article, errback=self.on_error)

    def on_feed_error(self, failure: Failure) -> None:
        """A dead feed is noted and counted, never a crawl error: the listings still run."""
        response = getattr(failure.value, "response", None)
        kind = f"http_{response.status}" if response is not None else (
            failure.type.__name__ if failure.type else "Error")
        self._feed_failed(failure.request.cb_kwargs.get("feed", failure.request.url),
                          f"{kind}: {failure.getErrorMessage()}" if response is None else kind)

    def _feed_failed(self, feed: str, why: str) -> None:
        self._stat("feeds/failed")
        assert self.crawler.stats is not None
        failed = dict(self.crawler.stats.get_value(f"{STATS_PREFIX}/feeds/failed_urls") or {})
        failed[feed] = why
        self._stat("feeds/failed_urls", failed)
        logger.warning("feed %s unusable: %s", feed, why)

    def _judge_feeds(self) -> None:
        """Feeds whose newest item lags the site's newest stored article by more than the limit.

        Measured against the site itself, not the clock: a quiet holiday is not a stale
        feed, and a feed years behind its own site is, whenever the crawl runs.
        """
        limit = timedelta(days=self.crawler.settings.getfloat("PARTYFEED_FEED_STALE_DAYS", 7))
        latest = self.storage.recent(self.site.name, limit=1)
        if not latest or latest[0].published is None:
            return
        stale = {feed: when.isoformat() for feed, when in self.feed_newest.items()
                 if when is not None and latest[0].published - when > limit}
        if stale:
            self._stat("feeds/stale_urls", stale)
            for feed, when in stale.items():
                logger.warning("feed %s is stale: newest item %s", feed, when)

    def parse_listing(self, response: Response, category: str | None, page: int) -> Iterator[scrapy.Request]:
        self._stat("pages/listing")
        listing = self.site.listing(response.url, response.text, category=category, page=page)
        keys = {url: article_key(self.site, url) for url in listing.article_urls}
        known = set() if self.refresh else self.storage.known_keys(keys.values())
        for url in listing.article_urls:
            if keys[url] in known:
                self._stat("articles/skipped_known")
                continue
            yield scrapy.Request(url, callback=self.parse_article, errback=self.on_error)
        all_known = bool(keys) and all(key in known and key not in self.from_feed for key in keys.values())
        if listing.next_page and page < (self.max_pages or 1) and not all_known:
            yield self._listing_request(listing.next_page, category, page + 1)

    def parse_article(self, response: Response) -> Iterator[Article]:
        self._stat("pages/article")
        if not isinstance(response, TextResponse):  # an image, a PDF: no text to read
            logger.warning("cannot extract %s: not a text page", response.url)
            record_rejection(self.crawler, self.storage, self.site.name, response.url,
                             "unparseable", f"not a text page ({type(response).__name__})")
            return
        try:
            yield self.site.extract(response.url, response.text)
        except ExtractionError as exc:
            logger.warning("cannot extract %s: %s", response.url, exc)
            record_rejection(self.crawler, self.storage, self.site.name, response.url,
                             "unparseable", str(exc))
        except Exception:
            logger.exception("extractor crashed on %s", response.url)
            record_rejection(self.crawler, self.storage, self.site.name, response.url,
                             "extractor-error", "extractor raised; see the log")

    def on_error(self, failure: Failure) -> None:
        """Expected network failures: one log line, counted by kind, no traceback."""
        kind = failure.type.__name__ if failure.type else "Error"
        response = getattr(failure.value, "response", None)
        if response is not None:
            kind = f"http_{response.status}"
        self._stat(f"errors/{kind}")
        url = failure.request.meta.get(MIRROR_OF, failure.request.url) \
            if hasattr(failure, "request") else "?"
        message = f"{kind}: {failure.getErrorMessage()}" if response is None else kind
        self._stat("last_error", f"{message} ({url})")
        logger.warning("failed %s: %s", url, message)
