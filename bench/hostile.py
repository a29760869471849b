"""Peak memory of a crawl fed hostile pages, against a normal crawl in the same run.

    .venv/bin/python bench/hostile.py

Each case is ``partyfeed crawl dangcongsan --mirror …`` as a real child process
against the saved copy on loopback, with one article page replaced; the child's
peak resident memory comes from ``wait4`` (``ru_maxrss``).  Cases: the plain copy
(the baseline), a gzip bomb (1 GiB of markup, about 1 MB on the wire), a 20 MB
article page, a 100 KB headline.  Exits 1 if a hostile case peaks above 1.5× the
baseline.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import Answer, Install, hostile_copy  # noqa: E402
from tests.test_hostile_input import (  # noqa: E402
    BOMB,
    HUGE_PAGE,
    LONG_TITLE,
    _gzip_bomb,
    _padded,
    _words,
)

LIMIT = 1.5


def _peak_rss_mib(install: Install, mirror: str) -> tuple[float, str]:
    process = subprocess.Popen(install.command("crawl", "dangcongsan", "--mirror", mirror,
                                               "--no-feeds"),
                               cwd=install.root, env=install.env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    summary = process.stdout.readline().strip()
    process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024, summary  # Linux: KiB


def main() -> int:
    cases: dict[str, dict[str, Answer]] = {
        "normal crawl (baseline)": {},
        "gzip bomb, 1 GiB inflated": {
            BOMB: Answer(headers=(("Content-Encoding", "gzip"),), body=_gzip_bomb(1024 ** 3))},
        "20 MB article page": {
            HUGE_PAGE: Answer(body=_padded(HUGE_PAGE, '<div class="post-content">',
                                           f"<p>{_words(20_000_000)}</p>"))},
        "100 KB headline": {
            LONG_TITLE: Answer(body=_padded(LONG_TITLE, '<h1 class="post-title">',
                                            _words(100_000)))},
    }
    baseline = None
    worst = 0.0
    print(f"{'case':32} {'wire bytes':>12} {'peak RSS':>10} {'ratio':>6}  summary")
    with tempfile.TemporaryDirectory() as tmp:
        for number, (name, answers) in enumerate(cases.items()):
            root = Path(tmp) / str(number)
            root.mkdir()
            with hostile_copy(answers) as (mirror, _):
                peak, summary = _peak_rss_mib(Install(root), mirror)
            baseline = baseline or peak
            wire = sum(len(a.body) for a in answers.values())
            ratio = peak / baseline
            if answers:
                worst = max(worst, ratio)
            print(f"{name:32} {wire:>12,} {peak:>8.1f} MiB {ratio:>5.2f}x  {summary}")
    print(f"\nworst hostile / baseline: {worst:.2f}x (limit {LIMIT}x)")
    return 0 if worst <= LIMIT else 1


if __name__ == "__main__":
    raise SystemExit(main())
