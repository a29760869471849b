"""Write feed files so that readers never see a half-written or needlessly touched file.

Feed readers and web servers read ``feeds/*.rss`` while the builder rewrites them.
Writing in place would let them fetch a truncated document; rewriting identical bytes
would bump the mtime, defeat ``If-Modified-Since`` caching and make every poll look
like news.  So: compare first, then write a sibling temp file, fsync it and rename it
over the target (atomic on POSIX within one filesystem, which the same directory
guarantees).

A build killed between creating its temp file and renaming it (``kill -9``, a power
cut) leaves the temp file behind; the next build removes such leftovers, holding the
folder's build lock so that it never takes a file another build is still writing.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

#: mode for a feed file that does not exist yet: world-readable, because a web server
#: running as another user serves it (``mkstemp`` alone would leave it 0600)
DEFAULT_MODE = 0o644
#: temp files are ``.<target name>.<random>.tmp`` beside their target
TEMP_SUFFIX = ".tmp"


def write_atomic(path: Path, data: bytes) -> bool:
    """Replace ``path`` with ``data`` atomically; return whether the file changed.

    Returns False without touching the file (its mtime stays, so HTTP caches and
    ``If-Modified-Since`` keep working) when it already holds exactly ``data``.
    Otherwise the bytes go to a temp file in the same directory, are fsynced, and the
    temp file is renamed over ``path`` with :func:`os.replace`, so a concurrent reader
    sees either the old or the new document, never a mix.  The temp file is removed if
    anything fails; an existing file's permission bits are kept.
    """
    path = Path(path)
    try:
        if path.read_bytes() == data:
            return False
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = DEFAULT_MODE

    directory = path.parent
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    _fsync_dir(directory)
    return True


def _fsync_dir(directory: Path) -> None:
    """Persist the rename itself; best effort, since not every platform can open a directory."""
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


@contextlib.contextmanager
def exclusive(directory: Path) -> Iterator[int]:
    """Hold ``directory``'s build lock, then remove the temp files of writes that never
    finished; yields how many were removed.  The lock is a ``flock`` on the folder itself
    (no lock file among the feeds): the kernel frees it when its holder dies, so a crash
    never blocks the next build."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        removed = 0
        for leftover in directory.glob(f".*{TEMP_SUFFIX}"):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
                removed += 1
        yield removed
    finally:
        os.close(fd)
