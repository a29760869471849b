"""Search queries: Vietnamese folding, safe FTS5/tsquery expressions, snippets.

What a reader types is never handed to a query language.  It is cut into *terms* —
words, or ``"quoted phrases"`` — made of word characters only, so FTS5 operators
(``AND``/``OR``/``NOT``/``NEAR``, ``*``, ``^``, ``:``, ``-``, brackets, stray quotes) are
plain text and no query is an error or an injection.  All terms must match.

Folding, the way Vietnamese readers type without an IME: ``quoc hoi`` finds
``Quốc hội``.  A term typed *without* diacritics matches every spelling that folds to
it (``dang`` → ``đang``, ``Đảng``, ``dáng``); a term typed *with* them (``Đảng``) matches
that spelling only, case aside — so adding diacritics narrows a search.  ``đ``/``Đ``
fold to ``d``: Unicode does not decompose ``đ``, so SQLite's ``remove_diacritics`` keeps
it, and the FTS5 expression offers both initials instead (``đ`` only ever starts a
Vietnamese syllable, so a term has at most one variant per syllable).

Snippets are cut here, in Python, from the stored text of the few articles shown — one
implementation for both backends, matching on the folded words exactly as the search did.
"""

from __future__ import annotations

import html
import itertools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

#: a term of more syllables starting with ``d`` than this is matched word by word,
#: not as a phrase, to keep the FTS5 expression small (2**n variants)
MAX_D_VARIANTS = 4
#: a query of more terms than this is cut (a pasted paragraph is not a search)
MAX_TERMS = 16
_WORD = re.compile(r"\w+")
_TERM = re.compile(r'"([^"]*)"?|([^\s"]+)')
_FOLD = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text: str) -> str:
    """Lower case, no diacritics, ``đ`` → ``d``: ``Đảng`` → ``dang``."""
    decomposed = unicodedata.normalize("NFD", text.translate(_FOLD).lower())
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


@dataclass(frozen=True)
class Term:
    """One word or phrase of a query, as typed (NFC, lower case)."""

    words: tuple[str, ...]

    @property
    def exact(self) -> bool:
        """Typed with diacritics (or ``đ``): matches that spelling only."""
        return any(fold(w) != w for w in self.words)

    @property
    def folded(self) -> tuple[str, ...]:
        return tuple(fold(w) for w in self.words)


@dataclass(frozen=True)
class Query:
    terms: tuple[Term, ...]

    @classmethod
    def parse(cls, text: str) -> Query:
        terms: list[Term] = []
        for phrase, bare in _TERM.findall(unicodedata.normalize("NFC", text or "")):
            found = tuple(w.lower() for w in _WORD.findall(phrase or bare))
            if found:
                terms.append(Term(found))
        return cls(tuple(dict.fromkeys(terms))[:MAX_TERMS])

    def __bool__(self) -> bool:
        return bool(self.terms)

    def word_matcher(self) -> Callable[[str], bool]:
        """Whether a word of a text is one the query asks for, by the same rule as the
        search; folds each distinct word once."""
        exact = {w for term in self.terms if term.exact for w in term.words}
        folded = {w for term in self.terms if not term.exact for w in term.folded}
        seen: dict[str, bool] = {}

        def matches(word: str) -> bool:
            lower = word.lower()
            if lower not in seen:
                seen[lower] = lower in exact or fold(lower) in folded
            return seen[lower]
        return matches

    # --- SQLite FTS5 ------------------------------------------------------------------

    @property
    def run_on(self) -> Term | None:
        """All the words typed, in order, as one phrase — when there are several terms.

        Vietnamese words are mostly two or more syllables (``quốc hội``), so articles
        holding the words side by side should rank first.  Added to the expression as an
        alternative (``(quoc AND hoi) OR "quoc hoi"``) it matches nothing more, but BM25
        counts its occurrences."""
        if len(self.terms) < 2:
            return None
        return Term(tuple(w for term in self.terms for w in term.words))

    def fts5_folded(self) -> str:
        """The expression for the index whose tokenizer removes diacritics (``đ`` kept)."""
        every = " AND ".join(_fts5_folded_term(term) for term in self.terms)
        run_on = self.run_on
        return f"({every}) OR {_fts5_folded_term(run_on)}" if run_on else every

    def fts5_exact(self) -> str | None:
        """The expression for the index that keeps diacritics: the exact terms only."""
        exact = [_fts5_phrase(term.words) for term in self.terms if term.exact]
        return " AND ".join(exact) or None

    # --- PostgreSQL tsquery (``simple`` configuration) -------------------------------

    def tsquery_folded(self) -> str:
        return " & ".join(_tsquery_phrase(term.folded) for term in self.terms)

    def tsquery_run_on(self) -> str | None:
        """:attr:`run_on` as a tsquery: ``ts_rank`` does not weigh an ``|`` alternative
        the way BM25 does, so PostgreSQL adds a bonus for it instead."""
        run_on = self.run_on
        return _tsquery_phrase(run_on.folded) if run_on else None

    def tsquery_exact(self) -> str | None:
        exact = [_tsquery_phrase(term.words) for term in self.terms if term.exact]
        return " & ".join(exact) or None


def _fts5_phrase(tokens: tuple[str, ...]) -> str:
    # tokens are word characters only, so a double quote can never occur inside
    return '"' + " ".join(tokens) + '"'


def _fts5_folded_term(term: Term) -> str:
    """``dang uy`` → ``("dang uy" OR "đang uy")``: both initials for each ``d`` syllable."""
    choices = [("d" + w[1:], "đ" + w[1:]) if w.startswith("d") else (w,) for w in term.folded]
    d_count = sum(len(c) > 1 for c in choices)
    if d_count > MAX_D_VARIANTS:
        return "(" + " AND ".join(_fts5_folded_term(Term((w,))) for w in term.folded) + ")"
    variants = [_fts5_phrase(tuple(v)) for v in itertools.product(*choices)]
    return variants[0] if len(variants) == 1 else "(" + " OR ".join(variants) + ")"


def _tsquery_phrase(tokens: tuple[str, ...]) -> str:
    # word characters only: no tsquery operator or quote can be among them
    return "(" + " <-> ".join(f"'{t}'" for t in tokens) + ")"


# --- snippets -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Snippet:
    """A window of an article's text around its matches, as ``(text, is_match)`` runs."""

    parts: tuple[tuple[str, bool], ...]

    def html(self) -> str:
        return "".join(f"<mark>{html.escape(t)}</mark>" if hit else html.escape(t)
                       for t, hit in self.parts)

    def text(self, mark: tuple[str, str] = ("[", "]")) -> str:
        """One line of text, the matches between ``mark``."""
        return "".join(f"{mark[0]}{t}{mark[1]}" if hit else t for t, hit in self.parts)


def snippet(text: str, query: Query, width: int = 30) -> Snippet:
    """The ``width``-word window of ``text`` holding the most matched words,
    with ``…`` where it is cut; the opening words when nothing matches."""
    text = " ".join(unicodedata.normalize("NFC", text or "").split())  # paragraphs: one line
    tokens = list(_WORD.finditer(text))
    matches = query.word_matcher()
    hits = [matches(t.group()) for t in tokens]
    if not tokens:
        return Snippet(((text[:200], False),) if text else ())
    best, best_count = 0, -1
    count = sum(hits[:width])
    for start in range(0, max(1, len(tokens) - width + 1)):
        if start:
            count += (hits[start + width - 1] if start + width - 1 < len(hits) else 0) - hits[start - 1]
        if count > best_count:
            best, best_count = start, count
    end = min(len(tokens), best + width)
    begin_at = tokens[best].start() if best else 0
    end_at = tokens[end - 1].end() if end < len(tokens) else len(text)
    parts: list[tuple[str, bool]] = [("…", False)] if best else []
    pos = begin_at
    for token, hit in zip(tokens[best:end], hits[best:end]):
        if hit:
            parts.append((text[pos:token.start()], False))
            parts.append((token.group(), True))
            pos = token.end()
    parts.append((text[pos:end_at], False))
    if end < len(tokens):
        parts.append(("…", False))
    return Snippet(tuple(p for p in parts if p[0]))
