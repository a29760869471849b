"""Peak memory of the feed server under many distinct query strings.

    .venv/bin/python bench/serve_memory.py [--requests 400]

Issue 12: every distinct query string used to add a full rendered feed to a cache bounded
by entries (128), so large feeds multiplied (60 requests: 62 MB → 1.42 GB).  Here the
server (``partyfeed serve`` in its own process, on the 10k-article bench database of
``bench/feeds_build.py``) is asked, one phase after the other:

1. ``/all.atom`` with tracking tails (``utm_*``, ``fbclid``, a cache-buster) — which must
   all be one cache entry;
2. ``/all.json?limit=200&filterout=…`` with a different never-matching word each time —
   every answer is the full 200-entry feed under a new key, the worst case for a cache.

It prints the server's peak RSS (``VmHWM``) after the first phase and every 50 requests
of the second, against its RSS after one warm-up request (the baseline of this run), with
the cache bound and what the old 128-entry cache would have held for the same answers.
Bounded means the peak stops growing once the cache is full (~80 such answers).
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.feeds_build import BENCH_DIR, make_db  # noqa: E402
from bench.serve import free_port, wait_port  # noqa: E402
from feeds.cache import CACHE_BYTES  # noqa: E402

MiB = 1 << 20
OLD_ENTRIES = 128


def memory(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) of ``pid`` in MiB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                  if ":" in line)
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


def get(conn: http.client.HTTPConnection, path: str) -> int:
    """Fetch ``path`` (identity encoding); the body's size."""
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    assert response.status == 200, (path, response.status, body[:200])
    return len(body)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=250, help="requests per phase")
    args = parser.parse_args()
    db = BENCH_DIR / "articles-10000.db"
    if not db.exists():
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        make_db(db, 10_000)
    work = Path(tempfile.mkdtemp(prefix="pf-serve-mem-"))
    server = None
    try:
        shutil.copy(db, work / "db.sqlite")
        env = {**os.environ, "PYTHONPATH": str(REPO), "PARTYFEED_DB": f"sqlite:///{work / 'db.sqlite'}",
               "PARTYFEED_FEEDS_DIR": str(work / "feeds"), "PARTYFEED_DATA_DIR": str(work)}
        subprocess.run([sys.executable, "-m", "scheduler", "feeds"], env=env, check=True,
                       capture_output=True)
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "scheduler", "serve", "--port", str(port)],
                                  env=env, cwd=work, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        wait_port(port)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        get(conn, "/all.atom")
        baseline, _ = memory(server.pid)
        print(f"10k-article database; cache bound {CACHE_BYTES / MiB:.0f} MiB; "
              f"server RSS after one request: {baseline:.1f} MiB")
        print(f"{'phase':44} {'requests':>8} {'answer':>8} {'peak RSS':>9} {'x base':>7} "
              f"{'a 128-entry cache':>18}")

        def report(name: str, done: int, entries: int, size: int) -> None:
            _, peak = memory(server.pid)
            # the old cache kept body and gzip per entry; gzip is about a fifth of these feeds
            old = min(entries, OLD_ENTRIES) * size * 1.2 / MiB
            print(f"{name:44} {done:8d} {size / 1024:6.0f}kB {peak:7.1f}MiB {peak / baseline:6.2f}x "
                  f"{old:14.0f}MiB", flush=True)

        size = 0
        for i in range(args.requests):
            size = get(conn, f"/all.atom?utm_source=zalo{i}&utm_medium=social&fbclid=IwAR{i}&_={i}")
        # the old cache keyed on the whole self link: each tracking tail was a new entry
        report("tracking tails on /all.atom (one entry)", args.requests, args.requests, size)
        for i in range(args.requests):
            size = get(conn, f"/all.json?limit=200&filterout=zzq{i}x")
            if (i + 1) % 50 == 0:
                report("distinct filters, 200 full entries each", i + 1, i + 1, size)
        conn.close()
        return 0
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
