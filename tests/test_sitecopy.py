"""The loopback server of saved copies: one site or several under prefixes, query pages, sessions, nothing outside."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from scheduler.sitecopy import serving, site_copies


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=10) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


@pytest.fixture
def copies(tmp_path: Path) -> dict[str, Path]:
    for name in ("one", "two"):
        root = tmp_path / name / "site"
        (root / "cat").mkdir(parents=True)
        (root / "index.html").write_text(f"<p>{name} home</p>", encoding="utf-8")
        (root / "cat" / "index.html").write_text(f"<p>{name} page 1</p>", encoding="utf-8")
        (root / "cat?page=2").write_text(f"<p>{name} page 2</p>", encoding="utf-8")
        (root / ".session.json").write_text(json.dumps(
            {"cookie": "SID", "paths": ["/feeds"], "entry": "/feeds"}), encoding="utf-8")
        (root / "feeds").mkdir()
        (root / "feeds" / "all.rss").write_text("<rss/>", encoding="utf-8")
    (tmp_path / "not-a-copy").mkdir()
    return site_copies(tmp_path)


def test_several_copies_each_under_its_own_prefix(copies: dict[str, Path]) -> None:
    assert sorted(copies) == ["one", "two"]
    with serving(copies) as template:
        assert template.endswith("/{site}/")
        for name in copies:
            base = template.replace("{site}", name)
            assert _get(base)[1] == f"<p>{name} home</p>".encode()
            assert _get(base + "cat")[1] == f"<p>{name} page 1</p>".encode()
            _, body, headers = _get(base + "cat?page=2")
            assert body == f"<p>{name} page 2</p>".encode() and headers["Content-Type"].startswith("text/html")
            assert _get(base + "cat?page=9")[1] == f"<p>{name} page 1</p>".encode()  # as the real portal
        origin = template.split("/{site}/")[0]
        assert _get(origin + "/three/")[0] == 404
        assert _get(template.replace("{site}", "one") + ".session.json")[0] == 404
        assert _get(template.replace("{site}", "one") + "../two/site/index.html")[0] == 404


def test_session_paths_redirect_until_the_cookie_is_sent(copies: dict[str, Path]) -> None:
    with serving(copies["one"]) as base:
        status, _, headers = _get(base + "/feeds/all.rss")
        assert status == 302 and headers["Location"] == "/feeds" and headers["Set-Cookie"].startswith("SID=")
        assert _get(base + "/feeds", {"Cookie": "SID=x"})[0] == 404  # no index page in this copy
        assert _get(base + "/feeds/all.rss", {"Cookie": "SID=x"})[:2] == (200, b"<rss/>")
        assert _get(base + "/cat")[0] == 200  # other paths need no session
