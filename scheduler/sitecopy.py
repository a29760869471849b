"""Serve a folder on loopback: a saved copy of a site, or the feeds folder.

A URL path ``P`` is the file ``root/P``, or ``root/P/index.html`` for a folder —
no redirects, so a copy answers ``/thoi-su/p/2`` exactly as the site does.  Used
by ``partyfeed demo`` and by the test suite; it never serves outside ``root``.

Files are served with ``ETag`` and ``Last-Modified`` and answer a matching
``If-None-Match``/``If-Modified-Since`` with 304, as the real sites' CDNs do, so
refreshes can be tested conditional.  A file ``P.redirect`` holding a path makes
``P`` answer 301 to it — how a site takes an article down to its home page.
"""

from __future__ import annotations

import email.utils
import hashlib
import mimetypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".json": "application/json",
    ".opml": "text/x-opml; charset=utf-8",
}


class FolderHandler(BaseHTTPRequestHandler):
    server_version = "partyfeed-sitecopy"

    def __init__(self, *args: object, root: Path, **kwargs: object) -> None:
        self.root = root
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def _resolve(self) -> Path | None:
        relative = unquote(urlsplit(self.path).path).lstrip("/")
        candidate = (self.root / relative).resolve()
        if candidate.is_dir():
            candidate = candidate / "index.html"
        if not candidate.is_file() or not candidate.is_relative_to(self.root):
            return None
        return candidate

    def _redirect_target(self) -> str | None:
        relative = unquote(urlsplit(self.path).path).strip("/")
        marker = (self.root / f"{relative}.redirect").resolve()
        if relative and marker.is_file() and marker.is_relative_to(self.root):
            return marker.read_text(encoding="utf-8").strip() or "/"
        return None

    def _not_modified(self, etag: str, mtime: float) -> bool:
        match = self.headers.get("If-None-Match")
        if match is not None:
            return etag in [tag.strip() for tag in match.split(",")] or match.strip() == "*"
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                return int(mtime) <= email.utils.parsedate_to_datetime(since).timestamp()
            except (TypeError, ValueError):
                return False
        return False

    def _send(self, head_only: bool) -> None:
        target = self._redirect_target()
        if target is not None:
            self.send_response(301)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path = self._resolve()
        if path is None:
            body = b"not found\n"
            self.send_response(404)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head_only:
                self.wfile.write(body)
            return
        data = path.read_bytes()
        mtime = path.stat().st_mtime
        etag = '"' + hashlib.sha1(data).hexdigest()[:20] + '"'
        validators = (("ETag", etag), ("Last-Modified", email.utils.formatdate(mtime, usegmt=True)))
        if self._not_modified(etag, mtime):
            self.send_response(304)
            for name, value in validators:
                self.send_header(name, value)
            self.end_headers()
            return
        ctype = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for name, value in validators:
            self.send_header(name, value)
        self.end_headers()
        if not head_only:
            self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._send(head_only=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._send(head_only=True)

    def log_message(self, format: str, *args: object) -> None:  # keep test and demo output clean
        pass


def start_server(root: Path, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """Serve ``root`` in a background thread; ``server.server_address`` has the real port."""
    handler = partial(FolderHandler, root=root.resolve())
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name=f"serve {root}", daemon=True).start()
    return server


def base_url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"


@contextmanager
def serving(root: Path, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    server = start_server(root, host, port)
    try:
        yield base_url(server)
    finally:
        server.shutdown()
        server.server_close()
