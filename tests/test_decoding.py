"""Pages come out as the Vietnamese a browser shows, whatever their charset says.

Decoding is one function (``crawler.extraction.decoding.decode_page``) for crawls and for
``partyfeed extract FILE``; these tests go through the real command and a real crawl.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import ThreadingHTTPServer
from pathlib import Path

from crawler.extraction.decoding import decode_page
from scheduler.sitecopy import FolderHandler

from .conftest import REPO, SITE_ROOT, Install, expected_articles, fixture_path

TITLE = "Đau bụng âm ỉ kéo dài: khi nào cần đi khám?"
PARAGRAPHS = [
    "Nhiều người chủ quan với những cơn đau bụng âm ỉ, cho rằng chỉ do ăn uống không hợp vệ sinh.",
    "Theo các bác sĩ, đau kéo dài trên hai tuần là dấu hiệu cần được thăm khám sớm tại cơ sở y tế.",
    "Người bệnh nên ghi lại thời điểm, vị trí và mức độ cơn đau để cung cấp cho bác sĩ điều trị.",
]
URL = "https://suckhoe.example.vn/dau-bung-am-i-keo-dai.html"
#: the five tone marks windows-1258 writes as combining characters after the letter
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def page(charset_tag: str, title_first: bool = True) -> str:
    head = f"<title>{TITLE}</title>{charset_tag}" if title_first else f"{charset_tag}<title>{TITLE}</title>"
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (f"<!DOCTYPE html><html lang=\"vi\"><head>{head}</head><body><article><h1>{TITLE}</h1>"
            f"<div class=\"content\">{body}</div></article></body></html>")


def to_windows_1258(text: str) -> bytes:
    """Vietnamese as windows-1258 writes it: letters with ^, ˘ or the horn precomposed, tone
    marks as separate combining characters (Python's codec is a bare character map)."""
    out = []
    for cluster in re.findall(r".[\u0300-\u036f]*", unicodedata.normalize("NFD", text), re.S):
        base, marks = cluster[0], cluster[1:]
        shape = "".join(m for m in marks if m not in _TONES)
        tones = "".join(m for m in marks if m in _TONES)
        out.append(unicodedata.normalize("NFC", base + shape) + tones)
    return "".join(out).encode("cp1258")


def extract_command(path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scheduler", "extract", "--url", URL, str(path), *extra],
        cwd=path.parent, text=True, capture_output=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def assert_vietnamese(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stderr
    article = json.loads(result.stdout)
    assert article["title"] == TITLE
    assert article["body_text"] == "\n\n".join(PARAGRAPHS)
    assert unicodedata.is_normalized("NFC", article["body_text"])


def test_extract_prints_a_late_declared_utf8_page_correctly(tmp_path: Path) -> None:
    # <meta charset> after a non-ASCII <title>: libxml2 guessing from bytes made mojibake
    path = tmp_path / "late.html"
    path.write_bytes(page('<meta charset="utf-8">').encode("utf-8"))
    assert_vietnamese(extract_command(path))


def test_extract_prints_a_windows_1258_page_as_nfc(tmp_path: Path) -> None:
    path = tmp_path / "cp1258.html"
    raw = to_windows_1258(page('<meta http-equiv="Content-Type" content="text/html; charset=windows-1258">',
                               title_first=False))
    assert b"\xec" in raw and b"\xf2" in raw  # acute and dot-below tone marks as their own bytes
    path.write_bytes(raw)
    assert_vietnamese(extract_command(path))


def test_extract_corrects_a_utf8_page_labelled_windows_1252_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "mislabelled.html"
    path.write_bytes(page('<meta charset="windows-1252">').encode("utf-8"))
    result = extract_command(path)
    assert_vietnamese(result)
    assert "names a single-byte charset: decoded as UTF-8" in result.stderr


def test_a_real_windows_1252_page_is_not_corrected() -> None:
    text = "<html><head><meta charset='windows-1252'></head><body><p>Café crème, naïve “quotes”</p></body></html>"
    decoded = decode_page(text.encode("cp1252"))
    assert "Café crème, naïve “quotes”" in decoded.text and not decoded.mislabelled


def test_an_undeclared_page_is_utf8_if_it_is_valid_utf8() -> None:
    decoded = decode_page(page("").encode("utf-8"))
    assert TITLE in decoded.text and decoded.source == "utf-8"


def test_an_undeclared_vietnamese_legacy_page_is_not_read_as_utf8() -> None:
    decoded = decode_page(to_windows_1258(page("") * 3))
    assert decoded.source in ("detected", "fallback")
    assert "\ufffd" not in decoded.text


def test_the_byte_order_mark_wins_over_a_contrary_declaration() -> None:
    decoded = decode_page(b"\xef\xbb\xbf" + page('<meta charset="windows-1252">').encode("utf-8"))
    assert decoded.source == "bom" and TITLE in decoded.text


def test_the_http_header_wins_over_the_meta_prescan() -> None:
    raw = to_windows_1258(page('<meta charset="utf-8">'))
    decoded = decode_page(raw, "text/html; charset=windows-1258")
    assert decoded.source == "header" and TITLE in decoded.text


class _LabelledHandler(FolderHandler):
    """The copy of the site, but one page is served with a wrong charset in its header."""

    mislabelled: str = ""

    def send_header(self, keyword: str, value: str) -> None:
        if keyword == "Content-Type" and self.path.split("?")[0] == self.mislabelled:
            value = "text/html; charset=windows-1252"
        super().send_header(keyword, value)


@contextmanager
def serving_mislabelled(root: Path, path: str) -> Iterator[str]:
    handler = type("Handler", (_LabelledHandler,), {"mislabelled": path})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, roots={"": root.resolve()}))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_crawl_decodes_a_mislabelled_utf8_page_and_counts_it(install: Install, tmp_path: Path) -> None:
    want = next(a for a in expected_articles() if a["layout"] == "legacy" and a["body_text"])
    root = tmp_path / "site"
    shutil.copytree(SITE_ROOT, root)
    path = "/" + str(fixture_path(want["url"]).relative_to(SITE_ROOT))
    with serving_mislabelled(root, path) as mirror:
        result = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "dangcongsan", "-s", f"PARTYFEED_MIRROR={mirror}",
             "-s", "LOG_LEVEL=INFO", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
             "-s", "ROBOTSTXT_OBEY=False"],
            cwd=REPO, env=install.env, text=True, capture_output=True, timeout=180,
        )
    assert result.returncode == 0, result.stderr
    assert "'partyfeed/decoding/mislabelled_utf8': 1" in result.stderr
    stored = {a.url: a for a in install.storage().recent(site="dangcongsan", limit=1000)}
    assert stored[want["url"]].title == want["title"]
    assert stored[want["url"]].body_text == want["body_text"]


def test_fixture_pages_decode_the_same_from_utf8_and_from_windows_1258() -> None:
    reencoded = 0
    for want in expected_articles():
        text = decode_page(fixture_path(want["url"]).read_bytes()).text
        assert "\ufffd" not in text and want["title"] in unicodedata.normalize("NFC", text)
        legacy = re.sub(r'charset="?utf-8"?', "charset=windows-1258", text, flags=re.I)
        try:  # the same page as a legacy site would serve it
            raw = to_windows_1258(legacy)
        except UnicodeEncodeError:
            continue  # a character windows-1258 cannot hold
        assert decode_page(raw).text == unicodedata.normalize("NFC", legacy)
        reencoded += 1
    assert reencoded >= 10
