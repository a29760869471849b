"""Per-site crawl locks that a crash cannot leave behind.

``flock`` locks belong to the open file description: the kernel drops them when the
process dies, ``kill -9`` included, so a stale lock never blocks the next crawl.  The
file also carries the holder's pid, only so that a waiting person is told who.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


class LockTimeout(TimeoutError):
    pass


def _holder(path: Path) -> str:
    try:
        return path.read_text().strip() or "?"
    except OSError:
        return "?"


@contextmanager
def site_lock(lock_dir: Path, site: str, *, wait: float | None = None,
              on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the lock of ``site``; wait up to ``wait`` seconds (None: forever) for it."""
    lock_dir.mkdir(parents=True, exist_ok=True)
    path = lock_dir / f"{site}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait:
                on_wait(f"{site}: another crawl (pid {_holder(path)}) is running; waiting for it")
            deadline = None if wait is None else time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if deadline is not None and time.monotonic() >= deadline:
                        raise LockTimeout(
                            f"{site}: another crawl (pid {_holder(path)}) still holds {path}"
                        ) from None
                    time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        os.close(fd)
