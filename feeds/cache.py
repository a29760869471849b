"""Rendered responses kept in memory, bounded by the bytes they hold.

A feed body is rendered (or read and given its self link) once, gzipped once, and its
validators computed once; every later request for the same URL is answered from here.
The bound is in bytes, not entries: one oversized feed must not be able to multiply
itself by the number of distinct query strings a client can invent (the issue-12 probe
grew the old 128-entry cache from 62 MB to 1.42 GB with 60 requests).  Keys are built
by the app from the options that change the body — tracking and unknown query
parameters never reach a key (:func:`feeds.app.self_query`).
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

#: what the cache may hold, bodies and their gzipped copies together
CACHE_BYTES = 32 << 20
#: a representation larger than this share of the bound is served but not kept, so a
#: single huge body cannot evict everything else
LARGEST_SHARE = 4
#: bookkeeping per entry (key, object headers), so many tiny entries are bounded too
ENTRY_OVERHEAD = 512


@dataclass(frozen=True)
class Representation:
    """One response body, gzipped once, with its validators."""

    body: bytes
    gz: bytes
    etag: str
    etag_gz: str
    last_modified: float  # POSIX seconds, whole
    content_type: str
    max_age: int
    sig: Any = None  # what it was made from (file stat, database token)

    @classmethod
    def make(cls, body: bytes, content_type: str, last_modified: float, max_age: int,
             sig: Any = None) -> Representation:
        digest = hashlib.sha256(body).hexdigest()[:40]
        return cls(body=body, gz=gzip.compress(body, 6, mtime=0), etag=f'"{digest}"',
                   etag_gz=f'"{digest}-gz"', last_modified=float(int(last_modified)),
                   content_type=content_type, max_age=max_age, sig=sig)

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gz) + ENTRY_OVERHEAD


class ResponseCache:
    """Least-recently-used, at most ``max_bytes`` of representations; thread-safe (the
    app's endpoints run in a thread pool)."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._data: OrderedDict[Hashable, Representation] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: Hashable) -> Representation | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Representation) -> None:
        if value.size * LARGEST_SHARE > self.max_bytes:
            return
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self.bytes -= old.size
            self._data[key] = value
            self.bytes += value.size
            while self.bytes > self.max_bytes:
                _, evicted = self._data.popitem(last=False)
                self.bytes -= evicted.size
