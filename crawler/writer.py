"""The crawl's database writer: items handed over by the reactor, written in batches by a thread.

Scrapy runs callbacks and pipelines on one thread, the reactor's.  A write there — an
SQLite commit is an fsync — stalls every download and every parse for as long as it
takes, once per article.  Here the reactor only queues the article and awaits a future;
one thread takes whatever has queued up meanwhile and writes it in one transaction.
The future resolves after the commit, so an article counted as stored (stats,
``item_scraped``) is on disk: a crawl killed at any moment loses nothing it reported.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: items written in one transaction at most
BATCH = 200


class BatchWriter(Generic[T, R]):
    """Calls ``write(batch)`` on its own thread; ``write`` returns one result per item.

    If ``write`` raises, every item of that batch gets the exception; the writer goes on
    with the next batch (the caller decides whether a failed write ends the crawl).
    """

    def __init__(self, write: Callable[[Sequence[T]], Sequence[R]], *, batch: int = BATCH,
                 name: str = "partyfeed-writer") -> None:
        self._write = write
        self._batch = batch
        self._queue: queue.SimpleQueue[tuple[T, Future[R]] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, item: T) -> Future[R]:
        future: Future[R] = Future()
        self._queue.put((item, future))
        return future

    async def write(self, item: T) -> R:
        """``item``'s result once its batch is committed, awaited on the running loop."""
        return await asyncio.wrap_future(self.submit(item))

    def close(self) -> None:
        """Write what is queued, then stop the thread."""
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            pending = [first]
            stop = False
            while len(pending) < self._batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                pending.append(more)
            self._flush(pending)
            if stop:
                return

    def _flush(self, pending: list[tuple[T, Future[R]]]) -> None:
        try:
            results = self._write([item for item, _ in pending])
        except BaseException as exc:  # noqa: BLE001 — handed to every waiting caller
            for _, future in pending:
                future.set_exception(exc)
            return
        for (_, future), result in zip(pending, results, strict=True):
            future.set_result(result)
