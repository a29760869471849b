"""Listing pages are asked for with the validators of their last answer (conditional GET):
a scheduled crawl of an unchanged site costs it a 304 per listing page, and a listing that
did change is read again."""

from __future__ import annotations

import shutil
import threading
from functools import partial
from http.server import ThreadingHTTPServer
from pathlib import Path

from crawler.sites import get_site
from scheduler.sitecopy import FolderHandler, base_url

from .conftest import SITE_ROOT, Install

LISTINGS = {"/", *(f"/{slug}" for slug in get_site("dangcongsan").default_categories)}


class _Recording(FolderHandler):
    """The copy, noting each answer: (path, status, the If-None-Match it was asked with)."""

    def __init__(self, *args: object, answers: list[tuple[str, int, str | None]],
                 **kwargs: object) -> None:
        self.answers = answers
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def send_response(self, code: int, message: str | None = None) -> None:
        self.answers.append((self.path, code, self.headers.get("If-None-Match")))
        super().send_response(code, message)


def test_an_unchanged_listing_costs_a_304_and_a_changed_one_is_read_again(
        install: Install, tmp_path: Path) -> None:
    root = tmp_path / "site"
    shutil.copytree(SITE_ROOT, root)
    answers: list[tuple[str, int, str | None]] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 partial(_Recording, roots={"": root.resolve()}, answers=answers))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    mirror = base_url(server)

    def crawl() -> list[tuple[str, int, str | None]]:
        answers.clear()
        result = install.run("crawl", "dangcongsan", "--mirror", mirror, "--no-feeds")
        assert result.returncode == 0, result.stdout + result.stderr
        return list(answers)

    try:
        first = crawl()
        assert {path for path, _, _ in first} >= LISTINGS
        second = crawl()
        # nothing new: only the first listing pages, each answered "not modified"
        assert {path for path, _, _ in second} == LISTINGS, second
        assert all(status == 304 and etag for _, status, etag in second), second
        page = root / "thoi-su" / "index.html"
        page.write_text(page.read_text(encoding="utf-8").replace("</body>", "<!-- sửa -->\n</body>"),
                        encoding="utf-8")
        third = {path: status for path, status, _ in crawl()}
    finally:
        server.shutdown()
        server.server_close()
    assert third["/thoi-su"] == 200
    assert all(status == 304 for path, status in third.items() if path != "/thoi-su"), third
