"""Workers share one crawl through Redis into one PostgreSQL; a worker killed mid-run loses nothing."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import redis

from .conftest import Install
from .pg import TempPostgres
from .redis_server import RedisServer
from .sitegen import CATEGORIES, Copy


def _configure(install: Install, redis_url: str) -> None:
    (install.root / "partyfeed.toml").write_text(
        f'[partyfeed]\nredis = "{redis_url}"\n\n'
        '[sites.dangcongsan]\ncategories = ["' + '", "'.join(CATEGORIES) + '"]\n')


def test_three_workers_one_killed_mid_run_store_every_article_exactly_once(
        tmp_path: Path, generated_site: Callable[[int], tuple[Copy, str]],
        redis_server: RedisServer, postgres: TempPostgres) -> None:
    (tmp_path / "install").mkdir()
    install = Install(tmp_path / "install", postgres.new_database())
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    copy, base = generated_site(3000)
    _configure(install, redis_server.url)
    seeded = install.run("backfill", "dangcongsan", "--distributed")
    assert seeded.returncode == 0, seeded.stderr
    assert "3 start requests queued" in seeded.stdout

    workers = [install.start("worker", "dangcongsan", "--mirror", base, "--idle", "3s",
                             "--dead-after", "3s") for _ in range(3)]
    copy.wait_until(lambda c: sum(c.article_requests().values()) >= 1000)
    victim, _ = workers[0]
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)

    rescued = []
    for process, lines in workers[1:]:
        lines.wait_for("Spider closed (finished)")
        assert process.wait(timeout=60) == 0, "".join(lines.seen)
        rescued += [line for line in lines.seen if "in-flight requests back in the queue" in line]
    assert rescued, "no surviving worker put the killed worker's requests back"

    storage = install.storage()
    try:
        articles = list(storage.scan_recent(max_rows=10**6))
    finally:
        storage.close()
    paths = [urlsplit(a.url).path for a in articles]
    assert len(paths) == len(set(paths)) == 3000
    assert set(paths) == {copy.url(i) for i in range(800_000, 803_000)}
    assert client.zcard("partyfeed:dangcongsan:requests") == 0


def test_a_worker_waits_while_redis_is_away_and_loses_nothing(
        install: Install, tmp_path: Path, generated_site: Callable[[int], tuple[Copy, str]]) -> None:
    (tmp_path / "redis").mkdir()
    server = RedisServer(tmp_path / "redis", durable=True).start()
    try:
        copy, base = generated_site(300)
        _configure(install, server.url)
        assert install.run("backfill", "dangcongsan", "--distributed").returncode == 0
        process, lines = install.start("worker", "dangcongsan", "--mirror", base, "--idle", "2s")
        copy.wait_until(lambda c: sum(c.article_requests().values()) >= 60)
        server.stop()
        lines.wait_for("Redis unreachable")
        server.start()
        lines.wait_for("Redis reachable again")
        lines.wait_for("Spider closed (finished)")
        assert process.wait(timeout=60) == 0, "".join(lines.seen)
    finally:
        server.stop()
    storage = install.storage()
    try:
        paths = [urlsplit(a.url).path for a in storage.scan_recent(max_rows=10**6)]
    finally:
        storage.close()
    assert len(paths) == len(set(paths)) == 300


def _pg_ctl(server: TempPostgres, *args: str) -> None:
    """Stop or start the test cluster as its owner (the fixture runs it as ``postgres``)."""
    command = [str(server.bindir / "pg_ctl"), "-D", str(server.data), "-l", str(server.log), *args]
    as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run([*as_owner, *command], check=True, capture_output=True, timeout=60)


def test_a_worker_waits_while_postgresql_is_away_and_loses_nothing(
        tmp_path: Path, generated_site: Callable[[int], tuple[Copy, str]],
        redis_server: RedisServer) -> None:
    server = TempPostgres().start()
    options = shlex.split((server.data / "postmaster.opts").read_text())
    restart = " ".join(shlex.quote(o) for o in options[3:])  # past "postgres -D <data>"
    try:
        client = redis.Redis.from_url(redis_server.url)
        client.flushall()
        (tmp_path / "install").mkdir()
        install = Install(tmp_path / "install", server.new_database())
        copy, base = generated_site(300)
        _configure(install, redis_server.url)
        assert install.run("backfill", "dangcongsan", "--distributed").returncode == 0
        process, lines = install.start("worker", "dangcongsan", "--mirror", base, "--idle", "2s")
        copy.wait_until(lambda c: sum(c.article_requests().values()) >= 60)
        _pg_ctl(server, "-m", "fast", "-w", "stop")
        lines.wait_for("the request goes back to the queue; pausing this worker")
        _pg_ctl(server, "-o", restart, "-w", "start")
        lines.wait_for("Spider closed (finished)")
        assert process.wait(timeout=60) == 0, "".join(lines.seen)
        storage = install.storage()
        try:
            paths = [urlsplit(a.url).path for a in storage.scan_recent(max_rows=10**6)]
        finally:
            storage.close()
        assert len(paths) == len(set(paths)) == 300
    finally:
        server.stop()
