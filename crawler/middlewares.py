"""Downloader middleware that fetches a site from a local copy while keeping its real URLs.

With ``PARTYFEED_MIRROR=http://127.0.0.1:8000`` a request for
``https://dangcongsan.vn/thoi-su/p/2`` is fetched from ``http://127.0.0.1:8000/thoi-su/p/2``
and the response handed to the spider under the original URL, so links resolve,
ids and dedupe keys are the real ones, and nothing in the pipeline knows.

Several sites at once: ``{site}`` in the base URL stands for the site's name, so
``http://127.0.0.1:8000/{site}/`` serves each site's copy under its own prefix (what
``partyfeed demo`` and :func:`scheduler.sitecopy.serving` with several copies do).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

MIRROR_OF = "partyfeed_mirror_of"


class MirrorMiddleware:
    def __init__(self, crawler: Crawler, mirror: str) -> None:
        parts = urlsplit(mirror.replace("{site}", "site"))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"--mirror must be an http(s) base URL, got {mirror!r}")
        self.crawler = crawler
        self.template = mirror

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
        # a redirect inside the copy comes back with the site's URL (and this meta): map it again
        parts = urlsplit(request.url)
        if (parts.hostname or "").lower() not in self._hosts():
            return None
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
