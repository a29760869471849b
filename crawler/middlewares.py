"""Downloader middlewares: a local copy in place of the site, ``Retry-After`` honoured, and
a failing site asked less often (:class:`BackoffMiddleware`).

:class:`MirrorMiddleware` fetches a site from a local copy while keeping its real URLs.

With ``PARTYFEED_MIRROR=http://127.0.0.1:8000`` a request for
``https://dangcongsan.vn/thoi-su/p/2`` is fetched from ``http://127.0.0.1:8000/thoi-su/p/2``
and the response handed to the spider under the original URL, so links resolve,
ids and dedupe keys are the real ones, and nothing in the pipeline knows.

Every request of a mirrored crawl goes to the copy, redirects included: a redirect
to the site's own hosts is fetched from the copy as well, and one to any other host
is refused (:class:`OffMirror`) — otherwise a copy could make the crawler fetch the
live site, or publish another host's page as the site's article.

Several sites at once: ``{site}`` in the base URL stands for the site's name, so
``http://127.0.0.1:8000/{site}/`` serves each site's copy under its own prefix (what
``partyfeed demo`` and :func:`scheduler.sitecopy.serving` with several copies do).
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit

from scrapy import Request
from scrapy.core.downloader import Slot
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadTimeoutError, IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.task import deferLater

from .config import parse_mirror

logger = logging.getLogger(__name__)

MIRROR_OF = "partyfeed_mirror_of"


class OffMirror(IgnoreRequest):
    """A mirrored crawl was sent (by a link or a redirect) to a host that is not the site's."""


class MirrorMiddleware:
    def __init__(self, crawler: Crawler, mirror: str) -> None:
        self.crawler = crawler
        self.template = parse_mirror(mirror)

    @property
    def mirror(self) -> SplitResult:
        """This crawler's site's copy: the base URL with ``{site}`` filled in."""
        site = getattr(self.crawler.spider, "site", None)
        return urlsplit(self.template.replace("{site}", site.name if site else ""))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MirrorMiddleware:
        mirror = crawler.settings.get("PARTYFEED_MIRROR")
        if not mirror:
            raise NotConfigured
        return cls(crawler, mirror)

    def _hosts(self) -> tuple[str, ...]:
        site = getattr(self.crawler.spider, "site", None)
        return site.hosts if site is not None else ()

    def process_request(self, request: Request) -> Request | None:
        parts = urlsplit(request.url)
        if MIRROR_OF in request.meta and (parts.scheme, parts.netloc) == (
                self.mirror.scheme, self.mirror.netloc):
            return None  # rewritten already; a redirect keeps the meta but not the URL
        if (parts.hostname or "").lower() not in self._hosts():
            raise OffMirror(f"not a page of the site, and --mirror fetches only from the copy: "
                            f"{request.url}")
        mirror = self.mirror
        local = urlunsplit((mirror.scheme, mirror.netloc,
                            mirror.path.rstrip("/") + parts.path, parts.query, ""))
        # robots.txt was judged for the real URL already; the copy is on loopback
        meta: dict[str, Any] = {**request.meta, MIRROR_OF: request.url, "allow_offsite": True,
                                "dont_obey_robotstxt": True}
        return request.replace(url=local, meta=meta, dont_filter=True)

    def process_response(self, request: Request, response: Response) -> Response:
        original = request.meta.get(MIRROR_OF)
        if not original:
            return response
        location = response.headers.get("Location")
        if location:
            # a redirect inside the copy points at the copy; make it point at the site
            target = urlsplit(urljoin(request.url, location.decode("latin-1")))
            mirror = self.mirror
            if target.netloc == mirror.netloc:
                site = urlsplit(original)
                path = target.path[len(mirror.path.rstrip("/")):]
                response.headers["Location"] = urlunsplit(
                    (site.scheme, site.netloc, path, target.query, ""))
        return response.replace(url=original)


class RetryAfterMiddleware:
    """Waits as long as a 429 or 503 answer's ``Retry-After`` asks before Scrapy's
    RetryMiddleware retries, up to ``PARTYFEED_RETRY_AFTER_MAX`` seconds; a server asking
    for longer is not retried at all (the page counts as an error, and the next crawl
    tries again).  Scrapy itself retries such answers at once, ignoring the header.

    It sits just outside RetryMiddleware, so it sees the response first; waiting does not
    hold the crawl — other requests go on meanwhile.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.cap = crawler.settings.getfloat("PARTYFEED_RETRY_AFTER_MAX")
        retried = {int(code) for code in crawler.settings.getlist("RETRY_HTTP_CODES")}
        self.codes = {429, 503} & retried

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        if not crawler.settings.getbool("RETRY_ENABLED"):
            raise NotConfigured
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in self.codes or request.meta.get("dont_retry"):
            return response
        delay = retry_after(response.headers.get("Retry-After"))
        if delay is None or delay <= 0:
            return response
        url = request.meta.get(MIRROR_OF, request.url)
        if delay > self.cap:
            logger.warning("not retrying %s: the server asks to wait %.0fs (Retry-After), "
                           "more than %.0fs", url, delay, self.cap)
            request.meta["dont_retry"] = True
            return response
        logger.info("waiting %.0fs before retrying %s (%d, Retry-After)", delay, url,
                    response.status)
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("partyfeed/retry_after/waits")
        from twisted.internet import reactor

        await maybe_deferred_to_future(deferLater(reactor, delay))
        return response


def retry_after(value: bytes | None, now: datetime | None = None) -> float | None:
    """Seconds asked for by a ``Retry-After`` value: a number, or an HTTP date (RFC 9110)."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return (when - (now or datetime.now(timezone.utc))).total_seconds()


class BackoffMiddleware:
    """A site that fails is asked less often, and again as usual once it answers.

    Each 429 or 5xx answer, and each request that timed out, doubles the delay of the
    site's download slot — at least ``PARTYFEED_BACKOFF_START`` seconds, at most
    ``PARTYFEED_BACKOFF_MAX``; each good answer halves it back to the delay it had before.
    Scrapy retries such a page at once, and AutoThrottle follows latency but ignores
    errors, so without this a site in trouble gets every request and two retries of each
    at full pace.  (A refused connection is not backed off from: nobody is there to be
    spared, and a crawl of a site that is down should end quickly.)

    It sits outside ``RetryAfterMiddleware``: an answer that names its own wait is
    waited for there as well.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.start = crawler.settings.getfloat("PARTYFEED_BACKOFF_START")
        self.cap = crawler.settings.getfloat("PARTYFEED_BACKOFF_MAX")
        #: slot key → its delay before it was backed off
        self.usual: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffMiddleware:
        if crawler.settings.getfloat("PARTYFEED_BACKOFF_MAX") <= 0:
            raise NotConfigured
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status == 429 or response.status >= 500:
            self._slower(request, f"HTTP {response.status}")
        else:
            self._faster(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        if isinstance(exception, DownloadTimeoutError):
            self._slower(request, "timeout")

    def _slot(self, request: Request) -> tuple[str, Slot] | tuple[None, None]:
        key = request.meta.get("download_slot")
        engine = self.crawler.engine
        slot = engine.downloader.slots.get(key) if key and engine else None
        return (key, slot) if slot is not None else (None, None)

    def _slower(self, request: Request, why: str) -> None:
        key, slot = self._slot(request)
        if slot is None:
            return
        self.usual.setdefault(key, slot.delay)
        delay = min(self.cap, max(self.start, slot.delay * 2))
        if delay > slot.delay:
            logger.info("%s answered %s: asking it at most every %.1fs", key, why, delay)
        slot.delay = delay
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("partyfeed/backoff/slowed")
        self.crawler.stats.max_value("partyfeed/backoff/max_delay", round(delay, 3))

    def _faster(self, request: Request) -> None:
        key, slot = self._slot(request)
        if slot is None or key not in self.usual:
            return
        halved = slot.delay / 2
        if halved > max(self.usual[key], self.start / 2):
            slot.delay = halved
        else:  # back where it was: forget the backoff
            slot.delay = self.usual.pop(key)
