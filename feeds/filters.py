"""Query options of a served feed, with the names RSSHub users know.

``?filter=…&filterout_author=…&limit=10&format=json&fulltext=0`` on any feed URL.
:func:`parse_query` turns the query string into a :class:`FeedQuery` (or raises
:class:`QueryError`, which the server answers with 400), and
:meth:`FeedQuery.matches` decides per stored article.

Matching rules (where RSSHub is silent or differs, the choice is written here):

* ``filter`` looks in the title and the description (summary + full text);
  ``filter_title`` / ``filter_description`` / ``filter_author`` (authors and the credited
  agency) / ``filter_category`` (category name, category slug and tags) in one field.
  Every include option given must match (AND); an article is dropped when any
  ``filterout*`` option matches.
* Patterns are regular expressions run by RE2 (``google-re2``), whose matching time is
  linear in the text whatever the pattern — no catastrophic backtracking, so a
  subscriber's ``(a+)+$`` cannot stall the server.  ``Đảng|Quốc hội`` is an
  alternative, as in RSSHub; a plain word is a pattern that matches itself.
* Text and patterns are NFC-normalised.  By default matching ignores case (unlike
  RSSHub, whose default is case-sensitive), and a pattern written without diacritics
  also ignores them: ``dang`` finds ``Đảng``, ``dang``, ``đăng``; a pattern written
  with them (``Đảng``) matches those exact letters in any case.  Folding is Unicode
  NFD, combining marks stripped, ``đ``/``Đ`` → ``d``/``D``.
  ``filter_case_sensitive=1`` matches case and diacritics exactly.
* ``filter_time=N``: only articles published in the last N seconds.
* ``limit``: 1 to :data:`MAX_LIMIT` entries (larger values are capped); default the
  configured feed size.  ``fulltext=0`` leaves the full text out (summary only).
* ``format=rss|atom|json`` picks the format whatever the URL's suffix.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import re2

from crawler.items import Article

#: largest ``limit`` honoured
MAX_LIMIT = 200
#: longest pattern accepted
MAX_PATTERN = 300
FIELDS = ("title", "description", "author", "category")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
KNOWN = {"format", "limit", "fulltext", "filter", "filterout", "filter_case_sensitive",
         "filter_time"} | {f"filter_{f}" for f in FIELDS} | {f"filterout_{f}" for f in FIELDS}


class QueryError(ValueError):
    """A query option that cannot be used; the message is shown to the subscriber."""


_D_MAP = str.maketrans({"đ": "d", "Đ": "D"})


def fold(text: str) -> str:
    """``text`` without diacritics: NFD, combining marks dropped, đ/Đ → d/D (case kept)."""
    decomposed = unicodedata.normalize("NFD", text.translate(_D_MAP))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def nfc(text: str | None) -> str:
    return unicodedata.normalize("NFC", text or "")


@dataclass(frozen=True)
class Pattern:
    source: str
    folded: bool  # match against diacritic-free text
    regex: Any

    def search(self, text: str, folded_text: Callable[[], str]) -> bool:
        return self.regex.search(folded_text() if self.folded else text) is not None


def compile_pattern(source: str, case_sensitive: bool) -> Pattern:
    source = nfc(source).strip()
    if not source:
        raise QueryError("empty filter pattern")
    if len(source) > MAX_PATTERN:
        raise QueryError(f"filter pattern longer than {MAX_PATTERN} characters")
    folded = not case_sensitive and fold(source) == source
    options = re2.Options()
    options.case_sensitive = case_sensitive
    options.max_mem = 8 << 20
    options.log_errors = False
    try:
        regex = re2.compile(source, options)
    except re2.error as exc:
        detail = exc.args[0] if exc.args else ""
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        raise QueryError(f"not a valid pattern: {source!r} ({detail})") from None
    return Pattern(source, folded, regex)


def _flag(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE or lowered == "":
        return False
    raise QueryError(f"{name} must be 0 or 1, not {value!r}")


@dataclass(frozen=True)
class FeedQuery:
    """The options of one request, normalised (so equal queries have equal keys)."""

    format: str | None = None
    limit: int | None = None
    fulltext: bool = True
    case_sensitive: bool = False
    since_seconds: int | None = None
    #: (option name, pattern source), sorted
    include: tuple[tuple[str, str], ...] = ()
    exclude: tuple[tuple[str, str], ...] = ()

    @property
    def plain(self) -> bool:
        """True when the pre-built file answers it (no option but ``format``)."""
        return (self.limit is None and self.fulltext and not self.include and not self.exclude
                and self.since_seconds is None)

    def key(self) -> tuple:
        return (self.limit, self.fulltext, self.case_sensitive, self.since_seconds,
                self.include, self.exclude)

    def since(self, now: datetime) -> datetime | None:
        return None if self.since_seconds is None else now - timedelta(seconds=self.since_seconds)

    def matcher(self) -> Callable[[Article], bool]:
        """A predicate over articles; patterns are compiled once per query."""
        include = [(name, compile_pattern(src, self.case_sensitive)) for name, src in self.include]
        exclude = [(name, compile_pattern(src, self.case_sensitive)) for name, src in self.exclude]

        def matches(article: Article) -> bool:
            texts = _Texts(article)
            for name, pattern in include:
                if not texts.search(name, pattern):
                    return False
            return not any(texts.search(name, pattern) for name, pattern in exclude)

        return matches


class _Texts:
    """An article's searchable fields, NFC and folded, computed on first use."""

    def __init__(self, article: Article) -> None:
        self.article = article
        self._plain: dict[str, str] = {}
        self._folded: dict[str, str] = {}

    def text(self, field: str) -> str:
        if field not in self._plain:
            a = self.article
            parts = {
                "title": [a.title],
                "description": [a.summary, a.body_text],
                "author": [*a.authors, a.source],
                "category": [a.category, a.category_slug, *a.tags],
            }[field]
            self._plain[field] = "\n".join(nfc(p) for p in parts if p)
        return self._plain[field]

    def folded(self, field: str) -> str:
        if field not in self._folded:
            self._folded[field] = fold(self.text(field))
        return self._folded[field]

    def search(self, option: str, pattern: Pattern) -> bool:
        field = option.split("_", 1)[1] if "_" in option else None
        fields = (field,) if field else ("title", "description")
        return any(pattern.search(self.text(f), lambda f=f: self.folded(f)) for f in fields)


def parse_query(query: str) -> FeedQuery:
    """Parse a URL query string (percent-encoded UTF-8, or raw UTF-8 already decoded).

    Unknown options are ignored, as readers append their own (``?utm_…``).
    """
    values: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True, encoding="utf-8",
                                 errors="replace"):
        if name in KNOWN:
            values[name] = value  # the last one wins
    fmt = values.get("format")
    if fmt is not None:
        fmt = fmt.strip().lower()
        if fmt not in ("rss", "atom", "json"):
            raise QueryError(f"format must be rss, atom or json, not {values['format']!r}")
    limit = None
    if "limit" in values:
        try:
            limit = int(values["limit"])
        except ValueError:
            raise QueryError(f"limit must be a whole number, not {values['limit']!r}") from None
        if limit < 1:
            raise QueryError("limit must be at least 1")
        limit = min(limit, MAX_LIMIT)
    since = None
    if "filter_time" in values:
        try:
            since = int(values["filter_time"])
        except ValueError:
            raise QueryError("filter_time must be a number of seconds") from None
        if since < 1:
            raise QueryError("filter_time must be at least 1 second")
        since = min(since, 100 * 365 * 86400)
    case_sensitive = _flag("filter_case_sensitive", values.get("filter_case_sensitive", "0"))
    fulltext = _flag("fulltext", values.get("fulltext", "1") or "1")
    include = sorted((name, nfc(v).strip()) for name, v in values.items()
                     if name.startswith("filter") and not name.startswith("filterout")
                     and name not in ("filter_case_sensitive", "filter_time") and v.strip())
    exclude = sorted((name, nfc(v).strip()) for name, v in values.items()
                     if name.startswith("filterout") and v.strip())
    query_ = FeedQuery(format=fmt, limit=limit, fulltext=fulltext, case_sensitive=case_sensitive,
                       since_seconds=since, include=tuple(include), exclude=tuple(exclude))
    query_.matcher()  # compile now: a bad pattern is a 400 before any work
    return query_
