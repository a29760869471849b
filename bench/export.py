"""``partyfeed export`` speed and memory at two archive sizes: articles/s must stay
≥ 10,000 and the peak memory flat (the export streams; it never holds the archive).

    .venv/bin/python bench/export.py                         # 5k and 50k, SQLite and PostgreSQL
    .venv/bin/python bench/export.py --sizes 10000 100000 --backend sqlite

Each export runs as its own ``partyfeed export -o FILE`` process, as a user runs it;
its peak RSS comes from the kernel (``wait4``), next to the peak RSS of a process that
only imports the same code, so the export's own share is visible.  Best of 3 runs.
The rate is end to end (start-up included); the rate without start-up is printed too.
The 10k/s target is judged on JSON Lines (the default) at the larger size.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from archive_data import REPO, backend, fill  # noqa: E402

from crawler.storage import Storage  # noqa: E402

TARGET = 10_000


def run(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (MiB) of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {child.stderr.read().decode() if child.stderr else ''}")
    return elapsed, usage.ru_maxrss // 1024


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs=2, default=[5_000, 50_000])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    failed = False
    with tempfile.TemporaryDirectory(prefix="partyfeed-bench-export-") as tmp:
        out = Path(tmp) / "out"
        for name in backends:
            results = {}
            for size in args.sizes:
                with backend(name, Path(tmp) / f"{size}.db") as url:
                    storage = Storage(url)
                    started = time.perf_counter()
                    fill(storage, size)
                    storage.close()
                    made = time.perf_counter() - started
                    env = {**os.environ, "PARTYFEED_DB": url, "PYTHONPATH": str(REPO)}
                    base = [sys.executable, "-m", "scheduler"]
                    idle, idle_rss = min(run([sys.executable, "-c", "import scheduler.cli, "
                                              "crawler.storage.export, psycopg"], env)
                                         for _ in range(3))
                    for label, extra in (("jsonl", []), ("csv", ["--format", "csv"]),
                                         ("jsonl --versions", ["--versions"])):
                        best, rss = min(run([*base, "export", "-o", str(out), *extra], env)
                                        for _ in range(3))
                        rate = size / best
                        results[(size, label)] = (rate, rss)
                        print(f"{name:10} {size:>7} articles  {label:17} {rate:>9,.0f} articles/s "
                              f"({size / max(best - idle, 1e-3):,.0f}/s without the {idle:.1f}s start-up)  "
                              f"peak RSS {rss:>4} MiB (imports alone {idle_rss} MiB; "
                              f"file {out.stat().st_size / 2**20:,.0f} MiB; made in {made:.0f}s)",
                              flush=True)
                        failed |= size == max(args.sizes) and label == "jsonl" and rate < TARGET
            small, large = args.sizes
            for label in ("jsonl", "csv", "jsonl --versions"):
                ratio = results[(large, label)][1] / results[(small, label)][1]
                print(f"{name:10} {label:17} peak RSS {large:,} / {small:,} articles: {ratio:.2f}x "
                      f"(flat is ~1)")
                failed |= ratio > 1.3
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("targets: JSON Lines ≥ 10,000 articles/s end to end at the larger size, "
          "peak RSS ratio ≤ 1.3 —", "MISSED" if failed else "met")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
