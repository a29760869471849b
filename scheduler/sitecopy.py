"""Serve a folder on loopback: a saved copy of a site (or of several), or the feeds folder.

A URL path ``P`` is the file ``root/P``, or ``root/P/index.html`` for a folder —
no redirects, so a copy answers ``/thoi-su/p/2`` exactly as the site does; ``P?Q`` is
the file ``root/P?Q`` where one exists (a portal paging by query string), else ``P``.  Several
copies share one server under a prefix each (``/qdnd/P`` is ``qdnd``'s ``root/P``),
which is what ``--mirror http://host:port/{site}/`` expects.  Used by ``partyfeed
demo`` and by the test suite; it never serves outside a root, nor dot files.

Files are served with ``ETag`` and ``Last-Modified`` and answer a matching
``If-None-Match``/``If-Modified-Since`` with 304, as the real sites' CDNs do, so
refreshes can be tested conditional.  A file ``P.redirect`` holding a path makes
``P`` answer 301 to it — how a site takes an article down to its home page.

A copy may hold ``.session.json`` when the site answers some paths only inside a
session, as qdnd.vn's RSS does: ``{"cookie": NAME, "paths": [PREFIX, …], "entry": PATH}``.
A request for such a path without the cookie is redirected to ``entry`` with the
cookie set — so a client without cookies goes round in circles, as on the real site.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import mimetypes
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from http.cookies import SimpleCookie
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

    def __init__(self, *args: object, roots: Mapping[str, Path], **kwargs: object) -> None:
        self.roots = roots
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def _root(self) -> tuple[str, Path, str] | None:
        """``(prefix, root, path inside the root)`` for the request, if any root serves it."""
        path = unquote(urlsplit(self.path).path)
        if "" in self.roots:
            return "", self.roots[""], path
        prefix, _, rest = path.lstrip("/").partition("/")
        return (f"/{prefix}", self.roots[prefix], f"/{rest}") if prefix in self.roots else None

    def _resolve(self, root: Path, inner: str) -> Path | None:
        relative = inner.lstrip("/")
        query = urlsplit(self.path).query
        candidate = (root / relative).resolve()
        if query and (root / f"{relative}?{unquote(query)}").is_file():
            candidate = (root / f"{relative}?{unquote(query)}").resolve()
        if candidate.is_dir():
            candidate = candidate / "index.html"
        if (not candidate.is_file() or not candidate.is_relative_to(root)
                or any(part.startswith(".") for part in candidate.relative_to(root).parts)):
            return None
        return candidate

    def _without_session(self, prefix: str, root: Path, inner: str) -> bool:
        """Send the site's session redirect when ``inner`` needs a session the request lacks."""
        rules_file = root / ".session.json"
        if not rules_file.is_file():
            return False
        rules = json.loads(rules_file.read_text(encoding="utf-8"))
        if not any(inner == p or inner.startswith(p.rstrip("/") + "/") for p in rules["paths"]):
            return False
        cookies = SimpleCookie(self.headers.get("Cookie", ""))
        if rules["cookie"] in cookies:
            return False
        self.send_response(302)
        self.send_header("Location", prefix + rules["entry"])
        self.send_header("Set-Cookie", f"{rules['cookie']}=copy-session; Path=/; HttpOnly")
        self.send_header("Content-Length", "0")
        self.end_headers()
        return True

    def _redirected(self, prefix: str, root: Path, inner: str) -> bool:
        """Answer 301 where the copy holds ``inner.redirect`` (its content: the target path)."""
        relative = inner.strip("/")
        marker = (root / f"{relative}.redirect").resolve()
        if not relative or not marker.is_file() or not marker.is_relative_to(root):
            return False
        target = marker.read_text(encoding="utf-8").strip() or "/"
        self.send_response(301)
        self.send_header("Location", prefix + target if target.startswith("/") else target)
        self.send_header("Content-Length", "0")
        self.end_headers()
        return True

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
        found = self._root()
        if found is not None and (self._without_session(*found) or self._redirected(*found)):
            return
        path = self._resolve(found[1], found[2]) if found is not None else None
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
            for header, value in validators:
                self.send_header(header, value)
            self.end_headers()
            return
        name, query = path.name.partition("?")[::2]  # a saved query page is HTML unless named otherwise
        ctype = (_TYPES.get(Path(name).suffix) or mimetypes.guess_type(name)[0]
                 or (_TYPES[".html"] if query else "application/octet-stream"))
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for header, value in validators:
            self.send_header(header, value)
        self.end_headers()
        if not head_only:
            self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._send(head_only=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._send(head_only=True)

    def log_message(self, format: str, *args: object) -> None:  # keep test and demo output clean
        pass


def start_server(root: Path | Mapping[str, Path], host: str = "127.0.0.1",
                 port: int = 0) -> ThreadingHTTPServer:
    """Serve ``root`` (or ``{prefix: root}``) in a background thread; ``server_address`` has the port."""
    roots = {"": root} if isinstance(root, Path) else dict(root)
    handler = partial(FolderHandler, roots={k: v.resolve() for k, v in roots.items()})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name=f"serve {', '.join(map(str, roots.values()))}",
                     daemon=True).start()
    return server


def base_url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"


def site_copies(folder: Path) -> dict[str, Path]:
    """``{site: its copy}`` for every ``folder/<site>/site`` — how the bundled copies are laid out."""
    return {p.parent.name: p for p in sorted(folder.glob("*/site")) if p.is_dir()}


@contextmanager
def serving(root: Path | Mapping[str, Path], host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """The base URL of ``root``; for several copies, ``{site}`` in it stands for the prefix."""
    server = start_server(root, host, port)
    try:
        yield base_url(server) if isinstance(root, Path) else f"{base_url(server)}/{{site}}/"
    finally:
        server.shutdown()
        server.server_close()
