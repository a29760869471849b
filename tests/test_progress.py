"""A crawl by hand shows live progress on a terminal and plain lines elsewhere."""

from __future__ import annotations

import os
import pty
import subprocess

from .conftest import Install


def _run_on_a_terminal(install: Install, *args: str) -> tuple[int, str]:
    controller, terminal = pty.openpty()
    process = subprocess.Popen(install.command(*args), cwd=install.root, env={**install.env, "TERM": "xterm", "COLUMNS": "120"},
                               stdin=terminal, stdout=terminal, stderr=terminal)
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: the terminal closed when the process ended
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    return process.wait(timeout=120), b"".join(chunks).decode("utf-8", "replace")


def test_live_progress_on_a_terminal(install: Install, site_copy: str) -> None:
    status, output = _run_on_a_terminal(install, "crawl", "dangcongsan", "--mirror", site_copy)
    assert status == 0, output
    assert "dangcongsan:" in output and " pages, " in output and " articles, " in output
    assert "0 errors" in output


def test_plain_lines_without_a_terminal(install: Install, site_copy: str) -> None:
    result = install.run("crawl", "dangcongsan", "--mirror", site_copy)
    assert result.returncode == 0
    assert "\x1b[" not in result.stdout + result.stderr  # no terminal control codes in cron mail
    assert result.stdout.splitlines()[0].startswith("dangcongsan: ok — ")
