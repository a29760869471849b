"""Page bytes to text, decided the way a browser decides.

libxml2 guessing from raw bytes gets real pages wrong: a UTF-8 page that declares its
charset after a non-ASCII ``<title>`` comes out as mojibake (``Äau bá»¥ng``).  So every
page — crawled or read from a file by ``partyfeed extract`` — is decoded here, once, in the
HTML Standard's order: byte-order mark, the HTTP ``Content-Type`` charset (crawls only), a
``<meta>`` prescan of the first bytes (w3lib, which Scrapy itself uses), then UTF-8 if the
bytes are valid UTF-8, then detection (charset-normalizer), falling back to windows-1258,
the Vietnamese browser default.

One more rule no browser has: a page *labelled* with a single-byte charset whose bytes are
valid UTF-8 and whose labelled decoding reads as typical mojibake (``Ã©``, ``Ä‘``, ``á»``)
was mislabelled by its server; it is decoded as UTF-8 and the correction reported, so a
crawl can count it.  The text comes out in NFC (windows-1258 decodes to combining marks).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from charset_normalizer import from_bytes
from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
    to_unicode,
)

from .text import nfc

#: the Vietnamese-locale default of browsers for undeclared, non-UTF-8 pages
FALLBACK_ENCODING = "cp1258"
#: a UTF-8 lead byte read as windows-1252/1258/latin-1, followed by a continuation byte read
#: the same way: ``Ã©`` (é), ``Ä‘`` (đ), ``á»`` (ờ…), ``â€™`` (’)
_MOJIBAKE = re.compile("[ÂÃĂÄÅÆÇáâãäåæç][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e"
                       "\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030"
                       "\u2039\u203a\u20ac\u2122\u01af\u01b0\u0102\u0103\u0300\u0301\u0303\u0309\u0323\ufffd]")


@dataclass(frozen=True)
class Decoded:
    text: str
    #: the Python codec name used (``utf-8``, ``cp1258``, …)
    encoding: str
    #: which step decided: ``bom``, ``header``, ``meta``, ``utf-8``, ``detected`` or ``fallback``
    source: str
    #: the page was labelled with a single-byte charset but is UTF-8 (a mislabelled server)
    mislabelled: bool = False


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _single_byte(encoding: str) -> bool:
    try:
        return codecs.lookup(encoding).name.startswith(("cp125", "latin", "iso8859", "windows-125"))
    except LookupError:
        return False


def _looks_mislabelled(body: bytes, encoding: str) -> bool:
    """Valid UTF-8 with multi-byte characters whose labelled decoding is mojibake."""
    if body.isascii() or not _is_utf8(body):
        return False
    return bool(_MOJIBAKE.search(body.decode(encoding, errors="replace")))


def _detect(body: bytes) -> tuple[str, str]:
    if _is_utf8(body):
        return "utf-8", "utf-8"
    best = from_bytes(body[:65536]).best()
    encoding = resolve_encoding(best.encoding) if best is not None else None
    if encoding:
        return encoding, "detected"
    return FALLBACK_ENCODING, "fallback"


def decode_page(body: bytes, content_type: str | None = None) -> Decoded:
    """The page's text, decoded as a browser would (see the module docstring)."""
    bom_encoding, bom = read_bom(body)
    if bom_encoding is not None and bom is not None:
        return Decoded(nfc(to_unicode(body[len(bom):], bom_encoding)), bom_encoding, "bom")
    source = "header"
    encoding = http_content_type_encoding(content_type) if content_type else None
    if encoding is None:
        source, encoding = "meta", html_body_declared_encoding(body)
    if encoding is None:
        encoding, source = _detect(body)
    elif encoding in {"utf-16", "utf-32"}:
        encoding += "-be"
    mislabelled = _single_byte(encoding) and _looks_mislabelled(body, encoding)
    if mislabelled:
        encoding = "utf-8"
    return Decoded(nfc(to_unicode(body, encoding)), encoding, source, mislabelled)
