"""Conditional GET for listing pages, on Scrapy's own HTTP cache.

A scheduled crawl reads the same few listing pages every half hour.  Scrapy's
``HttpCacheMiddleware`` keeps each listing page with its ``ETag``/``Last-Modified``
and sends them back; a ``304 Not Modified`` costs the site no page, and the spider
reads the kept copy as if it had been sent again.  Only listing pages are kept (the
spider marks them): article pages are fetched once, and their refreshes carry their
own validators (:mod:`crawler.archive.fetches`).
"""

from __future__ import annotations

from scrapy import Request
from scrapy.extensions.httpcache import RFC2616Policy
from scrapy.http import Response

#: request meta: a listing page, kept for conditional GET
LISTING = "partyfeed_listing"


class ListingRevalidation(RFC2616Policy):
    """Listing pages only, always revalidated, and only a 304 answers with the kept copy.

    Scrapy's RFC 2616 policy would serve a kept page without asking while a heuristic
    freshness lasts, and would hide a 5xx behind the kept copy: a listing must always be
    asked for, and an error must stay an error.
    """

    def should_cache_request(self, request: Request) -> bool:
        return bool(request.meta.get(LISTING)) and super().should_cache_request(request)

    def should_cache_response(self, response: Response, request: Request) -> bool:
        return response.status == 200 and super().should_cache_response(response, request)

    def is_cached_response_fresh(self, cachedresponse: Response, request: Request) -> bool:
        self._set_conditional_validators(request, cachedresponse)
        return False

    def is_cached_response_valid(self, cachedresponse: Response, response: Response,
                                 request: Request) -> bool:
        return response.status == 304
