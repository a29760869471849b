"""A generated copy of a legacy-layout dangcongsan.vn of any size, served on loopback.

Each article page is a real fixture page of ``tests/sites/dangcongsan/site`` with its
title numbered, so every page is a full page with its chrome; listing pages are built
the way the legacy CMS builds them (20 links, ``/<cat>/p/N`` pager with a window of
pages around the current one).  Used by ``bench/crawl.py`` and by the backfill and
worker tests, which read the copy's request log to prove what was (not) fetched again.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "sites" / "dangcongsan" / "site"
CATEGORIES = ("thoi-su", "xay-dung-dang", "tu-tuong-van-hoa")
PER_PAGE = 20
FIRST_ID = 800_000
ARTICLE_PATH = re.compile(r"-(\d+)\.html$")


#: a body paragraph of the legacy layout
PARAGRAPH = re.compile(r'(<p style="text-align: justify;">)(.*?)(</p>)', re.S)


def templates() -> list[str]:
    pages = [p.read_text(encoding="utf-8") for p in sorted(FIXTURES.rglob("*.html"))]
    return [p for p in pages if 'class="post-title"' in p]


def sentences(pages: list[str]) -> list[str]:
    """Every sentence of the pages' body paragraphs: real text to deal out to articles."""
    found: list[str] = []
    for page in pages:
        for match in PARAGRAPH.finditer(page):
            text = re.sub(r"<[^>]+>", "", match[2])
            found += [s.strip() + "." for s in text.split(". ") if len(s.strip()) > 30]
    return found


@dataclass
class Copy:
    """A site of ``size`` articles; ``publish(n)`` adds n newer ones at the top of listings."""

    size: int
    templates: list[str]
    #: real sentences, dealt out per article so that no two articles share their text
    #: (as on a real site; the story grouping would otherwise see one story a thousand times)
    pool: list[str] = field(default_factory=list)
    served: int = 0
    #: every path asked for, in order, and when (``time.monotonic()``)
    log: list[str] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def publish(self, n: int) -> None:
        self.size += n

    def article_ids(self, slug: str) -> list[int]:
        """Newest first: ids of ``slug``'s articles (ids are dealt round-robin to categories)."""
        k = CATEGORIES.index(slug)
        top = FIRST_ID + self.size - 1
        first = top - ((top - FIRST_ID - k) % len(CATEGORIES))
        return list(range(first, FIRST_ID - 1, -len(CATEGORIES)))

    def url(self, article: int) -> str:
        return f"/{CATEGORIES[(article - FIRST_ID) % len(CATEGORIES)]}/bai-viet-so-{article}.html"

    def listing(self, slug: str | None, page: int) -> str:
        if slug is None:
            ids, pages = list(range(FIRST_ID + self.size - 1, FIRST_ID + self.size - 11, -1)), 1
        else:
            every = self.article_ids(slug)
            pages = max(1, -(-len(every) // PER_PAGE))
            ids = every[(page - 1) * PER_PAGE: page * PER_PAGE]
        items = "".join(f'<div class="subnews-item"><a class="item-title" href="{self.url(i)}" '
                        f'title="Bài viết số {i}">Bài viết số {i}</a></div>' for i in ids)
        window = range(max(1, page - 5), min(pages, page + 5) + 1)
        pager = "".join(f'<a class="boxdv1" href="/{slug}/p/{m}">{m}</a>' for m in window) if slug else ""
        return (f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>{slug}</title>'
                f'</head><body><div class="list-news">{items}</div><div class="ex_page">{pager}'
                f'</div></body></html>')

    def article(self, article: int) -> str | None:
        if not FIRST_ID <= article < FIRST_ID + self.size:
            return None
        page = self.templates[article % len(self.templates)]
        page = re.sub(r'(<h1 class="post-title">)(.*?)(</h1>)',
                      lambda m: f"{m[1]}Bài viết số {article}: {m[2]}{m[3]}", page, count=1)
        if not self.pool:
            return page
        deal = random.Random(article)
        return PARAGRAPH.sub(lambda m: m[1] + " ".join(deal.sample(self.pool, 3)) + m[3], page)

    def answer(self, path: str) -> str | None:
        with self.changed:
            self.served += 1
            self.log.append(path)
            self.times.append(time.monotonic())
            self.changed.notify_all()
        if path in ("/", ""):
            return self.listing(None, 1)
        if match := re.fullmatch(r"/([a-z-]+)(?:/p/(\d+))?/?", path):
            if match[1] in CATEGORIES:
                return self.listing(match[1], int(match[2] or 1))
        if match := ARTICLE_PATH.search(path):
            return self.article(int(match[1]))
        return None

    # --- what the tests read ---------------------------------------------------------------

    def article_requests(self, since: int = 0) -> Counter[str]:
        """Article paths asked for from log position ``since`` on, with how often."""
        with self.changed:
            return Counter(p for p in self.log[since:] if ARTICLE_PATH.search(p))

    def wait_until(self, ready: Callable[[Copy], bool], timeout: float = 60) -> None:
        """Block until ``ready(self)`` holds, re-checked on every request the copy answers."""
        with self.changed:
            if not self.changed.wait_for(lambda: ready(self), timeout=timeout):
                raise TimeoutError(f"the copy never reached the awaited state ({self.served} served)")


def serve(copy: Copy) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            body = copy.answer(self.path.split("?", 1)[0])
            data = (body or "not found").encode()
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
