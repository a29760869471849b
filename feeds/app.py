"""The feed server's application: a Starlette app, its routes and what they answer.

URLs (``X`` is a feed stem: ``dangcongsan``, ``dangcongsan-thoi-su``, ``all``):

* ``/X.rss``, ``/X.atom``, ``/X.json`` (``/X`` alone is RSS) — the pre-built file, with
  its self link set to the URL that was requested;
* the same with query options (:mod:`feeds.filters`: ``filter``, ``filterout``,
  ``limit``, ``format``, ``fulltext`` …) — rendered from the database per request,
  cached by query and database state;
* ``/search.atom?q=…`` and ``?dedupe=story`` on any feed (:mod:`feeds.search_feed`);
* ``/feeds.opml`` (``?format=rss|json``) — every feed, with this host's URLs;
* ``/`` — the page for people (:mod:`feeds.index`); ``/healthz`` — JSON, 200 when
  healthy, 503 when not (only when a health function is given); ``/metrics`` —
  Prometheus text format (only when a metrics exporter is given).

Every feed response carries a strong ``ETag`` (SHA-256 of the bytes sent, so it stays
put while nothing changes), ``Last-Modified`` (the file's mtime, which
:func:`feeds.atomic.write_atomic` leaves alone when a rebuild changes nothing; the
database's last change for a rendered query), ``Cache-Control: public, max-age`` = the
crawl interval (the RSS ``<ttl>``), ``Vary: Accept-Encoding``, and is gzipped when the
client accepts it (:mod:`feeds.conditional`).  Only names of the form ``stem.suffix``
directly inside the feeds folder are ever opened: no path, encoded or not, leads
outside it.

The self link follows the request: ``base_url`` when the request's ``Host`` is
``base_url``'s (behind a reverse proxy, with its path prefix), otherwise
``http://<Host>/…`` (``X-Forwarded-Proto`` picks https) — so a validator fetching any
of these URLs finds a matching ``rel="self"``.  Query parameters that are not feed
options (``utm_*``, ``fbclid``, a reader's cache-buster) are left out of the self link
and so out of the cache key: they cannot multiply cached copies of a feed.

Endpoints are plain functions, which Starlette runs in its thread pool: the database
and the file reads they do are blocking calls.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus, urlsplit

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from crawler.archive.stories_store import Stories
from crawler.config import Config
from crawler.sites import all_sites
from crawler.storage import Storage

from .build import feed_spec, feed_target, opml_groups
from .cache import Representation, ResponseCache
from .changes import SUFFIX as CHANGES
from .conditional import respond
from .filters import KNOWN, FeedQuery, QueryError, parse_query
from .index import FeedFiles, render_index
from .opml import OPML_NAME, render_opml
from .render import EMPTY_FEED_TIME, MEDIA_TYPES, render_all, with_self_url
from .search_feed import OPTIONS as ARCHIVE_OPTIONS
from .search_feed import (
    SEARCH_STEM,
    ArchiveQuery,
    dedupe_by_story,
    parse_archive_query,
    search_articles,
    search_spec,
)

log = logging.getLogger(__name__)

Health = Callable[[], tuple[bool, dict[str, Any]]]
#: ``/metrics`` body and content type (Prometheus text format), when a metrics exporter is given
Metrics = Callable[[], tuple[bytes, str]]

#: a feed URL's last path segment: stem and optional suffix; nothing else is looked up
NAME = re.compile(r"^([a-z0-9][a-z0-9-]{0,120})(?:\.(rss|atom|json))?$")
_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$")
#: rows a filtered request may look at, newest first, before it answers with what it found
SCAN_ROWS = 2000
OPML_TYPE = "text/x-opml; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
#: the index page runs its one inline script and style, and loads nothing from anywhere
INDEX_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
                "img-src 'self' data:; base-uri 'none'; form-action 'none'")


def self_query(raw_query: str) -> str:
    """The feed options of a query string, as the client spelled them, in its order;
    tracking (``utm_*``, ``fbclid`` …) and other unknown parameters dropped."""
    kept = [piece for piece in raw_query.split("&")
            if piece and unquote_plus(piece.partition("=")[0]) in KNOWN | ARCHIVE_OPTIONS]
    return "&".join(kept)


def _plain(status: int, body: bytes | str, content_type: str = "text/plain; charset=utf-8",
           cache_control: str = "no-cache") -> Response:
    return Response(body, status_code=status, headers={
        "Content-Type": content_type, "Cache-Control": cache_control,
        "X-Content-Type-Options": "nosniff"})


def error(status: int, message: str) -> Response:
    return _plain(status, f"{status} {message}\n")


class FeedSite:
    """What the routes share: configuration, the response cache, one database handle."""

    def __init__(self, config: Config, health: Health | None = None,
                 metrics: Metrics | None = None, cache: ResponseCache | None = None) -> None:
        self.config = config
        self.feeds_dir = Path(config.feeds_dir).resolve()
        self.health = health
        self.metrics = metrics
        self.cache = cache or ResponseCache()
        self._storage: Storage | None = None
        self._storage_lock = threading.Lock()

    @property
    def storage(self) -> Storage:
        with self._storage_lock:
            if self._storage is None:
                self._storage = Storage(self.config.db_url)
            return self._storage

    def close(self) -> None:
        if self._storage is not None:
            self._storage.close()

    def max_age(self, site: str | None) -> int:
        """Seconds a reader may cache a feed: the site's crawl interval (all sites: the shortest)."""
        if site is not None:
            return int(self.config.site(site).interval.total_seconds())
        intervals = [self.config.site(n).interval.total_seconds() for n in all_sites()
                     if self.config.site(n).enabled]
        return int(min(intervals, default=1800))

    def public_base(self, request: Request) -> str:
        """The absolute URL of the feeds folder as this client reached it."""
        host = (request.headers.get("host") or "").strip()
        base = self.config.base_url
        if base and host and urlsplit(base).netloc.lower() == host.lower():
            return base.rstrip("/") + "/"
        if not _HOST.match(host):
            server_host, port = request.scope.get("server") or ("127.0.0.1", 80)
            server_host = f"[{server_host}]" if ":" in str(server_host) else server_host
            return f"http://{server_host}:{port}/"
        proto = (request.headers.get("x-forwarded-proto") or "http").split(",")[0].strip().lower()
        return f"{'https' if proto == 'https' else 'http'}://{host}/"

    def health_report(self) -> tuple[bool, dict[str, Any]] | None:
        if self.health is None:
            return None
        try:
            ok, detail = self.health()
        except Exception as exc:  # a broken health check is itself unhealthy
            log.exception("health check failed")
            return False, {"error": f"{type(exc).__name__}: {exc}"}
        return bool(ok), detail

    # --- routes ------------------------------------------------------------------------------

    def feed(self, request: Request) -> Response:
        match = NAME.match(request.path_params["name"])
        if not match:
            return error(404, f"no feed at {request.url.path}; the list of feeds is at /")
        stem, suffix = match.group(1), match.group(2)
        raw_query = request.scope["query_string"].decode("utf-8", "replace")
        options = parse_query(raw_query)
        archive = parse_archive_query(raw_query)
        fmt = options.format or suffix or "rss"
        if stem == SEARCH_STEM:
            return self.search(request, fmt, options, archive)
        path = self.feeds_dir / f"{stem}.{fmt}"
        target = feed_target(stem)
        try:
            stat = os.stat(path)
        except OSError:
            stat = None
        if target is None or stat is None:
            return error(404, f"no feed named {stem}.{fmt}; the list of feeds is at /")
        site, category = target
        self_url = self._self_url(request, raw_query)
        max_age = self.max_age(site)
        if stem.endswith(CHANGES) and not options.plain:
            return error(400, "a changes feed is served as built, without options")
        if options.plain and not archive.dedupe:
            sig = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
            key = ("file", path.name, self_url)
            rep = self.cache.get(key)
            if rep is None or rep.sig != sig:
                body = with_self_url(path.read_bytes(), fmt, self_url)
                rep = Representation.make(body, MEDIA_TYPES[fmt], stat.st_mtime, max_age, sig)
                self.cache.put(key, rep)
        else:
            rep = self._rendered(stem, site, category, fmt, options, self_url, max_age,
                                 archive.dedupe)
        return respond(rep, request.headers)

    def _self_url(self, request: Request, raw_query: str) -> str:
        raw_path = request.scope.get("raw_path", b"").decode("latin-1") or request.url.path
        kept = self_query(raw_query)
        return self.public_base(request) + raw_path.lstrip("/") + (f"?{kept}" if kept else "")

    def search(self, request: Request, fmt: str, options: FeedQuery,
               archive: ArchiveQuery) -> Response:
        """``/search.atom?q=…``: the best matches (:mod:`feeds.search_feed`)."""
        if not archive.q:
            return error(400, "a search feed needs words to look for: /search.atom?q=quoc+hoi")
        raw_query = request.scope["query_string"].decode("utf-8", "replace")
        self_url = self._self_url(request, raw_query)
        token = self.storage.change_token()
        key = ("search", fmt, self_url, archive.key(), options.key(), token)
        rep = self.cache.get(key)
        if rep is None:
            limit = options.limit or self.config.feed_limit
            articles = search_articles(self.storage, archive, limit)
            spec = replace(search_spec(archive, self.public_base(request), self_url),
                           fulltext=options.fulltext)
            body = render_all(spec, articles, (fmt,))[fmt]
            changed = token[1] or EMPTY_FEED_TIME
            rep = Representation.make(body, MEDIA_TYPES[fmt], changed.timestamp(),
                                      self.max_age(archive.site), token)
            self.cache.put(key, rep)
        return respond(rep, request.headers)

    def _rendered(self, stem: str, site: str | None, category: str | None, fmt: str,
                  options: FeedQuery, self_url: str, max_age: int,
                  dedupe: bool = False) -> Representation:
        storage = self.storage
        token = storage.change_token()
        # a time window moves with the clock: such answers are reused for a minute at most
        minute = int(time.time() // 60) if options.since_seconds is not None else None
        key = ("query", stem, fmt, self_url, options.key(), token, minute, dedupe)
        rep = self.cache.get(key)
        if rep is not None:
            return rep
        limit = options.limit or self.config.feed_limit
        matches = options.matcher()
        found = []
        since = options.since(datetime.now(timezone.utc))
        for article in storage.scan_recent(site, category, since=since, max_rows=SCAN_ROWS):
            if matches(article):
                found.append(article)
                if len(found) >= limit and not dedupe:
                    break
        if dedupe:  # one entry per story: all rows scanned, then cut
            found = dedupe_by_story(storage, found)[:limit]
        spec = feed_spec(site, None, category,
                         interval=self.config.site(site).interval if site else None,
                         category_name=found[0].category if found and category else None)
        spec = replace(spec, self_href=self_url, fulltext=options.fulltext,
                       ttl=max(1, max_age // 60))
        also_in = Stories(storage.engine).also_in(a.url for a in found)
        body = render_all(spec, found, (fmt,), None, also_in)[fmt]
        changed = token[1] or EMPTY_FEED_TIME
        rep = Representation.make(body, MEDIA_TYPES[fmt], changed.timestamp(), max_age, token)
        self.cache.put(key, rep)
        return rep

    def opml(self, request: Request) -> Response:
        options = parse_query(request.scope["query_string"].decode("utf-8", "replace"))
        fmt = options.format or "atom"
        base = self.public_base(request)
        token = self.storage.change_token()
        key = ("opml", base, fmt, token)
        rep = self.cache.get(key)
        if rep is None:
            body = render_opml(opml_groups(self.storage, base), base, fmt)
            changed = token[1] or EMPTY_FEED_TIME
            rep = Representation.make(body, OPML_TYPE, changed.timestamp(), self.max_age(None), token)
            self.cache.put(key, rep)
        return respond(rep, request.headers)

    def healthz(self, request: Request) -> Response:
        health = self.health_report()
        if health is None:
            return error(404, "no health check configured")
        ok, detail = health
        body = json.dumps({"ok": ok, **detail}, ensure_ascii=False, default=str, indent=2) + "\n"
        return _plain(200 if ok else 503, body, "application/json; charset=utf-8", "no-store")

    def prometheus(self, request: Request) -> Response:
        if self.metrics is None:
            return error(404, "no metrics configured")
        body, content_type = self.metrics()
        return _plain(200, body, content_type, "no-store")

    def index(self, request: Request) -> Response:
        """Rendered per request (health and "last crawled" move), but still with validators
        and gzip: a phone on a slow link reloading an unchanged page gets a 304."""
        page = render_index(
            files=FeedFiles.scan(self.feeds_dir, NAME),
            storage=self.storage,
            base=self.public_base(request),
            health=self.health_report(),
            now=datetime.now(timezone.utc),
        )
        rep = Representation.make(page, HTML_TYPE, time.time(), 0)
        return respond(rep, request.headers, {"Content-Security-Policy": INDEX_POLICY,
                                              "Cache-Control": "no-cache"})


class BasePath:
    """ASGI middleware: behind a reverse proxy at ``base_url`` (``https://host/pf/``), a
    request whose ``Host`` is that host has the path prefix taken off before routing."""

    def __init__(self, app: ASGIApp, base_url: str | None) -> None:
        self.app = app
        parts = urlsplit(base_url or "")
        self.netloc = parts.netloc.lower()
        self.prefix = parts.path.rstrip("/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.prefix:
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1").lower()
            path: str = scope["path"]
            if host == self.netloc and (path == self.prefix or path.startswith(self.prefix + "/")):
                raw: bytes = scope.get("raw_path") or path.encode()
                prefix = self.prefix.encode()
                if raw.startswith(prefix):
                    raw = raw[len(prefix):] or b"/"
                scope = {**scope, "path": path[len(self.prefix):] or "/", "raw_path": raw}
        await self.app(scope, receive, send)


def create_app(site: FeedSite) -> Starlette:
    async def not_found(request: Request, exc: Exception) -> Response:
        if isinstance(exc, HTTPException) and exc.status_code != 404:
            return error(exc.status_code, exc.detail)
        return error(404, f"no feed at {request.url.path}; the list of feeds is at /")

    async def bad_query(request: Request, exc: Exception) -> Response:
        return error(400, str(exc))

    app = Starlette(
        routes=[
            Route("/", site.index, methods=["GET", "HEAD"]),
            Route("/index.html", site.index, methods=["GET", "HEAD"]),
            Route("/healthz", site.healthz, methods=["GET", "HEAD"]),
            Route("/metrics", site.prometheus, methods=["GET", "HEAD"]),
            Route("/" + OPML_NAME, site.opml, methods=["GET", "HEAD"]),
            Route("/{name}", site.feed, methods=["GET", "HEAD"]),
        ],
        exception_handlers={HTTPException: not_found, QueryError: bad_query},
    )
    app.router.redirect_slashes = False  # "/x/" is not "/x": a clear 404, as for any other path
    app.add_middleware(BasePath, base_url=site.config.base_url)
    app.state.site = site
    return app
