"""Stories across sites: the same text carried by several outlets, found with MinHash/LSH.

A TTXVN dispatch appears on nhandan.vn, qdnd.vn and baochinhphu.vn within hours, each
copy with its own outlet tag, byline, title and sometimes a trimmed lead or a dropped
paragraph; a site reprints its own article under a second URL.  Comparing every new
article with every stored one would cost the size of the archive per article, so each
text gets a MinHash signature over its word shingles and the signature is cut into
bands (LSH): two texts become candidates when one band agrees, which for ``ROWS`` rows
per band happens with high probability above a Jaccard similarity of about
``(1/BANDS) ** (1/ROWS)`` (0.125 here: low, because a trimmed reprint of a long article
can share only a quarter of its shingles with it).  Candidates are then confirmed on the
estimated similarity, which is what decides.

Why shingles of ``SHINGLE`` syllables, lower-cased, NFC: Vietnamese is written one
syllable per token, so three-syllable shingles are roughly one- or two-word phrases —
specific enough that two different reports on the same topic (same names, same
stock phrases ``Ban Chấp hành Trung ương``) share few of them, loose enough that an
edited reprint keeps most.  Diacritics stay: ``bàn`` and ``bán`` are different words.

Why containment as well as Jaccard: a reprint that keeps half of a long original has
Jaccard near 0.5 but is still the same story; the share of the *smaller* text's
shingles found in the larger one (estimated from Jaccard and the two set sizes)
catches it, and short texts must still agree on most of their shingles.  The
thresholds are tuned by ``bench/stories.py`` on pairs built from real texts.
"""

from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

from .extraction.text import clean_text, strip_outlet_prefix

#: syllables per shingle
SHINGLE = 3
NUM_PERM = 128
BANDS = 64
ROWS = 2
#: same story when the estimated Jaccard similarity reaches this …
JACCARD = 0.36
#: … or when this share of the smaller text's shingles is in the larger one
CONTAINMENT = 0.6
#: fewer shingles than this is too little text to call two articles one story
MIN_SHINGLES = 20
#: the seed fixes the permutations: signatures stored today must compare with tomorrow's
SEED = 20260
#: datasketch's permutation scheme, named so a library upgrade cannot change it silently;
#: its hash values fit 32 bits, which is how they are stored
SCHEME = "affine32"
_WORD = re.compile(r"\w+")
#: bylines and agency credits that differ between copies of one dispatch
_CREDIT = re.compile(r"\b(?:theo\s+)?(?:ttxvn|vna|tin,?\s*ảnh|ảnh|bài,?\s*ảnh|nguồn)\s*:?", re.I)


def story_text(title: str | None, summary: str | None, body: str | None) -> str:
    """What a story is compared on: title, lead without its outlet tag, body."""
    lead = strip_outlet_prefix(clean_text(summary))
    return " ".join(part for part in (clean_text(title), lead, clean_text(body)) if part)


def shingles(text: str) -> set[bytes]:
    """The set of ``SHINGLE``-syllable shingles of NFC, lower-cased ``text``."""
    words = _WORD.findall(_CREDIT.sub(" ", clean_text(text).lower()))
    if len(words) < SHINGLE:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i:i + SHINGLE]).encode() for i in range(len(words) - SHINGLE + 1)}


@dataclass(frozen=True)
class Signature:
    """A text's MinHash and its shingle count (needed to estimate containment)."""

    minhash: MinHash | LeanMinHash
    size: int

    def to_bytes(self) -> bytes:
        """``size`` then the ``NUM_PERM`` hash values, little-endian: 4 + 4·NUM_PERM bytes."""
        return struct.pack("<I", self.size) + self.minhash.hashvalues.astype("<u4").tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> Signature:
        (size,) = struct.unpack_from("<I", data)
        values = np.frombuffer(data, dtype="<u4", offset=4).astype(np.uint64)
        # lean: a stored signature is only compared, and a full MinHash would rebuild its
        # NUM_PERM permutations for every candidate looked at
        return cls(LeanMinHash(seed=SEED, scheme=SCHEME, hashvalues=values), size)

    def jaccard(self, other: Signature) -> float:
        return float(self.minhash.jaccard(other.minhash))

    def containment(self, other: Signature) -> float:
        """Estimated share of the smaller set found in the larger: |A∩B| / min(|A|, |B|)."""
        j = self.jaccard(other)
        smaller = min(self.size, other.size)
        if not smaller:
            return 0.0
        return min(1.0, j * (self.size + other.size) / (1 + j) / smaller)

    def same_story(self, other: Signature) -> bool:
        if min(self.size, other.size) < MIN_SHINGLES:
            return False
        return self.jaccard(other) >= JACCARD or self.containment(other) >= CONTAINMENT

    def bands(self) -> list[str]:
        """The LSH band keys: ``BANDS`` short hex digests, each over ``ROWS`` hash values.

        Stored per article and indexed, they make "which stored articles share a band
        with this one" a handful of index look-ups at any archive size.
        """
        values = self.minhash.hashvalues.astype("<u4")
        return [f"{band:02d}" + hashlib.blake2b(values[band * ROWS:(band + 1) * ROWS].tobytes(),
                                                 digest_size=8).hexdigest()
                for band in range(BANDS)]


def signature(text: str) -> Signature:
    grams = shingles(text)
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)
    minhash.update_batch(list(grams))
    return Signature(minhash, len(grams))


def article_signature(title: str | None, summary: str | None, body: str | None) -> Signature:
    return signature(story_text(title, summary, body))


class StoryIndex:
    """Stories of a set of texts held in memory (datasketch's LSH): for benches and
    for grouping a batch; the database keeps the same bands in a table."""

    def __init__(self) -> None:
        threshold = (1 / BANDS) ** (1 / ROWS)
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM, params=(BANDS, ROWS))
        self._signatures: dict[str, Signature] = {}
        self._story: dict[str, str] = {}
        self._order: dict[str, int] = {}

    def add(self, key: str, sig: Signature) -> str:
        """Index ``key`` and return its story: the story of the first earlier text it
        matches (in insertion order), or ``key`` itself."""
        matches = [k for k in self._lsh.query(sig.minhash)
                   if sig.same_story(self._signatures[k])]
        story = min((self._story[k] for k in matches), key=self._order.__getitem__, default=key)
        self._order[key] = len(self._order)
        self._signatures[key] = sig
        self._story[key] = story
        self._lsh.insert(key, sig.minhash)
        return story
