"""The daemon as a real process: scheduled crawls, a manual crawl alongside, clean SIGTERM."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from crawler.sites import all_sites
from crawler.storage import ArticleRow, CrawlRun

from .conftest import Install, Lines, expected_articles


def test_daemon_runs_scheduled_crawls_and_a_manual_crawl_never_duplicates(
        install: Install, site_copy: str) -> None:
    daemon, lines = install.start("run", "dangcongsan", "--interval", "2s", "--mirror", site_copy)
    try:
        lines.wait_for("crawl dangcongsan: done", count=1)
        manual = install.run("crawl", "dangcongsan", "--mirror", site_copy, "--refresh")
        assert manual.returncode == 0, manual.stderr
        lines.wait_for("crawl dangcongsan: done", count=3)
    finally:
        daemon.send_signal(signal.SIGTERM)
        status = daemon.wait(timeout=120)
    lines.wait_for("stopped")
    assert status == 0
    assert sum("feeds in" in line for line in lines.seen) >= 3  # every crawl rebuilt the feeds
    total = len(expected_articles())
    with install.storage().engine.connect() as conn:
        assert conn.scalar(select(func.count(ArticleRow.id))) == total
        assert conn.scalar(select(func.count(func.distinct(ArticleRow.url)))) == total
        runs = conn.execute(select(CrawlRun.outcome)).scalars().all()
    # a scheduled run that found the manual crawl holding the site is recorded as skipped,
    # and one the SIGTERM caught half-way as interrupted
    crawls = [outcome for outcome in runs if outcome not in ("skipped", "interrupted")]
    assert len(crawls) >= 4 and set(crawls) == {"ok"}
    assert (install.feeds_dir / "dangcongsan.atom").stat().st_size > 0


def test_manual_crawl_waits_for_a_running_crawl_of_the_same_site(install: Install) -> None:
    from scheduler.locks import site_lock

    with site_lock(install.data_dir / "locks", "dangcongsan"):
        result = install.run("crawl", "dangcongsan", "--wait", "0")
    assert result.returncode == 75
    assert "another crawl" in result.stderr and "Traceback" not in result.stderr


def test_config_errors_are_one_clear_line(install: Install) -> None:
    (install.root / "partyfeed.toml").write_text("[sites.dangcongsan]\ninterval = 'often'\n")
    result = install.run("feeds")
    assert result.returncode == 2
    assert "interval" in result.stderr and "Traceback" not in result.stderr
    (install.root / "partyfeed.toml").write_text("[partyfeed\n")
    result = install.run("feeds")
    assert result.returncode == 2 and "not valid TOML" in result.stderr


def test_unknown_site_is_refused(install: Install) -> None:
    result = install.run("crawl", "nosuchsite")
    assert result.returncode == 2 and "unknown site" in result.stderr


def test_status_reports_each_site_as_json(crawled) -> None:
    install, _ = crawled
    result = install.run("status", "--json")
    assert result.returncode == 0, result.stderr
    sites = {s["site"]: s for s in json.loads(result.stdout)}
    site = sites["dangcongsan"]  # the others were never crawled here
    assert site["health"] == "ok" and sites.keys() == all_sites().keys()
    assert site["articles"] == len(expected_articles()) and site["runs"] >= 1
    last = site["last_run"]
    assert last["outcome"] == "ok" and last["new"] + last["unchanged"] + last["updated"] >= 0
    assert {"started", "finished", "rejected", "errors"} <= set(last)
    assert "next_run" in site
    text = install.run("status").stdout
    assert "dangcongsan: ok" in text.splitlines()


def test_restarted_daemon_resumes_its_schedule_without_an_extra_run(
        install: Install, site_copy: str) -> None:
    def start() -> tuple[subprocess.Popen[str], Lines]:
        return install.start("run", "dangcongsan", "--interval", "1h", "--mirror", site_copy)

    first, lines = start()
    lines.wait_for("crawl dangcongsan: done")
    first.kill()  # kill -9: no chance to clean up
    first.wait(timeout=30)
    second, lines = start()
    try:
        lines.wait_for("scheduled dangcongsan")
        status = next(s for s in json.loads(install.run("status", "--json").stdout)
                      if s["site"] == "dangcongsan")
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=60) == 0
    assert status["runs"] == 1  # nothing ran again on restart
    started = datetime.fromisoformat(status["last_run"]["started"])
    assert datetime.fromisoformat(status["next_run"]) >= started + timedelta(minutes=59)


class HungServer:
    """Accepts connections and never answers: a site that hangs."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.clients: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            self.clients.append(client)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self) -> None:
        self.sock.close()
        for client in self.clients:
            client.close()


def test_hung_site_is_stopped_at_its_time_limit_and_the_next_run_still_happens(
        install: Install) -> None:
    (install.root / "partyfeed.toml").write_text('[sites.dangcongsan]\ntime_limit = "2s"\n')
    hung = HungServer()
    daemon, lines = install.start("run", "dangcongsan", "--interval", "1s", "--mirror", hung.url)
    try:
        lines.wait_for("crawl dangcongsan: failed", count=2, timeout=60)
        assert daemon.poll() is None  # the daemon itself goes on
    finally:
        daemon.send_signal(signal.SIGTERM)
        status = daemon.wait(timeout=60)
        hung.close()
    assert status == 0
    with install.storage().engine.connect() as conn:
        runs = conn.execute(select(CrawlRun.outcome, CrawlRun.started, CrawlRun.finished)).all()
    assert len(runs) >= 2 and {r.outcome for r in runs} == {"failed"}
    assert all((r.finished - r.started).total_seconds() < 2 + 2 + 5 for r in runs)


def test_a_lock_left_by_a_killed_process_is_taken_over(install: Install) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; "
         "from scheduler.locks import site_lock\n"
         f"with site_lock(Path({str(install.data_dir / 'locks')!r}), 'dangcongsan'):\n"
         "    print('locked', flush=True); sys.stdin.read()"],
        env=install.env, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    held = install.run("crawl", "dangcongsan", "--wait", "0")
    assert held.returncode == 75 and f"pid {holder.pid}" in held.stderr
    holder.kill()
    holder.wait()
    from scheduler.locks import site_lock

    with site_lock(install.data_dir / "locks", "dangcongsan", wait=0):
        pass  # taken at once: the dead holder's lock went with it


def test_cron_schedules_are_validated(install: Install) -> None:
    from crawler.config import ConfigError, load_config

    good = install.root / "good.toml"
    good.write_text('[sites.dangcongsan]\ncron = "*/30 6-23 * * *"\n')
    assert load_config(good).site("dangcongsan").cron == "*/30 6-23 * * *"
    bad = install.root / "bad.toml"
    bad.write_text('[sites.dangcongsan]\ncron = "every day"\n')
    with pytest.raises(ConfigError, match="cron"):
        load_config(bad)


def test_housekeeping_prunes_old_records_only(install: Install) -> None:
    storage = install.storage()
    now = datetime.now(timezone.utc)
    for started in (now - timedelta(days=200), now):
        storage.record_run(site="dangcongsan", started=started, finished=started, outcome="ok")
        storage.record_rejection("dangcongsan", "https://dangcongsan.vn/x-1.html", "missing-title")
    assert storage.housekeeping(now - timedelta(days=90)) == 1
    assert [r.started.date() for r in storage.runs("dangcongsan")] == [now.date()]
