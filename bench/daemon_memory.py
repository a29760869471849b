"""Memory of the daemon over many scheduled crawls, against the saved copy on loopback.

    .venv/bin/python bench/daemon_memory.py [--crawls 100] [--interval 1s]

Starts ``partyfeed run dangcongsan --mirror …`` as a real process, lets it run the given
number of crawls, and prints the daemon's resident memory after the first crawl (the
baseline, measured in the same run) and after the last, with their ratio; and the peak
memory of one crawl child for comparison.  Each crawl runs in a child process, so the
daemon should stay flat: a ratio near 1.0.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scheduler.sitecopy import serving  # noqa: E402


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--crawls", type=int, default=100)
    parser.add_argument("--interval", default="1s")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, serving(REPO / "tests/sites/dangcongsan/site") as url:
        env = {**os.environ, "PARTYFEED_DATA_DIR": tmp, "PYTHONPATH": str(REPO)}
        daemon = subprocess.Popen(
            [sys.executable, "-m", "scheduler", "run", "dangcongsan", "--interval", args.interval,
             "--mirror", url], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert daemon.stdout is not None
        done, baseline, started = 0, 0, time.monotonic()
        for line in daemon.stdout:
            if "crawl dangcongsan: done" in line or "crawl dangcongsan: failed" in line:
                done += 1
                if done == 1:
                    baseline = rss_kib(daemon.pid)
                if done % 10 == 0:
                    print(f"crawl {done:4d}: daemon RSS {rss_kib(daemon.pid) / 1024:.1f} MiB", flush=True)
                if done >= args.crawls:
                    break
        final = rss_kib(daemon.pid)
        daemon.terminate()
        daemon.wait(timeout=60)
    elapsed = time.monotonic() - started
    print(f"\n{done} crawls in {elapsed:.0f}s")
    print(f"daemon RSS after crawl 1 (baseline): {baseline / 1024:.1f} MiB")
    print(f"daemon RSS after crawl {done}: {final / 1024:.1f} MiB")
    print(f"ratio last/first: {final / baseline:.3f}")
    return 0 if final / baseline < 1.2 else 1


if __name__ == "__main__":
    raise SystemExit(main())
