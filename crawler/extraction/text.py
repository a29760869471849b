"""Plain-text normalisation: what a reader sees, in Unicode NFC.

The sites mix NFC and NFD Vietnamese, pad text with non-breaking and zero-width
spaces, and prefix leads with the outlet's tag ``(ĐCSVN) –``.  Everything that
leaves the extractor goes through :func:`clean_text` so comparisons, dedupe and
search see one spelling of each word.
"""

from __future__ import annotations

import re
import unicodedata

#: ``(ĐCSVN) –``, ``(ĐCSVN)-``, ``(Chinhphu.vn) -``, ``(QĐND) -``: the outlet tag at the start of a lead
_OUTLET_PREFIX = re.compile(r"^\s*\((?:[^()]{1,30})\)\s*[-–—:]\s*")
#: the Vietnamese press end-of-article marker ``/.`` (often after a full stop: ``./.``)
_END_MARKER = re.compile(r"\s*/\.\s*$")
#: not allowed in XML 1.0 at all (C0 controls but tab/LF/CR, surrogates, U+FFFE/U+FFFF) —
#: one of them makes a whole feed unparseable — plus DEL and C1 controls (legal but never
#: meaningful in Vietnamese text) and the zero-width space and BOM (invisible page junk)
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u200b\ufeff]")
#: what :func:`clean_text` drops: the above and the other invisible characters (zero-width
#: joiners, word joiner, soft hyphen) — one regex pass, much faster than ``str.translate``
_DROPPED = re.compile(XML_ILLEGAL.pattern[:-1] + "\u200c\u200d\u2060\u00ad]")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def clean_text(text: str | None) -> str:
    """NFC, invisible characters dropped, every run of white space one plain space."""
    if not text:
        return ""
    # str.split() splits on every Unicode space (U+00A0, U+2000–U+200A, U+3000 …), faster than a regex
    return " ".join(_DROPPED.sub("", nfc(text)).split())


def strip_outlet_prefix(lead: str) -> str:
    return _OUTLET_PREFIX.sub("", lead, count=1)


def strip_end_marker(text: str) -> str:
    """``…của nhân dân./.`` → ``…của nhân dân.``; a bare ``/.`` after a word becomes a full stop."""
    stripped = _END_MARKER.sub("", text)
    if stripped != text and stripped and stripped[-1] not in ".!?…”\"»)":
        stripped += "."
    return stripped


def slugify(name: str) -> str:
    """``Tư tưởng - Văn hóa`` → ``tu-tuong-van-hoa``: the URL form Vietnamese sites give a name."""
    plain = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    ascii_only = "".join(ch for ch in plain if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")
