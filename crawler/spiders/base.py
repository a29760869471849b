"""The spider every site shares: listings in, article pages out, extraction delegated.

Listing pages are always fetched again; article pages already stored are skipped,
and a category stops paginating at the first listing page that holds only articles a
completed crawl had already covered — so a scheduled crawl costs a few listing pages
when nothing is new, and a crawl that was killed or cut short hides nothing: what it
stored does not count as covered until a crawl has read past it (``walks``).

The site's RSS/Atom feeds are fetched first: they name the newest articles for the
price of one request.  A feed that is dead, redirects in circles, is not a feed or has
gone stale never stops a crawl — the listings follow regardless — and is counted so
``partyfeed status`` can say so.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import cached_property, partial
from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import Response, TextResponse
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError
from twisted.internet.defer import CancelledError
from twisted.python.failure import Failure

from ..archive.fetches import Fetches
from ..discovery import NotAFeed, newest, read_feed
from ..httpcache import LISTING
from ..items import Article
from ..middlewares import MIRROR_OF, OffMirror
from ..pipelines import STATS_PREFIX, record_rejection, report_failed_write, store_failed
from ..pool import ExtractionPool, default_processes
from ..refresh import DEFAULT_POLICY, EVERYTHING
from ..sites import Site
from ..storage import Storage
from ..urls import article_key, canonical_url
from ..writer import BatchWriter

logger = logging.getLogger(__name__)
#: request meta: ``(stored key, canonical URL)`` of a known article being refreshed
REFRESHING = "partyfeed_refreshing"
#: request meta: this refresh is the second asking after the page seemed gone
RETRIED = "partyfeed_gone_retry"
#: answers a refresh handles itself instead of Scrapy dropping them
REFRESH_STATUSES = [304, 404, 410]


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
        #: category → how this crawl's walk of its listing ended (``depth``, ``bottom``)
        self.walks: dict[str, dict[str, Any]] = {}
        self._coverage: dict[str, tuple[datetime, dict[str, Any]] | None] = {}
        #: feed URL → its newest item's date, for judging staleness when the crawl ends
        self.feed_newest: dict[str, datetime | None] = {}
        #: ``(key, url, etag, last_modified)`` of article pages fetched for the first time
        self._first_fetches: list[tuple[str, str, str | None, str | None]] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SiteSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.categories = (spider.categories or list(settings.getlist("PARTYFEED_CATEGORIES"))
                             or list(spider.site.default_categories))
        spider.max_pages = spider.max_pages or settings.getint("PARTYFEED_MAX_PAGES") or 3
        spider.refresh = spider.refresh or settings.getbool("PARTYFEED_REFRESH")
        spider.storage = Storage(settings["PARTYFEED_DB"])
        crawler.signals.connect(spider.keep_validators, signal=signals.response_received)
        return spider

    @cached_property
    def writer(self) -> BatchWriter[Callable[[Connection], Any], Any]:
        """The crawl's one database writer: articles (from the store pipeline), rejections,
        refresh results and validators all go through it, batched, so no write waits on
        the reactor's thread — not even for SQLite's lock, which a backfill or a feed build
        beside the crawl may hold for seconds."""
        return BatchWriter(self.storage.run_many)

    def closed(self, reason: str) -> None:
        self.extraction.close()
        if self.extraction.restarts:
            self._stat("extraction/restarts", self.extraction.restarts)
        self._save_validators()
        self.writer.close()  # writes what is queued: the last rejections, the validators
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
        for request in self.refresh_requests():
            yield request

    def _listing_request(self, url: str, category: str | None, page: int) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_listing, errback=self.on_error,
                              dont_filter=True, cb_kwargs={"category": category, "page": page},
                              meta={LISTING: True})

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
        for request in self._new_articles(keys, self.storage.first_seen(keys.values())):
            self._stat("articles/from_feed")
            yield request

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
        stored = self.storage.first_seen(keys.values())
        yield from self._new_articles(keys, stored)
        if category is None:
            return
        covered = self._covered(category)
        if covered and _ends_in_covered(list(keys.values()), stored, covered[0]):
            self.walks[category] = covered[1]  # below here, that crawl's walk still holds
        elif listing.next_page and page < (self.max_pages or 1):
            yield self._listing_request(listing.next_page, category, page + 1)
        else:
            self.walks[category] = {"depth": page, "bottom": listing.next_page is None}

    def _new_articles(self, keys: dict[str, str], stored: dict[str, datetime]) -> Iterator[scrapy.Request]:
        """Requests for the listed articles not stored yet (stored ones: refresh_requests())."""
        for url, key in keys.items():
            if key in stored:
                self._stat("articles/skipped_known")
                continue
            yield scrapy.Request(url, callback=self.parse_article, errback=self.on_error)

    def _covered(self, category: str) -> tuple[datetime, dict[str, Any]] | None:
        """The completed crawl this one may trust for ``category`` (see Storage.listing_coverage)."""
        if category not in self._coverage:
            self._coverage[category] = self.storage.listing_coverage(
                self.site.name, category, self.max_pages or 1)
        return self._coverage[category]

    @cached_property
    def extraction(self) -> ExtractionPool:
        settings = self.crawler.settings
        processes = settings.get("PARTYFEED_EXTRACT_PROCESSES")
        return ExtractionPool(default_processes() if processes is None else int(processes),
                              settings.getint("PARTYFEED_EXTRACT_INLINE"))

    async def parse_article(self, response: Response) -> AsyncIterator[Article]:
        self._stat("pages/article")
        if not isinstance(response, TextResponse):  # an image, a PDF: no text to read
            logger.warning("cannot extract %s: not a text page", response.url)
            record_rejection(self.crawler, self.site.name, response.url,
                             "unparseable", f"not a text page ({type(response).__name__})")
            return
        # decoded like a browser, by the same function as ``partyfeed extract FILE``
        content_type = response.headers.get("Content-Type")
        result = await self.extraction.extract(
            self.site.name, response.url, response.body,
            content_type.decode("latin-1") if content_type else None)
        if result.mislabelled:
            logger.warning("%s is UTF-8 but its %s names a single-byte charset: decoded as UTF-8",
                           response.url, result.mislabelled)
            self._stat("decoding/mislabelled_utf8")
        if result.unparseable:
            logger.warning("cannot extract %s: %s", response.url, result.unparseable)
            record_rejection(self.crawler, self.site.name, response.url,
                             "unparseable", result.unparseable)
        elif result.crashed:
            logger.error("extractor crashed on %s:\n%s", response.url, result.crashed.rstrip())
            record_rejection(self.crawler, self.site.name, response.url,
                             "extractor-error", "extractor raised; see the log")
        elif result.article is not None:
            yield result.article

    def on_error(self, failure: Failure) -> None:
        """Expected network failures: one log line, counted by kind, no traceback.

        Pages we will not read are no network failure: rejected as ``too-large`` (over
        ``DOWNLOAD_MAXSIZE`` on the wire or once decompressed: a gzip bomb) or ``off-site``
        (redirected to a host that is not the site's).
        """
        kind = failure.type.__name__ if failure.type else "Error"
        refused = _refusal(failure)
        if refused:
            url = failure.request.meta.get(MIRROR_OF, failure.request.url)
            logger.warning("rejected %s: %s", url, refused)
            record_rejection(self.crawler, self.site.name, url, refused,
                             f"{refused}: {failure.getErrorMessage()}")
            return
        response = getattr(failure.value, "response", None)
        if response is not None:
            kind = f"http_{response.status}"
        self._stat(f"errors/{kind}")
        url = failure.request.meta.get(MIRROR_OF, failure.request.url) \
            if hasattr(failure, "request") else "?"
        message = f"{kind}: {failure.getErrorMessage()}" if response is None else kind
        self._stat("last_error", f"{message} ({url})")
        logger.warning("failed %s: %s", url, message)

    # --- refreshing known articles: conditional GET, takedowns ----------------------------

    @cached_property
    def fetches(self) -> Fetches:
        return Fetches(self.storage.engine)

    def refresh_requests(self) -> Iterator[scrapy.Request]:
        """Known articles due again (:mod:`crawler.refresh`) — with ``refresh`` (``crawl
        --refresh``) every known article — each a conditional GET."""
        policy = EVERYTHING if self.refresh else DEFAULT_POLICY
        for due in self.fetches.due(self.site.name, datetime.now(UTC), policy):
            headers = {}
            if due.etag:
                headers["If-None-Match"] = due.etag
            if due.last_modified:
                headers["If-Modified-Since"] = due.last_modified
            self._stat("refresh/requested")
            yield scrapy.Request(due.url, headers=headers, callback=self.parse_refresh,
                                 errback=self.on_error, dont_filter=True,
                                 meta={REFRESHING: (due.key, due.url),
                                       "handle_httpstatus_list": REFRESH_STATUSES})

    def keep_validators(self, response: Response, request: scrapy.Request, spider: Any = None) -> None:
        """Note an article page's ``ETag``/``Last-Modified`` when it is first fetched, so that
        its first refresh is conditional already (written when the crawl closes)."""
        if request.callback != self.parse_article or response.status != 200:
            return
        etag, modified = self._validators(response)
        if etag or modified:
            self._first_fetches.append((article_key(self.site, response.url),
                                        canonical_url(response.url), etag, modified))

    def write_later(self, job: Callable[[Connection], Any]) -> None:
        """``job`` on the writer, not waited for; a refused write still stops the crawl
        (:func:`~crawler.pipelines.report_failed_write`)."""
        self.writer.submit(job).add_done_callback(partial(report_failed_write, self.crawler))

    def _save_validators(self) -> None:
        if self._first_fetches:
            self.write_later(partial(self.fetches.record_first, site=self.site.name,
                                     pages=self._first_fetches, now=datetime.now(UTC)))

    async def _write(self, job: Callable[[Connection], Any]) -> tuple[bool, Any]:
        """Whether the writer committed ``job``, and its result: the database may refuse it
        (the crawl is then stopping: :func:`~crawler.pipelines.store_failed`)."""
        try:
            return True, await self.writer.write(job)
        except SQLAlchemyError as exc:
            store_failed(self.crawler, exc)
            return False, None

    @staticmethod
    def _validators(response: Response) -> tuple[str | None, str | None]:
        def header(name: str) -> str | None:
            value = response.headers.get(name)
            return value.decode("latin-1")[:200] if value else None
        return header("ETag"), header("Last-Modified")

    def _gone_home(self, response: Response) -> bool:
        """Redirected to the site's home page: how these sites take an article down."""
        if not response.meta.get("redirect_urls"):
            return False
        return urlsplit(response.url).path.strip("/") == urlsplit(self.site.home).path.strip("/")

    async def parse_refresh(self, response: Response) -> AsyncIterator[Article | scrapy.Request]:
        """A refreshed article: unchanged (304), gone (asked twice), or read again — the
        pipeline then stores a new version if its content changed."""
        key, url = response.meta[REFRESHING]
        now = datetime.now(UTC)
        gone = (f"HTTP {response.status}" if response.status in (404, 410)
                else "redirected to the home page" if self._gone_home(response) else None)
        if gone is None:
            etag, modified = self._validators(response)
            written, _ = await self._write(partial(
                self.fetches.record, key=key, site=self.site.name, url=url,
                status=response.status, now=now, etag=etag, last_modified=modified))
            if not written:
                return
            if response.status == 304:
                self._stat("refresh/not_modified")
                return
            self._stat("refresh/fetched")
            async for article in self.parse_article(response):
                yield article
            return
        if not response.meta.get(RETRIED):
            # one bad answer may be a deploy or a cache hiccup: ask once more, plainly
            self._stat("refresh/gone_retry")
            yield scrapy.Request(url, callback=self.parse_refresh, errback=self.on_error,
                                 dont_filter=True,
                                 meta={REFRESHING: (key, url), RETRIED: True,
                                       "handle_httpstatus_list": REFRESH_STATUSES})
            return
        _, news = await self._write(partial(self.fetches.mark_removed, key=key, site=self.site.name,
                                            url=url, status=response.status, reason=gone, now=now))
        if news:
            logger.info("removed: %s (%s)", url, gone)
            self._stat("refresh/removed")


def _ends_in_covered(keys: list[str], stored: dict[str, datetime], covered: datetime) -> bool:
    """Whether a listing page ends in articles a trusted crawl had already stored: from the
    first such article to the end of the page, every one was.

    Listings run newest first, so the articles below that point are older ones the trusted
    crawl walked past; the new articles are above it.  A lone old article above new ones (a
    pinned story) does not count, so a page with a pinned story is followed further.
    """
    first = next((i for i, key in enumerate(keys) if key in stored and stored[key] <= covered), None)
    return first is not None and all(key in stored and stored[key] <= covered for key in keys[first:])


def _refusal(failure: Failure) -> str | None:
    """The rejection reason for a page Scrapy refused to hand over, None for other failures.

    Scrapy refuses an oversized body with a cancelled download (HTTP handler) or an
    ignored request (decompression), and an off-site redirect with an ignored request
    (its offsite middleware, or ours in mirror mode); the messages tell them apart.
    """
    message = failure.getErrorMessage()
    if (failure.check(DownloadCancelledError, CancelledError) and "max size" in message
            or failure.check(IgnoreRequest) and "DOWNLOAD_MAXSIZE" in message):
        return "too-large"
    if failure.check(OffMirror) or failure.check(IgnoreRequest) and "offsite" in message:
        return "off-site"
    return None
