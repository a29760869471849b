"""Article extraction off the reactor: worker processes, once a crawl proves big.

Reading an article page — decoding, lxml, the layered extractor — costs about as much
CPU as Scrapy spends fetching it.  Done in the callback it runs on the reactor's thread,
and every download, every listing and the database writer wait for it; a thread would
not help (the GIL).  So a crawl extracts its first ``PARTYFEED_EXTRACT_INLINE`` article
pages inline — a scheduled crawl of a few dozen pages never pays a process's start-up,
about a second — and hands the rest to ``PARTYFEED_EXTRACT_PROCESSES`` worker processes.

Both paths run the same function, :func:`extract_page`, so an article is the same
whichever read it.  A worker that dies (killed, out of memory, a crash in C) costs no
page: the pool is started again and the pages it held are read again once; a page that
kills a second worker is rejected as ``extractor-error``.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import os
import signal
import threading
import traceback
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass

from .extraction.decoding import decode_page
from .extraction.parsing import ExtractionError
from .items import Article
from .sites import get_site

logger = logging.getLogger(__name__)

#: article pages a crawl reads inline before it starts worker processes
INLINE = 100
#: Linux ``prctl`` option: the signal a process gets when its parent dies
_PR_SET_PDEATHSIG = 1


def default_processes() -> int:
    """One core stays with the reactor; at most four workers (a crawl is polite long before)."""
    return max(1, min(4, (os.cpu_count() or 2) - 1))


@dataclass(frozen=True)
class Extracted:
    """What reading one page gave: an article, or why not."""

    article: Article | None = None
    #: the page is not an HTML document (:class:`ExtractionError`'s words)
    unparseable: str | None = None
    #: the extractor raised: the traceback, for the crawl's log
    crashed: str | None = None
    #: the charset label (``header``, ``meta``) that named a single-byte charset for UTF-8
    mislabelled: str | None = None


def extract_page(site: str, url: str, body: bytes, content_type: str | None) -> Extracted:
    """Decode ``body`` like a browser and extract it with ``site``'s module; never raises."""
    page = decode_page(body, content_type)
    mislabelled = page.source if page.mislabelled else None
    try:
        return Extracted(get_site(site).extract(url, page.text), mislabelled=mislabelled)
    except ExtractionError as exc:
        return Extracted(unparseable=str(exc), mislabelled=mislabelled)
    except Exception:  # noqa: BLE001 — one bad page is one rejection, not a dead crawl
        return Extracted(crashed=traceback.format_exc(), mislabelled=mislabelled)


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ctrl-C reaches the whole process group, and is the crawl's to handle: it finishes the
    pages in hand, then closes the pool.  A worker dying of it instead would print a
    traceback and lose its pages.  An ignored signal stays ignored across ``exec``, and
    Python then installs no ``KeyboardInterrupt`` handler — so a worker spawned meanwhile
    ignores Ctrl-C from its first instruction, not only once its imports are done.  (A
    Ctrl-C in these few milliseconds, once per pool, is lost: press it again.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _worker_started(crawl: int) -> None:
    """A worker dies with its crawl: one of a crawl killed with ``kill -9`` would otherwise
    wait for work forever."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux
        return
    if os.getppid() != crawl:  # the crawl died while this worker was starting
        os._exit(1)


class ExtractionPool:
    """Extracts pages inline, then — past ``inline`` pages, with ``processes`` > 0 — in a
    process pool; awaited from a Scrapy callback on the asyncio reactor."""

    def __init__(self, processes: int, inline: int = INLINE) -> None:
        self.processes = processes
        self.inline = inline
        self.seen = 0
        #: worker pools that broke and were started again
        self.restarts = 0
        self._pool: ProcessPoolExecutor | None = None

    async def extract(self, site: str, url: str, body: bytes, content_type: str | None) -> Extracted:
        self.seen += 1
        if not self.processes or self.seen <= self.inline:
            return extract_page(site, url, body, content_type)
        for _attempt in range(2):  # a second pool if the first dies holding this page
            pool = self._started()
            try:
                return await asyncio.wrap_future(pool.submit(extract_page, site, url, body,
                                                             content_type))
            except BrokenProcessPool:
                self._broken(pool)
        return Extracted(crashed="a worker process died twice while reading this page")

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn, not fork: the crawl's process has threads (the writer) and a running reactor
            pool = ProcessPoolExecutor(self.processes, multiprocessing.get_context("spawn"),
                                       initializer=_worker_started, initargs=(os.getpid(),))
            with _sigint_ignored():
                # each submit finding no idle worker starts one: all of them start here, at
                # once, and no later submit starts another
                for _ in range(self.processes):
                    pool.submit(int)
            self._pool = pool
            logger.info("extracting in %d worker process(es)", self.processes)
        return self._pool

    def _broken(self, pool: ProcessPoolExecutor) -> None:
        """Every page the dead pool held lands here; the first starts a new pool."""
        if pool is self._pool:
            self.restarts += 1
            logger.warning("an extraction worker died; starting the pool again")
            pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
