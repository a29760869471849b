"""How much of one text another holds: the article-extraction benchmark's shingle metric.

The ScrapingHub benchmark scores an extracted body by the shingles (runs of 4 ``\\w+``
tokens) it shares with the true body.  The generic layer uses the same measure to tell
whether its own DOM candidate and trafilatura's agree, and ``bench/aeb.py`` to score both.
"""

from __future__ import annotations

import re
from collections import Counter

_TOKEN = re.compile(r"\w+", re.UNICODE)
SHINGLE = 4


def shingles(text: str | None) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text or "")
    if len(tokens) < SHINGLE:
        return Counter([tuple(tokens)] if tokens else [])
    return Counter(tuple(tokens[i:i + SHINGLE]) for i in range(len(tokens) - SHINGLE + 1))


def precision_recall(true: str | None, predicted: str | None) -> tuple[float, float]:
    """Share of ``predicted``'s shingles found in ``true``, and of ``true``'s found in ``predicted``.

    Both 1 when both texts are empty, both 0 when they share nothing (the benchmark's rules).
    """
    want, got = shingles(true), shingles(predicted)
    tp = sum((want & got).values())
    fp = sum((got - want).values())
    fn = sum((want - got).values())
    if fp == fn == 0:
        return 1.0, 1.0
    if tp == 0:
        return 0.0, 0.0
    return tp / (tp + fp), tp / (tp + fn)
