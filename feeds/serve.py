"""Serve the feeds folder the way feed readers expect: ``partyfeed serve``, or the daemon.

URLs (``X`` is a feed stem: ``dangcongsan``, ``dangcongsan-thoi-su``, ``all``):

* ``/X.rss``, ``/X.atom``, ``/X.json`` (``/X`` alone is RSS) — the pre-built file, with
  its self link set to the URL that was requested;
* the same with query options (:mod:`feeds.filters`: ``filter``, ``filterout``,
  ``limit``, ``format``, ``fulltext`` …) — rendered from the database per request,
  cached by query and database state;
* ``/feeds.opml`` (``?format=rss|json``) — every feed, with this host's URLs;
* ``/`` — an HTML page listing the feeds (and health, when known); ``/healthz`` — JSON,
  200 when healthy, 503 when not (only when a health function is given); ``/metrics`` —
  Prometheus text format (only when a metrics exporter is given).

Every feed response carries a strong ``ETag`` (SHA-256 of the bytes sent, so it stays
put while nothing changes), ``Last-Modified`` (the file's mtime, which
:func:`feeds.atomic.write_atomic` leaves alone when a rebuild changes nothing; the
database's last change for a rendered query), ``Cache-Control: public, max-age`` = the
crawl interval (the RSS ``<ttl>``), ``Vary: Accept-Encoding``, and is gzipped when the
client accepts it.  ``If-None-Match`` / ``If-Modified-Since`` get ``304 Not Modified``;
HEAD is answered with the headers only.  Only names of the form ``stem.suffix``
directly inside the feeds folder are ever opened: no path, encoded or not, leads
outside it.

The self link follows the request: ``base_url`` when the request's ``Host`` is
``base_url``'s (behind a reverse proxy, with its path prefix), otherwise
``http://<Host>/…`` (``X-Forwarded-Proto`` picks https) — so a validator fetching any
of these URLs finds a matching ``rel="self"``.
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import html
import json
import logging
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

from crawler.config import Config
from crawler.sites import all_sites
from crawler.storage import Storage

from .build import feed_spec, feed_target, opml_groups
from .filters import FeedQuery, QueryError, parse_query
from .opml import OPML_NAME, render_opml
from .render import EMPTY_FEED_TIME, FORMATS, MEDIA_TYPES, render_all, with_self_url

log = logging.getLogger(__name__)

Health = Callable[[], tuple[bool, dict[str, Any]]]
#: ``/metrics`` body and content type (Prometheus text format), when a metrics exporter is given
Metrics = Callable[[], tuple[bytes, str]]

#: a feed URL's last path segment: stem and optional suffix; nothing else is looked up
_NAME = re.compile(r"^([a-z0-9][a-z0-9-]{0,120})(?:\.(rss|atom|json))?$")
_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$")
#: rows a filtered request may look at, newest first, before it answers with what it found
SCAN_ROWS = 2000
#: rendered responses kept in memory
CACHE_ENTRIES = 128
OPML_TYPE = "text/x-opml; charset=utf-8"


@dataclass(frozen=True)
class Representation:
    """One response body, gzipped once, with its validators."""

    body: bytes
    gz: bytes
    etag: str
    etag_gz: str
    last_modified: float  # POSIX seconds
    content_type: str
    max_age: int
    sig: Any = None  # what it was made from (file stat, database token)

    @classmethod
    def make(cls, body: bytes, content_type: str, last_modified: float, max_age: int,
             sig: Any = None) -> Representation:
        digest = hashlib.sha256(body).hexdigest()[:40]
        return cls(body=body, gz=gzip.compress(body, 6, mtime=0), etag=f'"{digest}"',
                   etag_gz=f'"{digest}-gz"', last_modified=float(int(last_modified)),
                   content_type=content_type, max_age=max_age, sig=sig)


class _LRU:
    def __init__(self, size: int) -> None:
        self.size = size
        self.data: OrderedDict[Any, Representation] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Any) -> Representation | None:
        with self.lock:
            value = self.data.get(key)
            if value is not None:
                self.data.move_to_end(key)
            return value

    def put(self, key: Any, value: Representation) -> None:
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)


class FeedServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], config: Config,
                 health: Health | None = None, metrics: Metrics | None = None) -> None:
        self.config = config
        self.feeds_dir = Path(config.feeds_dir).resolve()
        self.health = health
        self.metrics = metrics
        self.cache = _LRU(CACHE_ENTRIES)
        self._storage: Storage | None = None
        self._storage_lock = threading.Lock()
        super().__init__(address, FeedHandler)

    @property
    def storage(self) -> Storage:
        with self._storage_lock:
            if self._storage is None:
                self._storage = Storage(self.config.db_url)
            return self._storage

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = f"[{host}]" if ":" in str(host) else host
        return f"http://{host}:{port}"

    def max_age(self, site: str | None) -> int:
        """Seconds a reader may cache a feed: the site's crawl interval (all sites: the shortest)."""
        if site is not None:
            return int(self.config.site(site).interval.total_seconds())
        intervals = [self.config.site(n).interval.total_seconds() for n in all_sites()
                     if self.config.site(n).enabled]
        return int(min(intervals, default=1800))

    def server_close(self) -> None:
        super().server_close()
        if self._storage is not None:
            self._storage.close()


class FeedHandler(BaseHTTPRequestHandler):
    server: FeedServer
    protocol_version = "HTTP/1.1"
    server_version = "partyfeed"
    sys_version = ""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._handle(head=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._handle(head=True)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    # --- routing ------------------------------------------------------------------------

    def _handle(self, head: bool) -> None:
        self.head = head
        try:
            target = self.path
            if "://" in target.split("?", 1)[0]:  # absolute-form request target
                parts = urlsplit(target)
                target = parts.path + (f"?{parts.query}" if parts.query else "")
            raw_path, _, raw_query = target.partition("?")
            raw_path = raw_path.split("#", 1)[0]
            # the request line arrives as latin-1; the bytes are UTF-8, escaped or not
            path = unquote_to_bytes(raw_path.encode("latin-1")).decode("utf-8", "replace")
            query = raw_query.encode("latin-1").decode("utf-8", "replace")
            prefix = self._prefix()
            if prefix and (path == prefix or path.startswith(prefix + "/")):
                path = path[len(prefix):] or "/"
                raw_path = raw_path[len(prefix):] or "/"
            if path in ("/", "/index.html"):
                return self._index()
            if path == "/healthz":
                return self._healthz()
            if path == "/metrics" and self.server.metrics is not None:
                body, content_type = self.server.metrics()
                return self._plain(200, body, content_type, "no-store")
            if path == "/" + OPML_NAME:
                return self._opml(query)
            name = path[1:] if path.startswith("/") else path
            match = _NAME.match(name)
            if not match:
                return self._error(404, f"no feed at {path}; the list of feeds is at /")
            return self._feed(match.group(1), match.group(2), query, raw_path, raw_query)
        except QueryError as exc:
            return self._error(400, str(exc))
        except (BrokenPipeError, ConnectionResetError):
            raise
        except Exception:  # one bad request must not take the server down
            log.exception("error serving %s", self.path)
            return self._error(500, "internal error")

    def _prefix(self) -> str:
        base = self.server.config.base_url
        if not base:
            return ""
        parts = urlsplit(base)
        if parts.netloc.lower() != (self.headers.get("Host") or "").lower():
            return ""
        return parts.path.rstrip("/")

    def _public_base(self) -> str:
        """The absolute URL of the feeds folder as this client reached it."""
        host = (self.headers.get("Host") or "").strip()
        base = self.server.config.base_url
        if base and host and urlsplit(base).netloc.lower() == host.lower():
            return base.rstrip("/") + "/"
        if not _HOST.match(host):
            return self.server.url + "/"
        proto = (self.headers.get("X-Forwarded-Proto") or "http").split(",")[0].strip().lower()
        return f"{'https' if proto == 'https' else 'http'}://{host}/"

    # --- feeds ------------------------------------------------------------------------------

    def _feed(self, stem: str, suffix: str | None, query: str, raw_path: str,
              raw_query: str) -> None:
        options = parse_query(query)
        fmt = options.format or suffix or "rss"
        path = self.server.feeds_dir / f"{stem}.{fmt}"
        target = feed_target(stem)
        try:
            stat = os.stat(path)
        except OSError:
            stat = None
        if target is None or stat is None:
            return self._error(404, f"no feed named {stem}.{fmt}; the list of feeds is at /")
        site, category = target
        self_url = self._public_base() + raw_path.lstrip("/") + (f"?{raw_query}" if raw_query else "")
        max_age = self.server.max_age(site)
        if options.plain:
            sig = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
            key = ("file", path.name, self_url)
            rep = self.server.cache.get(key)
            if rep is None or rep.sig != sig:
                body = with_self_url(path.read_bytes(), fmt, self_url)
                rep = Representation.make(body, MEDIA_TYPES[fmt], stat.st_mtime, max_age, sig)
                self.server.cache.put(key, rep)
        else:
            rep = self._rendered(stem, site, category, fmt, options, self_url, max_age)
        self._send(rep)

    def _rendered(self, stem: str, site: str | None, category: str | None, fmt: str,
                  options: FeedQuery, self_url: str, max_age: int) -> Representation:
        storage = self.server.storage
        token = storage.change_token()
        # a time window moves with the clock: such answers are reused for a minute at most
        minute = int(time.time() // 60) if options.since_seconds is not None else None
        key = ("query", stem, fmt, self_url, options.key(), token, minute)
        rep = self.server.cache.get(key)
        if rep is not None:
            return rep
        limit = options.limit or self.server.config.feed_limit
        matches = options.matcher()
        found = []
        since = options.since(datetime.now(timezone.utc))
        for article in storage.scan_recent(site, category, since=since, max_rows=SCAN_ROWS):
            if matches(article):
                found.append(article)
                if len(found) >= limit:
                    break
        spec = feed_spec(site, None, category,
                         interval=self.server.config.site(site).interval if site else None,
                         category_name=found[0].category if found and category else None)
        spec = replace(spec, self_href=self_url, fulltext=options.fulltext,
                       ttl=max(1, max_age // 60))
        body = render_all(spec, found, (fmt,))[fmt]
        changed = token[1] or EMPTY_FEED_TIME
        rep = Representation.make(body, MEDIA_TYPES[fmt], changed.timestamp(), max_age, token)
        self.server.cache.put(key, rep)
        return rep

    def _opml(self, query: str) -> None:
        options = parse_query(query)
        fmt = options.format or "atom"
        base = self._public_base()
        storage = self.server.storage
        token = storage.change_token()
        key = ("opml", base, fmt, token)
        rep = self.server.cache.get(key)
        if rep is None:
            body = render_opml(opml_groups(storage, base), base, fmt)
            changed = token[1] or EMPTY_FEED_TIME
            rep = Representation.make(body, OPML_TYPE, changed.timestamp(),
                                      self.server.max_age(None), token)
            self.server.cache.put(key, rep)
        self._send(rep)

    # --- responses ----------------------------------------------------------------------------

    def _accepts_gzip(self) -> bool:
        for item in (self.headers.get("Accept-Encoding") or "").split(","):
            coding, _, params = item.strip().partition(";")
            if coding.strip().lower() in ("gzip", "x-gzip", "*"):
                q = params.strip().lower()
                if q.startswith("q="):
                    try:
                        return float(q[2:]) > 0
                    except ValueError:
                        return False
                return True
        return False

    def _not_modified(self, rep: Representation, etag: str) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
            return "*" in tags or rep.etag in tags or rep.etag_gz in tags
        ims = self.headers.get("If-Modified-Since")
        if ims:
            try:
                since = email.utils.parsedate_to_datetime(ims)
            except (TypeError, ValueError, IndexError):
                return False
            if since is None:
                return False
            if since.tzinfo is None:
                since = since.replace(tzinfo=timezone.utc)
            return rep.last_modified <= since.timestamp()
        return False

    def _send(self, rep: Representation) -> None:
        zipped = self._accepts_gzip()
        etag = rep.etag_gz if zipped else rep.etag
        common = [
            ("ETag", etag),
            ("Last-Modified", email.utils.formatdate(rep.last_modified, usegmt=True)),
            ("Cache-Control", f"public, max-age={rep.max_age}"),
            ("Vary", "Accept-Encoding"),
        ]
        if self._not_modified(rep, etag):
            self.send_response(304)
            for name, value in common:
                self.send_header(name, value)
            self.end_headers()
            return
        body = rep.gz if zipped else rep.body
        self.send_response(200)
        self.send_header("Content-Type", rep.content_type)
        self.send_header("Content-Length", str(len(body)))
        if zipped:
            self.send_header("Content-Encoding", "gzip")
        for name, value in common:
            self.send_header(name, value)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if not self.head:
            self.wfile.write(body)

    def _plain(self, status: int, body: bytes, content_type: str,
               cache_control: str = "no-cache") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache_control)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if not self.head:
            self.wfile.write(body)

    def _error(self, status: int, message: str) -> None:
        self._plain(status, f"{status} {message}\n".encode(), "text/plain; charset=utf-8")

    def _health(self) -> tuple[bool, dict[str, Any]] | None:
        if self.server.health is None:
            return None
        try:
            ok, detail = self.server.health()
        except Exception as exc:  # a broken health check is itself unhealthy
            log.exception("health check failed")
            return False, {"error": f"{type(exc).__name__}: {exc}"}
        return bool(ok), detail

    def _healthz(self) -> None:
        health = self._health()
        if health is None:
            return self._error(404, "no health check configured")
        ok, detail = health
        body = json.dumps({"ok": ok, **detail}, ensure_ascii=False, default=str,
                          indent=2).encode() + b"\n"
        self._plain(200 if ok else 503, body, "application/json; charset=utf-8",
                    "no-store")

    def _index(self) -> None:
        stems: dict[str, set[str]] = {}
        for entry in os.scandir(self.server.feeds_dir) if self.server.feeds_dir.is_dir() else []:
            match = _NAME.match(entry.name)
            if match and match.group(2) and entry.is_file():
                stems.setdefault(match.group(1), set()).add(match.group(2))
        rows = []
        for stem in sorted(stems, key=lambda s: (s == "all", s)):
            links = " ".join(f'<a href="{html.escape(stem)}.{fmt}">{fmt.upper()}</a>'
                             for fmt in FORMATS if fmt in stems[stem])
            rows.append(f"<li><code>{html.escape(stem)}</code> {links}</li>")
        health = self._health()
        status = ""
        if health is not None:
            ok, detail = health
            status = (f"<h2>Health: {'ok' if ok else 'not ok'}</h2><pre>"
                      + html.escape(json.dumps(detail, ensure_ascii=False, default=str, indent=2))
                      + "</pre>")
        page = (
            "<!DOCTYPE html><html lang=\"vi\"><head><meta charset=\"utf-8\">"
            "<title>partyfeed</title></head><body><h1>partyfeed feeds</h1>"
            f'<p>All feeds for a reader: <a href="{OPML_NAME}">{OPML_NAME}</a>. Options: '
            "<code>?filter=…&amp;filterout=…&amp;limit=10&amp;format=json&amp;fulltext=0</code>"
            " (see README, “Subscribing”).</p>"
            f"<ul>{''.join(rows) or '<li>no feeds built yet</li>'}</ul>{status}</body></html>\n"
        )
        self._plain(200, page.encode(), "text/html; charset=utf-8")


def start_feed_server(config: Config, host: str = "127.0.0.1", port: int = 8080,
                      health: Health | None = None, metrics: Metrics | None = None) -> FeedServer:
    """Serve ``config.feeds_dir`` in a background thread; ``server.url`` has the real port
    (pass ``port=0`` for any free one).  Stop with ``server.shutdown(); server.server_close()``."""
    server = FeedServer((host, port), config, health, metrics)
    threading.Thread(target=server.serve_forever, name="partyfeed feed server",
                     daemon=True).start()
    return server


def serve_forever(config: Config, host: str = "127.0.0.1", port: int = 8080,
                  health: Health | None = None, metrics: Metrics | None = None,
                  ready: Callable[[FeedServer], None] | None = None) -> None:
    """Serve in this thread until KeyboardInterrupt (Ctrl-C) or ``shutdown()``."""
    server = FeedServer((host, port), config, health, metrics)
    if ready is not None:
        ready(server)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
